import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import type { Signal } from '../client/types';
import type { ChildGateway } from './helpers/child-gateway';
import { createSession, type WsPeer } from './helpers/clients';
import { wsPort } from './helpers/ports';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { openDataChannel } from './helpers/webrtc';

const CANDIDATES_PER_SIDE = 4;

/**
 * What three gateway instances sharing one broker store must do, whatever the Redis topology (one
 * server, a Cluster): the whole flow across instances, a werift data channel, and 100 pairs with
 * every signal delivered once and in order. Runs inside the caller's describe, on its gateways;
 * rooms are named `x-flow`, `x-webrtc` and `pair-<n>`.
 */
export function scaleOutCases(gw: (i: number) => ChildGateway, open: (gw: ChildGateway, token: string) => WsPeer): void {
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
}
