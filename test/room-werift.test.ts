import type { IceServer } from '@switchboard/client';
import { MAX_ROOM_MESSAGE_BYTES } from '../client/protocol';
import { startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway';
import { dataFrom, peersIn, roomState, weriftRoom, type WeriftRoom } from './helpers/room';
import { nextEvent } from './helpers/sdk';

/** Handed out by the gateway's iceServers; nothing listens there, and werift is not told to use it. */
const STUN_URL = 'stun:127.0.0.1:3478';

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

describe('joinRoom after a gateway restart', () => {
  const gateways: TestGateway[] = [];
  afterAll(async () => {
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });

  test('the new gateway refuses the old tokens (new secret): both guests rejoin with fresh sessions, the mesh comes back', async () => {
    const first = await startGateway({ GRACE_MS: '1500' });
    gateways.push(first);
    const ada = await weriftRoom(first.httpUrl, { room: 'restart', peerId: 'ada' });
    const bob = await weriftRoom(first.httpUrl, { room: 'restart', peerId: 'bob' });
    rooms.push(ada, bob);
    await peersIn(ada, 1);
    const before = dataFrom(bob, 'ada', 'before');
    ada.send('bob', 'before');
    await before;
    const states: string[] = [];
    ada.on('state', ({ state }) => states.push(state));
    const oldSession = ada.signaling;

    await first.close();
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
