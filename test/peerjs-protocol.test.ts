import { ErrorCode, PeerjsMessageType, SocketIoEvent } from '../src/protocol';
import { createSession } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { gatewaySuite } from './helpers/suite';
import { rawSocket, type RawSocket } from './helpers/raw-ws';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { ioPeer } from './helpers/socket-io';

/** A PeerJS client's socket, spoken by hand: `OPEN` (or the turnaway) is its first frame. */
async function peerjsSocket(gw: TestGateway, key: string, id: string, token: string): Promise<RawSocket> {
  const url = `${gw.url.replace(/^http/, 'ws')}/peerjs/peerjs?key=${encodeURIComponent(key)}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}&version=1.5.5`;
  return rawSocket(url, null);
}

const offer = (dst: string, tag: string, connectionId = 'dc_1') => ({
  type: PeerjsMessageType.Offer,
  dst,
  payload: { sdp: { type: 'offer', sdp: fakeSdp(tag) }, type: 'data', connectionId, label: 'dc_1', reliable: true, serialization: 'binary', metadata: { hello: tag } },
});

describe('the PeerJS protocol on the same core', () => {
  let gw: TestGateway;
  const sockets: RawSocket[] = [];
  const open = async (key: string, id: string, token: string): Promise<RawSocket> => {
    const socket = await peerjsSocket(gw, key, id, token);
    sockets.push(socket);
    return socket;
  };
  const opened = async (key: string, id: string, token = `${id}-token`): Promise<RawSocket> => {
    const socket = await open(key, id, token);
    await socket.next(PeerjsMessageType.Open);
    return socket;
  };

  beforeAll(async () => {
    gw = await startGateway({ PEERJS_EXPIRE_MS: '300', GRACE_MS: '200', PEERJS_DISCOVERY: 'true' });
  });
  afterEach(() => {
    sockets.splice(0).forEach((s) => s.socket.terminate());
  });
  afterAll(async () => {
    await gw.close();
  });

  it('hands out ids and, with discovery, lists the peers of a key', async () => {
    const res = await fetch(`${gw.url}/peerjs/pj-http/id?ts=1`);
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/^[0-9a-f-]{36}$/);
    await opened('pj-http', 'alice');
    const peers = await fetch(`${gw.url}/peerjs/pj-http/peers`);
    expect(await peers.json()).toEqual(['alice']);
    expect((await fetch(`${gw.url}/peerjs/b@d/id`)).status).toBe(401);
  });

  it('relays OFFER, ANSWER and CANDIDATE with src and dst, PeerJS fields included', async () => {
    const alice = await opened('pj-relay', 'alice');
    const bob = await opened('pj-relay', 'bob');
    alice.send({ ...offer('bob', 'a'), src: 'mallory' });
    const got = await bob.next(PeerjsMessageType.Offer);
    expect(got).toEqual({ ...offer('bob', 'a'), src: 'alice' });
    bob.send({ type: PeerjsMessageType.Answer, dst: 'alice', payload: { sdp: { type: 'answer', sdp: fakeSdp('b') }, type: 'data', connectionId: 'dc_1' } });
    expect(await alice.next(PeerjsMessageType.Answer)).toMatchObject({ src: 'bob', dst: 'alice', payload: { connectionId: 'dc_1', sdp: { type: 'answer' } } });
    const candidate = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: '4ZcD' };
    bob.send({ type: PeerjsMessageType.Candidate, dst: 'alice', payload: { candidate, type: 'data', connectionId: 'dc_1' } });
    expect(await alice.next(PeerjsMessageType.Candidate)).toMatchObject({ src: 'bob', payload: { candidate, connectionId: 'dc_1' } });
    bob.send({ type: PeerjsMessageType.Heartbeat });
    // A peer that leaves the room is a LEAVE for the others.
    bob.socket.close();
    expect(await alice.next(PeerjsMessageType.Leave)).toMatchObject({ src: 'bob', dst: 'alice' });
  });

  it('answers bad input with ERROR and its code, and relays nothing of it', async () => {
    const alice = await opened('pj-bad', 'alice');
    const bob = await opened('pj-bad', 'bob');
    const cases: Array<[unknown, string]> = [
      ['not json', ErrorCode.BadUserInput],
      [{ type: 'SHOUT', dst: 'bob' }, ErrorCode.BadUserInput],
      [{ type: PeerjsMessageType.Offer, dst: 'bob', payload: { sdp: { type: 'offer', sdp: 'v=1 nope' } } }, ErrorCode.BadUserInput],
      [{ type: PeerjsMessageType.Offer, dst: 'bob', payload: { sdp: { type: 'offer', sdp: `v=0\r\n${'a'.repeat(70_000)}` } } }, ErrorCode.PayloadTooLarge],
      [{ ...offer('bob', 'x'), payload: { ...offer('bob', 'x').payload, metadata: 'm'.repeat(20_000) } }, ErrorCode.PayloadTooLarge],
      [{ type: PeerjsMessageType.Candidate, dst: 'bob', payload: { candidate: { candidate: 'candidate:evil' } } }, ErrorCode.BadUserInput],
      [{ type: PeerjsMessageType.Offer, dst: 'b@d', payload: offer('bob', 'x').payload }, ErrorCode.BadUserInput],
      [{ type: PeerjsMessageType.Offer, payload: offer('bob', 'x').payload }, ErrorCode.BadUserInput],
    ];
    for (const [message, code] of cases) {
      alice.send(message);
      const error = await alice.next(PeerjsMessageType.Error);
      expect({ message: JSON.stringify(message).slice(0, 60), code: (error.payload as { code: string }).code }).toEqual({ message: JSON.stringify(message).slice(0, 60), code });
    }
    alice.send(offer('bob', 'good'));
    const next = await bob.frames.next();
    expect(next).toMatchObject({ type: PeerjsMessageType.Offer, payload: { metadata: { hello: 'good' } } });
  });

  it('ID-TAKEN for a live id under another token; the same token takes its socket back', async () => {
    const first = await opened('pj-taken', 'carol', 'token-1');
    const thief = await open('pj-taken', 'carol', 'token-2');
    expect((await thief.next(PeerjsMessageType.IdTaken)).payload).toMatchObject({ code: ErrorCode.PeerIdTaken });
    expect((await thief.closed()).code).toBe(1005);
    const back = await opened('pj-taken', 'carol', 'token-1');
    expect((await first.closed()).code).toBe(4100);
    back.send({ type: PeerjsMessageType.Heartbeat });
    const invalid = await open('b@d key', 'carol', 'token-1');
    expect(await invalid.next(PeerjsMessageType.InvalidKey)).toBeDefined();
    const noToken = await rawSocket(`${gw.url.replace(/^http/, 'ws')}/peerjs/peerjs?key=pj-taken&id=dave`, null);
    sockets.push(noToken);
    expect((await noToken.next(PeerjsMessageType.Error)).payload).toMatchObject({ code: ErrorCode.BadUserInput });
  });

  it('EXPIRE for a peer that never connects; a signal for a peer that appears in time waits for it', async () => {
    const alice = await opened('pj-expire', 'alice');
    alice.send(offer('ghost', 'g'));
    expect(await alice.next(PeerjsMessageType.Expire)).toMatchObject({ src: 'ghost', dst: 'alice' });

    alice.send(offer('late', 'l'));
    const late = await opened('pj-expire', 'late');
    expect(await late.next(PeerjsMessageType.Offer)).toMatchObject({ src: 'alice', payload: { metadata: { hello: 'l' } } });
  });

  it('a PeerJS peer is in the room for peers of other transports', async () => {
    const session = await createSession(gw.httpUrl, 'pj-mixed', 'io-peer');
    const io = ioPeer(gw.url, 'io-peer', { token: session.token });
    try {
      await io.next(SocketIoEvent.Welcome);
      await opened('pj-mixed', 'pj-peer');
      expect((await io.next(SocketIoEvent.PeerConnected)).peer.id).toBe('pj-peer');
      // A Socket.IO offer reaches the PeerJS peer as an OFFER (without PeerJS's connection fields).
      const ack = await io.send('offer', { to: 'pj-peer', sdp: { type: 'offer', sdp: fakeSdp('io') } });
      expect(ack).toHaveProperty('id');
    } finally {
      io.close();
    }
  });
});

describe('the PeerJS protocol with PEERJS_REQUIRE_TOKEN', () => {
  const { gw } = gatewaySuite({ PEERJS_REQUIRE_TOKEN: 'true' });

  it('takes only a session token for that id and room', async () => {
    const session = await createSession(gw().httpUrl, 'pj-token', 'erin');
    const good = await peerjsSocket(gw(), 'pj-token', 'erin', session.token);
    await good.next(PeerjsMessageType.Open);
    const wrongId = await peerjsSocket(gw(), 'pj-token', 'frank', session.token);
    expect((await wrongId.next(PeerjsMessageType.Error)).payload).toMatchObject({ code: ErrorCode.Forbidden });
    const forged = await peerjsSocket(gw(), 'pj-token', 'erin', 'random-peerjs-token');
    expect((await forged.next(PeerjsMessageType.Error)).payload).toMatchObject({ code: ErrorCode.Unauthenticated });
    good.socket.terminate();
  });
});
