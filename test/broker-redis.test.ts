import { brokerContract } from './broker.contract';
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
