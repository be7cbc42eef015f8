import type { SignalEvent } from '../events';
import { MAX_PRESENCE_BATCH_ENTRIES, PresenceMode } from '../protocol';
import { batchPresence, isPresence, type PresenceEvent, scheduleFlush, type Windowed } from './presence-window';

/** The subscriber stopped reading while its queue grew past the bound; it should resume from its cursor. */
export class SlowConsumerError extends Error {
  override name = 'SlowConsumerError';
}

type Waiter = {
  resolve: (r: IteratorResult<SignalEvent>) => void;
  reject: (e: unknown) => void;
};

/** Rough wire size of an event: what dominates is the SDP or candidate text, or a batch's entries. */
function approximateBytes(event: SignalEvent): number {
  if ('joined' in event) return EVENT_OVERHEAD_BYTES + PRESENCE_ENTRY_BYTES * (event.joined.length + event.left.length);
  const body = 'sdp' in event ? event.sdp.length : 'candidate' in event ? event.candidate.candidate.length : 'data' in event ? event.data.length : 0;
  const envelope = 'envelope' in event && event.envelope !== undefined ? event.envelope.length : 0;
  return EVENT_OVERHEAD_BYTES + body + envelope;
}

const EVENT_OVERHEAD_BYTES = 256;
const PRESENCE_ENTRY_BYTES = 64;

export interface FeedLimits {
  maxQueuedEvents: number;
  maxQueuedBytes: number;
}

/**
 * One subscriber's ordered stream of events, as an async iterator whose `return()` ends it at once
 * (an async generator's `return()` would wait for the next event, leaking idle subscriptions).
 * Producers `push`; past `maxQueuedEvents` unread events or `maxQueuedBytes` the feed fails with
 * {@link SlowConsumerError} instead of growing without bound. Transports pull one event at a time and
 * wait for each write to complete, so this queue is where a slow reader's backlog accumulates.
 *
 * Presence events wait for the end of their window (see presence-window.ts): up to
 * {@link PRESENCE_EACH_WINDOW_MS} for `EACH`, up to {@link PRESENCE_BATCH_WINDOW_MS} for `BATCHED`, where they leave as
 * PresenceBatch events. Any other event hands the waiting ones on first, so order is kept and a
 * direct signal never waits.
 */
export class Feed implements AsyncIterableIterator<SignalEvent>, Windowed {
  /** `live: false` for the Welcome and replayed events: bounded by mailbox retention, not by the limits. */
  private readonly queue: Array<{ event: SignalEvent; live: boolean }> = [];
  private liveQueued = 0;
  private queuedBytes = 0;
  private waiter: Waiter | null = null;
  /** A reader that looks at the next event before taking it (see {@link ready}). */
  private looker: (() => void) | null = null;
  private failure: unknown = null;
  private closed = false;
  /** The error the feed failed with, if it did; kept for the transport to pick its close code. */
  endedBy: unknown = null;
  private readonly cleanups: Array<() => void> = [];
  /** Presence events of the current window (one allocation per event and subscriber matters in a storm: no wrapper). */
  private pending: PresenceEvent[] = [];
  /** Whether the last of them came live (else replayed). */
  private pendingLive = true;

  constructor(
    private readonly limits: FeedLimits,
    readonly presence: PresenceMode = PresenceMode.Each,
  ) {}

