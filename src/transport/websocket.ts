import { GraphQLError, type ExecutionArgs, getOperationAST, parse } from 'graphql';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { coalesceWrites } from './coalesce';
import { type Context as ProtocolContext, makeServer, type OperationResult } from 'graphql-ws';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '@switchboard/client/wire';
import { PreparedOperations } from './prepared';
import { answerPrepared } from './prepared-ws';
import { serveGraphqlWs, type SocketExtra } from './ws-adapter';
import { WebSocketServer, type WebSocket } from 'ws';
import { KeySourceUnavailableError, TokenError, type Identity } from '../auth/tokens';
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
          // The token could not be checked, not refused: a close code the client retries (then graphql-ws's own close is a no-op).
          if (error instanceof KeySourceUnavailableError) {
            core.connections.close({ end: (code, reason) => ctx.extra.socket.close(code, reason) }, CloseCode.Unavailable, 'token could not be checked now; reconnect shortly');
            return false;
          }
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
            session: identity.session,
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

  const intercept = answerPrepared({ core, prepared, sessionOf: (socket) => sessions.get(socket), admitSubscription, completed });

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
