import { PEERS, SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import type { Signal, SignalOf } from '../client/types';
import { ErrorCode } from '../src/protocol';
import { ChildGateway, untilStatus } from './helpers/child-gateway';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { wsPort } from './helpers/ports';
import { TestRedis } from './helpers/redis';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { openDataChannel } from './helpers/webrtc';

/** The contract's bound for announcing the peers of a crashed instance. */
const CRASH_ANNOUNCE_MS = 15_000;
const CANDIDATES_PER_SIDE = 4;

describe('Redis scale-out: several instances behave as one gateway', () => {
  let redis: TestRedis;
  let gateways: ChildGateway[];
  const sockets: WsPeer[] = [];
  const open = (gw: ChildGateway, token: string): WsPeer => {
    const p = wsPeer(gw.wsUrl, token);
    sockets.push(p);
    return p;
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
    gateways = await Promise.all([0, 1, 2].map(() => ChildGateway.start({ REDIS_URL: redis.url, GRACE_MS: '2000' })));
  }, 60_000);
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await redis.stop();
  });

  const gw = (i: number): ChildGateway => {
    const g = gateways[i];
    if (!g) throw new Error(`no gateway ${i}`);
    return g;
  };

  it('carries the whole flow between peers on different instances', async () => {
    const alice = await createSession(gw(0).httpUrl, 'x-flow', 'alice');
    const bob = await createSession(gw(1).httpUrl, 'x-flow', 'bob');
    const wa = open(gw(0), alice.token);
    const wb = open(gw(1), bob.token);
    const aliceSignals = wa.signals();
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Welcome', peers: [] });
    const bobSignals = wb.signals();
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'Welcome', peers: [{ id: 'alice' }] });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerConnected', peer: { id: 'bob' } });

    await wa.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('x-offer') });
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'Offer', from: 'alice' });
    await wb.request(SEND_ANSWER, { to: 'alice', sdp: fakeSdp('x-answer') });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Answer', from: 'bob' });
    const candidate = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: 'abcd' };
    await wa.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate });
    await wb.request(SEND_ICE_CANDIDATE, { to: 'alice', candidate });
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'IceCandidate', candidate });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'IceCandidate', candidate });
    await wb.request('mutation { leaveRoom }');
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerDisconnected', peer: { id: 'bob' }, reason: 'left' });
  });

  it('lets two werift peers on different instances open a data channel', async () => {
    const a = await createSession(gw(0).httpUrl, 'x-webrtc', 'alice');
    const b = await createSession(gw(2).httpUrl, 'x-webrtc', 'bob');
    const pa = await wsPort(open(gw(0), a.token), 'alice');
    const pb = await wsPort(open(gw(2), b.token), 'bob');
    await pa.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const result = await openDataChannel(pa, pb);
    expect(result.received).toBe('hello from alice');
    console.log(`werift across instances: message received ${result.elapsedMs.toFixed(0)} ms after createOffer`);
    await result.close();
  });

  it('delivers every signal once and in order for 100 pairs spread over 3 instances', async () => {
    const pairs = 100;
    const started = performance.now();
    const sides = await Promise.all(
      Array.from({ length: pairs }, async (_, i) => {
        const room = `pair-${i}`;
        const [a, b] = await Promise.all([createSession(gw(i % 3).httpUrl, room, 'a'), createSession(gw((i + 1) % 3).httpUrl, room, 'b')]);
        const wa = open(gw(i % 3), a.token);
        const wb = open(gw((i + 1) % 3), b.token);
        const sa = wa.signals();
        await sa.events.next();
        const sb = wb.signals();
        await sb.events.next();
        await sa.events.nextWhere((e) => e.__typename === 'PeerConnected');
        return { wa, wb, sa, sb };
      }),
    );
    const connectedMs = performance.now() - started;

    const expectedFrom = (who: string): string[] => [
      who === 'a' ? 'Offer' : 'Answer',
      ...Array.from({ length: CANDIDATES_PER_SIDE }, (_, k) => `ice:${who}${k}`),
      'ice:end',
    ];
    const label = (e: Signal): string =>
      e.__typename === 'IceCandidate' ? (e.candidate.candidate === '' ? 'ice:end' : `ice:${e.candidate.sdpMid ?? ''}`) : e.__typename;
    const negotiate = async (side: WsPeer, who: string, to: string): Promise<void> => {
      const res = await side.request(who === 'a' ? SEND_OFFER : SEND_ANSWER, { to, sdp: fakeSdp(who) });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      for (let k = 0; k < CANDIDATES_PER_SIDE; k++) {
        const r = await side.request(SEND_ICE_CANDIDATE, { to, candidate: { candidate: HOST_CANDIDATE, sdpMid: `${who}${k}`, sdpMLineIndex: 0 } });
        if (r.errors) throw new Error(JSON.stringify(r.errors));
      }
      await side.request(SEND_ICE_CANDIDATE, { to, candidate: { candidate: '' } });
    };
    const relayStarted = performance.now();
    await Promise.all(sides.flatMap(({ wa, wb }) => [negotiate(wa, 'a', 'b'), negotiate(wb, 'b', 'a')]));
    const perSide = expectedFrom('a').length;
    const received = await Promise.all(
      sides.flatMap(({ sa, sb }) => [
        Promise.all(Array.from({ length: perSide }, () => sb.events.next())).then((evs) => evs.map(label)),
        Promise.all(Array.from({ length: perSide }, () => sa.events.next())).then((evs) => evs.map(label)),
      ]),
    );
    const relayMs = performance.now() - relayStarted;
    received.forEach((labels, index) => expect(labels).toEqual(expectedFrom(index % 2 === 0 ? 'a' : 'b')));
    // Nothing extra arrived anywhere: no duplicates.
    for (const { sa, sb } of sides) expect([...sa.events.drain(), ...sb.events.drain()]).toEqual([]);
    const signals = pairs * 2 * perSide;
    console.log(
      `3 instances, ${pairs * 2} peers: all connected in ${connectedMs.toFixed(0)} ms; ${signals} signals relayed once and in order in ` +
        `${relayMs.toFixed(0)} ms (${((signals / relayMs) * 1000).toFixed(0)} signals/s, sequential per sender)`,
    );
  }, 60_000);

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
