import { subscribedPeer } from './helpers/backend';
import { ChildGateway } from './helpers/child-gateway';
import type { WsPeer } from './helpers/clients';
import { TestRedis } from './helpers/redis';
import { WebhookReceiver } from './helpers/webhook-receiver';

const SECRET = 'webhook-secret-0123456789';
/** Bound on the take-over: the entry's idle bound (WEBHOOK_CLAIM_IDLE_MS, 5 s), a touch period, and slack for a loaded machine. */
const TAKE_OVER_TIMEOUT_MS = 15_000;

describe('webhooks survive the crash of the instance that raised them (Redis outbox)', () => {
  let redis: TestRedis;
  let receiver: WebhookReceiver;
  const gateways: ChildGateway[] = [];
  const sockets: WsPeer[] = [];
  beforeAll(async () => {
    [redis, receiver] = await Promise.all([TestRedis.start(), WebhookReceiver.start(SECRET)]);
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all(gateways.map((g) => g.stop('SIGKILL')));
    await Promise.all([redis.kill(), receiver.close()]);
  });
  const start = async (): Promise<ChildGateway> => {
    const gateway = await ChildGateway.start({ REDIS_URL: redis.url, WEBHOOK_URLS: receiver.url, WEBHOOK_SECRET: SECRET });
    gateways.push(gateway);
    return gateway;
  };

  it('an event A raised while the receiver was down is delivered once, signed, by B after A is killed', async () => {
    receiver.down = true;
    const a = await start();
    const room = 'hooks-crash';
    await subscribedPeer(a, room, 'alice', sockets);
    // A read the event and is retrying it (the only instance: no one else can hold it).
    const refused = await receiver.refused.nextWhere((h) => h.room === room, undefined, 'refused peer.joined');
    expect(refused.event).toBe('peer.joined');
    const b = await start();
    expect(await a.stop('SIGKILL')).toBe('SIGKILL');
    receiver.down = false;

    const hook = await receiver.delivered.nextWhere((h) => h.room === room, TAKE_OVER_TIMEOUT_MS, 'the taken-over peer.joined');
    expect(hook).toEqual({ ...refused, signed: true });
    expect(b.logs.some((line) => line.includes('took over events an instance left undelivered'))).toBe(true);
    // B's own later event went out after it: nothing of the first is still on its way, it came once.
    await subscribedPeer(b, 'hooks-crash-after', 'bob', sockets);
    await receiver.delivered.nextWhere((h) => h.room === 'hooks-crash-after', undefined, "B's own peer.joined");
    expect(receiver.delivered.all.filter((h) => h.id === hook.id)).toHaveLength(1);
    // Counted by B (A's lease may run out meanwhile: alice's peer.left and room.ended may be in too).
    const metrics = await (await fetch(`${b.url}/metrics`)).text();
    expect(Number(/^switchboard_webhooks_total\{outcome="delivered"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  });
});
