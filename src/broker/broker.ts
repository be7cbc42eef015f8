import type { DirectSignal, PeerAddress, PeerInfo, Delivery } from '../events';
import type { LeaveReason } from '../protocol';
import type { Feed } from './feed';

/**
 * The one seam between the API and delivery. A broker keeps, per room, the roster and a log of
 * presence events, and per peer a capped mailbox of direct signals; it merges both, from a cursor,
 * into the ordered stream one peer receives. `broker/memory.ts` and `broker/redis.ts` implement it
 * and pass the same suite (`test/broker.contract.ts`).
 */
export interface Broker {
  /**
   * Appends a signal to the recipient's mailbox and wakes its live subscribers.
   * Resolves to null when the recipient is not in the sender's room's roster.
   */
  send(room: string, signal: DirectSignal): Promise<Delivery | null>;
  /** Adds a peer to its room's roster; true (and a PeerConnected in the room log) when it was absent. */
  join(room: string, peer: PeerInfo): Promise<boolean>;
  /** Removes a peer from its room's roster; true (and a PeerDisconnected) when it was present. */
  leave(room: string, peerId: string, reason: LeaveReason): Promise<boolean>;
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
   */
  open(self: PeerInfo & { room: string }, after: string | null): Promise<Feed>;
  /** True while the broker can accept and deliver events. */
  ready(): boolean;
  close(): Promise<void>;
}

/** Thrown by broker operations while the broker cannot accept events; nothing was stored. */
export class BrokerUnavailableError extends Error {
  override name = 'BrokerUnavailableError';
}
