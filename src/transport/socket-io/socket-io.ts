import { once } from 'node:events';
import { Server as Engine } from 'engine.io';
import { Server as SocketIoServer, type Socket } from 'socket.io';
import { OperationTypeNode } from 'graphql';
import { leaveRoom, openSignals, observeDelivery, relay, validateCursor } from '../../api/signaling';
import { KeySourceUnavailableError, TokenError, type Identity } from '../../auth/tokens';
import type { Feed } from '../../broker/feed';
import type { Core } from '../../core';
import { type CodedError, codedError, refusal, unauthenticated, unavailable } from '../../errors';
import { clientIp } from '../../limits/client-ip';
import { peerKey } from '../../presence/presence';
import { CloseCode, CONNECTION_INIT_TIMEOUT_MS, ErrorCode, MAX_WS_PAYLOAD_BYTES, SOCKET_IO_PATH, SocketIoEvent } from '../../protocol';
import { wsContext } from '../context';
import { WsSession } from '../session';
import { OrderedSends } from '../ordered-sends';
import { within } from '../drain';
import type { SideTransport } from '../side-transport';
import type { UpgradeGate } from '../upgrade';
import { KEEPALIVE_MS } from '../ws-adapter';
import { isClientEvent, parseSend, seedMessage } from './messages';

/** Packets waiting in a socket's Engine.IO buffer past which its feed is not read until the buffer drains. */
const HIGH_WATER_PACKETS = 64;
/** Sends of one socket accepted and not yet answered; past this an emit is refused RATE_LIMITED at once. */
const MAX_SENDS_IN_FLIGHT = 32;
/** When a send refused for too many in flight may be tried again. */
const SENDS_RETRY_AFTER_MS = 100;
/** Engine.IO's own heartbeat: a client that misses a pong this long after a ping is cut. */
const PING_TIMEOUT_MS = 10_000;

/** What a socket carries once its middleware admitted it. */
interface Admitted {
  session: WsSession;
  feed: Feed;
}

type Ack = (reply: { id: string; at: string } | { left: boolean } | { error: CodedError }) => void;

/** A refusal as Socket.IO's `connect_error`: the message, and `data.code` for the client to act on. */
function connectError(error: unknown): Error {
  const coded = codedError(error) ?? { code: ErrorCode.Unavailable, message: 'the connection could not be set up; retry shortly' };
  return Object.assign(new Error(coded.message), { data: coded });
}

/** The socket's goodbye: a `closing` event with the WebSocket close code it stands for, then the disconnect. */
function closeWith(socket: Socket, code: number, reason: string): void {
  if (socket.connected) socket.emit(SocketIoEvent.Closing, { code, reason });
  socket.disconnect(true);
}

/**
 * Socket.IO at {@link SOCKET_IO_PATH}: a thin adapter over the signalling core the GraphQL resolvers
 * call (api/signaling.ts). The handshake's `auth.token` is verified like `connectionParams.authToken`
 * and `auth.after` resumes like `signals(after:)`; the socket is the peer's connection (a newer one
 * replaces it, `closing` 4100), its sends go through the same validators and rate limits (flooding:
 * `closing` 4129), and its feed is emitted in the seed's message format. WebSocket transport only:
 * Engine.IO's long-polling keeps each session in one process's memory, so it would need sticky
 * sessions behind a load balancer (GraphQL's `pollSignals` is the polling transport that does not).
 */
