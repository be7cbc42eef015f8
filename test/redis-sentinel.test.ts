import type { SendOptions } from '../src/broker/broker';
import type { RedisBroker } from '../src/broker/redis';
import type { PeerSession } from '../src/events';
import { SignalKind } from '../src/protocol';
import { brokerContract } from './broker.contract';
import { sdkSignalsThroughFailover, trafficThroughFailover } from './helpers/failover-traffic';
import { connectedBroker } from './helpers/redis-broker';
import { SENTINEL_MASTER, TestRedisSentinel } from './helpers/redis-sentinel';
import { childGatewaySuite } from './helpers/suite';

const MAILBOX_EVENTS = 16;
const LATENCY_SENDS = 200;
const SDK_SENDS = 60;
const S: PeerSession = { id: '', startedAtMs: 0 };

let sentinel: TestRedisSentinel;
beforeAll(async () => {
  sentinel = await TestRedisSentinel.start();
}, 40_000);
afterAll(async () => {
  await sentinel.stop();
});

const brokerVia = (waitReplicas: number, mailboxEvents = MAILBOX_EVENTS): Promise<RedisBroker> =>
  connectedBroker({ kind: 'sentinel', sentinels: sentinel.hostPorts, name: SENTINEL_MASTER }, { waitReplicas, mailboxEvents });

brokerContract('redis through Sentinel (1 primary, 1 replica, 3 sentinels), REDIS_WAIT_REPLICAS=1', async () => {
  const broker = await brokerVia(1);
  return { broker, limits: { mailboxEvents: MAILBOX_EVENTS }, close: () => broker.close() };
});

describe('REDIS_WAIT_REPLICAS', () => {
  it('costs one WAIT round trip per append (measured, not asserted: the machine is shared)', async () => {
    const perSendMs: Record<number, number> = {};
    for (const wait of [0, 1]) {
      const broker = await brokerVia(wait, 1024);
      try {
        const room = `latency-${wait}`;
        await broker.join(room, { id: 'a', name: null }, S);
        await broker.join(room, { id: 'b', name: null }, S);
        const options: SendOptions = { session: S, idempotencyKey: null, traceparent: null };
        const started = performance.now();
        for (let i = 0; i < LATENCY_SENDS; i++) {
          const receipt = await broker.send(room, { kind: SignalKind.Offer, from: 'a', to: 'b', sdp: `v=0 #${i}` }, options);
          expect(receipt).toEqual(expect.objectContaining({ id: expect.any(String) }));
        }
        perSendMs[wait] = (performance.now() - started) / LATENCY_SENDS;
      } finally {
        await broker.close();
      }
    }
    console.log(`sequential send through Sentinel: ${perSendMs[0]?.toFixed(3)} ms with REDIS_WAIT_REPLICAS=0, ${perSendMs[1]?.toFixed(3)} ms with 1 (${LATENCY_SENDS} sends each)`);
  });
});

describe('Sentinel failover under traffic (REDIS_WAIT_REPLICAS=1)', () => {
  it('kill -9 of the primary: the replica is promoted, the broker follows it; nothing acknowledged is lost, nothing duplicated or reordered', async () => {
    // A replacement replica comes back once the replica is promoted: WAIT 1 needs one to acknowledge.
    const broker = await brokerVia(1, 4096);
    try {
      const before = sentinel.primaryPort();
      const report = await trafficThroughFailover(broker, 'failover', () => sentinel.failPrimary());
      console.log(`sentinel failover under traffic (REDIS_WAIT_REPLICAS=1): ${JSON.stringify(report)}`);
      expect(sentinel.primaryPort()).not.toBe(before);
      expect(report.lostAcknowledged).toBe(0);
      expect(report.duplicates).toBe(0);
      expect(report.outOfOrder).toBe(0);
      expect(report.refused).toBeGreaterThan(0);
    } finally {
      await broker.close();
    }
  }, 60_000);
});

describe('two gateway instances through Sentinel (REDIS_WAIT_REPLICAS=1)', () => {
  const { gw } = childGatewaySuite(2, () => ({ REDIS_SENTINELS: sentinel.seeds, REDIS_SENTINEL_NAME: SENTINEL_MASTER, REDIS_WAIT_REPLICAS: '1', GRACE_MS: '2000' }));

  it('kill -9 of the primary: SDK clients on both instances deliver every signal once and in order, end connected, the instances ready', async () => {
    // The previous failover's replacement replica must be in sync before this one can be elected.
    await sentinel.untilWatching();
    const outcome = await sdkSignalsThroughFailover([gw(0), gw(1)], 'sdk-sentinel-failover', SDK_SENDS, () => sentinel.failPrimary());
    expect(outcome.received).toEqual(outcome.delivered);
    expect(outcome.states).toEqual(['connected', 'connected']);
  }, 90_000);
});
