import type { WebSocket, WebSocketServer } from 'ws';

/**
 * Pings every socket of `wss` each `intervalMs` and cuts one that did not answer the previous ping (as
 * graphql-ws's own adapter does). One timer for every socket; it does not keep the process alive.
 * Returns what stops it.
 */
export function keepAlive(wss: WebSocketServer, intervalMs: number): () => void {
  const unanswered = new WeakSet<WebSocket>();
  function answered(this: WebSocket): void {
    unanswered.delete(this);
  }
  wss.on('connection', (socket: WebSocket) => socket.on('pong', answered));
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      if (unanswered.has(socket)) {
        socket.terminate();
      } else if (socket.readyState === socket.OPEN) {
        unanswered.add(socket);
        socket.ping();
      }
    }
  }, intervalMs);
  sweep.unref();
  return () => clearInterval(sweep);
}
