import Redis, { type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config';

/**
 * The broker's two connections to its Redis: commands, and pub/sub (a subscribed connection can
 * send nothing else). A Sentinel target connects to whichever server the Sentinels name primary,
 * and after a failover to the new one (ioredis asks them again on every reconnect).
 */
export function createRedisClients(target: RedisTarget, base: RedisOptions): { commands: Redis; subscriber: Redis } {
  const connect = (options: RedisOptions): Redis => {
    if (target.kind === 'single') return new Redis(target.url, options);
    if (target.kind === 'sentinel') return new Redis({ ...options, sentinels: target.sentinels, name: target.name, role: 'master' });
    throw new Error('Redis Cluster is not supported yet');
  };
  return { commands: connect(base), subscriber: connect({ ...base, enableReadyCheck: false }) };
}
