import { isNewerSession } from '../broker/broker';
import type { PeerSession } from '../events';
import type { CloseCode } from '../protocol';

/** A live connection of one peer that the gateway can end: a WebSocket, or an SSE/poll stream. */
export interface ConnectionHandle {
  /** Ends the connection; on WebSocket, closes with `code`. */
  end(code: CloseCode, reason: string): void;
  /** Told each time an operation on this connection is refused for rate; a flooding socket closes itself. */
  refused?(): void;
  /** The peer refreshed its session on this connection: operations on it stay valid until `exp` (epoch seconds). */
  renew?(exp: number): void;
  /** The session of the token this connection presented: an older session never replaces a newer one. */
  session?: PeerSession;
}

/**
 * Which connection currently speaks for each peer on this instance. One token = one peer, so a newer
 * connection replaces the older one (which is told {@link CloseCode.Replaced}); that is how a client
 * that lost its socket takes its place back without waiting for the old socket to time out.
 */
export class ConnectionRegistry {
  private readonly byPeer = new Map<string, ConnectionHandle>();

  /** @param onEnded called for every connection the gateway ends itself, with the close code (metrics). */
  constructor(private readonly onEnded: (code: CloseCode) => void = () => undefined) {}

  /** Ends one connection, registered or not, and counts it. */
  close(handle: ConnectionHandle, code: CloseCode, reason: string): void {
    this.onEnded(code);
    handle.end(code, reason);
  }

  /**
   * Makes `handle` the peer's connection; returns the one it replaced, already told to end. A handle
   * of an older session than the current one's does not replace it: it is ended itself instead.
   */
  register(peerKey: string, handle: ConnectionHandle, replacedCode: CloseCode, reason: string): ConnectionHandle | undefined {
    const previous = this.byPeer.get(peerKey);
    if (previous?.session && handle.session && isNewerSession(previous.session, handle.session)) {
      this.close(handle, replacedCode, 'a newer session holds this peer id');
      return undefined;
    }
    this.byPeer.set(peerKey, handle);
    if (previous && previous !== handle) this.close(previous, replacedCode, reason);
    return previous;
  }

  /** Forgets `handle` if it is still the peer's connection. */
  unregister(peerKey: string, handle: ConnectionHandle): void {
    if (this.byPeer.get(peerKey) === handle) this.byPeer.delete(peerKey);
  }

  /** Ends the peer's connection, if any (leaveRoom, shutdown). */
  end(peerKey: string, code: CloseCode, reason: string): void {
    const handle = this.byPeer.get(peerKey);
    if (!handle) return;
    this.byPeer.delete(peerKey);
    this.close(handle, code, reason);
  }

  endAll(code: CloseCode, reason: string): void {
    for (const handle of this.byPeer.values()) this.close(handle, code, reason);
    this.byPeer.clear();
  }

  get size(): number {
    return this.byPeer.size;
  }
}
