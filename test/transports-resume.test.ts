import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import type { Signal } from '../client/types';
import { codeOf, createSession, http, pollingSignals, sseSignals, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import type { Inbox } from './helpers/inbox';
import { wsPort } from './helpers/ports';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { openDataChannel, type SignalingPort } from './helpers/webrtc';

type Subscribe = (httpUrl: string, token: string, after?: string) => { events: Inbox<Signal>; stop: () => void };

const transports: Array<[string, Subscribe]> = [
  ['SSE', sseSignals],
  ['long polling', pollingSignals],
];

describe('resume and long polling on every transport', () => {
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    gw = await startGateway({ GRACE_MS: '60000' });
  });
  afterAll(async () => {
    stops.forEach((stop) => stop());
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
  });

  it.each(transports)('%s: resumes after a drop with every event once, in order', async (name, subscribe) => {
    const room = `resume-${name.replace(' ', '-')}`;
    const a = await createSession(gw.httpUrl, room, 'alice');
    const b = await createSession(gw.httpUrl, room, 'bob');
    const alice = wsPeer(gw.wsUrl, a.token);
    sockets.push(alice);
    const aliceSignals = alice.signals();
    await aliceSignals.events.next();

    const first = subscribe(gw.httpUrl, b.token);
    stops.push(first.stop);
    expect(await first.events.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'bob' }, peers: [{ id: 'alice' }] });
    await aliceSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');
    await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('first') });
    const seen = await first.events.next();
    expect(seen).toMatchObject({ __typename: 'Offer' });
    first.stop();

    for (let i = 0; i < 3; i++) {
      expect(codeOf(await alice.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(i) } }))).toBe('OK');
    }
    const again = subscribe(gw.httpUrl, b.token, seen.cursor);
    stops.push(again.stop);
    if (name === 'SSE') expect(await again.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
    const replayed = [await again.events.next(), await again.events.next(), await again.events.next()];
    expect(replayed.map((e) => (e.__typename === 'IceCandidate' ? e.candidate.sdpMid : e.__typename))).toEqual(['0', '1', '2']);
    await alice.request(SEND_ANSWER, { to: 'bob', sdp: fakeSdp('live') });
    expect(await again.events.next()).toMatchObject({ __typename: 'Answer', from: 'alice' });
    again.stop();
    // alice saw no departure while bob was between connections.
    expect(aliceSignals.events.all.filter((e) => e.__typename === 'PeerDisconnected')).toEqual([]);
  });

  it('refuses a waitMs over the bound', async () => {
    const s = await createSession(gw.httpUrl, 'poll-bounds', 'p');
    const res = await http(gw.httpUrl, 'query { pollSignals(waitMs: 600000) { cursor } }', {}, { token: s.token });
    expect(codeOf(res)).toBe('BAD_USER_INPUT');
  });

  it('connects a werift pair whose answerer signals only by long polling', async () => {
    const a = await createSession(gw.httpUrl, 'poll-webrtc', 'alice');
    const b = await createSession(gw.httpUrl, 'poll-webrtc', 'bob');
    const aliceWs = wsPeer(gw.wsUrl, a.token);
    sockets.push(aliceWs);
    const pa = await wsPort(aliceWs, 'alice');
    const polling = pollingSignals(gw.httpUrl, b.token);
    stops.push(polling.stop);
    expect(await polling.events.next()).toMatchObject({ __typename: 'Welcome' });
    await pa.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const send = async (query: string, variables: Record<string, unknown>): Promise<void> => {
      const res = await http(gw.httpUrl, query, variables, { token: b.token });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
    };
    const pb: SignalingPort = {
      peerId: 'bob',
      events: polling.events,
      sendOffer: (to, sdp) => send(SEND_OFFER, { to, sdp }),
      sendAnswer: (to, sdp) => send(SEND_ANSWER, { to, sdp }),
      sendIceCandidate: (to, candidate) => send(SEND_ICE_CANDIDATE, { to, candidate }),
    };
    const call = await openDataChannel(pa, pb);
    try {
      expect(call.received).toBe('hello from alice');
      console.log(`werift with a long-polling answerer: data channel message ${call.elapsedMs.toFixed(0)} ms after createOffer`);
    } finally {
      await call.close();
    }
  });
});
