import { CREATE_SESSION, POLL_SIGNALS, REFRESH_SESSION } from '../client/operations';
import type { Session } from '../client/types';
import { CloseCode, ErrorCode } from '../src/protocol';
import { type Instance, subscribedPeer, twoInstances } from './helpers/backend';
import { codeOf, createSession, http, pollingSignals, wsPeer, type GraphQLResponse, type WsPeer } from './helpers/clients';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';

const API_KEY = 'backend-api-key-0123456789abcdef';
const ENV = { SIGNALING_API_KEY: API_KEY };

const ROOMS = 'query { rooms { id peers { id name } } }';
const ROOM = 'query Room($id: ID!) { room(id: $id) { id peers { id } } }';
const REMOVE_PEER = 'mutation Remove($room: ID!, $peerId: ID!) { removePeer(room: $room, peerId: $peerId) }';
const END_ROOM = 'mutation End($room: ID!) { endRoom(room: $room) }';

const admin = <T>(instance: Instance, query: string, variables: Record<string, unknown> = {}, key = API_KEY): Promise<GraphQLResponse<T>> =>
  http<T>(instance.httpUrl, query, variables, { headers: { 'x-api-key': key } });

/** The whole admin story on two instances (or one, twice): list, look, refuse, remove, bar, end. */
async function adminStory(one: Instance, two: Instance, room: string, sockets: WsPeer[], polls: Array<{ stop: () => void }>): Promise<void> {
  const alice = await subscribedPeer(one, room, 'alice', sockets);
  const bob = await subscribedPeer(two, room, 'bob', sockets);
  const carol = await subscribedPeer(one, room, 'carol', sockets);

  const listed = await admin<{ rooms: Array<{ id: string; peers: Array<{ id: string; name: string }> }> }>(two, ROOMS);
  expect(listed.data?.rooms.find((r) => r.id === room)?.peers).toEqual([
    { id: 'alice', name: 'ALICE' },
    { id: 'bob', name: 'BOB' },
    { id: 'carol', name: 'CAROL' },
  ]);
  expect((await admin<{ room: { peers: unknown[] } }>(one, ROOM, { id: room })).data?.room.peers).toHaveLength(3);
  expect((await admin<{ room: null }>(one, ROOM, { id: `${room}-nobody` })).data?.room).toBeNull();

  // A peer token never suffices, over HTTP or its own socket; a wrong key is refused.
  expect(codeOf(await http(one.httpUrl, ROOMS, {}, { token: alice.token }))).toBe(ErrorCode.Forbidden);
  expect(codeOf(await alice.socket.request(REMOVE_PEER, { room, peerId: 'bob' }))).toBe(ErrorCode.Forbidden);
  expect(codeOf(await admin(two, END_ROOM, { room }, `${API_KEY}x`))).toBe(ErrorCode.Forbidden);
  expect(codeOf(await admin(two, REMOVE_PEER, { room, peerId: 'bad id!' }))).toBe(ErrorCode.BadUserInput);

  // Dave long-polls on the other instance: the removal answers his pending poll FORBIDDEN.
  const dave = pollingSignals(two.httpUrl, (await createSession(two.httpUrl, room, 'dave')).token);
  polls.push(dave);
  await dave.events.nextWhere((e) => e.__typename === 'Welcome');
  expect((await admin<{ removePeer: boolean }>(one, REMOVE_PEER, { room, peerId: 'dave' })).data?.removePeer).toBe(true);
  await expect(dave.events.nextWhere(() => false)).rejects.toThrow(ErrorCode.Forbidden);
  await alice.events.nextWhere((e) => e.__typename === 'PeerDisconnected' && e.peer.id === 'dave');

  // Bob is on the other instance: his socket closes 4101, the others see "removed".
  expect((await admin<{ removePeer: boolean }>(one, REMOVE_PEER, { room, peerId: 'bob' })).data?.removePeer).toBe(true);
  expect(await bob.socket.closes.next()).toMatchObject({ code: CloseCode.SessionEnded });
  for (const other of [alice, carol]) {
    expect(await other.events.nextWhere((e) => e.__typename === 'PeerDisconnected' && e.peer.id === 'bob')).toMatchObject({ reason: 'removed' });
  }
  expect((await admin<{ removePeer: boolean }>(two, REMOVE_PEER, { room, peerId: 'bob' })).data?.removePeer).toBe(false);

  // His token cannot come back, on either instance, by socket or poll, nor refreshed.
  const again = wsPeer(one.wsUrl, bob.token);
  sockets.push(again);
  await expect(again.signals().events.next()).rejects.toThrow(ErrorCode.Forbidden);
  expect(codeOf(await http(two.httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token: bob.token }))).toBe(ErrorCode.Forbidden);
  const refreshed = await http<{ refreshSession: Session }>(two.httpUrl, REFRESH_SESSION, {}, { token: bob.token });
  expect(codeOf(await http(one.httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token: refreshed.data?.refreshSession.token ?? '' }))).toBe(ErrorCode.Forbidden);
  // A new session (the backend mints one) may join.
  const minted = await admin<{ createSession: Session }>(two, CREATE_SESSION, { room, peerId: 'bob' });
  if (!minted.data) throw new Error(JSON.stringify(minted.errors));
  const bobAgain = await subscribedPeer(two, room, 'bob', sockets, minted.data.createSession);
  // The new session joins (minted without a name): the others see it come in.
  expect(await alice.events.nextWhere((e) => e.__typename === 'PeerConnected' && e.peer.id === 'bob' && e.peer.name === null)).toBeDefined();

  // Ending the room removes everyone, wherever they are connected.
  expect((await admin<{ endRoom: number }>(two, END_ROOM, { room })).data?.endRoom).toBe(3);
  for (const peer of [alice, carol, bobAgain]) expect(await peer.socket.closes.next()).toMatchObject({ code: CloseCode.SessionEnded });
  expect((await admin<{ room: null }>(one, ROOM, { id: room })).data?.room).toBeNull();
  expect((await admin<{ rooms: Array<{ id: string }> }>(one, ROOMS)).data?.rooms.map((r) => r.id)).not.toContain(room);
}

describe('the admin API on one gateway', () => {
  const suite = gatewaySuite(ENV);
  const sockets: WsPeer[] = [];
  const polls: Array<{ stop: () => void }> = [];
  afterAll(async () => {
    polls.forEach((p) => p.stop());
    await Promise.all(sockets.map((s) => s.dispose()));
  });

  it('lists rooms and peers, removes a peer for good, ends a room; refuses peer tokens and wrong keys', async () => {
    await adminStory(suite.gw(), suite.gw(), 'admin-memory', sockets, polls);
  });
});

describe('the admin API without SIGNALING_API_KEY', () => {
  const suite = gatewaySuite();

  it('refuses every admin operation, whatever key is sent', async () => {
    expect(codeOf(await admin(suite.gw(), ROOMS, {}, 'any-key'))).toBe(ErrorCode.Forbidden);
    expect(codeOf(await admin(suite.gw(), END_ROOM, { room: 'r' }, ''))).toBe(ErrorCode.Forbidden);
  });
});

describe('the admin API on two instances sharing Redis', () => {
  const instances = sharedRedisSuite(2, ENV);
  const sockets: WsPeer[] = [];
  const polls: Array<{ stop: () => void }> = [];
  afterAll(async () => {
    polls.forEach((p) => p.stop());
    await Promise.all(sockets.map((s) => s.dispose()));
  });

  it('acts on peers connected to the other instance', async () => {
    const [one, two] = twoInstances(instances);
    await adminStory(one, two, 'admin-redis', sockets, polls);
  });
});
