import { MAX_PEERJS_HELD_SIGNALS } from '../../protocol';

/**
 * Signals one PeerJS socket sent to a peer that is not in the room yet. peerjs-server keeps such
 * messages for the recipient and tells the sender EXPIRE when it does not connect in time; here the
 * sender's socket holds them (so the recipient may appear on any instance) and sends them again when
 * its feed announces the recipient (PeerConnected), or calls `onExpire` after `expireMs`. Bounded:
 * past {@link MAX_PEERJS_HELD_SIGNALS} a signal expires at once.
 */
export class HeldSignals {
  private readonly byPeer = new Map<string, { retries: Array<() => void>; timer: NodeJS.Timeout }>();
  private count = 0;

  constructor(
    private readonly expireMs: number,
    private readonly onExpire: (peer: string) => void,
  ) {}

  /** Holds `retry` for `peer`; false (nothing held) when the bound is reached. */
  hold(peer: string, retry: () => void): boolean {
    if (this.count >= MAX_PEERJS_HELD_SIGNALS) return false;
    let held = this.byPeer.get(peer);
    if (!held) {
      const timer = setTimeout(() => {
        this.drop(peer);
        this.onExpire(peer);
      }, this.expireMs);
      timer.unref();
      held = { retries: [], timer };
      this.byPeer.set(peer, held);
    }
    held.retries.push(retry);
    this.count++;
    return true;
  }

  /** `peer` is in the room now: its held signals are sent again, in the order they came. */
  appeared(peer: string): void {
    const held = this.drop(peer);
    for (const retry of held) retry();
  }

  clear(): void {
    for (const peer of [...this.byPeer.keys()]) this.drop(peer);
  }

  private drop(peer: string): Array<() => void> {
    const held = this.byPeer.get(peer);
    if (!held) return [];
    clearTimeout(held.timer);
    this.byPeer.delete(peer);
    this.count -= held.retries.length;
    return held.retries;
  }
}
