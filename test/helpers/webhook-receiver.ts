import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inbox } from './inbox';

/** One webhook as a backend receives it. */
export interface ReceivedWebhook {
  id: string;
  event: string;
  room: string;
  peer: { id: string; name: string | null } | null;
  reason?: string;
  at: string;
  /** Whether `x-switchboard-signature` was the HMAC-SHA256 of the raw body with the secret. */
  signed: boolean;
}

/**
 * A backend's webhook endpoint on a loopback port. It answers 500 to the first `failFirst` attempts
 * of each event id (a receiver that is briefly down), and to every attempt while `down`, then 204;
 * `delivered` gets each accepted one, `refused` each refused attempt.
 */
export class WebhookReceiver {
  readonly delivered = new Inbox<ReceivedWebhook>('webhooks');
  readonly refused = new Inbox<ReceivedWebhook>('refused webhooks');
  /** While true every attempt is refused (500). */
  down = false;
  /** Attempts per event id, the refused ones included. */
  readonly attempts = new Map<string, number>();

  private constructor(
    private readonly server: Server,
    private readonly secret: string,
    private readonly failFirst: number,
  ) {}

  static async start(secret: string, failFirst = 0): Promise<WebhookReceiver> {
    let receiver: WebhookReceiver | null = null;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const status = receiver?.receive(Buffer.concat(chunks).toString('utf8'), String(req.headers['x-switchboard-signature'] ?? '')) ?? 500;
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    receiver = new WebhookReceiver(server, secret, failFirst);
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hooks`;
  }

  /** The next `count` accepted webhooks of `room`, in arrival order. */
  async nextOf(room: string, count: number): Promise<ReceivedWebhook[]> {
    const got: ReceivedWebhook[] = [];
    while (got.length < count) got.push(await this.delivered.nextWhere((w) => w.room === room, undefined, `webhook ${got.length + 1} of ${room}`));
    return got;
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private receive(body: string, header: string): number {
    const expected = Buffer.from(`sha256=${createHmac('sha256', this.secret).update(body).digest('hex')}`);
    const given = Buffer.from(header);
    const hook = JSON.parse(body) as Omit<ReceivedWebhook, 'signed'>;
    const attempt = (this.attempts.get(hook.id) ?? 0) + 1;
    this.attempts.set(hook.id, attempt);
    const received = { ...hook, signed: given.length === expected.length && timingSafeEqual(given, expected) };
    if (this.down || attempt <= this.failFirst) {
      this.refused.push(received);
      return 500;
    }
    this.delivered.push(received);
    return 204;
  }
}
