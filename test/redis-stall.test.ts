import Redis from 'ioredis';
import { PEERS, SEND_OFFER } from '../client/operations';
import type { Signal } from '../client/types';
import type { SignalingClient } from '@switchboard/client';
import { ErrorCode } from '../src/protocol';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { TestRedis } from './helpers/redis';
import { fakeSdp } from './helpers/sdp';
import { sdkClient } from './helpers/sdk';

/** Longer than the gateway's 2 s command timeout: every write sent during it is answered UNAVAILABLE. */
const STALL_MS = 4_000;
const SENDS_DURING_STALL = 7;

const tagOf = (e: Signal): string | null => (e.__typename === 'Offer' ? (/^s=(.*)$/m.exec(e.sdp)?.[1] ?? null) : null);

/**
 * A stalled Redis (CLIENT PAUSE, DEBUG SLEEP): the commands are on the socket when the gateway gives
 * up on them, and Redis runs them when it wakes. UNAVAILABLE must still mean "nothing stored", and a
 * retry with the same idempotency key must be delivered once.
 */
describe('sends and joins answered UNAVAILABLE while Redis stalls do not take effect', () => {
  let redis: TestRedis;
  let admin: Redis;
  let gw: TestGateway;
  const sockets: WsPeer[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start(['--enable-debug-command', 'yes']);
    admin = new Redis(redis.url);
    gw = await startGateway({ REDIS_URL: redis.url, GRACE_MS: '60000' });
  });
  const clients: SignalingClient[] = [];
  afterAll(async () => {
    await Promise.all(clients.splice(0).map((c) => c.close()));
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await gw.close();
    admin.disconnect();
    await redis.stop();
  });

  /** DEBUG SLEEP blocks the whole server, its own reply included: sent without waiting, then Redis is seen not answering. */
  const debugSleep = async (): Promise<void> => {
    const sleeper = new Redis(redis.url);
    await sleeper.ping();
    const slept = sleeper.call('DEBUG', 'SLEEP', String(STALL_MS / 1000)).finally(() => sleeper.disconnect());
    const probe = await Promise.race([admin.ping(), new Promise<'asleep'>((resolve) => setTimeout(() => resolve('asleep'), 300))]);
    if (probe !== 'asleep') throw new Error('redis did not fall asleep');
    void slept.catch(() => undefined);
  };
  const stalls: Array<[string, () => Promise<unknown>]> = [
    ['CLIENT PAUSE', () => admin.client('PAUSE', STALL_MS)],
    ['DEBUG SLEEP', debugSleep],
  ];

  it.each(stalls)('%s: refused sends are never delivered, a refused subscribe leaves no one in the roster, retries with the same key arrive once', async (name, stall) => {
    const room = `stall-${name.replace(' ', '-')}`;
    const [a, b, c] = await Promise.all(['a', 'b', 'c'].map((peer) => createSession(gw.httpUrl, room, peer)));
    if (!a || !b || !c) throw new Error('no sessions');
    const bob = wsPeer(gw.wsUrl, b.token);
    const alice = wsPeer(gw.wsUrl, a.token);
    const carol = wsPeer(gw.wsUrl, c.token);
    sockets.push(bob, alice, carol);
    const inbox = bob.signals();
    await inbox.events.next();
    const aliceEvents = alice.signals();
    await aliceEvents.events.next();
    await inbox.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const send = (tag: string, key: string) => http(gw.httpUrl, SEND_OFFER, { to: 'b', sdp: fakeSdp(tag), idempotencyKey: key }, { token: a.token });
    const outcomes = new Map<string, string>();
    outcomes.set('before', codeOf(await send('before', 'k-before')));

    await stall();
    const during = Array.from({ length: SENDS_DURING_STALL }, (_, i) => `during-${i}`);
    const carolRefused = carol.signals().events.next(STALL_MS);
    const answered = await Promise.all(during.map((tag) => send(tag, `k-${tag}`)));
    during.forEach((tag, i) => outcomes.set(tag, codeOf(answered[i] ?? {})));
    await expect(carolRefused).rejects.toThrow(ErrorCode.Unavailable);

    // Redis wakes and runs what was on the socket; the gateway is ready again.
    expect(await admin.ping()).toBe('PONG');
    const after = await send('after', 'k-after');
    outcomes.set('after', codeOf(after));
    await inbox.events.nextWhere((e) => tagOf(e) === 'after');

    // The refused subscribe did not join carol: not in the roster, never announced.
    expect((await alice.request<{ peers: Array<{ id: string }> }>(PEERS)).data?.peers.map((p) => p.id)).toEqual(['b']);
    expect(aliceEvents.events.all.filter((e) => e.__typename === 'PeerConnected' && e.peer.id === 'c')).toEqual([]);

    // Every refused send is retried with its key; what was acknowledged arrives once, in order.
    const refused = during.filter((tag) => outcomes.get(tag) === ErrorCode.Unavailable);
    expect(refused).toEqual(during);
    for (const tag of refused) expect(codeOf(await send(tag, `k-${tag}`))).toBe('OK');
    // A retry of a send that was stored (the key already seen) is answered with the first receipt, not delivered again.
    const again = await send('after', 'k-after');
    expect(again.data).toEqual(after.data);
    await send('end', 'k-end');
    await inbox.events.nextWhere((e) => tagOf(e) === 'end');

    const delivered = inbox.events.all.map(tagOf).filter((t): t is string => t !== null);
    expect(delivered).toEqual(['before', 'after', ...refused, 'end']);
    expect(outcomes.get('before')).toBe('OK');
    expect(outcomes.get('after')).toBe('OK');
    console.log(`${name}: ${refused.length}/${SENDS_DURING_STALL} sends refused UNAVAILABLE during the stall, 0 of them delivered; retried with their keys, each delivered once`);
  }, 30_000);

  it('the SDK retrying UNAVAILABLE through a stall delivers each signal exactly once', async () => {
    const room = 'stall-sdk';
    const bob = wsPeer(gw.wsUrl, (await createSession(gw.httpUrl, room, 'b')).token);
    sockets.push(bob);
    const inbox = bob.signals();
    await inbox.events.next();
    const alice = await sdkClient(gw.httpUrl, room, 'a');
    clients.push(alice);
    await inbox.events.nextWhere((e) => e.__typename === 'PeerConnected');

    await admin.client('PAUSE', STALL_MS);
    const tags = ['sdk-0', 'sdk-1', 'sdk-2'];
    // Concurrent sends, each retried by the SDK with its own key until Redis is back.
    const receipts = await Promise.all(tags.map((tag) => alice.sendOffer('b', fakeSdp(tag))));
    expect(new Set(receipts.map((r) => r.id)).size).toBe(tags.length);
    await alice.sendOffer('b', fakeSdp('sdk-end'));
    await inbox.events.nextWhere((e) => tagOf(e) === 'sdk-end');
    const delivered = inbox.events.all.map(tagOf).filter((t): t is string => t !== null);
    expect([...delivered].sort()).toEqual([...tags, 'sdk-end'].sort());
    expect(delivered[delivered.length - 1]).toBe('sdk-end');
  }, 30_000);
});
