import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, RTCPeerConnection, SignatureAlgorithm, type DtlsKeys, type RTCDataChannel } from 'werift';
import WebSocket from 'ws';
import { createGuestSession, createPeerSession, joinRoom, type IceServer } from '@switchboard/client';
import { MAX_ROOM_MESSAGE_BYTES, ROOM_DATA_CHANNEL } from '../client/protocol';
import { startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway';
import { dataFrom, peersIn, roomState, weriftConnection, weriftRoom, type WeriftRoom } from './helpers/room';
import { nextEvent, opened, sdkClient, type WeriftSession } from './helpers/sdk';
import { LOOPBACK_ONLY } from './helpers/webrtc';

/** Handed out by the gateway's iceServers; nothing listens there, and werift is not told to use it. */
const STUN_URL = 'stun:127.0.0.1:3478';

/** A DTLS certificate of its own, for a werift connection. */
function ownCertificate(): Promise<DtlsKeys> {
  return CipherContext.createSelfSignedCertificateWithKey({ signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 }, NamedCurveAlgorithm.secp256r1_23);
}

const rooms: WeriftRoom[] = [];
afterEach(async () => {
  await Promise.all(rooms.splice(0).map((room) => room.leave()));
});

describe('joinRoom with three werift peers', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ STUN_URLS: STUN_URL, GRACE_MS: '1500' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  test('each gets every other peer\'s data; one leaves; the other two still exchange data', async () => {
    const configs: Array<{ iceServers: IceServer[] }> = [];
    const join = async (peerId: string): Promise<WeriftRoom> => {
      const room = await weriftRoom(gateway.httpUrl, { room: 'mesh', peerId, name: peerId.toUpperCase() }, configs);
      rooms.push(room);
      return room;
    };
    const ada = await join('ada');
    const bob = await join('bob');
    const cy = await join('cy');
    // The newcomer's roster is state as soon as joinRoom resolves: nothing to catch with a listener.
    expect([...cy.peers.keys()].sort()).toEqual(['ada', 'bob']);
    expect(cy.peers.get('ada')?.name).toBe('ADA');
    await Promise.all([peersIn(ada, 2), peersIn(bob, 2)]);

    const everyone = [ada, bob, cy];
    const errors: string[] = [];
    for (const room of everyone) room.on('error', (error) => errors.push(`${room.self.id}: ${error.code} ${error.message}`));
    const arrivals = everyone.flatMap((to) => everyone.filter((from) => from !== to).map((from) => dataFrom(to, from.self.id, { hello: from.self.id, n: 1 })));
    for (const room of everyone) expect(room.broadcast({ hello: room.self.id, n: 1 })).toBe(2);
    await Promise.all(arrivals);

    // Every connection, calling or answering, was built with the gateway's ICE servers.
    expect(configs).toHaveLength(6);
    for (const { iceServers } of configs) expect(iceServers).toEqual([{ urls: [STUN_URL] }]);

    const adaSees = nextEvent(ada, 'peer-left', ({ peer }) => peer.id === 'cy');
    const bobSees = nextEvent(bob, 'peer-left', ({ peer }) => peer.id === 'cy');
    await cy.leave();
    await expect(adaSees).resolves.toMatchObject({ reason: 'left' });
    await expect(bobSees).resolves.toMatchObject({ reason: 'left' });
    expect([...ada.peers.keys()]).toEqual(['bob']);

    const toBob = dataFrom(bob, 'ada', 'still here');
    const toAda = dataFrom(ada, 'bob', ['me', 'too']);
    ada.send('bob', 'still here');
    bob.send('ada', ['me', 'too']);
    await Promise.all([toBob, toAda]);
    expect(ada.peers.get('bob')?.state).toBe('p2p-connected');
    expect(errors).toEqual([]);

    // Refusals are coded and throw at the call: nothing is half-sent.
    expect(() => ada.send('cy', 'gone')).toThrow(expect.objectContaining({ code: 'PEER_NOT_FOUND' }));
    expect(() => ada.broadcast('x'.repeat(MAX_ROOM_MESSAGE_BYTES))).toThrow(expect.objectContaining({ code: 'PAYLOAD_TOO_LARGE' }));
  });
});

/** ada and bob in `room` on a new gateway (pushed to `gateways`), one message across their data channel. */
async function talkingPair(gateways: TestGateway[], room: string): Promise<{ first: TestGateway; ada: WeriftRoom; bob: WeriftRoom }> {
  const first = await startGateway({ GRACE_MS: '1500' });
  gateways.push(first);
  const ada = await weriftRoom(first.httpUrl, { room, peerId: 'ada' });
  const bob = await weriftRoom(first.httpUrl, { room, peerId: 'bob' });
  rooms.push(ada, bob);
  await peersIn(ada, 1);
  const before = dataFrom(bob, 'ada', 'before');
  ada.send('bob', 'before');
  await before;
  return { first, ada, bob };
}

describe('joinRoom after a gateway restart', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  test('the new gateway refuses the old tokens (new secret): both guests rejoin with fresh sessions, the mesh comes back', async () => {
    const { first, ada, bob } = await talkingPair(gateways, 'restart');
    const states: string[] = [];
    ada.on('state', ({ state }) => states.push(state));
    const oldSession = ada.signaling;
    const lost = Promise.all([ada, bob].map((room) => nextEvent(room, 'state', ({ state }) => state === 'reconnecting')));

    await first.close();
    await lost;
    // Same port, another secret: what `npm start` without SIGNALING_SECRET does on every start.
    gateways.push(await startGateway({ PORT: String(first.port), GRACE_MS: '1500', SIGNALING_SECRET: `${TEST_SECRET}-after-restart` }));
    await Promise.all([roomState(ada, 'connected'), roomState(bob, 'connected')]);
    await Promise.all([peersIn(ada, 1), peersIn(bob, 1)]);
    expect(ada.signaling).not.toBe(oldSession);
    expect(ada.self.id).toBe('ada');
    const after = dataFrom(ada, 'bob', 'after');
    bob.send('ada', 'after');
    await after;
    expect(states).toEqual(['reconnecting', 'connected']);
  });
});

