import { type Broker, type SendOptions, SessionSupersededError } from '../src/broker/broker';
import type { Feed } from '../src/broker/feed';
import type { DirectSignal, PeerSession, SignalEvent } from '../src/events';
import { LeaveReason, SignalKind } from '../src/protocol';
import { EVENT_TIMEOUT_MS } from './helpers/inbox';

export interface BrokerLimits {
  mailboxEvents: number;
}

/** Takes the next event of a feed, failing after a bound instead of hanging. */
export async function next(feed: Feed): Promise<SignalEvent> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('no event')), EVENT_TIMEOUT_MS);
  });
  try {
    const result = await Promise.race([feed.next(), timeout]);
    if (result.done) throw new Error('feed ended');
    return result.value;
  } finally {
    clearTimeout(timer);
  }
}

const offer = (from: string, to: string, n: number): DirectSignal => ({ kind: SignalKind.Offer, from, to, sdp: `v=0 #${n}` });

/** A session without an id, as tokens minted without `sid` have: every call of a test's peers shares it. */
const S: PeerSession = { id: '', startedAtMs: 0 };
const SEND: SendOptions = { session: S, idempotencyKey: null, traceparent: null };

/**
 * The behaviour every Broker must have, run against each implementation with a factory that gives a
 * fresh broker (and the limits it was built with).
 */
