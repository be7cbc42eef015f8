import pino from 'pino';
import type { RedisTarget } from '../../src/config';
import { RedisBroker, type RedisBrokerOptions } from '../../src/broker/redis';

const CONNECT_TIMEOUT_MS = 10_000;

/** An in-process Redis broker on `target` (silent, test-sized limits unless overridden), once it is connected. */
export async function connectedBroker(target: RedisTarget, options: Partial<Omit<RedisBrokerOptions, 'target'>> = {}): Promise<RedisBroker> {
  const broker = new RedisBroker({
    target,
    mailboxEvents: 16,
    roomLogEvents: 64,
    retentionMs: 120_000,
    feedLimits: { maxQueuedEvents: 4096, maxQueuedBytes: 4 << 20 },
    log: pino({ level: 'silent' }),
    ...options,
  });
  if (!(await broker.connected(CONNECT_TIMEOUT_MS))) {
    await broker.close();
    throw new Error(`redis broker did not connect to ${target.kind} within ${CONNECT_TIMEOUT_MS} ms`);
  }
  return broker;
}
