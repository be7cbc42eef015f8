import WebSocket from 'ws';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '../client/operations';
import { CloseCode, ErrorCode, MAX_CANDIDATE_BYTES, MAX_SDP_BYTES, MAX_WS_PAYLOAD_BYTES } from '../src/protocol';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

const CREATE = 'mutation($room: ID!, $peerId: ID, $name: String) { createSession(room: $room, peerId: $peerId, name: $name) { token } }';

describe('bad input', () => {
  let gw: TestGateway;
  let alice: WsPeer;
  let bob: WsPeer;
  let bobToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    const a = await createSession(gw.httpUrl, 'bad', 'alice');
    const b = await createSession(gw.httpUrl, 'bad', 'bob');
    bobToken = b.token;
    alice = wsPeer(gw.wsUrl, a.token);
    bob = wsPeer(gw.wsUrl, b.token);
  });
  afterAll(async () => {
    await Promise.all([alice.dispose(), bob.dispose()]);
    await gw.close();
  });

  const sdp = fakeSdp('ok');
  const good = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 };
  const cases: Array<[string, string, Record<string, unknown>, string]> = [
    ['room with a space', CREATE, { room: 'bad room' }, ErrorCode.BadUserInput],
    ['room of 129 characters', CREATE, { room: 'r'.repeat(129) }, ErrorCode.BadUserInput],
    ['empty room', CREATE, { room: '' }, ErrorCode.BadUserInput],
    ['peer id with a slash', CREATE, { room: 'ok', peerId: 'a/b' }, ErrorCode.BadUserInput],
    ['name of 65 characters', CREATE, { room: 'ok', name: 'n'.repeat(65) }, ErrorCode.BadUserInput],
    ['name with control characters', CREATE, { room: 'ok', name: 'a\u0000b' }, ErrorCode.BadUserInput],
    ['SDP over 64 KiB', SEND_OFFER, { to: 'bob', sdp: sdp + 'a=x:'.padEnd(MAX_SDP_BYTES, 'x') }, ErrorCode.PayloadTooLarge],
    ['SDP not starting with v=0', SEND_OFFER, { to: 'bob', sdp: sdp.slice(5) }, ErrorCode.BadUserInput],
    ['SDP without a DTLS fingerprint', SEND_ANSWER, { to: 'bob', sdp: sdp.replace(/a=fingerprint[^\r]*\r\n/, '') }, ErrorCode.BadUserInput],
    ['empty SDP', SEND_ANSWER, { to: 'bob', sdp: '' }, ErrorCode.BadUserInput],
    ['target id with a space', SEND_OFFER, { to: 'b ob', sdp }, ErrorCode.BadUserInput],
    ['target not in the room', SEND_OFFER, { to: 'nobody', sdp }, ErrorCode.PeerNotFound],
    ['candidate over 1 KiB', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE.padEnd(MAX_CANDIDATE_BYTES + 1, 'x') } }, ErrorCode.PayloadTooLarge],
    ['candidate without the candidate: grammar', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: 'hello' } }, ErrorCode.BadUserInput],
    ['candidate with a bad type', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE.replace('typ host', 'typ evil') } }, ErrorCode.BadUserInput],
    ['negative sdpMLineIndex', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { ...good, sdpMLineIndex: -1 } }, ErrorCode.BadUserInput],
    ['sdpMid of 65 characters', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { ...good, sdpMid: 'm'.repeat(65) } }, ErrorCode.BadUserInput],
    ['usernameFragment with spaces', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { ...good, usernameFragment: 'a b' } }, ErrorCode.BadUserInput],
  ];

  it('answers every bad input with its code, and the pair keeps relaying', async () => {
    const bobSignals = bob.signals();
    await bobSignals.events.next();
    const aliceSignals = alice.signals();
    await aliceSignals.events.next();
    await bobSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const outcomes = [];
    for (const [label, query, variables, expected] of cases) {
      outcomes.push({ label, expected, got: codeOf(await alice.request(query, variables)) });
    }
    expect(outcomes.filter((o) => o.got !== o.expected)).toEqual([]);
    console.log(`bad input: ${outcomes.length} cases, all refused with their codes`);

    // Nothing bad was delivered: bob's next event is the good offer sent now.
    expect(codeOf(await alice.request(SEND_OFFER, { to: 'bob', sdp }))).toBe('OK');
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'Offer', from: 'alice', sdp });
  });

  it('refuses an over-long resume cursor and treats an unknown one as not resumed', async () => {
    const s = await createSession(gw.httpUrl, 'cursor', 'carol');
    const tooLong = await http(gw.httpUrl, SIGNALS_SUBSCRIPTION, { after: 'c'.repeat(500) }, { token: s.token });
    expect(codeOf(tooLong)).toBe(ErrorCode.BadUserInput);
    const carol = wsPeer(gw.wsUrl, s.token);
    try {
      const sub = carol.signals('not-a-cursor');
      expect(await sub.events.next()).toMatchObject({ __typename: 'Welcome', resumed: false });
    } finally {
      await carol.dispose();
    }
  });

  it('answers an HTTP body over the limit with 413 PAYLOAD_TOO_LARGE', async () => {
    const res = await fetch(gw.httpUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${bobToken}` },
      body: JSON.stringify({ query: SEND_OFFER, variables: { to: 'alice', sdp: 'x'.repeat(MAX_WS_PAYLOAD_BYTES + 1) } }),
    });
    expect(res.status).toBe(413);
    expect(codeOf((await res.json()) as { errors: [] })).toBe(ErrorCode.PayloadTooLarge);
  });

  it('closes a socket that sends a frame over the limit with 1009, and one that sends garbage with 4400', async () => {
    const closeOf = (send: (ws: WebSocket) => void): Promise<number> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
        ws.on('open', () => send(ws));
        ws.on('close', (code) => resolve(code));
        ws.on('error', reject);
      });
    expect(await closeOf((ws) => ws.send('x'.repeat(MAX_WS_PAYLOAD_BYTES + 1)))).toBe(CloseCode.MessageTooBig);
    expect(await closeOf((ws) => ws.send('{"type":"nonsense"}'))).toBe(4400);

    // Other peers are unaffected.
    const s = await createSession(gw.httpUrl, 'after-abuse', 'dave');
    const dave = wsPeer(gw.wsUrl, s.token);
    try {
      expect(await dave.signals().events.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'dave' } });
    } finally {
      await dave.dispose();
    }
  });
});