export function attachSocketIo(gate: UpgradeGate, core: Core): SideTransport {
  const log = core.log.child({ component: 'socket.io' });
  const engine = new Engine({
    transports: ['websocket'],
    allowUpgrades: false,
    maxHttpBufferSize: MAX_WS_PAYLOAD_BYTES,
    perMessageDeflate: false,
    httpCompression: false,
    pingInterval: KEEPALIVE_MS,
    pingTimeout: PING_TIMEOUT_MS,
  });
  const io = new SocketIoServer({ serveClient: false, connectTimeout: CONNECTION_INIT_TIMEOUT_MS });
  io.bind(engine);
  gate.route(SOCKET_IO_PATH, (request, socket, head) => engine.handleUpgrade(request, socket, head));

  const admitted = new WeakMap<Socket, Admitted>();

  io.use((socket, next) => {
    admit(socket).then(
      (entry) => {
        admitted.set(socket, entry);
        next();
      },
      (error: unknown) => {
        if (codedError(error) === null) log.error({ err: error }, 'Socket.IO connection could not be set up');
        next(connectError(error));
      },
    );
  });

  const admit = async (socket: Socket): Promise<Admitted> => {
    const auth: Record<string, unknown> = socket.handshake.auth;
    const token = auth['token'];
    if (typeof token !== 'string') throw unauthenticated('a valid session token is required in handshake.auth.token');
    const after = auth['after'];
    if (after !== undefined && after !== null && typeof after !== 'string') throw refusal(ErrorCode.BadUserInput, 'handshake.auth.after must be a cursor', { field: 'after' });
    const cursor = validateCursor(after);
    const identity = await verify(core, token);
    const session = new WsSession({ close: (code, reason) => closeWith(socket, code, reason) }, identity, clientIp(socket.request, core.config.trustProxy), core.connections);
    const key = peerKey(identity.room, identity.peerId);
    core.connections.register(key, session.handle, CloseCode.Replaced, 'replaced by a newer connection');
    let feed: Feed;
    try {
      feed = await openSignals(wsContext(core, session, 'socket.io'), cursor);
    } catch (error) {
      core.connections.unregister(key, session.handle);
      throw error;
    }
    // Idempotent: the feed ends once, and unregistering a handle that is no longer the peer's does nothing.
    const release = (): void => {
      void feed.return();
      core.connections.unregister(key, session.handle);
    };
    // A client gone during the checks above never gets a `disconnect`: its engine connection's close ends it.
    if (socket.conn.readyState !== 'open') release();
    else {
      socket.conn.once('close', release);
      socket.once('disconnect', release);
    }
    return { session, feed };
  };

  io.on('connection', (socket) => {
    const entry = admitted.get(socket);
    if (!entry) return void socket.disconnect(true);
    const { session, feed } = entry;
    void pump(socket, session, feed).catch((error: unknown) => {
      log.error({ err: error }, 'Socket.IO feed failed');
      socket.disconnect(true);
    });
    const sends = new OrderedSends(MAX_SENDS_IN_FLIGHT);
    let operations = 0;
    socket.onAny((event: string, ...args: unknown[]) => {
      const last = args[args.length - 1];
      const ack = typeof last === 'function' ? (last as Ack) : null;
      const refuse = (error: CodedError): void => (ack ? ack({ error }) : void socket.emit(SocketIoEvent.Error, { ...error, event }));
      if (event !== SocketIoEvent.Leave && !isClientEvent(event)) {
        return refuse({ code: ErrorCode.BadUserInput, message: `unknown event ${JSON.stringify(event).slice(0, 64)}: emit offer, answer, ice-candidate or leave` });
      }
      // Running until answered: a close asked for meanwhile (replaced, leave) waits for this reply (WsSession).
      const id = String(++operations);
      session.admit(id, OperationTypeNode.MUTATION);
      const queued = sends.enqueue(async () => {
        try {
          const ctx = wsContext(core, session, 'socket.io');
          if (event === SocketIoEvent.Leave) {
            ack?.({ left: await leaveRoom(ctx) });
            return;
          }
          const { signal, idempotencyKey } = parseSend(event, args[0], session.identity.peerId);
          const delivery = await relay(ctx, signal, idempotencyKey);
          ack?.({ id: delivery.id, at: new Date(delivery.at).toISOString() });
        } catch (error) {
          const coded = codedError(error);
          if (coded === null) log.error({ err: error, event }, 'Socket.IO send failed');
          refuse(coded ?? { code: ErrorCode.Unavailable, message: 'the signal could not be accepted; nothing was stored, retry shortly' });
        } finally {
          session.completed(id);
        }
      });
      if (!queued) {
        session.completed(id);
        session.handle.refused?.();
        refuse({ code: ErrorCode.RateLimited, message: `at most ${MAX_SENDS_IN_FLIGHT} sends in flight per socket`, retryAfterMs: SENDS_RETRY_AFTER_MS });
      }
    });
  });

  /**
   * Emits the peer's feed in order, holding back while packets wait in the socket's Engine.IO buffer
   * (it emits `drain` each time the buffer goes to the WebSocket, which is busy until its writes
   * complete): a slow reader's backlog stays in its feed, which bounds it (slow consumer, 4102).
   */
  const pump = async (socket: Socket, session: WsSession, feed: Feed): Promise<void> => {
    let buffered = 0;
    const drained = (): void => void (buffered = 0);
    socket.conn.on('drain', drained);
    try {
      for (;;) {
        const next = await feed.next();
        if (next.done) return;
        const message = seedMessage(next.value);
        observeDelivery(wsContext(core, session, 'socket.io'), next.value);
        buffered++;
        socket.emit(message.type, message);
        if (buffered >= HIGH_WATER_PACKETS) await Promise.race([once(socket.conn, 'drain'), once(socket.conn, 'close')]);
      }
    } finally {
      socket.conn.off('drain', drained);
    }
  };

  return {
    serve: (req, res, path) => {
      if (path !== SOCKET_IO_PATH) return false;
      // Engine.IO answers a long-polling attempt itself: 400, "Transport unknown".
      engine.handleRequest(req, res);
      return true;
    },
    drain: async (timeoutMs) => {
      const sockets = [...io.of('/').sockets.values()];
      for (const socket of sockets) if (!admitted.has(socket)) socket.disconnect(true);
      await within(Promise.all(sockets.map((socket) => (socket.conn.readyState === 'closed' ? undefined : once(socket.conn, 'close')))), timeoutMs);
      engine.close();
    },
  };
}

/** The token's identity; a token that could not be checked now (its key source is down) is UNAVAILABLE, not refused. */
async function verify(core: Core, token: string): Promise<Identity> {
  try {
    return await core.tokens.verify(token);
  } catch (error) {
    if (error instanceof KeySourceUnavailableError) throw unavailable('the token could not be checked (its key source is unreachable); retry shortly');
    if (error instanceof TokenError) throw refusal(error.code, error.message);
    throw error;
  }
}
