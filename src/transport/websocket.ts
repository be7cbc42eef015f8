import { GraphQLError, type ExecutionArgs, type ExecutionResult, getOperationAST, parse } from 'graphql';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { coalesceWrites } from './coalesce';
import { CloseCode as ProtocolCloseCode, type Context as ProtocolContext, makeServer, MessageType, type OperationResult } from 'graphql-ws';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '../../client/operations';
import { PreparedOperations, type PreparedOperation } from './prepared';
import { serveGraphqlWs, type SocketExtra } from './ws-adapter';
import { wsContext } from './context';
import { WebSocketServer, type WebSocket } from 'ws';
import { TokenError, type Identity } from '../auth/tokens';
import type { Core } from '../core';
import type { ConnectionHandle } from '../presence/connections';
import { peerKey } from '../presence/presence';
import { refusal } from '../errors';
import { clientIp } from '../limits/client-ip';
import {
  CloseCode,
  CONNECTION_INIT_TIMEOUT_MS,
  ErrorCode,
  FLOOD_CLOSE_AFTER_REFUSALS,
  FLOOD_WINDOW_MS,
  MAX_SUBSCRIPTIONS_PER_CONNECTION,
  MAX_WS_PAYLOAD_BYTES,
} from '../protocol';
import type { WsInitialContext } from './context';

/** What yoga contributes to an operation, whichever transport carries it. */
export interface Enveloped {
  getEnveloped: (initial: Partial<WsInitialContext>) => {
    schema: ExecutionArgs['schema'];
    parse: (source: string) => ExecutionArgs['document'];
    validate: (schema: ExecutionArgs['schema'], document: ExecutionArgs['document']) => readonly GraphQLError[];
    contextFactory: () => unknown;
    execute: (args: ExecutionArgs) => OperationResult;
    subscribe: (args: ExecutionArgs) => OperationResult;
  };
}

/** One socket's state: whom it speaks for, and operations whose replies must go out before a close. */
export interface WsSession {
  identity: Identity;
  clientIp: string;
  handle: ConnectionHandle;
  /** Ids of live subscriptions on this socket. */
  subscriptions: Set<string>;
  /** When this socket's recent operations were refused for rate (flood detection). */
  refusals: number[];
  /** Ids of queries and mutations still running on this socket. */
  running: Set<string>;
  pendingClose: { code: number; reason: string } | null;
  /** graphql-ws's state of this socket (acknowledged, operation ids in use). */
  protocol: ProtocolContext<Record<string, unknown> | undefined, SocketExtra>;
}

interface Roots {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
}

/** Counts a new subscription on the socket, or refuses it past the per-connection limit. */
function admitSubscription(session: WsSession, id: string): GraphQLError | null {
  if (session.subscriptions.size >= MAX_SUBSCRIPTIONS_PER_CONNECTION) {
    return refusal(ErrorCode.RateLimited, `at most ${MAX_SUBSCRIPTIONS_PER_CONNECTION} subscriptions per connection`, { retryAfterMs: 1000 });
  }
  session.subscriptions.add(id);
  return null;
}

/** onSubscribe puts yoga's enveloped execute/subscribe in rootValue, as graphql-ws's yoga recipe does. */
function rootsOf(args: ExecutionArgs): Roots {
  const roots = args.rootValue;
  if (typeof roots === 'object' && roots !== null && 'execute' in roots && 'subscribe' in roots) return roots as Roots;
  throw new Error('operation was not prepared by onSubscribe');
}

/**
 * graphql-ws on the gateway's HTTP server. Auth happens once at connection init (invalid or expired
 * token: 4403); every operation then runs through yoga's envelop so all plugins apply, as on HTTP.
 */
export interface WebSocketTransport {
  /** New upgrades are refused (the HTTP server stops accepting too). */
  stopAccepting(): void;
  /** Waits up to `timeoutMs` for every socket to close (they were told 1001), then cuts the rest. */
  drain(timeoutMs: number): Promise<void>;
}

