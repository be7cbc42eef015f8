import Redis from 'ioredis';
import type { Feed } from '../src/broker/feed';
import type { RedisBroker } from '../src/broker/redis';
import { SignalKind } from '../src/protocol';
import { brokerContract, next } from './broker.contract';
import { roomControlContract } from './broker-rooms.contract';
import { TestRedis } from './helpers/redis';
import { connectedBroker } from './helpers/redis-broker';

const MAILBOX_EVENTS = 16;

brokerContract('redis', async () => {
  const redis = await TestRedis.start();
  const broker = await connectedBroker({ kind: 'single', url: redis.url }, { mailboxEvents: MAILBOX_EVENTS });
  return {
    broker,
    limits: { mailboxEvents: MAILBOX_EVENTS },
    close: async () => {
      await broker.close();
      await redis.stop();
    },
  };
});

roomControlContract('redis, two instances', async ({ maxPeersPerRoom }) => {
  const redis = await TestRedis.start();
  const target = { kind: 'single', url: redis.url } as const;
  const brokers: [RedisBroker, RedisBroker] = [await connectedBroker(target, { mailboxEvents: MAILBOX_EVENTS, maxPeersPerRoom }), await connectedBroker(target, { mailboxEvents: MAILBOX_EVENTS, maxPeersPerRoom })];
  return {
    brokers,
    close: async () => {
      await Promise.all(brokers.map((broker) => broker.close()));
      await redis.stop();
    },
  };
});

describe('Redis broker: a room whose subscribers open at once', () => {
  const S = { id: '', startedAtMs: 0 };
  const PEERS = 200;
  const RESUMERS = 10;
  let redis: TestRedis;
  let broker: RedisBroker;
  const feeds: Feed[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    // The room log holds the whole storm: the resumers' cursors stay in it.
    broker = await connectedBroker({ kind: 'single', url: redis.url }, { roomLogEvents: PEERS * 2 });
  });
  afterAll(async () => {
    for (const feed of feeds) void feed.return();
    await broker.close();
    await redis.stop();
  });

  it('reads the roster once per shared run, not once per subscriber, and gives each its own Welcome and replay', async () => {
    const room = 'storm';
    const open = async (id: string, after: string | null): Promise<Feed> => {
      const feed = await broker.open({ id, name: null, room, session: S }, after);
      feeds.push(feed);
      return feed;
    };
    // Resumers: each leaves with the cursor of its Welcome, taken after the resumers before it joined.
    const cursors: string[] = [];
    for (let i = 0; i < RESUMERS; i++) {
      await broker.join(room, { id: `r${i}`, name: null }, S);
      const feed = await open(`r${i}`, null);
      cursors.push((await next(feed)).cursor);
      await feed.return();
    }
    const fresh = Array.from({ length: PEERS - RESUMERS }, (_, i) => `p${i}`);
    await Promise.all(fresh.map((id) => broker.join(room, { id, name: null }, S)));
    const stats = new Redis(redis.port, '127.0.0.1');
    await stats.config('RESETSTAT');

    const opened = await Promise.all([...cursors.map((cursor, i) => open(`r${i}`, cursor)), ...fresh.map((id) => open(id, null))]);

    const hgetall = /cmdstat_hgetall:calls=(\d+)/.exec(await stats.info('commandstats'));
    await stats.quit();
    // One OPEN per subscriber read the roster 200 times; shared runs (at most 100 each) a few times.
    expect(Number(hgetall?.[1] ?? 0)).toBeLessThanOrEqual(PEERS / 20);
    const everyone = [...cursors.map((_, i) => `r${i}`), ...fresh];
    opened.forEach((feed, n) => {
      const self = everyone[n];
      const [welcome, ...replayed] = feed.drainQueued(PEERS * 2);
      if (welcome?.kind !== SignalKind.Welcome) throw new Error(`${self}: no Welcome first`);
      expect(welcome.self.id).toBe(self);
      expect(welcome.peers.map((p) => p.id).sort()).toEqual(everyone.filter((id) => id !== self).sort());
      const joins = replayed.map((e) => (e.kind === SignalKind.PeerConnected ? e.peer.id : `unexpected ${e.kind}`));
      if (n < RESUMERS) {
        // Resumed from its cursor: exactly the joins after it, once each, in order.
        expect(welcome.resumed).toBe(true);
        expect(joins.slice(0, RESUMERS - 1 - n)).toEqual(everyone.slice(n + 1, RESUMERS));
        expect(joins.slice(RESUMERS - 1 - n).sort()).toEqual([...fresh].sort());
      } else {
        expect(welcome.resumed).toBe(false);
        expect(joins).toEqual([]);
      }
    });
    // And each is live at its own position: one more join reaches every one of them once.
    await broker.join(room, { id: 'late', name: null }, S);
    for (const feed of opened) expect(await next(feed)).toMatchObject({ kind: SignalKind.PeerConnected, peer: { id: 'late' } });
  });
});
