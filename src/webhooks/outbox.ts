import { randomBytes } from 'node:crypto';
import { Cluster } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisClient } from '../broker/redis-clients';
import { WEBHOOK_GROUP, WEBHOOK_OUTBOX_KEY } from '../broker/redis-keys';
import { MAX_WEBHOOK_IN_FLIGHT, MAX_WEBHOOK_OUTBOX_EVENTS, WEBHOOK_CLAIM_IDLE_MS } from '../protocol';

export interface OutboxOptions {
  /** The broker's command connection: XADD goes out on it right after the script that raised the event. */
  client: RedisClient;
  log: Logger;
  /** POSTs webhooks, in order, to every URL; resolves once each has them or gave them up. */
  deliver: (webhooks: OutboxWebhook[]) => Promise<void>;
  /** An event lost here (its XADD failed, or MAXLEN trimmed it before it went out). */
  onDropped: () => void;
}

/** A read waits this long for new entries before it is sent again (under the command timeout). */
const READ_BLOCK_MS = 1_000;
/** Entries in flight are touched this often, so no live instance's work looks abandoned. */
const TOUCH_MS = WEBHOOK_CLAIM_IDLE_MS / 5;
/** Pause before reading again after Redis refused a read (it is away, or lost the group). */
const READ_RETRY_MS = 250;
/** A consumer with nothing pending, idle this long (its instance is gone), is removed from the group. */
const FORGET_CONSUMER_IDLE_MS = 60_000;
/** Consumers are looked at on one maintenance round in this many. */
const FORGET_EVERY_ROUNDS = 30;

/**
 * The webhook outbox on Redis: the instance that raised an event XADDs it to one capped stream;
 * every instance reads it through one consumer group (its own consumer), POSTs what it read and
 * XACKs it once every URL has it or gave it up. Entries in flight are touched (XCLAIM JUSTID) while
 * they are worked on; one left untouched past {@link WEBHOOK_CLAIM_IDLE_MS} — its instance crashed —
 * is taken over by a live one (XAUTOCLAIM), so an event survives the instance that raised it.
 */
export class WebhookOutbox {
  private readonly consumer = randomBytes(6).toString('hex');
  /** Blocking reads get their own connection; acks, touches and take-overs use the second one. */
  private readonly reader: RedisClient;
  private readonly control: RedisClient;
  /** Stream entry ids this instance works on. */
  private readonly inFlight = new Set<string>();
  private readonly touching: NodeJS.Timeout;
  private claimCursor = '0-0';
  private rounds = 0;
  private groupReady = false;
  private closed = false;
  private roomFreed: (() => void) | null = null;

  constructor(private readonly options: OutboxOptions) {
    this.reader = duplicate(options.client);
    this.control = duplicate(options.client);
    for (const connection of [this.reader, this.control]) connection.on('error', (error: Error) => options.log.debug({ err: error.message }, 'webhook outbox: redis error'));
    this.touching = setInterval(() => void this.maintain(), TOUCH_MS);
    this.touching.unref();
    void this.readLoop();
  }

  /**
   * Stores the webhooks of one change (`peer.left` and its `room.ended`) as one entry, so one
   * instance sends them, in order. An XADD that fails loses them (counted).
   */
  add(webhooks: OutboxWebhook[]): void {
    const fields = webhooks.flatMap(({ id, body }) => [id, body]);
    this.options.client.xadd(WEBHOOK_OUTBOX_KEY, 'MAXLEN', '~', MAX_WEBHOOK_OUTBOX_EVENTS, '*', ...fields).catch((error: unknown) => {
      webhooks.forEach(() => this.options.onDropped());
      this.options.log.warn({ webhooks: webhooks.map((w) => w.id), err: error instanceof Error ? error.message : error }, 'webhook outbox: events not stored, dropped');
    });
  }