export function attachWebSocket(server: HttpServer, core: Core, yoga: Enveloped, path: string): WebSocketTransport {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_PAYLOAD_BYTES });
  const sessions = new WeakMap<WebSocket, WsSession>();
  const allowed = core.config.allowedOrigins;
  const { maxConnectionsPerIp, trustProxy } = core.config;
  const perIp = new Map<string, number>();
  const { schema: preparedSchema, validate: preparedValidate } = yoga.getEnveloped({});
  const prepared = new PreparedOperations(
    preparedSchema,
    [SEND_OFFER, SEND_ANSWER, SEND_ICE_CANDIDATE, SIGNALS_SUBSCRIPTION].map((text) => parse(text)),
    (document) => preparedValidate(preparedSchema, document),
    core,
  );

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const origin = request.headers.origin;
    if (url.pathname !== path) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      return;
    }
    if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    const ip = clientIp(request, trustProxy);
    const open = perIp.get(ip) ?? 0;
    if (maxConnectionsPerIp > 0 && open >= maxConnectionsPerIp) {
      core.metrics.rateLimited.inc({ limit: 'connections' });
      socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n');
      return;
    }
    perIp.set(ip, open + 1);
    wss.handleUpgrade(request, socket, head, (ws) => {
      coalesceWrites(socket);
      ws.once('close', () => {
        const left = (perIp.get(ip) ?? 1) - 1;
        if (left > 0) perIp.set(ip, left);
        else perIp.delete(ip);
      });
      wss.emit('connection', ws, request);
    });
  };
  server.on('upgrade', onUpgrade);

  /** A query or mutation finished: a close that waited for its reply can go now. */
  const completed = (socket: WebSocket, id: string): void => {
    const session = sessions.get(socket);
    session?.subscriptions.delete(id);
    if (!session || !session.running.delete(id)) return;
    const pending = session.pendingClose;
    // The reply is already written; the close waits until the complete message follows it.
    if (pending && session.running.size === 0) setImmediate(() => socket.close(pending.code, pending.reason));
  };

  const protocol = makeServer<Record<string, unknown> | undefined, SocketExtra>(
    {
      connectionInitWaitTimeout: CONNECTION_INIT_TIMEOUT_MS,
      onConnect: async (ctx) => {
        const token = ctx.connectionParams?.['authToken'];
        // The credential is not kept for the socket's life (graphql-ws reads it only here): the verified identity is all it needs.
        Reflect.deleteProperty(ctx, 'connectionParams');
        if (typeof token !== 'string') return false;
        let identity: Identity;
        try {
          identity = await core.tokens.verify(token);
        } catch (error) {
          if (error instanceof TokenError) return false;
          throw error;
        }
        const socket = ctx.extra.socket;
        const session: WsSession = {
          identity,
          clientIp: ctx.extra.clientIp,
          subscriptions: new Set(),
          refusals: [],
          running: new Set(),
          pendingClose: null,
          protocol: ctx,
          handle: {
            renew: (exp) => {
              session.identity = { ...session.identity, exp };
            },
            end: (code, reason) => {
              if (session.running.size > 0) session.pendingClose = { code, reason };
              else socket.close(code, reason);
            },
            refused: () => {
              const now = Date.now();
              session.refusals = session.refusals.filter((t) => now - t < FLOOD_WINDOW_MS);
              session.refusals.push(now);
              if (session.refusals.length >= FLOOD_CLOSE_AFTER_REFUSALS) {
                session.refusals = [];
                core.connections.close(session.handle, CloseCode.Flooding, 'flooding: too many requests over the rate limit');
              }
            },
          },
        };
        sessions.set(socket, session);
        core.connections.register(peerKey(identity.room, identity.peerId), session.handle, CloseCode.Replaced, 'replaced by a newer connection');
        return true;
      },
      onClose: (ctx) => {
        const session = sessions.get(ctx.extra.socket);
        if (session) core.connections.unregister(peerKey(session.identity.room, session.identity.peerId), session.handle);
      },
      onSubscribe: async (ctx, id, payload) => {
        const session = sessions.get(ctx.extra.socket);
        if (!session) return [new GraphQLError('connection not initialised')];
        const { schema, parse, validate, contextFactory, execute, subscribe } = yoga.getEnveloped({ ws: session, params: payload });
        let document: ExecutionArgs['document'];
        try {
          document = parse(payload.query);
        } catch (error) {
          const message = error instanceof GraphQLError ? error.message : 'the query could not be parsed';
          return [refusal(ErrorCode.ParseFailed, message)];
        }
        const errors = validate(schema, document);
        if (errors.length > 0) {
          return errors.map((e) => (e.extensions['code'] ? e : new GraphQLError(e.message, { nodes: e.nodes ?? null, extensions: { code: ErrorCode.ValidationFailed } })));
        }
        if (getOperationAST(document, payload.operationName)?.operation === 'subscription') {
          const refused = admitSubscription(session, id);
          if (refused) return [refused];
        } else {
          session.running.add(id);
        }
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName ?? null,
          variableValues: payload.variables ?? null,
          contextValue: await contextFactory(),
          rootValue: { execute, subscribe } satisfies Roots,
        };
        return args;
      },
      onComplete: (ctx, id) => completed(ctx.extra.socket, id),
      execute: (args) => rootsOf(args).execute(args),
      subscribe: (args) => rootsOf(args).subscribe(args),
    },
  );

  /**
   * The fast way for the signal mutations (see PreparedOperations): the same validation, resolvers,
   * limits, error codes, masking and metrics as the general way, and the same graphql-ws replies
   * (next, then complete), without the per-operation pipeline. Anything unusual about the frame —
   * not a subscribe, not a prepared document, an id in use, a socket not yet acknowledged — goes to
   * graphql-ws, which answers or closes as the protocol says.
   */

  /** Sends what graphql-ws would for the operation `id`, unless the client has completed it meanwhile. */
  const reply = (socket: WebSocket, state: WsSession['protocol'], id: string, type: MessageType, payload?: unknown): void => {
    if (id in state.subscriptions && socket.readyState === socket.OPEN) socket.send(JSON.stringify({ id, type, payload }));
  };

  /** A prepared mutation: next with the result, then complete, as graphql-ws replies. */
  const executePrepared = async (socket: WebSocket, session: WsSession, id: string, operation: PreparedOperation, variables: Variables): Promise<void> => {
    const { protocol: state } = session;
    session.running.add(id);
    const result = await operation.execute(wsContext(core, session), variables);
    reply(socket, state, id, MessageType.Next, result);
    const notify = id in state.subscriptions;
    completed(socket, id);
    if (notify) reply(socket, state, id, MessageType.Complete);
  };

  /**
   * The prepared `signals` subscription, run as graphql-ws runs a subscription: the stream is kept in
   * the protocol state, so the client's complete and the socket's close end it; each event goes out as
   * next; complete follows when the stream ends, unless the client ended it.
   */
  const subscribePrepared = async (socket: WebSocket, session: WsSession, id: string, operation: PreparedOperation, variables: Variables): Promise<void> => {
    const { protocol: state } = session;
    const refused = admitSubscription(session, id);
    if (refused) return reply(socket, state, id, MessageType.Error, [refused.toJSON()]);
    const opened = await operation.subscribe(wsContext(core, session), variables);
    if (!(Symbol.asyncIterator in opened)) {
      reply(socket, state, id, MessageType.Next, opened);
    } else if (!(id in state.subscriptions)) {
      await opened.return?.();
    } else {
      state.subscriptions[id] = opened;
      try {
        for (let step = await opened.next(); !step.done; step = await opened.next()) {
          if (!(id in state.subscriptions) || socket.readyState !== socket.OPEN) continue;
          const frame = JSON.stringify({ id, type: MessageType.Next, payload: operation.settle(step.value) });
          // Past the high-water mark, the next event waits in the feed (which bounds it) until this one is written.
          if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) socket.send(frame);
          else await new Promise<void>((resolve) => socket.send(frame, () => resolve()));
        }
      } catch (error) {
        reply(socket, state, id, MessageType.Error, [new GraphQLError(error instanceof Error ? error.message : String(error)).toJSON()]);
        delete state.subscriptions[id];
      }
    }
    const notify = id in state.subscriptions;
    completed(socket, id);
    if (notify) reply(socket, state, id, MessageType.Complete);
  };

  /**
   * Prepared operations (see PreparedOperations) skip graphql-ws's per-message work too: their
   * subscribe frames are answered here, keeping the protocol's own bookkeeping (ids in use, replies,
   * completion). Anything unusual about a frame — not a subscribe, not a prepared document, an id in
   * use, a socket not yet acknowledged — goes to graphql-ws, which answers or closes as the protocol says.
   */
  const intercept = (socket: WebSocket, text: string): boolean => {
    const session = sessions.get(socket);
    if (!session?.protocol.acknowledged) return false;
    const message = subscribeMessage(text);
    if (!message || message.id in session.protocol.subscriptions) return false;
    const operation = prepared.find(message.query, message.operationName);
    if (!operation) return false;
    const { id, variables } = message;
    const { subscriptions } = session.protocol;
    subscriptions[id] = null;
    core.metrics.prepared.inc({ operation: operation.name });
    const run = operation.kind === 'subscription' ? subscribePrepared : executePrepared;
    run(socket, session, id, operation, variables)
      .catch((error: unknown) => {
        core.log.error({ err: error }, 'internal error running a prepared operation');
        socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
      })
      .finally(() => delete subscriptions[id]);
    return true;
  };

  const adapter = serveGraphqlWs(wss, protocol, {
    log: core.log.child({ component: 'ws' }),
    intercept,
    clientIp: (request) => clientIp(request, trustProxy),
  });

  return {
    stopAccepting: () => server.off('upgrade', onUpgrade),
    drain: async (timeoutMs: number) => {
      // Sockets still finishing an operation close right after its reply (see WsSession.pendingClose).
      for (const client of wss.clients) if (!sessions.get(client)) client.close(CloseCode.GoingAway, 'server shutting down');
      const closed = [...wss.clients].map((client) => new Promise<void>((resolve) => client.once('close', () => resolve())));
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(closed), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      clearTimeout(timer);
      for (const client of wss.clients) client.terminate();
      adapter.dispose();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };
}

interface SubscribeFrame {
  id: string;
  query: string;
  operationName: string | null | undefined;
  variables: Variables;
}

/** Bytes a socket may hold unwritten before a subscription stops taking events from its feed. */
const SEND_HIGH_WATER_BYTES = 64 * 1024;

type Variables = Record<string, unknown> | null;

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A well-formed graphql-ws subscribe message, or null for anything else (graphql-ws judges those). */
function subscribeMessage(text: string): SubscribeFrame | null {
  let message: unknown;
  try {
    message = JSON.parse(text);
  } catch {
    return null;
  }
  if (!isRecord(message) || message['type'] !== MessageType.Subscribe) return null;
  const { id, payload } = message;
  if (typeof id !== 'string' || id === '' || !isRecord(payload)) return null;
  const { query, operationName, variables } = payload;
  if (typeof query !== 'string') return null;
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string') return null;
  if (variables !== undefined && variables !== null && !isRecord(variables)) return null;
  return { id, query, operationName, variables: variables ?? null };
}
