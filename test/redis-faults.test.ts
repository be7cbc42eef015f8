import Redis from 'ioredis';
import type { SendOptions } from '../src/broker/broker';
import type { Feed } from '../src/broker/feed';
import type { RedisBroker } from '../src/broker/redis';
import type { DirectSignal, PeerSession, SignalEvent } from '../src/events';
import { SignalKind } from '../src/protocol';
import { EVENT_TIMEOUT_MS } from './helpers/inbox';
import { TestRedis } from './helpers/redis';
import { connectedBroker } from './helpers/redis-broker';

/** Short leases: the lost-data check rides on the renewal (every lease / 4). */
const LEASE_MS = 1_000;
const S: PeerSession = { id: '', startedAtMs: 0 };
const SEND: SendOptions = { session: S, idempotencyKey: null, traceparent: null };
const offer = (n: number): DirectSignal => ({ kind: SignalKind.Offer, from: 'a', to: 'b', sdp: `v=0 #${n}` });
const sdpOf = (e: SignalEvent): string => (e.kind === SignalKind.Offer ? e.sdp : e.kind);

async function next(feed: Feed, timeoutMs = EVENT_TIMEOUT_MS): Promise<SignalEvent> {
  const event = await feed.nextWithin(timeoutMs);
  if (!event) throw new Error(`no event within ${timeoutMs} ms`);
  return event;
}

/** Resolves when `check` holds, polling the broker's own state; fails after `timeoutMs`. */
async function until(what: string, check: () => Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Redis broker under faults: pub/sub reconnects, lost data, recreated streams', () => {
  let redis: TestRedis;
  let admin: Redis;
  let broker: RedisBroker;
  let room: string;
  let rooms = 0;
  const feeds: Feed[] = [];

  const start = (): Promise<RedisBroker> =>
    connectedBroker({ kind: 'single', url: redis.url }, { mailboxEvents: 256, roomLogEvents: 256, leaseMs: LEASE_MS });
  const open = async (peer: string, after: string | null = null): Promise<Feed> => {
    const feed = await broker.open({ id: peer, name: null, room, session: S }, after);
    feeds.push(feed);
    return feed;
  };
  const joinBoth = async (): Promise<Feed> => {
    await broker.join(room, { id: 'a', name: null }, S);
    await broker.join(room, { id: 'b', name: null }, S);
    const b = await open('b');
    expect(await next(b)).toMatchObject({ kind: 'Welcome' });
    return b;
  };
  /** Cuts the broker's pub/sub connection as a network blip or a Redis-side kill would. */
  const killPubsub = async (): Promise<void> => {
    await until('the broker subscribed again', async () => String(await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')).includes('cmd=ssubscribe'));
    expect(await admin.client('KILL', 'TYPE', 'pubsub')).toBeGreaterThan(0);
  };

  beforeAll(async () => {
    redis = await TestRedis.start();
    admin = new Redis(redis.url);
    broker = await start();
  });
  beforeEach(() => {
    room = `faults${++rooms}`;
  });
  afterEach(() => {
    feeds.splice(0).forEach((f) => void f.return());
  });
  afterAll(async () => {
    await broker.close();
    admin.disconnect();
    await redis.stop();
  });

  it('after a pub/sub reconnect, events sent meanwhile wake the waiting reader, in order, before later live ones (3 rounds)', async () => {
    const b = await joinBoth();
    let n = 0;
    for (let round = 0; round < 3; round++) {
      // The reader is already waiting when the connection drops: the replay must wake it.
      const waiting = next(b, 3_000);
      await killPubsub();
      const sent = [n++, n++, n++];
      for (const i of sent) expect(typeof (await broker.send(room, offer(i), SEND))).toBe('object');
      const got = [await waiting, await next(b, 3_000), await next(b, 3_000)];
      expect(got.map(sdpOf)).toEqual(sent.map((i) => `v=0 #${i}`));
      const live = n++;
      await broker.send(room, offer(live), SEND);
      expect(sdpOf(await next(b, 3_000))).toBe(`v=0 #${live}`);
    }
  });

  it('under continuous traffic with pub/sub cut three times, every acknowledged send arrives once, in order', async () => {
    const b = await joinBoth();
    const TOTAL = 300;
    const received: string[] = [];
    const reading = (async () => {
      while (received.length < TOTAL) received.push(sdpOf(await next(b)));
    })();
    const acknowledged: string[] = [];
    for (let i = 0; i < TOTAL; i++) {
      if (i === 50 || i === 150 || i === 250) await killPubsub();
      const result = await broker.send(room, offer(i), SEND);
      if (typeof result === 'object') acknowledged.push(`v=0 #${i}`);
    }
    await reading;
    expect(acknowledged).toHaveLength(TOTAL);
    expect(received).toEqual(acknowledged);
  });

  it('FLUSHALL: the lost state is noticed with the lease renewal and healed; rosters and delivery come back; old cursors are not resumed', async () => {
    const b = await joinBoth();
    await broker.send(room, offer(1), SEND);
    const before = await next(b);
    expect(await admin.flushall()).toBe('OK');
    // Only b has a live subscription on this broker, so only b is put back; a rejoins by subscribing.
    // The heal puts the roster back first and then replays each live feed from its cursor; ready once both are done.
    await until('b back in the roster', async () => (await broker.roster(room)).some((p) => p.id === 'b'), LEASE_MS * 3);
    await until('broker ready after the heal', async () => broker.ready(), LEASE_MS * 3);
    await broker.join(room, { id: 'a', name: null }, S);
    expect(await next(b)).toMatchObject({ kind: 'PeerConnected', peer: { id: 'a' } });
    await broker.send(room, offer(2), SEND);
    expect(sdpOf(await next(b))).toBe('v=0 #2');
    // A cursor from before the flush names streams that no longer exist.
    const late = await open('b', before.cursor);
    expect(await next(late)).toMatchObject({ kind: 'Welcome', resumed: false });
  });

  it('an empty restart: a cursor from before it is not resumed into the recreated mailbox (a stored, unread signal was lost)', async () => {
    const b = await joinBoth();
    await broker.send(room, offer(1), SEND);
    const seen = await next(b);
    await b.return();
    await broker.send(room, offer(2), SEND); // stored, never read: the restart loses it
    await redis.kill();
    await redis.restart();
    await until('broker ready after the restart', async () => broker.ready(), 5_000);
    await broker.join(room, { id: 'a', name: null }, S);
    await broker.join(room, { id: 'b', name: null }, S);
    await broker.send(room, offer(3), SEND); // the mailbox stream exists again, with newer ids
    const resumed = await open('b', seen.cursor);
    expect(await next(resumed)).toMatchObject({ kind: 'Welcome', resumed: false });
    await broker.send(room, offer(4), SEND);
    expect(sdpOf(await next(resumed))).toBe('v=0 #4');
  });
});
