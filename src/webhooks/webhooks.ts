import type { Logger } from 'pino';
import { version } from '../../package.json';
import type { RoomEvent } from '../events';
import type { Metrics } from '../metrics';
import { SIGNATURE_HEADER, signature, webhookBody } from './payload';
import { WebhookQueue } from './queue';

export interface WebhookOptions {
  urls: string[];
  secret: string;
  metrics: Metrics;
  log: Logger;
}

/**
 * Tells the app's backend about room changes: every room event goes, signed, to every URL of
 * WEBHOOK_URLS, each URL with its own ordered, bounded, retrying queue (at-least-once while this
 * instance runs; the event's `id` lets a receiver drop repeats). Only the instance whose write made
 * a change raises its event, so with several instances on one Redis each event is sent once.
 */
export class Webhooks {
  private readonly queues: WebhookQueue[];

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
  }

  send(event: RoomEvent): void {
    const body = webhookBody(event);
    for (const queue of this.queues) queue.push(event.id, body);
  }

  /** Stops taking events and gives the queued ones up to `timeoutMs` to go out. */
  async close(timeoutMs: number): Promise<void> {
    await Promise.all(this.queues.map((queue) => queue.drain(timeoutMs)));
  }
}
