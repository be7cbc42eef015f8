import type { Logger } from 'pino';
import type { RedisClient } from './redis-clients';

type Handler = (message: unknown) => void;

/**
 * Sharded pub/sub channels (SSUBSCRIBE, Redis 7: on a Cluster each on the shard that owns its slot)
 * on one subscriber client, each with its local handlers; a channel is
 * subscribed while it has one. Every Redis reply is handled here: a SUBSCRIBE or UNSUBSCRIBE that
 * fails or times out (Redis stalled, connection down) must never become an unhandled rejection, which
 * would end the process. (graphql-redis-subscriptions leaves its UNSUBSCRIBE's promise unhandled.)
 */
export class RedisChannels {
  private readonly handlers = new Map<string, Set<Handler>>();
  /** SUBSCRIBEs sent and not answered yet, by channel. */
  private readonly confirming = new Map<string, Promise<unknown>>();
  /** Channels let go while their UNSUBSCRIBE could not be sent or failed: ioredis resubscribes them on reconnect. */
  private readonly stale = new Set<string>();

  constructor(
    private readonly connection: RedisClient,
    private readonly log: Logger,
  ) {
    connection.on('smessage', (channel: string, text: string) => this.dispatch(channel, text));
    connection.on('ready', () => {
      for (const channel of [...this.stale]) if (!this.handlers.has(channel)) this.drop(channel);
    });
  }

  /** Adds `handler` to `channel`; resolves once Redis confirmed the subscription (rejects if it did not). */
  async subscribe(channel: string, handler: Handler): Promise<() => void> {
    let set = this.handlers.get(channel);
    const fresh = !set;
    if (!set) {
      set = new Set();
      this.handlers.set(channel, set);
    }
    set.add(handler);
    this.stale.delete(channel);
    const release = (): void => this.release(channel, handler);
    // A handler that joins a channel whose SUBSCRIBE is still on its way waits for it too: a caller
    // reads its snapshot once this resolves, and a message published before Redis took the SUBSCRIBE
    // would reach neither (seen in join storms: a few members of a room never heard of some joins).
    let confirmed = this.confirming.get(channel);
    if (fresh) {
      confirmed = this.connection.ssubscribe(channel);
      this.confirming.set(channel, confirmed);
      const forget = (): void => {
        if (this.confirming.get(channel) === confirmed) this.confirming.delete(channel);
      };
      confirmed.then(forget, forget);
    }
    if (confirmed) {
      try {
        await confirmed;
      } catch (error) {
        release();
        throw error;
      }
    }
    return release;
  }

  /** The channels that have handlers, to subscribe again after a reconnect. */
  get channels(): string[] {
    return [...this.handlers.keys()];
  }

  private release(channel: string, handler: Handler): void {
    const set = this.handlers.get(channel);
    if (!set?.delete(handler) || set.size > 0) return;
    this.handlers.delete(channel);
    this.drop(channel);
  }

  private drop(channel: string): void {
    this.stale.add(channel);
    if (this.connection.status !== 'ready') return;
    this.connection.sunsubscribe(channel).then(
      () => this.stale.delete(channel),
      (error: unknown) => this.log.debug({ err: error, channel }, 'unsubscribe failed; retried after the next reconnect'),
    );
  }

  private dispatch(channel: string, text: string): void {
    const set = this.handlers.get(channel);
    if (!set) return;
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      this.log.warn({ channel }, 'unparseable pub/sub message ignored');
      return;
    }
    for (const handler of set) handler(message);
  }
}
