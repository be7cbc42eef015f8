import WebSocket from 'ws';
import { createSignalingClient, joinRoom } from '@switchboard/client';
import { CREATE_SESSION, PEERS, POLL_SIGNALS } from '../client/operations';
import { ErrorCode } from '../src/protocol';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';
import { backendToken } from './helpers/tokens';

const CAPACITY = { MAX_PEERS_PER_ROOM: '2' };

interface Instance {
  httpUrl: string;
  wsUrl: string;
}

/** Fills a room of capacity 2 through `first` and `second`, then checks every way in for a third peer. */
async function thirdPeerIsRefused(first: Instance, second: Instance, room: string, sockets: WsPeer[]): Promise<void> {
  const tokens: string[] = [];
  for (const [instance, id] of [[first, 'a'], [second, 'b']] as const) {
    const session = await createSession(instance.httpUrl, room, id);
    tokens.push(session.token);
    const socket = wsPeer(instance.wsUrl, session.token);
    sockets.push(socket);
    await socket.signals().events.nextWhere((e) => e.__typename === 'Welcome');
  }
  // A guest asking for a session in the full room.
  expect(codeOf(await http(second.httpUrl, CREATE_SESSION, { room }))).toBe(ErrorCode.RoomFull);
  // A token minted by a backend: refused when it subscribes and when it polls, on either instance.
  const token = await backendToken(room, 'c');
  const socket = wsPeer(first.wsUrl, token);
  sockets.push(socket);
  await expect(socket.signals().events.next()).rejects.toThrow(ErrorCode.RoomFull);
  expect(codeOf(await http(second.httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token }))).toBe(ErrorCode.RoomFull);
  // Nothing was stored: the roster is still the two peers.
  const peers = await http<{ peers: Array<{ id: string }> }>(second.httpUrl, PEERS, {}, { token: tokens[0] ?? '' });
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
    const [one, two] = instances();
    if (!one || !two) throw new Error('two instances expected');
    await thirdPeerIsRefused(one, two, 'full-redis', sockets);
  });
});
