import { ChildGateway, untilStatus } from './helpers/child-gateway';
import { createSession } from './helpers/clients';
import { TestRedis } from './helpers/redis';

/** How long a gateway may take to notice that Redis came up (reconnect backoff ≤ 500 ms, plus start-up). */
const READY_AFTER_REDIS_MS = 10_000;

describe('start-up while Redis is unreachable', () => {
  let redis: TestRedis;
  let gateway: ChildGateway;

  beforeAll(async () => {
    redis = await TestRedis.reserve();
    gateway = await ChildGateway.start({ REDIS_URL: redis.url });
  }, 30_000);
  afterAll(async () => {
    await gateway.stop('SIGKILL');
    await redis.stop();
  });

  it('listens at once (/healthz 200, /readyz 503) with one "waiting for Redis" line, and becomes ready when Redis comes up', async () => {
    expect((await fetch(`${gateway.url}/healthz`)).status).toBe(200);
    const notReady = await fetch(`${gateway.url}/readyz`);
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toEqual({ broker: 'unavailable' });
    const waiting = gateway.logs.filter((line) => line.includes('waiting for Redis at'));
    expect(waiting).toHaveLength(1);
    expect(waiting[0]).toContain(`waiting for Redis at 127.0.0.1:${redis.port}`);

    await redis.restart();
    await untilStatus(`${gateway.url}/readyz`, 200, READY_AFTER_REDIS_MS);
    // ioredis retried every half second meanwhile: one warning per connection, the retries at debug.
    expect(gateway.logs.filter((line) => line.includes('"redis error"')).length).toBeLessThanOrEqual(2);
    expect(gateway.logs.some((line) => line.includes('redis broker connected'))).toBe(true);
    const session = await createSession(gateway.httpUrl, 'after-redis', 'alice');
    expect(session.token).toEqual(expect.any(String));
  }, 30_000);
});
