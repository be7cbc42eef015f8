import { POLL_SIGNALS, SEND_OFFER } from '../client/operations';
import type { Signal } from '../client/types';
import { ErrorCode, MAX_SUBSCRIPTIONS_PER_CONNECTION } from '../src/protocol';
import { codeOf, createSession, http, wsPeer, type GraphQLResponse, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { settledMemoryMiB } from './helpers/memory';
import { TestRedis } from './helpers/redis';
import { fakeSdp } from './helpers/sdp';

type Batch = GraphQLResponse<{ pollSignals: { events: Signal[]; cursor: string } }>;

/** How long a poll in these tests would wait if nothing ended it: far longer than any test step. */
const LONG_WAIT_MS = 30_000;
/** Settled polls must all answer well before their wait would have ended. */
const SETTLE_MS = LONG_WAIT_MS / 2;

/** First poll without a cursor: the Welcome, and the cursor later polls wait after. */
async function firstCursor(httpUrl: string, token: string): Promise<string> {
  const res = (await http(httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token })) as Batch;
  const cursor = res.data?.pollSignals.cursor;
  if (cursor === undefined) throw new Error(`first poll failed: ${JSON.stringify(res.errors)}`);
  return cursor;
}

/** `count` polls fired at once: what they answered, tallied as they come (the answers themselves are not kept). */
interface Flood {
  answered: number;
  /** Empty batches (ended by a newer poll) and refusals by code. */
  tally: Record<string, number>;
  /** The answers that carried events. */
  withEvents: Batch[];
  /** Resolves when every poll has answered. */
  all: Promise<void>;
}

/** Fires `count` polls at once through `send`; resolves once all but one have answered (or after SETTLE_MS). */
async function flood(count: number, send: () => Promise<Batch>): Promise<Flood> {
  let allAnswered: () => void = () => undefined;
  const result: Flood = { answered: 0, tally: {}, withEvents: [], all: new Promise<void>((resolve) => (allAnswered = resolve)) };
  for (let i = 0; i < count; i++) {
    void send().then((res) => {
      const events = res.data?.pollSignals.events.length ?? 0;
      const key = res.errors ? codeOf(res) : events === 0 ? 'empty batch' : 'events';
      result.tally[key] = (result.tally[key] ?? 0) + 1;
      if (events > 0) result.withEvents.push(res);
      if (++result.answered === count) allAnswered();
    });
  }
  const started = Date.now();
  while (result.answered < count - 1 && Date.now() - started < SETTLE_MS) await new Promise((resolve) => setTimeout(resolve, 50));
  return result;
}

