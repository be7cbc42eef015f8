import pino from 'pino';
import { RedisBroker } from '../src/broker/redis';
import { brokerContract } from './broker.contract';
import { TestRedis } from './helpers/redis';

const MAILBOX_EVENTS = 16;

brokerContract('redis', async () => {
  const redis = await TestRedis.start();
  const broker = new RedisBroker({
    target: { kind: 'single', url: redis.url },
    mailboxEvents: MAILBOX_EVENTS,
    roomLogEvents: 64,
    retentionMs: 120_000,
    feedLimits: { maxQueuedEvents: 1024, maxQueuedBytes: 1 << 20 },
    log: pino({ level: 'silent' }),
  });
  if (!(await broker.connected(5_000))) throw new Error('redis broker did not connect');
  return {
    broker,
    limits: { mailboxEvents: MAILBOX_EVENTS },
    close: async () => {
      await broker.close();
      await redis.stop();
    },
  };
});
