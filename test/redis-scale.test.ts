import { PEERS, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import type { SignalOf } from '../client/types';
import { ErrorCode } from '../src/protocol';
import { ChildGateway, untilStatus } from './helpers/child-gateway';
import { codeOf, createSession } from './helpers/clients';
import { TestRedis } from './helpers/redis';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { childGatewaySuite } from './helpers/suite';
import { scaleOutCases } from './scale-out.contract';

/** The contract's bound for announcing the peers of a crashed instance. */
const CRASH_ANNOUNCE_MS = 15_000;

describe('Redis scale-out: several instances behave as one gateway', () => {
  let redis: TestRedis;
  beforeAll(async () => {
    redis = await TestRedis.start();
  });
  afterAll(async () => {
    await redis.stop();
  });
  const { gw, open } = childGatewaySuite(3, () => ({ REDIS_URL: redis.url, GRACE_MS: '2000' }));

  scaleOutCases(gw, open);

  it('after kill -9 of an instance: a peer resuming elsewhere loses nothing, the others are announced gone within 15 s', async () => {
    const victim = await ChildGateway.start({ REDIS_URL: redis.url, GRACE_MS: '2000' });
    try {
      const [alice, bob, carol] = await Promise.all([
        createSession(victim.httpUrl, 'crash', 'alice'),
        createSession(victim.httpUrl, 'crash', 'bob'),
        createSession(gw(1).httpUrl, 'crash', 'carol'),
      ]);
      const carolWs = open(gw(1), carol.token);
      const carolSignals = carolWs.signals();
      await carolSignals.events.next();
      const aliceOnVictim = open(victim, alice.token);
      const aliceSignals = aliceOnVictim.signals();
      await aliceSignals.events.next();
      open(victim, bob.token).signals();
      await carolSignals.events.nextWhere((e) => e.__typename === 'PeerConnected' && e.peer.id === 'alice');
      await carolSignals.events.nextWhere((e) => e.__typename === 'PeerConnected' && e.peer.id === 'bob');
      await carolWs.request(SEND_OFFER, { to: 'alice', sdp: fakeSdp('before-crash') });
      const lastSeen = await aliceSignals.events.nextWhere((e) => e.__typename === 'Offer');

      const killedAt = performance.now();
      await victim.stop('SIGKILL');
      // Sent while alice has no connection anywhere: kept in her mailbox.
      expect(codeOf(await carolWs.request(SEND_OFFER, { to: 'alice', sdp: fakeSdp('during-crash') }))).toBe('OK');

      const aliceBack = open(gw(2), alice.token);
      const resumed = aliceBack.signals(lastSeen.cursor);
      expect(await resumed.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
      expect(await resumed.events.next()).toMatchObject({ __typename: 'Offer', from: 'carol', sdp: fakeSdp('during-crash') });

      const gone = (await carolSignals.events.nextWhere(
        (e) => e.__typename === 'PeerDisconnected',
        CRASH_ANNOUNCE_MS + 2_000,
        'PeerDisconnected',
      )) as SignalOf<'PeerDisconnected'>;
      const announcedMs = performance.now() - killedAt;
      expect(gone.peer.id).toBe('bob');
      expect(announcedMs).toBeLessThan(CRASH_ANNOUNCE_MS);
      console.log(`kill -9: bob announced PeerDisconnected ${announcedMs.toFixed(0)} ms after the crash; alice resumed on another instance`);
      expect((await carolWs.request(PEERS)).data).toEqual({ peers: [{ id: 'alice', name: null }] });
    } finally {
      await victim.stop('SIGKILL');
    }
  }, 40_000);

  it('survives a Redis restart under traffic: no acknowledged signal lost, subscriptions heal, /readyz shows the outage', async () => {
    const alice = await createSession(gw(0).httpUrl, 'outage', 'alice');
    const bob = await createSession(gw(1).httpUrl, 'outage', 'bob');
    const wa = open(gw(0), alice.token);
    const bobWs = open(gw(1), bob.token);
    const bobSignals = bobWs.signals();
    await bobSignals.events.next();
    wa.signals();
    await bobSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const total = 200;
    const killAfter = 60;
    const acked: string[] = [];
    const refusals = new Map<string, number>();
    let restartedAt = 0;
    let outage: Promise<void> | null = null;
    for (let i = 0; i < total; i++) {
      if (i === killAfter) {
        await redis.kill();
        outage = (async () => {
          const downMs = await untilStatus(`${gw(0).url}/readyz`, 503, 5_000);
          console.log(`redis killed: /readyz answered 503 after ${downMs.toFixed(0)} ms`);
          await redis.restart();
          restartedAt = performance.now();
          await untilStatus(`${gw(0).url}/readyz`, 200, 10_000);
          await untilStatus(`${gw(1).url}/readyz`, 200, 10_000);
        })();
      }
      // The sender retries what was refused; only acknowledged signals count.
      for (let attempt = 0; ; attempt++) {
        const res = await wa.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(i) } });
        const code = codeOf(res);
        if (code === 'OK') {
          acked.push(String(i));
          if (i === killAfter) {
            await bobSignals.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.sdpMid === String(i));
            console.log(`subscription healed: first signal after the outage delivered ${(performance.now() - restartedAt).toFixed(0)} ms after redis was back`);
          }
          break;
        }
        expect([ErrorCode.Unavailable, ErrorCode.PeerNotFound]).toContain(code);
        refusals.set(code, (refusals.get(code) ?? 0) + 1);
        if (attempt > 400) throw new Error(`signal ${i} never accepted: ${code}`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    }
    await outage;
    await bobSignals.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.sdpMid === String(total - 1));
    const got = bobSignals.events.all.flatMap((e) => (e.__typename === 'IceCandidate' ? [e.candidate.sdpMid ?? ''] : []));
    expect(got).toEqual(acked);
    expect(acked.length).toBe(total);
    console.log(`redis outage: ${total} signals acknowledged and delivered once, in order; refused meanwhile: ${JSON.stringify(Object.fromEntries(refusals))}`);
    expect(refusals.get(ErrorCode.Unavailable) ?? 0).toBeGreaterThan(0);
  }, 60_000);
});
