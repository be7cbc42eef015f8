import { SEND_MESSAGE } from '../client/operations';
import type { Signal, SignalOf } from '../client/types';
import { ErrorCode, MAX_MESSAGE_BYTES } from '../src/protocol';
import { type Instance, subscribedPeer, twoInstances } from './helpers/backend';
import { codeOf, wsPeer, type WsPeer } from './helpers/clients';
import type { Inbox } from './helpers/inbox';
import { peersIn, weriftRoom, type WeriftRoom } from './helpers/room';
import { nextEvent } from './helpers/sdk';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';

type Message = SignalOf<'Message'>;
const isMessage = (e: Signal): e is Message => e.__typename === 'Message';
const messagesIn = (inbox: Inbox<Signal>): string[] => inbox.all.filter(isMessage).map((m) => m.data);

/** Broadcast reaches every other peer once (not the sender), a direct message only its peer, and a cut socket resumes without loss or repeat. */
async function broadcastStory(one: Instance, two: Instance, room: string, sockets: WsPeer[]): Promise<void> {
  const alice = await subscribedPeer(one, room, 'alice', sockets);
  const bob = await subscribedPeer(two, room, 'bob', sockets);
  const carol = await subscribedPeer(one, room, 'carol', sockets);
  await alice.events.nextWhere((e) => e.__typename === 'PeerConnected' && e.peer.id === 'carol');

  const sent = await alice.socket.request<{ sendMessage: { id: string } }>(SEND_MESSAGE, { data: 'hand raised ✋\n' });
  expect(codeOf(sent)).toBe('OK');
  for (const [who, peer] of [['bob', bob], ['carol', carol]] as const) {
    expect(await peer.events.nextWhere(isMessage)).toMatchObject({ from: 'alice', to: who, broadcast: true, data: 'hand raised ✋\n' });
  }
  await bob.socket.request(SEND_MESSAGE, { to: 'carol', data: 'call me back' });
  expect(await carol.events.nextWhere(isMessage)).toMatchObject({ from: 'bob', to: 'carol', broadcast: false, data: 'call me back' });
  expect(codeOf(await bob.socket.request(SEND_MESSAGE, { to: 'nobody', data: 'x' }))).toBe(ErrorCode.PeerNotFound);

  // Bob's socket is cut; what is sent meanwhile reaches him once when he resumes from his last cursor.
  const last = bob.events.all[bob.events.all.length - 1]?.cursor;
  bob.socket.socket().terminate();
  await bob.socket.closes.next();
  await alice.socket.request(SEND_MESSAGE, { data: 'while you were away' });
  const back = wsPeer(two.wsUrl, bob.token);
  sockets.push(back);
  const resumed = back.signals(last).events;
  expect(await resumed.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
  await carol.socket.request(SEND_MESSAGE, { data: 'last' });
  await resumed.nextWhere((e) => isMessage(e) && e.data === 'last');
  expect(messagesIn(resumed)).toEqual(['while you were away', 'last']);
  await alice.events.nextWhere((e) => isMessage(e) && e.data === 'last');
  // The sender never gets its own broadcast.
  expect(messagesIn(alice.events)).toEqual(['last']);
}

describe('app messages on one gateway', () => {
  const suite = gatewaySuite({ RATE_LIMIT_MESSAGES_PER_S: '5' });
  const sockets: WsPeer[] = [];
  const rooms: WeriftRoom[] = [];
  afterAll(async () => {
    await Promise.all(rooms.map((r) => r.leave()));
    await Promise.all(sockets.map((s) => s.dispose()));
  });

  it('broadcasts to every other peer once, sends to one, and resumes across a cut socket', async () => {
    await broadcastStory(suite.gw(), suite.gw(), 'messages-memory', sockets);
  });

  it('refuses oversize data, control characters and a flooding sender, each with its code', async () => {
    const alice = await subscribedPeer(suite.gw(), 'messages-limits', 'alice', sockets);
    await subscribedPeer(suite.gw(), 'messages-limits', 'bob', sockets);
    expect(codeOf(await alice.socket.request(SEND_MESSAGE, { data: 'x'.repeat(MAX_MESSAGE_BYTES + 1) }))).toBe(ErrorCode.PayloadTooLarge);
    expect(codeOf(await alice.socket.request(SEND_MESSAGE, { data: 'é'.repeat(MAX_MESSAGE_BYTES / 2) + 'x' }))).toBe(ErrorCode.PayloadTooLarge);
    expect(codeOf(await alice.socket.request(SEND_MESSAGE, { to: 'bob', data: 'bell \u0007' }))).toBe(ErrorCode.BadUserInput);
    expect(codeOf(await alice.socket.request(SEND_MESSAGE, { to: 'bob', data: 'c1 \u0085' }))).toBe(ErrorCode.BadUserInput);
    // 5/s over a 2 s window: 10 pass, the 11th is refused with a wait.
    const answers = [];
    for (let i = 0; i < 11; i++) answers.push(await alice.socket.request(SEND_MESSAGE, { data: `m${i}` }));
    expect(answers.slice(0, 10).map(codeOf)).toEqual(Array(10).fill('OK'));
    const refused = answers[10];
    expect(refused && codeOf(refused)).toBe(ErrorCode.RateLimited);
    expect(refused?.errors?.[0]?.extensions?.['retryAfterMs']).toBeGreaterThan(0);
  });

  it('joinRoom: room.message reaches the others as a message event, before any data channel is needed', async () => {
    const alice = await weriftRoom(suite.gw().httpUrl, { room: 'messages-sdk', peerId: 'alice' });
    rooms.push(alice);
    const bob = await weriftRoom(suite.gw().httpUrl, { room: 'messages-sdk', peerId: 'bob' });
    rooms.push(bob);
    await peersIn(alice, 1);
    const heard = nextEvent(bob, 'message');
    await alice.message('mute');
    expect(await heard).toEqual({ from: 'alice', data: 'mute', broadcast: true });
    const direct = nextEvent(alice, 'message');
    await bob.message('unmute me', 'alice');
    expect(await direct).toEqual({ from: 'bob', data: 'unmute me', broadcast: false });
  });
});

describe('app messages on two instances sharing Redis', () => {
  const instances = sharedRedisSuite(2);
  const sockets: WsPeer[] = [];
  afterAll(() => Promise.all(sockets.map((s) => s.dispose())));

  it('broadcasts across instances once, and resumes across a cut socket', async () => {
    const [one, two] = twoInstances(instances);
    await broadcastStory(one, two, 'messages-redis', sockets);
  });
});
