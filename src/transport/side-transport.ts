import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A transport beside GraphQL on the gateway's port (Socket.IO, the PeerJS protocol): its WebSocket
 * upgrades pass the upgrade gate, its plain HTTP requests come through here.
 */
export interface SideTransport {
  /** Answers `req` when `path` is one of this transport's; false (and nothing written) otherwise. */
  serve(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Waits up to `timeoutMs` for its sockets to close (they were told 1001), then cuts the rest. */
  drain(timeoutMs: number): Promise<void>;
}