  /** Registers work to run once when the feed ends, however it ends. */
  onClose(cleanup: () => void): void {
    if (this.closed) cleanup();
    else this.cleanups.push(cleanup);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /**
   * Queues the Welcome and replayed events; they do not count against the slow-consumer limits. A
   * reader already waiting gets the event at once: events replayed after a reconnect must not wait
   * for the next live one (which would then overtake them).
   */
  preload(event: SignalEvent): void {
    if (this.closed) return;
    if (this.hold(event, false)) return;
    this.flushPresence();
    this.enqueueReplayed(event);
  }

  /** Hands over one live event, or queues it; a reader too far behind fails the feed. */
  push(event: SignalEvent): void {
    if (this.closed) return;
    if (this.hold(event, true)) return;
    this.flushPresence();
    this.enqueueLive(event);
  }

  /** Hands on the presence events of the current window (as batches for `BATCHED`). */
  flushPresence(): void {
    if (this.pending.length === 0) return;
    const pending = this.pending;
    const live = this.pendingLive;
    this.pending = [];
    if (this.closed) return;
    const events = this.presence === PresenceMode.Batched ? batchPresence(pending) : pending;
    for (const event of events) {
      if (live) this.enqueueLive(event);
      else this.enqueueReplayed(event);
    }
  }

  /** Keeps a presence event for the end of its window; false for any other event. */
  private hold(event: SignalEvent, live: boolean): boolean {
    if (!isPresence(event)) return false;
    this.pending.push(event);
    this.pendingLive = live;
    if (this.pending.length >= MAX_PRESENCE_BATCH_ENTRIES) this.flushPresence();
    else if (this.pending.length === 1) scheduleFlush(this.presence, this);
    return true;
  }

  private enqueueReplayed(event: SignalEvent): void {
    if (this.handOver(event)) return;
    this.queue.push({ event, live: false });
    this.wakeLooker();
  }

  private enqueueLive(event: SignalEvent): void {
    if (this.handOver(event)) return;
    const bytes = approximateBytes(event);
    if (this.liveQueued >= this.limits.maxQueuedEvents || this.queuedBytes + bytes > this.limits.maxQueuedBytes) {
      this.fail(new SlowConsumerError(`${this.liveQueued} events / ${this.queuedBytes} bytes unread`));
      return;
    }
    this.queue.push({ event, live: true });
    this.liveQueued++;
    this.queuedBytes += bytes;
    this.wakeLooker();
  }

  /** Ends the feed with an error; unread events are dropped (the subscriber resumes from its cursor). */
  fail(error: unknown): void {
    if (this.closed) return;
    this.failure = error;
    this.endedBy = error;
    this.clearQueue();
    if (this.waiter) {
      const { reject } = this.waiter;
      this.waiter = null;
      this.failure = null;
      reject(error);
    }
    this.finish();
  }

  /** Ends the feed; a pending `next()` resolves as done. */
  end(): void {
    if (this.closed) return;
    this.clearQueue();
    if (this.waiter) {
      const { resolve } = this.waiter;
      this.waiter = null;
      resolve({ value: undefined, done: true });
    }
    this.finish();
  }

  next(): Promise<IteratorResult<SignalEvent>> {
    const event = this.take();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.failure !== null) {
      const error = this.failure;
      this.failure = null;
      return Promise.reject(error);
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /**
   * Resolves once an event is queued or the feed has ended, without taking anything: for a reader that
   * looks at the next event ({@link peek}) to choose how to deliver it. One such reader at a time.
   */
  ready(): Promise<void> {
    if (this.queue.length > 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.looker = resolve;
    });
  }

  /** The event `next()` would give now, or undefined when none is queued. */
  peek(): SignalEvent | undefined {
    return this.queue[0]?.event;
  }

  /** Takes the event {@link peek} showed. */
  skip(): void {
    this.take();
  }

  private wakeLooker(): void {
    const looker = this.looker;
    if (looker === null) return;
    this.looker = null;
    looker();
  }

  /** Takes up to `max` events already queued (presence of the current window included), without waiting. */
  drainQueued(max: number): SignalEvent[] {
    this.flushPresence();
    const taken: SignalEvent[] = [];
    while (taken.length < max) {
      const event = this.take();
      if (!event) break;
      taken.push(event);
    }
    return taken;
  }

  /** The next event if one comes within `ms`; null on timeout or when the feed ends. */
  async nextWithin(ms: number): Promise<SignalEvent | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), ms);
    });
    try {
      const result = await Promise.race([this.next(), timeout]);
      return result === null || result.done ? null : result.value;
    } finally {
      clearTimeout(timer);
      // A timed-out next() must not swallow the event that arrives later: end the wait instead.
      if (this.waiter) {
        const { resolve } = this.waiter;
        this.waiter = null;
        resolve({ value: undefined, done: true });
      }
    }
  }

  return(): Promise<IteratorResult<SignalEvent>> {
    this.end();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error: unknown): Promise<IteratorResult<SignalEvent>> {
    this.end();
    return Promise.reject(error);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * Gives `event` to a reader waiting in `next()`. A reader only waits on an empty queue, so handing
   * over keeps acceptance order whichever of `push` and `preload` the event came by.
   */
  private handOver(event: SignalEvent): boolean {
    if (!this.waiter) return false;
    const { resolve } = this.waiter;
    this.waiter = null;
    resolve({ value: event, done: false });
    return true;
  }

  private take(): SignalEvent | undefined {
    const item = this.queue.shift();
    if (item?.live) {
      this.liveQueued--;
      this.queuedBytes -= approximateBytes(item.event);
    }
    return item?.event;
  }

  private clearQueue(): void {
    this.pending = [];
    this.queue.length = 0;
    this.liveQueued = 0;
    this.queuedBytes = 0;
  }

  private finish(): void {
    this.closed = true;
    this.wakeLooker();
    for (const cleanup of this.cleanups.splice(0)) cleanup();
  }
}
