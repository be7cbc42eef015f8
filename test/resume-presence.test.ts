import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, PEERS } from '../client/operations';
import type { Signal } from '../client/types';
import { createSession, sseSignals, wsPeer } from './helpers/clients';
import { startGateway } from './helpers/gateway';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { gatewaySuite } from './helpers/suite';

describe('resume and presence within one process', () => {
  const { gw, open } = gatewaySuite({ GRACE_MS: '60000' });

  it('delivers every event sent during grace exactly once, in order, after a resume with the cursor', async () => {
    const a = await createSession(gw().httpUrl, 'resume', 'alice');
    const b = await createSession(gw().httpUrl, 'resume', 'bob');
    const alice = open(a.token);
    const aliceSignals = alice.signals();
    await aliceSignals.events.next();
    const bob1 = open(b.token);
    const bob1Signals = bob1.signals();
    await bob1Signals.events.next();
    await aliceSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');

    await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('before-drop') });
    const last = await bob1Signals.events.next();
    expect(last.__typename).toBe('Offer');

    await bob1.dispose(); // the socket is gone; bob is in grace
    expect((await alice.request(PEERS)).data).toEqual({ peers: [{ id: 'bob', name: null }] });
    const sentDuringGrace = [await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('renegotiate') })];
    for (let i = 0; i < 3; i++) {
      sentDuringGrace.push(await alice.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(i) } }));
    }
    expect(sentDuringGrace.filter((r) => r.errors)).toEqual([]);

    const bob2 = open(b.token);
    const resumed = bob2.signals(last.cursor);
    expect(await resumed.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true, peers: [{ id: 'alice' }] });
    const replay: Signal[] = [];
    for (let i = 0; i < 4; i++) replay.push(await resumed.events.next());
    expect(replay.map((e) => (e.__typename === 'IceCandidate' ? `ice:${e.candidate.sdpMid}` : e.__typename))).toEqual([
      'Offer',
      'ice:0',
      'ice:1',
      'ice:2',
    ]);
    expect(new Set(replay.map((e) => e.cursor)).size).toBe(4);

    // Live events follow the replay, and alice saw no PeerDisconnected/PeerConnected churn.
    await bob2.request(SEND_ANSWER, { to: 'alice', sdp: fakeSdp('answer') });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Answer', from: 'bob' });
    await alice.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: '' } });
    expect(await resumed.events.next()).toMatchObject({ __typename: 'IceCandidate', candidate: { candidate: '' } });

    // Resuming again from the last replayed cursor yields nothing twice.
    const lastCursor = resumed.events.all[resumed.events.all.length - 1]?.cursor ?? '';
    const bob3 = open(b.token);
    const again = bob3.signals(lastCursor);
    expect(await again.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
    await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('fresh') });
    expect(await again.events.next()).toMatchObject({ __typename: 'Offer', sdp: fakeSdp('fresh') });
  });

  it('announces PeerDisconnected with reason timeout when the grace ends', async () => {
    const quick = await startGateway({ GRACE_MS: '150' });
    try {
      const a = await createSession(quick.httpUrl, 'grace', 'alice');
      const b = await createSession(quick.httpUrl, 'grace', 'bob');
      const alice = wsPeer(quick.wsUrl, a.token);
      const aliceSignals = alice.signals();
      await aliceSignals.events.next();
      const bobSse = sseSignals(quick.httpUrl, b.token);
      await bobSse.events.next();
      expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerConnected', peer: { id: 'bob' } });
      bobSse.stop();
      expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerDisconnected', peer: { id: 'bob' }, reason: 'timeout' });
      expect((await alice.request(PEERS)).data).toEqual({ peers: [] });
      await alice.dispose();
    } finally {
      await quick.close();
    }
  });

  it('announces each join once when many peers join one room together', async () => {
    const watcherSession = await createSession(gw().httpUrl, 'crowd', 'watcher');
    const watcher = open(watcherSession.token);
    const watch = watcher.signals();
    await watch.events.next();
    const n = 30;
    const sessions = await Promise.all(Array.from({ length: n }, (_, i) => createSession(gw().httpUrl, 'crowd', `p${i}`)));
    const joined = sessions.map((s) => open(s.token).signals());
    const welcomes = await Promise.all(joined.map((j) => j.events.next()));
    expect(welcomes.every((w) => w.__typename === 'Welcome')).toBe(true);
    const seen = new Set<string>();
    for (let i = 0; i < n; i++) {
      const e = await watch.events.next();
      if (e.__typename !== 'PeerConnected') throw new Error(`unexpected ${e.__typename}`);
      seen.add(e.peer.id);
    }
    expect(seen.size).toBe(n);
    // Every later joiner learned earlier ones from its Welcome, never twice from events.
    const last = joined[n - 1];
    const lastWelcome = welcomes[n - 1];
    if (lastWelcome?.__typename !== 'Welcome' || !last) throw new Error('no welcome');
    const known = new Set(lastWelcome.peers.map((p) => p.id));
    for (const e of last.events.drain()) {
      if (e.__typename === 'PeerConnected') expect(known.has(e.peer.id)).toBe(false);
    }
  });
});
