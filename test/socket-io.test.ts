import { ErrorCode, SocketIoEvent } from '../src/protocol';
import type { SeedMessage } from '../src/transport/socket-io/messages';
import { createSession } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';
import { nextEvent, opened, reach, remoteChannel, sdkClient, weriftSession } from './helpers/sdk';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { connectError, ioPeer, type IoPeer } from './helpers/socket-io';
import { nextMessage, openDataChannel, WeriftPeer } from './helpers/webrtc';
import type { SignalingClient } from '@switchboard/client';

const of = <T extends SeedMessage['type']>(type: T) => (m: SeedMessage): m is Extract<SeedMessage, { type: T }> => m.type === type;
const graphql = (url: string): string => `${url}/graphql`;

describe('Socket.IO on the same core', () => {
  let gw: TestGateway;
  const peers: IoPeer[] = [];
  const clients: SignalingClient[] = [];
  const open = (url: string, peerId: string, auth: Record<string, unknown>): IoPeer => {
    const peer = ioPeer(url, peerId, auth);
    peers.push(peer);
    return peer;
  };
  const join = async (room: string, peerId: string, url = gw.url): Promise<IoPeer> => {
    const session = await createSession(graphql(url), room, peerId);
    const peer = open(url, peerId, { token: session.token });
    const welcome = await peer.next(SocketIoEvent.Welcome);
    expect(welcome.self.id).toBe(peerId);
    return peer;
  };

  beforeAll(async () => {
    gw = await startGateway({ GRACE_MS: '300' });
  });
  afterEach(async () => {
    peers.splice(0).forEach((peer) => peer.close());
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });
  afterAll(async () => {
    await gw.close();
  });

  it("carries the seed's whole flow between two socket.io-client peers", async () => {
    const alice = await join('io-flow', 'alice');
    const bob = await join('io-flow', 'bob');
    const joined = await alice.next(SocketIoEvent.PeerConnected);
    expect(joined.peer.id).toBe('bob');

    // `from` is the token's peer whatever the payload says.
    const ack = await alice.send('offer', { to: 'bob', from: 'mallory', sdp: { type: 'offer', sdp: fakeSdp('a') } });
    expect(ack).toEqual({ id: expect.any(String), at: expect.any(String) });
    const offer = await bob.next(SocketIoEvent.Offer);
    expect(offer).toMatchObject({ type: 'offer', from: 'alice', to: 'bob', sdp: { type: 'offer', sdp: fakeSdp('a') }, cursor: expect.any(String) });

    await bob.send('answer', { to: 'alice', sdp: { type: 'answer', sdp: fakeSdp('b') } });
    expect(await alice.next(SocketIoEvent.Answer)).toMatchObject({ from: 'bob', sdp: { type: 'answer' } });
    const candidate = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: '4ZcD' };
    await bob.send('ice-candidate', { to: 'alice', candidate });
    await bob.send('ice-candidate', { to: 'alice', candidate: { candidate: '' } });
    expect(await alice.next(SocketIoEvent.IceCandidate)).toMatchObject({ type: 'ice-candidate', from: 'bob', candidate });
    expect((await alice.next(SocketIoEvent.IceCandidate)).candidate.candidate).toBe('');

    // leave: at once, answered before the socket closes (4101); a lost socket: when the grace ends.
    const carol = await join('io-flow', 'carol');
    expect(await bob.send('leave', {})).toEqual({ left: true });
    expect(await bob.closings.next()).toMatchObject({ code: 4101 });
    expect(await alice.next(SocketIoEvent.PeerDisconnected)).toMatchObject({ peer: { id: 'bob' }, reason: 'left' });
    carol.close();
    expect(await alice.next(SocketIoEvent.PeerDisconnected)).toMatchObject({ peer: { id: 'carol' }, reason: 'timeout' });
  });

  it('refuses a handshake without a valid token, with its code', async () => {
    const none = open(gw.url, 'nobody', {});
    expect((await connectError(none)).data?.code).toBe(ErrorCode.Unauthenticated);
    const forged = open(gw.url, 'forged', { token: 'not-a-jwt' });
    expect((await connectError(forged)).data?.code).toBe(ErrorCode.Unauthenticated);
    const session = await createSession(gw.httpUrl, 'io-auth', 'carol');
    const badCursor = open(gw.url, 'carol', { token: session.token, after: 42 });
    expect((await connectError(badCursor)).data?.code).toBe(ErrorCode.BadUserInput);
  });

  it('answers bad input with an ack error and its code, and stores nothing', async () => {
    const alice = await join('io-bad', 'alice');
    const bob = await join('io-bad', 'bob');
    const cases: Array<[string, unknown, string]> = [
      ['offer', { to: 'bob', sdp: { type: 'offer', sdp: `v=0\r\n${'a'.repeat(70_000)}` } }, ErrorCode.PayloadTooLarge],
      ['offer', { to: 'bob', sdp: { type: 'offer', sdp: 'not an sdp' } }, ErrorCode.BadUserInput],
      ['offer', { to: 'bob', sdp: fakeSdp('a') }, ErrorCode.BadUserInput],
      ['offer', { to: 5, sdp: { type: 'offer', sdp: fakeSdp('a') } }, ErrorCode.BadUserInput],
      ['answer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp('a') } }, ErrorCode.BadUserInput],
      ['ice-candidate', { to: 'bob', candidate: { candidate: 'candidate:evil' } }, ErrorCode.BadUserInput],
      ['ice-candidate', { to: 'bob', candidate: { candidate: HOST_CANDIDATE, sdpMLineIndex: 'zero' } }, ErrorCode.BadUserInput],
      ['offer', { to: 'b@d', sdp: { type: 'offer', sdp: fakeSdp('a') } }, ErrorCode.BadUserInput],
      ['offer', { to: 'someone-elsewhere', sdp: { type: 'offer', sdp: fakeSdp('a') } }, ErrorCode.PeerNotFound],
      ['offer', 'just a string', ErrorCode.BadUserInput],
      ['sendOffer', { to: 'bob' }, ErrorCode.BadUserInput],
      ['join-room', { room: 'other' }, ErrorCode.BadUserInput],
    ];
    for (const [event, payload, code] of cases) {
      const ack = await alice.send(event, payload);
      expect({ event, payload: JSON.stringify(payload).slice(0, 80), ack: 'error' in ack ? ack.error.code : 'accepted' }).toEqual({ event, payload: JSON.stringify(payload).slice(0, 80), ack: code });
      if ('error' in ack) expect(ack.error.message).toEqual(expect.any(String));
    }
    // An unknown event without an ack is answered with an `error` event.
    const refused = new Promise<{ code: string; event: string }>((resolve) => alice.socket.once(SocketIoEvent.Error, resolve));
    alice.socket.emit('shout', { to: 'bob' });
    expect(await refused).toMatchObject({ code: ErrorCode.BadUserInput, event: 'shout' });

    // Nothing was stored: the next thing bob gets is the one good offer sent after them all.
    await alice.send('offer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp('good') } });
    const next = await bob.messages.next();
    expect(next).toMatchObject({ type: 'offer', sdp: { sdp: fakeSdp('good') } });
  });

  it('resumes a cut socket from its cursor without losing or repeating an event', async () => {
    const alice = await join('io-resume', 'alice');
    const session = await createSession(gw.httpUrl, 'io-resume', 'bob');
    const bob = open(gw.url, 'bob', { token: session.token });
    await bob.next(SocketIoEvent.Welcome);
    await alice.send('offer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp('1') } });
    const first = await bob.next(SocketIoEvent.Offer);

    // The cut: the transport dies under the client (no goodbye), and the sender goes on meanwhile.
    const closed = new Promise((resolve) => bob.socket.once('disconnect', resolve));
    bob.socket.io.engine.close();
    await closed;
    for (const tag of ['2', '3', '4']) await alice.send('offer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp(tag) } });

    const again = open(gw.url, 'bob', { token: session.token, after: first.cursor });
    const welcome = await again.next(SocketIoEvent.Welcome);
    expect(welcome.resumed).toBe(true);
    const replayed = [await again.messages.next(), await again.messages.next(), await again.messages.next()];
    expect(replayed.map((m) => (m.type === 'offer' ? m.sdp.sdp : m.type))).toEqual([fakeSdp('2'), fakeSdp('3'), fakeSdp('4')]);
    await alice.send('offer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp('5') } });
    expect(await again.messages.next()).toMatchObject({ type: 'offer', sdp: { sdp: fakeSdp('5') } });
    // Alice never saw bob leave: he came back inside the grace.
    expect(alice.messages.all.filter(of(SocketIoEvent.PeerDisconnected))).toEqual([]);
  });

  it('a newer connection of the same peer replaces the older one with closing 4100', async () => {
    const session = await createSession(gw.httpUrl, 'io-replace', 'dave');
    const older = open(gw.url, 'dave', { token: session.token });
    await older.next(SocketIoEvent.Welcome);
    const disconnected = new Promise<string>((resolve) => older.socket.once('disconnect', resolve));
    const newer = open(gw.url, 'dave', { token: session.token });
    await newer.next(SocketIoEvent.Welcome);
    expect(await older.closings.next()).toMatchObject({ code: 4100 });
    expect(await disconnected).toBe('io server disconnect');
  });

  it('refuses Engine.IO long-polling (it would need sticky sessions)', async () => {
    const res = await fetch(`${gw.url}/socket.io/?EIO=4&transport=polling`);
    expect(res.status).toBe(400);
  });

  it('a werift pair opens a data channel over Socket.IO', async () => {
    const alice = await join('io-werift', 'alice');
    const bob = await join('io-werift', 'bob');
    const result = await openDataChannel(alice.port(), bob.port());
    try {
      expect(result.received).toBe('hello from alice');
    } finally {
      await result.close();
    }
  });

  it('a Socket.IO peer and an SDK peer connect to each other', async () => {
    await connectAcross(gw.url, gw.url, 'io-sdk');
  });

  /** An SDK (GraphQL over WebSocket) peer on `sdkUrl` calls a werift peer signalling over Socket.IO on `ioUrl`. */
  async function connectAcross(sdkUrl: string, ioUrl: string, room: string): Promise<void> {
    const io = await join(room, 'io-peer', ioUrl);
    const sdk = await sdkClient(graphql(sdkUrl), room, 'sdk-peer');
    clients.push(sdk);
    expect((await io.next(SocketIoEvent.PeerConnected)).peer.id).toBe('sdk-peer');
    if (!sdk.peers.some((peer) => peer.id === 'io-peer')) await nextEvent(sdk, 'peer-connected', ({ peer }) => peer.id === 'io-peer');
    const answerer = new WeriftPeer(io.port(), 'sdk-peer');
    const call = weriftSession(sdk, 'io-peer');
    const channel = call.peerConnection.createDataChannel('across');
    try {
      const [received] = await Promise.all([remoteChannel(answerer.pc), opened(channel), reach(call, 'p2p-connected')]);
      await opened(received);
      const arrived = nextMessage(received);
      channel.send('from the SDK');
      await expect(arrived).resolves.toBe('from the SDK');
      expect(answerer.errors).toEqual([]);
    } finally {
      await answerer.close();
    }
  }

  describe('two instances sharing a private Redis', () => {
    const instances = sharedRedisSuite();

    it('a Socket.IO peer on one instance and an SDK peer on the other connect', async () => {
      const [first, second] = instances();
      if (!first || !second) throw new Error('instances not started');
      await connectAcross(second.url, first.url, 'io-redis');
    });
  });
});

describe('Socket.IO rate limits and flooding', () => {
  const { gw } = gatewaySuite({ RATE_LIMIT_SDP_PER_S: '1' });

  it('refuses sends over the rate with RATE_LIMITED and closes a flooding socket with closing 4129', async () => {
    const a = await createSession(gw().httpUrl, 'io-flood', 'alice');
    const b = await createSession(gw().httpUrl, 'io-flood', 'bob');
    const alice = ioPeer(gw().url, 'alice', { token: a.token });
    const bob = ioPeer(gw().url, 'bob', { token: b.token });
    try {
      await alice.next(SocketIoEvent.Welcome);
      await bob.next(SocketIoEvent.Welcome);
      const acks = await Promise.all(Array.from({ length: 30 }, (_, i) => alice.send('offer', { to: 'bob', sdp: { type: 'offer', sdp: fakeSdp(String(i)) } }).catch(() => null)));
      const limited = acks.filter((ack) => ack !== null && 'error' in ack && ack.error.code === ErrorCode.RateLimited);
      expect(limited.length).toBeGreaterThan(0);
      expect(limited[0]).toMatchObject({ error: { retryAfterMs: expect.any(Number) } });
      expect(await alice.closings.next()).toMatchObject({ code: 4129 });
    } finally {
      alice.close();
      bob.close();
    }
  });
});
