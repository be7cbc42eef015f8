import type { Logger } from 'pino';
import { MAX_WEBHOOK_QUEUE_EVENTS, WEBHOOK_MAX_ATTEMPTS, WEBHOOK_RETRY_BASE_MS, WEBHOOK_TIMEOUT_MS } from '../protocol';

/** How one webhook's delivery to one URL ended, or that it is tried again: the metric's `outcome` label. */
export type WebhookOutcome = 'delivered' | 'retried' | 'failed' | 'dropped';

export interface WebhookQueueOptions {
  url: string;
  headers: (body: string) => Record<string, string>;
  log: Logger;
  onOutcome: (outcome: WebhookOutcome) => void;
}

interface Pending {
  id: string;
  body: string;
  attempts: number;
  /** Called once it is delivered or given up (not when it is dropped or drained). */
  done: () => void;
}

/**
 * The webhooks for one URL, POSTed one at a time in the order they were raised. A failed attempt
 * (no 2xx within {@link WEBHOOK_TIMEOUT_MS}) is tried again after a doubling backoff, up to
 * {@link WEBHOOK_MAX_ATTEMPTS}; a receiver that cannot keep up fills the queue, and past
 * {@link MAX_WEBHOOK_QUEUE_EVENTS} new webhooks are dropped: bounded memory, every loss counted.
 */
export class WebhookQueue {
  private readonly pending: Pending[] = [];
  private running = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private idle: Array<() => void> = [];

  constructor(private readonly options: WebhookQueueOptions) {}

  push(id: string, body: string, done: () => void = () => undefined): void {
    if (this.closed) return;
    if (this.pending.length >= MAX_WEBHOOK_QUEUE_EVENTS) {
      this.options.onOutcome('dropped');
      this.options.log.warn({ webhook: id, url: this.options.url }, 'webhook queue full: event dropped');
      return;
    }
    this.pending.push({ id, body, attempts: 0, done });
    if (!this.running) void this.run();
  }

  /** Stops taking webhooks; resolves once the queue is empty or `timeoutMs` passed (what is left is lost). */
  async drain(timeoutMs: number): Promise<void> {
    this.closed = true;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise<void>((resolve) => this.idle.push(resolve)), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
    clearTimeout(timer);
    this.pending.splice(0);
    this.wake?.();
  }

  private async run(): Promise<void> {
    this.running = true;
    for (let next = this.pending[0]; next !== undefined; next = this.pending[0]) {
      next.attempts += 1;
      const ok = await this.post(next.body);
      if (ok || next.attempts >= WEBHOOK_MAX_ATTEMPTS) {
        this.pending.shift();
        this.options.onOutcome(ok ? 'delivered' : 'failed');
        if (!ok) this.options.log.warn({ webhook: next.id, url: this.options.url, attempts: next.attempts }, 'webhook given up');
        next.done();
        continue;
      }
      this.options.onOutcome('retried');
      await this.backoff(WEBHOOK_RETRY_BASE_MS * 2 ** (next.attempts - 1));
    }
    this.running = false;
    for (const resolve of this.idle.splice(0)) resolve();
  }

  private async post(body: string): Promise<boolean> {
    try {
      const response = await fetch(this.options.url, {
        method: 'POST',
        headers: this.options.headers(body),
        body,
        signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
        redirect: 'manual',
      });
      await response.body?.cancel();
      return response.status >= 200 && response.status < 300;
    } catch (error) {
      this.options.log.debug({ url: this.options.url, err: error instanceof Error ? error.message : error }, 'webhook attempt failed');
      return false;
    }
  }

  /** Waits before a retry; cut short when the queue is drained. */
  private backoff(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref();
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
  }
}
