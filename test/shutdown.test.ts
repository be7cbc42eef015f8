import { SEND_ICE_CANDIDATE } from '../client/operations';
import { CloseCode } from '../src/protocol';
import { ChildGateway } from './helpers/child-gateway';
import { codeOf, createSession, wsPeer, type WsPeer } from './helpers/clients';
import { TestRedis } from './helpers/redis';
import { HOST_CANDIDATE } from './helpers/sdp';

describe('graceful shutdown', () => {
  let redis: TestRedis;
  let survivor: ChildGateway;
  const sockets: WsPeer[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    survivor = await ChildGateway.start({ REDIS_URL: redis.url });
  }, 30_000);
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await survivor.stop('SIGKILL');
    await redis.stop();
  });

  it('SIGTERM under traffic: clients get 1001, resume on another instance, nothing is lost', async () => {
    const leaving = await ChildGateway.start({ REDIS_URL: redis.url, LOG_LEVEL: 'debug' });
    const alice = await createSession(leaving.httpUrl, 'drain', 'alice');
    const bob = await createSession(survivor.httpUrl, 'drain', 'bob');
    const aliceWs = wsPeer(leaving.wsUrl, alice.token);
    const bobWs = wsPeer(survivor.wsUrl, bob.token);
    sockets.push(aliceWs, bobWs);
    const first = aliceWs.signals();
    await first.events.next();
    bobWs.signals();
    await first.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const total = 150;
    const stopAt = 50;
    const acked: string[] = [];
    let exit: Promise<number | string | null> | null = null;
    let stoppedAt = 0;
    let resumed: ReturnType<WsPeer['signals']> | null = null;
    for (let i = 0; i < total; i++) {
      if (i === stopAt) {
        stoppedAt = performance.now();
        exit = leaving.stop('SIGTERM');
        expect(await aliceWs.closes.next()).toMatchObject({ code: CloseCode.GoingAway });
        const cursor = first.events.all[first.events.all.length - 1]?.cursor;
        const aliceBack = wsPeer(survivor.wsUrl, alice.token);
        sockets.push(aliceBack);
        resumed = aliceBack.signals(cursor);
        expect(await resumed.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
      }
      const res = await bobWs.request(SEND_ICE_CANDIDATE, { to: 'alice', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(i) } });
      expect(codeOf(res)).toBe('OK');
      acked.push(String(i));
    }
    expect(await exit).toBe(0);
    const exitMs = performance.now() - stoppedAt;
    if (!resumed) throw new Error('never resumed');
    await resumed.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.sdpMid === String(total - 1));
    const got = [...first.events.all, ...resumed.events.all].flatMap((e) => (e.__typename === 'IceCandidate' ? [e.candidate.sdpMid ?? ''] : []));
    expect(got).toEqual(acked);
    expect([...first.events.all, ...resumed.events.all].filter((e) => e.__typename === 'PeerDisconnected')).toEqual([]);
    // Structured logs name rooms and peers but never carry a token or a signal body.
    const logs = leaving.logs.join('\n');
    expect(logs).toContain('"room":"drain"');
    expect(logs).not.toContain(alice.token);
    expect(logs).not.toContain(HOST_CANDIDATE);
    console.log(`SIGTERM: gateway exited 0 within ${exitMs.toFixed(0)} ms; ${total} signals acknowledged, all delivered once in order across the move`);
  }, 40_000);
});