export function brokerContract(name: string, make: () => Promise<{ broker: Broker; limits: BrokerLimits; close: () => Promise<void> }>): void {
  describe(`Broker contract: ${name}`, () => {
    let broker: Broker;
    let limits: BrokerLimits;
    let close: () => Promise<void>;
    const feeds: Feed[] = [];
    let roomNo = 0;
    let room: string;
    const open = async (id: string, after: string | null = null, name: string | null = null): Promise<Feed> => {
      const feed = await broker.open({ id, name, room, session: S }, after);
      feeds.push(feed);
      return feed;
    };

    beforeAll(async () => {
      ({ broker, limits, close } = await make());
    });
    beforeEach(() => {
      room = `room${++roomNo}`;
    });
    afterEach(() => {
      feeds.splice(0).forEach((f) => void f.return());
    });
    afterAll(async () => {
      await close();
    });

    it('refuses to send to a peer outside the room, or from a peer not in it', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      expect(await broker.send(room, offer('a', 'ghost', 1), SEND)).toBe('recipient-not-found');
      await broker.join(room, { id: 'b', name: null }, S);
      expect(await broker.send(`${room}-other`, offer('a', 'b', 1), SEND)).toBe('sender-not-joined');
      expect(await broker.send(room, offer('ghost', 'b', 1), SEND)).toBe('sender-not-joined');
      await broker.leave(room, 'a', LeaveReason.Left, 'anywhere');
      expect(await broker.send(room, offer('a', 'b', 1), SEND)).toBe('sender-not-joined');
    });

    it('joins once, welcomes with the roster (without self) and announces to others, not to self', async () => {
      expect(await broker.join(room, { id: 'a', name: 'Alice' }, S)).toBe(true);
      expect(await broker.join(room, { id: 'a', name: 'Alice' }, S)).toBe(false);
      const a = await open('a', null, 'Alice');
      expect(await next(a)).toMatchObject({ kind: 'Welcome', peers: [], resumed: false, self: { id: 'a', name: 'Alice' } });
      expect(await broker.join(room, { id: 'b', name: 'Bob' }, S)).toBe(true);
      const b = await open('b');
      expect(await next(b)).toMatchObject({ kind: 'Welcome', peers: [{ id: 'a', name: 'Alice' }] });
      expect(await next(a)).toMatchObject({ kind: 'PeerConnected', peer: { id: 'b', name: 'Bob' } });
      expect(await broker.roster(room)).toEqual([
        { id: 'a', name: 'Alice' },
        { id: 'b', name: 'Bob' },
      ]);
      // b's own join is not delivered to b: its next event is the offer sent now.
      await broker.send(room, offer('a', 'b', 1), SEND);
      expect(await next(b)).toMatchObject({ kind: 'Offer', from: 'a', sdp: 'v=0 #1' });
    });

    it('delivers in acceptance order with distinct cursors', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const b = await open('b');
      await next(b);
      for (let i = 0; i < 50; i++) await broker.send(room, offer('a', 'b', i), SEND);
      const got: SignalEvent[] = [];
      for (let i = 0; i < 50; i++) got.push(await next(b));
      expect(got.map((e) => (e.kind === 'Offer' ? e.sdp : e.kind))).toEqual(Array.from({ length: 50 }, (_, i) => `v=0 #${i}`));
      expect(new Set(got.map((e) => e.cursor)).size).toBe(50);
    });

    it('replays everything after a cursor exactly once, merged in order, then goes live', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const b1 = await open('b');
      await next(b1);
      await broker.send(room, offer('a', 'b', 0), SEND);
      const seen = await next(b1);
      await b1.return();

      await broker.send(room, offer('a', 'b', 1), SEND);
      await broker.join(room, { id: 'c', name: null }, S);
      await broker.send(room, offer('a', 'b', 2), SEND);
      await broker.leave(room, 'c', LeaveReason.Left, 'anywhere');

      const b2 = await open('b', seen.cursor);
      expect(await next(b2)).toMatchObject({ kind: 'Welcome', resumed: true, peers: [{ id: 'a' }] });
      const replay = [await next(b2), await next(b2), await next(b2), await next(b2)];
      expect(replay.map((e) => (e.kind === 'Offer' ? e.sdp : `${e.kind}`))).toEqual(['v=0 #1', 'PeerConnected', 'v=0 #2', 'PeerDisconnected']);
      await broker.send(room, offer('a', 'b', 3), SEND);
      expect(await next(b2)).toMatchObject({ kind: 'Offer', sdp: 'v=0 #3' });

      // Resuming from the last replayed cursor repeats nothing.
      const b3 = await open('b', replay[3]?.cursor ?? null);
      expect(await next(b3)).toMatchObject({ kind: 'Welcome', resumed: true });
      expect(await next(b3)).toMatchObject({ kind: 'Offer', sdp: 'v=0 #3' });
    });

    it('says resumed: false for an unknown cursor or one whose events were evicted', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const fresh = await open('b', 'nonsense');
      expect(await next(fresh)).toMatchObject({ kind: 'Welcome', resumed: false });
      await broker.send(room, offer('a', 'b', 0), SEND);
      const first = await next(fresh);
      await fresh.return();
      for (let i = 1; i <= limits.mailboxEvents + 1; i++) await broker.send(room, offer('a', 'b', i), SEND);
      const late = await open('b', first.cursor);
      expect(await next(late)).toMatchObject({ kind: 'Welcome', resumed: false });
      await broker.send(room, offer('a', 'b', 999), SEND);
      expect(await next(late)).toMatchObject({ kind: 'Offer', sdp: 'v=0 #999' });
    });

    it('leaves once with the reason, and only the owner leaves with if-mine', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const a = await open('a');
      await next(a);
      expect(await broker.leave(room, 'b', LeaveReason.Timeout, 'if-mine')).toBe(true);
      expect(await broker.leave(room, 'b', LeaveReason.Timeout, 'if-mine')).toBe(false);
      expect(await next(a)).toMatchObject({ kind: 'PeerDisconnected', peer: { id: 'b' }, reason: 'timeout' });
      expect(await broker.roster(room)).toEqual([{ id: 'a', name: null }]);
    });

    it('reserves a guest peer id until it joins, and refuses ids in the roster', async () => {
      expect(await broker.claim({ room, peer: 'x' }, 60_000)).toBe(true);
      expect(await broker.claim({ room, peer: 'x' }, 60_000)).toBe(false);
      await broker.join(room, { id: 'y', name: null }, S);
      expect(await broker.claim({ room, peer: 'y' }, 60_000)).toBe(false);
    });

    it('answers a repeated idempotency key with the first receipt and stores the signal once', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const b = await open('b');
      await next(b);
      const keyed: SendOptions = { session: S, idempotencyKey: 'k1', traceparent: null };
      const first = await broker.send(room, offer('a', 'b', 1), keyed);
      expect(await broker.send(room, offer('a', 'b', 1), keyed)).toEqual(first);
      // The key is the sender's: another sender's k1 is another signal.
      expect(await broker.send(room, offer('b', 'a', 9), keyed)).not.toEqual(first);
      await broker.send(room, offer('a', 'b', 2), { session: S, idempotencyKey: 'k2', traceparent: null });
      expect((await next(b)).cursor).not.toBe('');
      expect(await next(b)).toMatchObject({ kind: 'Offer', sdp: 'v=0 #2' });
    });

    it('keeps a signal\'s traceparent with it, live and on replay, and adds none when the send had none', async () => {
      const traceparent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const live = await open('b');
      const welcome = await next(live);
      await broker.send(room, offer('a', 'b', 1), { session: S, idempotencyKey: 'traced', traceparent });
      await broker.send(room, offer('a', 'b', 2), SEND);
      const traced = await next(live);
      expect(traced).toMatchObject({ sdp: 'v=0 #1', traceparent });
      expect(await next(live)).not.toHaveProperty('traceparent');
      const replay = await open('b', welcome.cursor);
      expect(await next(replay)).toMatchObject({ kind: 'Welcome', resumed: true });
      expect(await next(replay)).toMatchObject({ sdp: 'v=0 #1', traceparent });
      expect(await next(replay)).not.toHaveProperty('traceparent');
    });

    it('remembers an idempotency key exactly as long as its signal is in the mailbox (bounded)', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'b', name: null }, S);
      const keyed: SendOptions = { session: S, idempotencyKey: 'old', traceparent: null };
      const first = await broker.send(room, offer('a', 'b', 0), keyed);
      for (let i = 1; i <= limits.mailboxEvents; i++) await broker.send(room, offer('a', 'b', i), { session: S, idempotencyKey: `k${i}`, traceparent: null });
      // The first signal was evicted, and its key with it: the same key is a new signal now.
      const again = await broker.send(room, offer('a', 'b', 0), keyed);
      expect(again).not.toEqual(first);
      expect(await broker.send(room, offer('a', 'b', 0), keyed)).toEqual(again);
    });

    it("a newer session of a peer id starts with an empty mailbox; the older one's cursor, join, stream and sends are refused", async () => {
      const old: PeerSession = { id: 'old', startedAtMs: 1_000 };
      const fresh: PeerSession = { id: 'new', startedAtMs: 2_000 };
      await broker.join(room, { id: 'a', name: null }, S);
      await broker.join(room, { id: 'v', name: 'victim' }, old);
      const victim = await broker.open({ id: 'v', name: 'victim', room, session: old }, null);
      feeds.push(victim);
      await next(victim);
      await broker.send(room, { kind: SignalKind.Offer, from: 'a', to: 'v', sdp: 'v=0 secret' }, SEND);
      const secret = await next(victim);
      expect(secret).toMatchObject({ sdp: 'v=0 secret' });
      await broker.leave(room, 'v', LeaveReason.Left, 'anywhere');
      await broker.send(room, offer('a', 'v', 0), SEND).catch(() => undefined);

      // A new session takes the id: it never sees the old session's events, whatever cursor it brings.
      expect(await broker.join(room, { id: 'v', name: 'intruder' }, fresh)).toBe(true);
      await expect(next(victim)).rejects.toThrow(SessionSupersededError);
      const intruder = await broker.open({ id: 'v', name: 'intruder', room, session: fresh }, secret.cursor);
      feeds.push(intruder);
      expect(await next(intruder)).toMatchObject({ kind: 'Welcome', resumed: false });
      await broker.send(room, offer('a', 'v', 1), SEND);
      expect(await next(intruder)).toMatchObject({ kind: 'Offer', sdp: 'v=0 #1' });

      // The older session cannot come back over it.
      await expect(broker.join(room, { id: 'v', name: 'victim' }, old)).rejects.toThrow(SessionSupersededError);
      await expect(broker.open({ id: 'v', name: 'victim', room, session: old }, null)).rejects.toThrow(SessionSupersededError);
      await expect(broker.send(room, offer('v', 'a', 2), { session: old, idempotencyKey: null, traceparent: null })).rejects.toThrow(SessionSupersededError);
      expect(await broker.roster(room)).toEqual([
        { id: 'a', name: null },
        { id: 'v', name: 'intruder' },
      ]);
    });

    it('stops delivering to a feed that was returned', async () => {
      await broker.join(room, { id: 'a', name: null }, S);
      const a = await open('a');
      await next(a);
      await a.return();
      expect(a.isClosed).toBe(true);
      await broker.join(room, { id: 'b', name: null }, S);
      expect(await a.next()).toEqual({ value: undefined, done: true });
    });
  });
}
