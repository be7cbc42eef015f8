import { MemoryBroker } from '../src/broker/memory';
import { brokerContract } from './broker.contract';
import { roomControlContract } from './broker-rooms.contract';

const MAILBOX_EVENTS = 16;

brokerContract('memory', async () => {
  const broker = new MemoryBroker({ mailboxEvents: MAILBOX_EVENTS, roomLogEvents: 64, retentionMs: 120_000, feedLimits: { maxQueuedEvents: 1024, maxQueuedBytes: 1 << 20 } });
  return { broker, limits: { mailboxEvents: MAILBOX_EVENTS }, close: () => broker.close() };
});

roomControlContract('memory', async ({ maxPeersPerRoom }) => {
  const broker = new MemoryBroker({ mailboxEvents: MAILBOX_EVENTS, roomLogEvents: 64, retentionMs: 120_000, feedLimits: { maxQueuedEvents: 1024, maxQueuedBytes: 1 << 20 }, maxPeersPerRoom });
  return { brokers: [broker, broker], close: () => broker.close() };
});
