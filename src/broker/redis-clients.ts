import Redis, { Cluster, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config';

/** What the broker talks to: one Redis server (also the primary Sentinels name), or a Redis Cluster. */
export type RedisClient = Redis | Cluster;

/** How often a Cluster client rereads the slot map by itself: a failover is seen within this. */
const SLOTS_REFRESH_MS = 1_000;
/** Pause before a command retries on a shard that is failing over or reports CLUSTERDOWN. */
const FAILOVER_RETRY_MS = 100;

/**
 * The broker's two clients: commands, and pub/sub (a subscribed connection can send nothing else).
 * A Sentinel target connects to whichever server the Sentinels name primary, and after a failover to
 * the new one (ioredis asks them again on every reconnect). A Cluster target routes each command by
 * its first key's slot; its subscriber keeps one SSUBSCRIBE connection per shard (ioredis's
 * `shardedSubscribers`), and moves a channel when its slot moves.
 */
export function createRedisClients(target: RedisTarget, base: RedisOptions): { commands: RedisClient; subscriber: RedisClient } {
  const connect = (options: RedisOptions, subscriber: boolean): RedisClient => {
    if (target.kind === 'single') return new Redis(target.url, options);
    if (target.kind === 'sentinel') return new Redis({ ...options, sentinels: target.sentinels, name: target.name, role: 'master' });
    const { retryStrategy, enableOfflineQueue, ...redisOptions } = options;
    return new Cluster(target.nodes, {
      redisOptions,
      enableOfflineQueue: enableOfflineQueue ?? false,
      clusterRetryStrategy: retryStrategy ?? null,
      shardedSubscribers: subscriber,
      slotsRefreshInterval: SLOTS_REFRESH_MS,
      retryDelayOnFailover: FAILOVER_RETRY_MS,
      retryDelayOnClusterDown: FAILOVER_RETRY_MS,
      // A command the cluster can't answer yet fails at once (UNAVAILABLE), like on one Redis.
      retryDelayOnTryAgain: FAILOVER_RETRY_MS,
    });
  };
  return { commands: connect(base, false), subscriber: connect({ ...base, enableReadyCheck: false }, true) };
}

/**
 * On a Cluster subscriber: `lost` when a shard's SSUBSCRIBE connection ended (its primary died, or its
 * slots moved), `back` each time ioredis has a subscriber on every shard again and resubscribed. On
 * one Redis the subscriber's own 'close' and 'ready' say the same.
 */
export function watchShards(client: RedisClient, handlers: { lost: () => void; back: () => void }): void {
  if (!(client instanceof Cluster)) return;
  client.on('-subscriber', handlers.lost);
  client.on('subscribersReady', handlers.back);
}
