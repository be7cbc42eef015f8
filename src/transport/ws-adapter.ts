import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { CloseCode, handleProtocols, MessageType, parseMessage, type Server } from 'graphql-ws';
import type { WebSocket, WebSocketServer } from 'ws';
import { SEND_HIGH_WATER_BYTES } from '../protocol';
import { keepAlive } from './keepalive';
import { FrameSlots } from './shared-frames';

/** What each graphql-ws context carries besides the protocol state (not the upgrade request: it would live as long as the socket). */
export interface SocketExtra {
  socket: WebSocket;
  clientIp: string;
  /** Payloads serialised before graphql-ws sends them (shared-frames.ts). */
  frames: FrameSlots;
}

/** How often an idle socket is pinged; one missed pong in this time ends it (as graphql-ws's own adapter does). */
export const KEEPALIVE_MS = 12_000;


export interface AdapterOptions {
  log: Logger;
  /** The caller's address, read from the upgrade request. */
  clientIp(request: IncomingMessage): string;
  /** Ping interval (default {@link KEEPALIVE_MS}). */
  keepAliveMs?: number;
}

/**
 * Runs graphql-ws's protocol server on a `ws` server. This does what `graphql-ws/use/ws` does —
 * subprotocol check, keep-alive pings (a socket that misses a pong is cut), closing 4500 on an
 * internal error — with four differences:
 * - `send` returns at once while the socket's buffer is below {@link SEND_HIGH_WATER_BYTES}, instead
 *   of when the write completed. graphql-ws awaits every send; waiting for the write callback put each
 *   frame of a reply (`next`, `complete`) and the recipient's event in a later turn, outside the
 *   cork/nextTick batch (coalesce.ts): 1.5 writes per relayed signal instead of 0.5. Past the mark the
 *   send waits for the write, so a subscription that outruns its socket stops pulling from its feed,
 *   which bounds what it holds.
 * - a client that sends a message only a server sends is closed 4400, logged at debug level.
 * - payloads the gateway serialised already (presence events rendered once for every subscriber of a
 *   selection) go out, one `next` message each, in place of graphql-ws's stand-in for them
 *   (shared-frames.ts).
 * - socket errors a client causes (an oversized frame, a reset) are logged at debug level instead of
 *   printed to the console; ws has already closed such a socket with the right code.
 */
export function serveGraphqlWs(wss: WebSocketServer, server: Server<SocketExtra>, options: AdapterOptions): { dispose(): void } {
  const { log, clientIp, keepAliveMs = KEEPALIVE_MS } = options;
  wss.options.handleProtocols = handleProtocols;
  wss.on('error', (error) => log.error({ err: error }, 'WebSocket server error'));
  const stopKeepAlive = keepAlive(wss, keepAliveMs);

  wss.on('connection', (socket: WebSocket, request: IncomingMessage) => {
    socket.on('error', (error) => log.debug({ err: error }, 'WebSocket closed on a socket error'));
    const frames = new FrameSlots();

    const closed = server.opened(
      {
        protocol: socket.protocol,
        send: (message) => {
          if (socket.readyState !== socket.OPEN) return;
          const resolved = frames.resolve(message);
          const data = typeof resolved === 'string' ? resolved : (resolved.pop() ?? '');
          if (typeof resolved !== 'string') for (const earlier of resolved) socket.send(earlier);
          if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) return socket.send(data);
          return new Promise<void>((resolve, reject) => socket.send(data, (error) => (error ? reject(error) : resolve())));
        },
        close: (code, reason) => socket.close(code, reason),
        onMessage: (handle) =>
          socket.on('message', (data) => {
            const text = String(data);
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
      { socket, clientIp: clientIp(request), frames },
    );
    socket.once('close', (code, reason) => void closed(code, String(reason)));
  });
  return {
    dispose: () => {
      stopKeepAlive();
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