  /**
   * Stops reading and taking over; gives what is in flight up to `timeoutMs`, acks what finished,
   * and leaves the rest pending for another instance to take over.
   */
  async close(timeoutMs: number): Promise<void> {
    this.closed = true;
    this.roomFreed?.();
    this.reader.disconnect();
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) await this.freed(deadline - Date.now());
    clearInterval(this.touching);
    await this.control.quit().catch(() => undefined);
    this.control.disconnect();
  }

  private async readLoop(): Promise<void> {
    while (!this.closed) {
      if (this.inFlight.size >= MAX_WEBHOOK_IN_FLIGHT) {
        await this.freed(TOUCH_MS);
        continue;
      }
      try {
        if (!this.groupReady) await this.createGroup();
        const count = MAX_WEBHOOK_IN_FLIGHT - this.inFlight.size;
        const reply = await this.reader.xreadgroup('GROUP', WEBHOOK_GROUP, this.consumer, 'COUNT', count, 'BLOCK', READ_BLOCK_MS, 'STREAMS', WEBHOOK_OUTBOX_KEY, '>');
        for (const [, entries] of parseStreams(reply)) for (const entry of entries) this.take(entry);
      } catch (error) {
        if (this.closed) return;
        if (error instanceof Error && error.message.startsWith('NOGROUP')) this.groupReady = false;
        this.options.log.debug({ err: error instanceof Error ? error.message : error }, 'webhook outbox: read failed; reading again');
        await new Promise((resolve) => setTimeout(resolve, READ_RETRY_MS).unref());
      }
    }
  }

  /** Creates the group (and the stream) from its start: entries added before the first reader are read too. */
  private async createGroup(): Promise<void> {
    await this.reader.xgroup('CREATE', WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP, '0', 'MKSTREAM').catch((error: unknown) => {
      if (!(error instanceof Error && error.message.startsWith('BUSYGROUP'))) throw error;
    });
    this.groupReady = true;
  }

  private take(entry: OutboxEntry): void {
    if (this.inFlight.has(entry.entryId)) return;
    this.inFlight.add(entry.entryId);
    void this.options.deliver(entry.webhooks).then(() => this.ack(entry.entryId));
  }

  /** A failed ack leaves the entry pending: another instance takes it over and sends it again (at-least-once). */
  private async ack(entryId: string): Promise<void> {
    await this.control.xack(WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP, entryId).catch((error: unknown) => {
      this.options.log.warn({ entry: entryId, err: error instanceof Error ? error.message : error }, 'webhook outbox: ack failed; the event may be sent again');
    });
    this.inFlight.delete(entryId);
    this.roomFreed?.();
  }

  /** Touches this instance's entries in flight (also while it drains), then takes over entries whose consumer went quiet. */
  private async maintain(): Promise<void> {
    if (!this.groupReady) return;
    try {
      if (this.inFlight.size > 0) await this.control.xclaim(WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP, this.consumer, 0, ...this.inFlight, 'JUSTID');
      if (this.closed) return;
      const room = MAX_WEBHOOK_IN_FLIGHT - this.inFlight.size;
      if (room <= 0) return;
      const reply = await this.control.xautoclaim(WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP, this.consumer, WEBHOOK_CLAIM_IDLE_MS, this.claimCursor, 'COUNT', room);
      const [cursor, claimed, deleted] = reply;
      this.claimCursor = typeof cursor === 'string' ? cursor : '0-0';
      const entries = parseEntries(claimed);
      if (entries.length > 0) this.options.log.info({ entries: entries.length }, 'webhook outbox: took over events an instance left undelivered');
      for (const entry of entries) this.take(entry);
      // Pending entries MAXLEN trimmed before they were acked: lost, counted.
      for (let i = 0; i < (Array.isArray(deleted) ? deleted.length : 0); i++) this.options.onDropped();
      if (++this.rounds % FORGET_EVERY_ROUNDS === 0) await this.forgetGoneConsumers();
    } catch (error) {
      this.options.log.debug({ err: error instanceof Error ? error.message : error }, 'webhook outbox: touch or take-over failed; trying again');
    }
  }

  /** Every start adds a consumer to the group: the ones of instances long gone, with nothing pending, are removed. */
  private async forgetGoneConsumers(): Promise<void> {
    const consumers = await this.control.xinfo('CONSUMERS', WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP);
    for (const consumer of Array.isArray(consumers) ? (consumers as unknown[]) : []) {
      if (!Array.isArray(consumer)) continue;
      const field = (name: string): unknown => consumer[consumer.indexOf(name) + 1];
      const name = field('name');
      if (typeof name === 'string' && name !== this.consumer && field('pending') === 0 && Number(field('idle')) > FORGET_CONSUMER_IDLE_MS) {
        await this.control.xgroup('DELCONSUMER', WEBHOOK_OUTBOX_KEY, WEBHOOK_GROUP, name);
      }
    }
  }

  /** Resolves when an entry in flight finishes, or after `ms`. */
  private freed(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.roomFreed = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.roomFreed = done;
    });
  }
}

/** One webhook as the outbox holds it: its id and the JSON body every URL gets. */
export interface OutboxWebhook {
  id: string;
  body: string;
}

interface OutboxEntry {
  entryId: string;
  webhooks: OutboxWebhook[];
}

/** A connection like `client` (same target and options), for the outbox alone. */
function duplicate(client: RedisClient): RedisClient {
  return client instanceof Cluster ? client.duplicate() : client.duplicate();
}

/** XREADGROUP's reply: `[[stream, entries]]`, or null when the block timed out. */
function parseStreams(reply: unknown): Array<[string, OutboxEntry[]]> {
  if (!Array.isArray(reply)) return [];
  return reply.map((stream: unknown) => (Array.isArray(stream) ? [String(stream[0]), parseEntries(stream[1])] : ['', []]));
}

/** Stream entries `[[entryId, [webhook id, body, …]]]` (XAUTOCLAIM gives null for a deleted one: skipped). */
function parseEntries(entries: unknown): OutboxEntry[] {
  if (!Array.isArray(entries)) return [];
  const parsed: OutboxEntry[] = [];
  for (const entry of entries as unknown[]) {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string' || !Array.isArray(entry[1])) continue;
    const fields = (entry[1] as unknown[]).map(String);
    const webhooks: OutboxWebhook[] = [];
    for (let i = 0; i + 1 < fields.length; i += 2) webhooks.push({ id: fields[i] ?? '', body: fields[i + 1] ?? '' });
    parsed.push({ entryId: entry[0], webhooks });
  }
  return parsed;
}