describe('joinRoom with a token from a backend, after a gateway restart with a new secret', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  test('with refreshToken the room rejoins on the token it returns; without one it ends in failed', async () => {
    const first = await startGateway({ GRACE_MS: '1500' });
    gateways.push(first);
    let url = first.httpUrl;
    // Stands in for the app's backend: it mints a token for the same peer wherever the gateway is now.
    const backend = async (peerId: string): Promise<string> => (await createGuestSession({ url, room: 'tokens', peerId })).token;
    const asked: string[] = [];
    const ada = await joinRoom({ url: first.httpUrl, token: await backend('ada'), webSocketImpl: WebSocket, createPeerConnection: weriftConnection, refreshToken: async () => (asked.push('ada'), backend('ada')) });
    const bob = await joinRoom({ url: first.httpUrl, token: await backend('bob'), webSocketImpl: WebSocket, createPeerConnection: weriftConnection, refreshToken: async () => (asked.push('bob'), backend('bob')) });
    const cy = await joinRoom({ url: first.httpUrl, token: await backend('cy'), webSocketImpl: WebSocket, createPeerConnection: weriftConnection });
    rooms.push(ada, bob, cy);
    await peersIn(ada, 2);
    const lost = Promise.all([ada, bob, cy].map((room) => roomState(room, 'reconnecting')));

    await first.close();
    await lost;
    const second = await startGateway({ PORT: String(first.port), GRACE_MS: '1500', SIGNALING_SECRET: `${TEST_SECRET}-after-restart` });
    gateways.push(second);
    url = second.httpUrl;
    await Promise.all([roomState(ada, 'connected'), roomState(bob, 'connected'), roomState(cy, 'failed')]);
    expect(asked.sort()).toEqual(['ada', 'bob']);
    await peersIn(ada, 1);
    const after = dataFrom(bob, 'ada', 'on the new token');
    ada.send('bob', 'on the new token');
    await after;
  });
});

describe('joinRoom after a gateway restart that keeps the secret', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  test('the tokens still hold but the mailboxes are gone (resumed: false): the mesh comes back on the same sessions', async () => {
    const { first, ada, bob } = await talkingPair(gateways, 'same-secret');
    const session = ada.signaling;
    const reconnected = Promise.all([ada, bob].map((room) => nextEvent(room, 'state', ({ state }) => state === 'reconnecting')));

    await first.close();
    await reconnected;
    gateways.push(await startGateway({ PORT: String(first.port), GRACE_MS: '1500' }));
    await Promise.all([roomState(ada, 'connected'), roomState(bob, 'connected')]);
    await Promise.all([peersIn(ada, 1), peersIn(bob, 1)]);
    expect(ada.signaling).toBe(session);
    const after = dataFrom(ada, 'bob', 'after');
    bob.send('ada', 'after');
    await after;
  });
});

describe('a peer that comes back on a new connection while the room still holds the old one', () => {
  const suite = { gateway: null as TestGateway | null };
  beforeAll(async () => {
    suite.gateway = await startGateway({ GRACE_MS: '1500' });
  });
  afterAll(async () => {
    await suite.gateway?.close();
  });

  test('its offer carries another DTLS fingerprint: the stale session ends as replaced and the room answers on a new one', async () => {
    const url = suite.gateway?.httpUrl ?? '';
    // werift shares one certificate per process unless given its own: each connection gets its own, as in a browser.
    const certificates = await Promise.all([1, 2, 3, 4].map(() => ownCertificate()));
    const connection = (): RTCPeerConnection => {
      const keys = certificates.shift();
      if (!keys) throw new Error('out of test certificates');
      return new RTCPeerConnection({ ...LOOPBACK_ONLY, dtls: { keys } });
    };
    const ada = await joinRoom({ url, guest: { room: 'replaced', peerId: 'ada' }, webSocketImpl: WebSocket, createPeerConnection: connection });
    rooms.push(ada);
    const bob = await sdkClient(url, 'replaced', 'bob');
    let held: RTCPeerConnection | null = null;
    try {
      // Bob speaks the room's protocol by hand: one negotiated channel, JSON text.
      const dial = (): { session: WeriftSession; channel: RTCDataChannel } => {
        const session = createPeerSession(bob, 'ada', { peerConnection: connection() });
        return { session, channel: session.peerConnection.createDataChannel(ROOM_DATA_CHANNEL.label, { negotiated: true, id: ROOM_DATA_CHANNEL.id }) };
      };
      const first = dial();
      await opened(first.channel);
      const once = dataFrom(ada, 'bob', 'on the first connection');
      first.channel.send(JSON.stringify('on the first connection'));
      await once;
      const stale = ada.peers.get('bob');

      // Bob starts over on a new connection; the old one stays up (its close is held back), so only the offer tells.
      held = first.session.peerConnection;
      held.close = async () => undefined;
      await first.session.close();
      const replaced = nextEvent(ada, 'peer-left', ({ peer, reason }) => peer === stale && reason === 'replaced');
      const second = dial();
      await replaced;
      await opened(second.channel);
      const again = dataFrom(ada, 'bob', 'on the second connection');
      second.channel.send(JSON.stringify('on the second connection'));
      await again;
      expect(ada.peers.get('bob')).not.toBe(stale);
    } finally {
      if (held) await RTCPeerConnection.prototype.close.call(held);
      await bob.close();
    }
  });
});
