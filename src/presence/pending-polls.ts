/** A long poll's hold on its peer's one pending-poll slot. */
export interface PollHold {
  /** Aborts when a newer poll of the same peer takes the slot: the older one answers at once. */
  signal: AbortSignal;
  /** Gives the slot back (if this poll still holds it) once the poll has answered. */
  release(): void;
}

/**
 * The long poll each peer holds on this instance: at most one, by construction. A newer
 * poll of the same peer ends the older one with an empty batch and its cursor, as a newer WebSocket
 * replaces an older one: a client whose poll was cut by a proxy simply polls again, and a client that
 * fires thousands of polls holds one, not thousands.
 */
export class PendingPolls {
  private readonly byPeer = new Map<string, AbortController>();

  hold(peerKey: string): PollHold {
    this.byPeer.get(peerKey)?.abort();
    const controller = new AbortController();
    this.byPeer.set(peerKey, controller);
    return {
      signal: controller.signal,
      release: () => {
        if (this.byPeer.get(peerKey) === controller) this.byPeer.delete(peerKey);
      },
    };
  }

  /** Peers with a pending poll (tests, metrics). */
  get size(): number {
    return this.byPeer.size;
  }
}
