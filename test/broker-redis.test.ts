import type { RedisBroker } from '../src/broker/redis';
import { brokerContract } from './broker.contract';
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
