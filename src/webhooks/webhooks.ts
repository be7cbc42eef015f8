import type { Logger } from 'pino';
import { version } from '../../package.json';
import type { RedisClient } from '../broker/redis-clients';
import type { RoomEvent } from '../events';
import type { Metrics } from '../metrics';
import { type OutboxWebhook, WebhookOutbox } from './outbox';
import { SIGNATURE_HEADER, signature, webhookBody } from './payload';
import { WebhookQueue } from './queue';

export interface WebhookOptions {
  urls: string[];
  secret: string;
  metrics: Metrics;
  log: Logger;
  /** The Redis broker's command connection: events then go through the shared outbox. Null: memory broker. */
  redis: RedisClient | null;
}

/**
 * Tells the app's backend about room changes: every room event goes, signed, to every URL of
 * WEBHOOK_URLS, each URL with its own ordered, bounded, retrying queue (at-least-once; the event's
 * `id` lets a receiver drop repeats). Only the instance whose write made a change raises its event.
 * With Redis the event goes through the {@link WebhookOutbox} (one instance sends it, and a live one
 * takes it over when that one crashes); with the memory broker straight to the queues.
 */
export class Webhooks {
  private readonly queues: WebhookQueue[];
  private readonly outbox: WebhookOutbox | null;
  /** Events raised in the current tick (one change's), added to the outbox as one entry. */
  private batch: OutboxWebhook[] = [];

  constructor(private readonly options: WebhookOptions) {
    const headers = (body: string): Record<string, string> => ({
      'content-type': 'application/json',
      'user-agent': `switchboard/${version}`,
      [SIGNATURE_HEADER]: signature(options.secret, body),
    });
    this.queues = options.urls.map(
      (url) =>
        new WebhookQueue({
          url,
          headers,
          log: options.log,
          onOutcome: (outcome) => options.metrics.webhooks.inc({ outcome }),
        }),
    );
    this.outbox =
      options.redis === null
        ? null
        : new WebhookOutbox({
            client: options.redis,
            log: options.log,
            deliver: (webhooks) => this.deliver(webhooks),
            onDropped: () => options.metrics.webhooks.inc({ outcome: 'dropped' }),
          });
  }

  send(event: RoomEvent): void {
    const body = webhookBody(event);
    const outbox = this.outbox;
    if (outbox === null) {
      for (const queue of this.queues) queue.push(event.id, body);
      return;
    }
    // The broker raises a change's events in one synchronous loop: they share this tick.
    if (this.batch.length === 0) queueMicrotask(() => outbox.add(this.batch.splice(0)));
    this.batch.push({ id: event.id, body });
  }

  /**
   * Stops taking events and gives the queued ones up to `timeoutMs` to go out. With the outbox the
   * ones still unfinished stay in Redis for another instance.
   */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all([this.outbox?.close(timeoutMs), ...this.queues.map((queue) => queue.drain(timeoutMs))]);
  }

  /** Each URL's queue gets the webhooks in order; resolves when every queue finished the last one (each goes in turn). */
  private async deliver(webhooks: OutboxWebhook[]): Promise<void> {
    const done = (queue: WebhookQueue): Promise<void> =>
      new Promise((resolve) => webhooks.forEach(({ id, body }, i) => queue.push(id, body, i === webhooks.length - 1 ? resolve : undefined)));
    await Promise.all(this.queues.map(done));
  }
}
