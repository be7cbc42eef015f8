import { LEAVE_ROOM } from '../client/operations';
import { subscribedPeer, twoInstances } from './helpers/backend';
import { http, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { sharedRedisSuite } from './helpers/suite';
import { type ReceivedWebhook, WebhookReceiver } from './helpers/webhook-receiver';

const SECRET = 'webhook-secret-0123456789';
const API_KEY = 'backend-api-key-0123456789abcdef';
const END_ROOM = 'mutation End($room: ID!) { endRoom(room: $room) }';

const summary = (hooks: ReceivedWebhook[]): string[] => hooks.map((h) => [h.event, h.peer?.id ?? '-', h.reason ?? '-'].join(' '));

function expectWellFormed(hooks: ReceivedWebhook[], room: string): void {
  for (const hook of hooks) {
    expect(hook.signed).toBe(true);
    expect(hook.room).toBe(room);
    expect(Object.keys(hook).filter((k) => k !== 'signed')).toEqual(hook.reason === undefined ? ['id', 'event', 'room', 'peer', 'at'] : ['id', 'event', 'room', 'peer', 'reason', 'at']);
    expect(new Date(hook.at).toISOString()).toBe(hook.at);
  }
  expect(new Set(hooks.map((h) => h.id)).size).toBe(hooks.length);
}

describe('webhooks from one gateway', () => {
  let healthy: WebhookReceiver;
  let flaky: WebhookReceiver;
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  beforeAll(async () => {
    healthy = await WebhookReceiver.start(SECRET);
    flaky = await WebhookReceiver.start(SECRET, 2);
    gw = await startGateway({ SIGNALING_API_KEY: API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URLS: `${healthy.url},${flaky.url}`, GRACE_MS: '300' });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
    await Promise.all([healthy.close(), flaky.close()]);
  });

  it('POSTs peer.joined, peer.left (left, timeout, removed) and room.ended, signed; a receiver failing twice still gets each', async () => {
    const room = 'hooks-memory';
    await subscribedPeer(gw, room, 'alice', sockets);
    const bob = await subscribedPeer(gw, room, 'bob', sockets);
    const carol = await subscribedPeer(gw, room, 'carol', sockets);
    await bob.socket.request(LEAVE_ROOM);
    carol.socket.socket().terminate(); // gone for good: announced when the grace ends
    const timedOut = await healthy.nextOf(room, 5);
    expect(summary(timedOut).slice(3)).toEqual(expect.arrayContaining(['peer.left bob left', 'peer.left carol timeout']));
    expect((await http(gw.httpUrl, END_ROOM, { room }, { headers: { 'x-api-key': API_KEY } })).data).toEqual({ endRoom: 1 });
    const hooks = [...timedOut, ...(await healthy.nextOf(room, 2))];
    expect(summary(hooks)).toEqual([
      'peer.joined alice -',
      'peer.joined bob -',
      'peer.joined carol -',
      ...summary(timedOut).slice(3),
      'peer.left alice removed',
      'room.ended - -',
    ]);
    expectWellFormed(hooks, room);
    // The flaky receiver refused the first two attempts of each and got every one, same ids, same order.
    const retried = await flaky.nextOf(room, hooks.length);
    expect(retried.map((h) => h.id)).toEqual(hooks.map((h) => h.id));
    expectWellFormed(retried, room);
    for (const hook of hooks) expect(flaky.attempts.get(hook.id)).toBe(3);
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`^switchboard_webhooks_total\\{outcome="retried"\\} ${hooks.length * 2}$`, 'm'));
    expect(metrics).toMatch(new RegExp(`^switchboard_webhooks_total\\{outcome="delivered"\\} ${hooks.length * 2}$`, 'm'));
  });
});

describe('webhooks from two instances sharing Redis', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await WebhookReceiver.start(SECRET);
  });
  const instances = sharedRedisSuite(2, () => ({ SIGNALING_API_KEY: API_KEY, WEBHOOK_SECRET: SECRET, WEBHOOK_URLS: receiver.url }));
  const sockets: WsPeer[] = [];
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await receiver.close();
  });

  it('sends each event once, by id, whichever instance made the change', async () => {
    const [one, two] = twoInstances(instances);
    const room = 'hooks-redis';
    await subscribedPeer(one, room, 'alice', sockets);
    const bob = await subscribedPeer(two, room, 'bob', sockets);
    await bob.socket.request(LEAVE_ROOM);
    expect((await http(two.httpUrl, END_ROOM, { room }, { headers: { 'x-api-key': API_KEY } })).data).toEqual({ endRoom: 1 });
    const hooks = await receiver.nextOf(room, 5);
    // Any instance may send any change's events (the Redis outbox): changes are not ordered across them, one change's events are.
    expect(summary(hooks).sort()).toEqual(['peer.joined alice -', 'peer.joined bob -', 'peer.left alice removed', 'peer.left bob left', 'room.ended - -']);
    expect(summary(hooks).indexOf('room.ended - -')).toBe(summary(hooks).indexOf('peer.left alice removed') + 1);
    expectWellFormed(hooks, room);
    // Later events of both instances have arrived: no repeat of the first ones is still on its way.
    await subscribedPeer(one, 'hooks-after-1', 'x', sockets);
    await subscribedPeer(two, 'hooks-after-2', 'y', sockets);
    await receiver.nextOf('hooks-after-1', 1);
    await receiver.nextOf('hooks-after-2', 1);
    expect(receiver.delivered.all.filter((h) => h.room === room)).toHaveLength(5);
  });
});
