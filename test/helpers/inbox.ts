/** Default bound for waiting on one event in tests; long enough for a loaded CI machine. */
export const EVENT_TIMEOUT_MS = 10_000;

type Waiter<T> = { match: (item: T) => boolean; resolve: (item: T) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/**
 * Collects items pushed by a producer (a subscription, a socket) and lets a test await the next one
 * matching a predicate, with a bounded timeout instead of a sleep.
 */
export class Inbox<T> {
  /** Every item ever received, in order. */
  readonly all: T[] = [];
  private readonly pending: T[] = [];
  private readonly waiters: Waiter<T>[] = [];
  private failure: Error | null = null;
  private listener: ((item: T) => void) | null = null;

  constructor(private readonly label = 'inbox') {}

  push(item: T): void {
    this.all.push(item);
    if (this.listener) this.listener(item);
    const index = this.waiters.findIndex((w) => w.match(item));
    const waiter = index >= 0 ? this.waiters.splice(index, 1)[0] : undefined;
    if (waiter) {
      clearTimeout(waiter.timer);
      waiter.resolve(item);
    } else if (!this.listener) {
      this.pending.push(item);
    }
  }

  fail(error: Error): void {
    this.failure = error;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  /** The next unread item; fails after `timeoutMs`. */
  next(timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
    return this.nextWhere(() => true, timeoutMs);
  }

  /** The next unread item matching `match`; unread items before it that do not match stay unread. */
  nextWhere(match: (item: T) => boolean, timeoutMs = EVENT_TIMEOUT_MS, what = 'matching item'): Promise<T> {
    const index = this.pending.findIndex(match);
    if (index >= 0) return Promise.resolve(this.pending.splice(index, 1)[0] as T);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(new Error(`${this.label}: no ${what} within ${timeoutMs} ms (received: ${JSON.stringify(this.all).slice(0, 800)})`));
        }, timeoutMs),
      };
      this.waiters.push(waiter);
    });
  }

  /** Hands every unread and future item to `listener` instead of queueing it; waiters still see future items. */
  listen(listener: (item: T) => void): void {
    this.listener = listener;
    for (const item of this.pending.splice(0)) listener(item);
  }

  /** Unread items, removed from the inbox. */
  drain(): T[] {
    return this.pending.splice(0);
  }
}
