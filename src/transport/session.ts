import type { GraphQLError, OperationTypeNode } from 'graphql';
import { PeerRemovedError, SessionSupersededError } from '../broker/broker';
import { type Feed, SlowConsumerError } from '../broker/feed';
import type { Identity } from '../auth/tokens';
import { refusal } from '../errors';
import type { ConnectionHandle, ConnectionRegistry } from '../presence/connections';
import { CloseCode, ErrorCode, FLOOD_CLOSE_AFTER_REFUSALS, FLOOD_WINDOW_MS, MAX_SUBSCRIPTIONS_PER_CONNECTION, SUBSCRIPTION_RETRY_AFTER_MS } from '../protocol';


/** The part of a socket a session needs: closing it. */
export interface Closable {
  close(code: number, reason: string): void;
}

/**
 * One acknowledged WebSocket: whom it speaks for, what runs on it, and how the gateway ends it. A
 * close the gateway asks for while a query or mutation is still running waits for that reply (a
 * replaced peer's last `sendOffer` is still answered).
 */
export class WsSession {
  /** Ids of live subscriptions. */
  private readonly subscriptions = new Set<string>();
  /** Ids of queries and mutations still running. */
  private readonly running = new Set<string>();
  /** When this socket's recent operations were refused for rate (flood detection). */
  private refusals: number[] = [];
  private pendingClose: { code: number; reason: string } | null = null;
  /** This socket as the peer's connection (see ConnectionRegistry). */
  readonly handle: ConnectionHandle;

  constructor(
    private readonly socket: Closable,
    public identity: Identity,
    readonly clientIp: string,
    private readonly connections: ConnectionRegistry,
  ) {
    this.handle = {
      session: identity.session,
      renew: (exp) => {
        this.identity = { ...this.identity, exp };
      },
      end: (code, reason) => {
        if (this.running.size > 0) this.pendingClose = { code, reason };
        else this.socket.close(code, reason);
      },
      refused: () => this.refused(),
    };
  }

  /** Whether an operation under `id` has not ended yet (its onComplete has not run). */
  holds(id: string): boolean {
    return this.running.has(id) || this.subscriptions.has(id);
  }

  /**
   * Takes an operation under `id`, or refuses it past the per-connection limit when it holds a stream:
   * a subscription, or a query that holds a long poll (`holdsStream`), which waits as long as one.
   */
  admit(id: string, kind: OperationTypeNode, holdsStream = kind === 'subscription'): GraphQLError | null {
    if (holdsStream) {
      if (this.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
        return refusal(ErrorCode.RateLimited, `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`, {
          retryAfterMs: SUBSCRIPTION_RETRY_AFTER_MS,
        });
      }
      this.subscriptions.add(id);
    }
    if (kind !== 'subscription') this.running.add(id);
    return null;
  }

  /** An operation ended (graphql-ws's onComplete): a close that waited for its reply can go now. */
  completed(id: string): void {
    this.subscriptions.delete(id);
    if (!this.running.delete(id)) return;
    const pending = this.pendingClose;
    // onComplete runs before graphql-ws writes `complete`: the close follows it on the next turn.
    if (pending && this.running.size === 0) setImmediate(() => this.socket.close(pending.code, pending.reason));
  }

  /**
   * On WebSocket the socket is the peer's connection; a feed that fell too far behind closes it 4102,
   * one ended because a newer session took the peer id closes it 4100, one whose peer the backend
   * removed closes it 4101 (see GatewayContext.adoptFeed).
   */
  readonly adoptFeed = (feed: Feed): void => {
    feed.onClose(() => {
      if (feed.endedBy instanceof SlowConsumerError) {
        this.connections.close(this.handle, CloseCode.SlowConsumer, 'slow consumer: resume from your last cursor');
      } else if (feed.endedBy instanceof SessionSupersededError) {
        this.connections.close(this.handle, CloseCode.Replaced, 'a newer session holds this peer id');
      } else if (feed.endedBy instanceof PeerRemovedError) {
        this.connections.close(this.handle, CloseCode.SessionEnded, 'session ended: removed by the backend');
      }
    });
  };

  private refused(): void {
    const now = Date.now();
    this.refusals = this.refusals.filter((t) => now - t < FLOOD_WINDOW_MS);
    this.refusals.push(now);
    if (this.refusals.length >= FLOOD_CLOSE_AFTER_REFUSALS) {
      this.refusals = [];
      this.connections.close(this.handle, CloseCode.Flooding, 'flooding: too many requests over the rate limit');
    }
  }
}
