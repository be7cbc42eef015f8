import WebSocket from 'ws';
import { createSignalingClient, joinRoom } from '@switchboard/client';
import { CREATE_SESSION, PEERS, POLL_SIGNALS } from '../client/operations';
import { ErrorCode } from '../src/protocol';
import { type Instance, subscribedPeer, twoInstances } from './helpers/backend';
import { codeOf, http, wsPeer, type WsPeer } from './helpers/clients';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';
import { backendToken } from './helpers/tokens';

const CAPACITY = { MAX_PEERS_PER_ROOM: '2' };

/** Fills a room of capacity 2 through `first` and `second`, then checks every way in for a third peer. */
async function thirdPeerIsRefused(first: Instance, second: Instance, room: string, sockets: WsPeer[]): Promise<void> {
  const a = await subscribedPeer(first, room, 'a', sockets);
  await subscribedPeer(second, room, 'b', sockets);
  // A guest asking for a session in the full room.
  expect(codeOf(await http(second.httpUrl, CREATE_SESSION, { room }))).toBe(ErrorCode.RoomFull);
  // A token minted by a backend: refused when it subscribes and when it polls, on either instance.
  const token = await backendToken(room, 'c');
  const socket = wsPeer(first.wsUrl, token);
  sockets.push(socket);
  await expect(socket.signals().events.next()).rejects.toThrow(ErrorCode.RoomFull);
  expect(codeOf(await http(second.httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token }))).toBe(ErrorCode.RoomFull);
  // Nothing was stored: the roster is still the two peers.
  const peers = await http<{ peers: Array<{ id: string }> }>(second.httpUrl, PEERS, {}, { token: a.token });
  expect(peers.data?.peers.map((p) => p.id)).toEqual(['b']);
}

describe('MAX_PEERS_PER_ROOM=2 on one gateway', () => {
  const suite = gatewaySuite(CAPACITY);
  const sockets: WsPeer[] = [];
  afterAll(() => Promise.all(sockets.map((s) => s.dispose())));

  it('refuses the third peer with ROOM_FULL (guest createSession, signals and pollSignals with a minted token)', async () => {
    await thirdPeerIsRefused(suite.gw(), suite.gw(), 'full-memory', sockets);
  });

  it('the SDK gives up at once with ROOM_FULL: joinRoom as a guest, a signaling client with a minted token', async () => {
    const url = suite.gw().httpUrl;
    await expect(joinRoom({ url, guest: { room: 'full-memory' }, webSocketImpl: WebSocket })).rejects.toMatchObject({ code: ErrorCode.RoomFull });
    const client = createSignalingClient({ url, token: await backendToken('full-memory', 'd'), webSocketImpl: WebSocket });
    await expect(client.ready()).rejects.toMatchObject({ code: ErrorCode.RoomFull });
    expect(client.state).toBe('failed');
    await client.close();
  });
});

describe('MAX_PEERS_PER_ROOM=2 on two instances sharing Redis', () => {
  const instances = sharedRedisSuite(2, CAPACITY);
  const sockets: WsPeer[] = [];
  afterAll(() => Promise.all(sockets.map((s) => s.dispose())));

  it('refuses the third peer with ROOM_FULL whichever instance it asks', async () => {
    const [one, two] = twoInstances(instances);
    await thirdPeerIsRefused(one, two, 'full-redis', sockets);
  });
});