describe.each([
  ['memory', false],
  ['redis', true],
])('long polls are bounded per peer (%s broker)', (_label, withRedis) => {
  let redis: TestRedis | null = null;
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  beforeAll(async () => {
    redis = withRedis ? await TestRedis.start() : null;
    gw = await startGateway(redis ? { REDIS_URL: redis.url } : {});
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
    await redis?.kill();
  });
  const tokens = new Map<string, string>();
  const tokenOf = async (peer: string): Promise<string> => tokens.get(peer) ?? Promise.reject(new Error(`no token for ${peer}`));
  const open = (token: string): WsPeer => {
    const peer = wsPeer(gw.wsUrl, token);
    sockets.push(peer);
    return peer;
  };

  /** A connected sender in the same room, and a check that the one surviving poll still delivers. */
  async function proveSurvivorDelivers(room: string, to: string, polls: Flood): Promise<void> {
    const sender = await createSession(gw.httpUrl, room);
    const senderWs = open(sender.token);
    await senderWs.signals().events.next();
    expect(codeOf(await senderWs.request(SEND_OFFER, { to, sdp: fakeSdp('survivor') }))).toBe('OK');
    await polls.all;
    // The survivor answers with the first events for it (the sender's PeerConnected, and the Offer when it
    // came within the PeerConnected's presence window); an Offer it did not carry waits in the mailbox.
    const delivered = polls.withEvents;
    expect(delivered).toHaveLength(1);
    const next = (await http(gw.httpUrl, POLL_SIGNALS, { after: delivered[0]?.data?.pollSignals.cursor, waitMs: 0 }, { token: await tokenOf(to) })) as Batch;
    const kinds = [...(delivered[0]?.data?.pollSignals.events ?? []), ...(next.data?.pollSignals.events ?? [])].map((e) => e.__typename);
    expect(kinds[0]).toBe('PeerConnected');
    expect(kinds.filter((kind) => kind === 'Offer')).toHaveLength(1);
  }

  it('holds one pending poll for thousands sent on one WebSocket with one token', async () => {
    const count = withRedis ? 300 : 2_000;
    const s = await createSession(gw.httpUrl, 'ws-polls', 'poller');
    tokens.set('poller', s.token);
    const after = await firstCursor(gw.httpUrl, s.token);
    const ws = open(s.token);
    const polls = await flood(count, () => ws.request(POLL_SIGNALS, { after, waitMs: LONG_WAIT_MS }) as Promise<Batch>);
    const { tally } = polls;
    console.log(`${count} polls on one WebSocket (${_label}): ${polls.answered} answered at once ${JSON.stringify(tally)}, ${gw.core.polls.size} pending`);
    expect(polls.answered).toBe(count - 1);
    expect(gw.core.polls.size).toBe(1);
    // Refused ones are over the per-connection limit shared with subscriptions.
    expect(Object.keys(tally).every((k) => k === 'empty batch' || k === ErrorCode.RateLimited)).toBe(true);
    expect(tally['empty batch']).toBeGreaterThan(0);
    await proveSurvivorDelivers('ws-polls', 'poller', polls);
    expect(gw.core.polls.size).toBe(0);
  }, 60_000);

  it('counts a pending poll against the subscriptions of its WebSocket', async () => {
    const s = await createSession(gw.httpUrl, 'ws-mixed', 'mixed');
    const after = await firstCursor(gw.httpUrl, s.token);
    const ws = open(s.token);
    const streams = Array.from({ length: MAX_SUBSCRIPTIONS_PER_CONNECTION }, () => ws.signals());
    await Promise.all(streams.map((stream) => stream.events.next()));
    const refused = (await ws.request(POLL_SIGNALS, { after, waitMs: LONG_WAIT_MS })) as Batch;
    expect(codeOf(refused)).toBe(ErrorCode.RateLimited);
    streams[0]?.stop();
    const started = Date.now();
    let admitted: Batch = refused;
    // The stopped subscription's slot frees once the server has seen its complete message.
    while (codeOf(admitted) === ErrorCode.RateLimited && Date.now() - started < SETTLE_MS) admitted = (await ws.request(POLL_SIGNALS, { after, waitMs: 0 })) as Batch;
    expect(codeOf(admitted)).toBe('OK');
  });

  it('holds one pending poll for hundreds sent at once over HTTP with one token', async () => {
    const count = withRedis ? 150 : 400;
    const s = await createSession(gw.httpUrl, 'http-polls', 'poller');
    tokens.set('poller', s.token);
    const after = await firstCursor(gw.httpUrl, s.token);
    const polls = await flood(count, () => http(gw.httpUrl, POLL_SIGNALS, { after, waitMs: LONG_WAIT_MS }, { token: s.token }) as Promise<Batch>);
    const { tally } = polls;
    console.log(`${count} polls over HTTP (${_label}): ${polls.answered} answered at once ${JSON.stringify(tally)}, ${gw.core.polls.size} pending`);
    expect(polls.answered).toBe(count - 1);
    expect(gw.core.polls.size).toBe(1);
    expect(Object.keys(tally)).toEqual(['empty batch']);
    await proveSurvivorDelivers('http-polls', 'poller', polls);
  }, 60_000);
});

describe('long-poll abuse leaves the gateway within a few MiB of idle (memory broker, real ports, full GC before each reading)', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw.close();
  });

  it('20,000 polls on one WebSocket and 400 over HTTP, one token', async () => {
    const s = await createSession(gw.httpUrl, 'rss', 'poller');
    const after = await firstCursor(gw.httpUrl, s.token);
    const ws = wsPeer(gw.wsUrl, s.token);
    try {
      // Warm up both paths once, so the baseline includes the code they run.
      await ws.request(POLL_SIGNALS, { after, waitMs: 0 });
      const idle = settledMemoryMiB();
      const onWs = await flood(20_000, () => ws.request(POLL_SIGNALS, { after, waitMs: LONG_WAIT_MS }) as Promise<Batch>);
      const wsTally = { ...onWs.tally };
      const afterWs = settledMemoryMiB();
      const onHttp = await flood(400, () => http(gw.httpUrl, POLL_SIGNALS, { after, waitMs: LONG_WAIT_MS }, { token: s.token }) as Promise<Batch>);
      const httpTally = { ...onHttp.tally };
      const afterHttp = settledMemoryMiB();
      const show = (m: { rss: number; heap: number }): string => `RSS ${m.rss.toFixed(1)} MiB, heap ${m.heap.toFixed(1)} MiB`;
      console.log(
        `long-poll abuse (gateway and clients in one process): idle ${show(idle)}; after 20,000 polls on one WebSocket ${show(afterWs)} ` +
          `${JSON.stringify(wsTally)}; after 400 more over HTTP ${show(afterHttp)} ${JSON.stringify(httpTally)}; ${gw.core.polls.size} poll held`,
      );
      expect(Object.values(wsTally).reduce((a, b) => a + b, 0)).toBe(20_000 - 1);
      // The WebSocket's survivor was ended by the first HTTP poll; the last HTTP poll is the one held.
      expect(Object.values(httpTally).reduce((a, b) => a + b, 0)).toBe(400 - 1);
      expect(gw.core.polls.size).toBe(1);
      // Before the fix: +153 MiB RSS for 20,000 held polls. Now one is held: what stays after a full GC is
      // a few MiB (most of it the HTTP clients' 400 pooled sockets); RSS also keeps freed pages for a while.
      expect(afterHttp.heap - idle.heap).toBeLessThan(8);
      expect(afterHttp.rss - idle.rss).toBeLessThan(64);
    } finally {
      await ws.dispose();
    }
  }, 120_000);
});
