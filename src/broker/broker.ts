import type { DirectSignal, PeerAddress, PeerInfo, PeerSession, Delivery } from '../events';
import type { LeaveReason, PresenceMode } from '../protocol';
import type { Feed } from './feed';

/**
 * The one seam between the API and delivery. A broker keeps, per room, the roster and a log of
 * presence events, and per peer a capped mailbox of direct signals; it merges both, from a cursor,
 * into the ordered stream one peer receives. `broker/memory.ts` and `broker/redis.ts` implement it
 * and pass the same suite (`test/broker.contract.ts`).
 */
export interface Broker {
  /**
   * Appends a signal to the recipient's mailbox and wakes its live subscribers. Refuses (storing
   * nothing) when the sender or the recipient is not in the room's roster. A send repeating an
   * `idempotencyKey` of the same sender within the retention is not stored again: it answers the
   * first one's receipt. Throws {@link SessionSupersededError} when the sender's session is not the
   * one that holds its peer id.
   */
  send(room: string, signal: DirectSignal, sender: SendOptions): Promise<SendResult>;
  /**
   * Adds a peer to its room's roster; true (and a PeerConnected in the room log) when it was absent.
   * A newer session of the peer id takes the id over (with an empty mailbox); an older one throws
   * {@link SessionSupersededError} and changes nothing.
   */
  join(room: string, peer: PeerInfo, session: PeerSession): Promise<boolean>;
  /**
   * Removes a peer from its room's roster; true (and a PeerDisconnected) when it was present.
   * With `scope: 'if-mine'` only while this instance still owns the peer's connection: a peer that
   * resumed on another instance must not be removed by the grace timer of the one it left.
   */
  leave(room: string, peerId: string, reason: LeaveReason, scope: LeaveScope): Promise<boolean>;
  /** The peers in a room's roster, in join order. */
  roster(room: string): Promise<PeerInfo[]>;
  /**
   * Reserves a peer id for a new guest session for `ttlMs`; false when the id is in the roster or
   * reserved by another session.
   */
  claim(address: PeerAddress, ttlMs: number): Promise<boolean>;
  /**
   * Opens the stream for one peer: a Welcome (roster snapshot, taken atomically with the stream
   * position), then every event after `after` still retained, then live events; no gaps, no duplicates.
   * With `presence: BATCHED` joins and leaves come as PresenceBatch events (see Feed).
   */
  open(self: SessionPeer, after: string | null, presence?: PresenceMode): Promise<Feed>;
  /**
   * Called when a peer connected here has connected on another instance since; the gateway ends the
   * local connection with 4100. Never called by a single-instance broker.
   */
  onPeerMoved(handler: (address: PeerAddress) => void): void;
  /** True while the broker can accept and deliver events. */
  ready(): boolean;
  close(): Promise<void>;
}

export type SendResult = Delivery | 'sender-not-joined' | 'recipient-not-found';

/** A peer as a subscriber: who, in which room, and of which session. */
export type SessionPeer = PeerInfo & { room: string; session: PeerSession };

export interface SendOptions {
  /** The sender token's session. */
  session: PeerSession;
  /** Chosen by the client per signal and repeated on retries; null when it sent none. */
  idempotencyKey: string | null;
  /** W3C traceparent of the accepting span, stored with the signal; null when tracing is off. */
  traceparent: string | null;
}

export type LeaveScope = 'anywhere' | 'if-mine';

/** Thrown by broker operations while the broker cannot accept events; nothing was stored. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}

/** Thrown when a newer session holds the peer id the caller's token names; nothing was changed. */
export class SessionSupersededError extends Error {
  override name = 'SessionSupersededError';
}

/** Whether session `a` may take a peer id over from session `b` (docs/security.md, "Session identity"). */
export function isNewerSession(a: PeerSession, b: PeerSession): boolean {
  return a.id !== b.id && a.startedAtMs > b.startedAtMs;
}
