import type { Logger } from 'pino';
import type { Broker } from '../broker/broker';
import type { PeerInfo, PeerSession } from '../events';
import { LeaveReason } from '../protocol';

/** A peer identified with its room and session, as presence tracks it. */
export type RoomPeer = PeerInfo & { room: string; session: PeerSession };

/** A departure that could not be announced (broker down) is tried again this often… */
const LEAVE_RETRY_MS = 2_000;
/** …this many times; past that the instance lease's expiry announces it (if this instance dies) or a later leave does. */
const LEAVE_RETRIES = 30;

export function peerKey(room: string, peer: string): string {
  return `${room}/${peer}`;
}

/**
 * Decides when a peer is connected. A peer joins its room's roster with its first live subscription
 * on this instance and leaves it `graceMs` after its last one ends, unless one starts again in
 * between; so a client that reconnects inside the grace causes no PeerDisconnected/PeerConnected churn.
 */
export class Presence {
  private readonly live = new Map<string, number>();
  private readonly graceTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly broker: Broker,
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {}

  /** Counts one live subscription of `peer`; the returned function ends it (idempotent). */
  async attach(peer: RoomPeer): Promise<() => void> {
    const key = peerKey(peer.room, peer.id);
    const count = (this.live.get(key) ?? 0) + 1;
    this.live.set(key, count);
    this.cancelGrace(key);
    let attached = true;
    const detach = (): void => {
      if (!attached) return;
      attached = false;
      this.release(key, peer);
    };
    if (count === 1) {
      try {
        if (await this.broker.join(peer.room, { id: peer.id, name: peer.name }, peer.session)) {
          this.log.info({ room: peer.room, peer: peer.id }, 'peer connected');
        }
      } catch (error) {
        detach();
        throw error;
      }
    }
    return detach;
  }

  /** `leaveRoom`: the peer leaves at once, whatever its subscriptions. */
  async leave(peer: RoomPeer): Promise<boolean> {
    this.cancelGrace(peerKey(peer.room, peer.id));
    const left = await this.broker.leave(peer.room, peer.id, LeaveReason.Left, 'anywhere');
    if (left) this.log.info({ room: peer.room, peer: peer.id }, 'peer left');
    return left;
  }

  /** Number of peers with a live subscription on this instance. */
  get connectedPeers(): number {
    return this.live.size;
  }

  /** Number of rooms with a peer live on this instance (counted when asked: a metrics scrape). */
  get connectedRooms(): number {
    const rooms = new Set<string>();
    for (const key of this.live.keys()) rooms.add(key.slice(0, key.indexOf('/')));
    return rooms.size;
  }

  close(): void {
    for (const timer of this.graceTimers.values()) clearTimeout(timer);
    this.graceTimers.clear();
  }

  private release(key: string, peer: RoomPeer): void {
    const count = (this.live.get(key) ?? 1) - 1;
    if (count > 0) {
      this.live.set(key, count);
      return;
    }
    this.live.delete(key);
    this.scheduleLeave(key, peer, this.graceMs, LEAVE_RETRIES);
  }

  /**
   * Announces the peer gone after `delayMs` unless it attaches again; a failed announcement (broker
   * down) is retried, so a peer whose join took effect while it was answered UNAVAILABLE does not stay
   * in the roster for good.
   */
  private scheduleLeave(key: string, peer: RoomPeer, delayMs: number, retries: number): void {
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      this.broker.leave(peer.room, peer.id, LeaveReason.Timeout, 'if-mine').then(
        (left) => left && this.log.info({ room: peer.room, peer: peer.id }, 'peer timed out'),
        (error: unknown) => {
          this.log.warn({ room: peer.room, peer: peer.id, err: error }, 'could not announce departure; will retry');
          if (retries > 0 && !this.live.has(key) && !this.graceTimers.has(key)) this.scheduleLeave(key, peer, LEAVE_RETRY_MS, retries - 1);
        },
      );
    }, delayMs);
    timer.unref();
    this.graceTimers.set(key, timer);
  }

  private cancelGrace(key: string): void {
    const timer = this.graceTimers.get(key);
    if (timer) {
      clearTimeout(timer);
      this.graceTimers.delete(key);
    }
  }
}
