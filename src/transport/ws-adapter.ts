import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { CloseCode, handleProtocols, MessageType, parseMessage, type Server } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';

/** What each graphql-ws context carries besides the protocol state (not the upgrade request: it would live as long as the socket). */
export interface SocketExtra {
  socket: WebSocket;
  clientIp: string;
}

/** How often an idle socket is pinged; one missed pong in this time ends it (as graphql-ws's own adapter does). */
export const KEEPALIVE_MS = 12_000;

export interface AdapterOptions {
  log: Logger;
  /** The caller's address, read from the upgrade request. */
  clientIp(request: IncomingMessage): string;
  /**
   * Sees every text frame first; returning true means it answered the frame itself and the protocol
   * server does not see it.
   */
  intercept(socket: WebSocket, text: string): boolean;
  /** Ping interval (default {@link KEEPALIVE_MS}). */
  keepAliveMs?: number;
}

/**
 * Runs graphql-ws's protocol server on a `ws` server. This does what `graphql-ws/use/ws` does —
 * subprotocol check, keep-alive pings (a socket that misses a pong is cut), closing 4500 on an
 * internal error — with two differences: a frame can be answered before the protocol server parses it
 * (see {@link AdapterOptions.intercept}), and socket errors a client causes (an oversized frame, a
 * reset) are logged at debug level instead of printed to the console; ws has already closed such a
 * socket with the right code.
 */
export function serveGraphqlWs(wss: WebSocketServer, server: Server<SocketExtra>, options: AdapterOptions): { dispose(): void } {
  const { log, intercept, clientIp, keepAliveMs = KEEPALIVE_MS } = options;
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => log.error({ err: error }, 'WebSocket server error'));
  // One timer for every socket: each sweep cuts the sockets that did not answer the previous ping.
  const unanswered = new WeakSet<WebSocket>();
  function answered(this: WebSocket): void {
    unanswered.delete(this);
  }
  const sweep = setInterval(() => {
    for (const socket of wss.clients) {
      if (unanswered.has(socket)) {
        socket.terminate();
      } else if (socket.readyState === socket.OPEN) {
        unanswered.add(socket);
        socket.ping();
      }
    }
  }, keepAliveMs);
  // The listening server keeps the process alive, not this.
  sweep.unref();

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', (error) => log.debug({ err: error }, 'WebSocket closed on a socket error'));
    socket.on('pong', answered);

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (data) =>
          new Promise((resolve, reject) => {
            if (socket.readyState !== socket.OPEN) return resolve();
            socket.send(data, (error) => (error ? reject(error) : resolve()));
          }),
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            const text = String(data);
            if (intercept(socket, text)) return;
            handle(text).catch((error: unknown) => {
              const misuse = serverOnlyType(text);
              if (misuse !== null) {
                log.debug({ type: misuse }, 'WebSocket closed: the client sent a message only a server sends');
                socket.close(CloseCode.BadRequest, `Unexpected message of type ${misuse} received`);
                return;
              }
              log.error({ err: error }, 'internal error handling a WebSocket message');
              socket.close(CloseCode.InternalServerError, 'Internal server error');
            });
          }),
      },
      { socket, clientIp: clientIp(request) },
    );
    socket.once('close', (code, reason) => void closed(code, String(reason)));
  });
  return {
    dispose: () => {
      clearInterval(sweep);
      wss.removeAllListeners('connection');
    },
  };
}

/** Messages of the protocol that only a server sends. */
const SERVER_ONLY_TYPES: ReadonlySet<string> = new Set([MessageType.ConnectionAck, MessageType.Next, MessageType.Error]);

/**
 * The type of a well-formed message only a server may send, or null. graphql-ws accepts such a message
 * as valid and then rejects its handler with a plain Error, which would otherwise read as an internal
 * failure (4500, error log); only this failure path parses the frame again.
 */
function serverOnlyType(text: string): string | null {
  try {
    const { type } = parseMessage(text);
    return SERVER_ONLY_TYPES.has(type) ? type : null;
  } catch {
    return null;
  }
}
