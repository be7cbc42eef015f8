import type { WebSocket, WebSocketServer } from 'ws';
import { CloseCode } from '../protocol';

/** Resolves when `done` does or `timeoutMs` passed, whichever is first. */
export async function within(done: Promise<unknown>, timeoutMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([done, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
  clearTimeout(timer);
}

/**
 * Shutdown of a `ws` server: sockets without a session are told 1001 here (those with one were told by
 * the connection registry, after any reply in flight); all get `timeoutMs` to close, then the rest are cut.
 */
export async function drainSockets(wss: WebSocketServer, hasSession: (socket: WebSocket) => boolean, timeoutMs: number): Promise<void> {
  for (const client of wss.clients) if (!hasSession(client)) client.close(CloseCode.GoingAway, 'server shutting down');
  await within(Promise.all([...wss.clients].map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())))), timeoutMs);
  for (const client of wss.clients) client.terminate();
}
