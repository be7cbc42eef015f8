import { type ExecutionArgs, GraphQLError, getOperationAST } from 'graphql';
import { holdsLongPoll } from './long-poll';
import { CloseCode as ProtocolCloseCode, type ExecutionResult, makeServer, type OperationResult, type Server } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { GatewayContext } from '../api/context';
import type { Feed } from '../broker/feed';
import { KeySourceUnavailableError, TokenError, type Identity } from '../auth/tokens';
import type { Core } from '../core';
import { refusal } from '../errors';
import { peerKey } from '../presence/presence';
import { CloseCode, CONNECTION_INIT_TIMEOUT_MS, ErrorCode } from '../protocol';
import type { WsInitialContext } from './context';
import type { DocumentCache, DocumentPipeline } from './documents';
import { WsSession } from './session';
import type { FrameSlots } from './shared-frames';
import { sharePresence } from './shared-presence';
import type { SocketExtra } from './ws-adapter';

/** What yoga contributes to an operation, whichever transport carries it. */
export interface Enveloped {
  getEnveloped: (initial: Partial<WsInitialContext>) => DocumentPipeline & {
    contextFactory: () => unknown;
    execute: (args: ExecutionArgs) => OperationResult;
    subscribe: (args: ExecutionArgs) => OperationResult;
  };
}

interface Roots {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
  /** For a subscription whose presence events are rendered once per selection: its socket's frames and, once opened, its feed. */
  shared: { frames: FrameSlots; feed: Feed | null } | null;
}

/** onSubscribe puts yoga's enveloped execute/subscribe in rootValue, as graphql-ws's envelop recipe does. */
function rootsOf(args: ExecutionArgs): Roots {
  const roots = args.rootValue;
  if (typeof roots === 'object' && roots !== null && 'execute' in roots && 'subscribe' in roots && 'shared' in roots) return roots as Roots;
  throw new Error('operation was not prepared by onSubscribe');
}

export interface HookDeps {
  core: Core;
  yoga: Enveloped;
  /** Each acknowledged socket's session, filled at connection init. */
  sessions: WeakMap<WebSocket, WsSession>;
  documents: DocumentCache;
  /**
   * Whether presence events may be rendered once per selection for all its subscribers
   * (shared-presence.ts): only while every envelop plugin is the gateway's own, which act on errors
   * alone; a plugin added later may change each event for each subscriber, and then every event takes
   * the whole pipeline.
   */
  sharePresence: boolean;
}

/**
 * graphql-ws's protocol server, driven only through its documented hooks. Auth happens once at
 * connection init (invalid or expired token: 4403). Every operation, from any client in any spelling,
 * takes the same way: its text is parsed and validated once (DocumentCache), and onSubscribe returns
 * the execution arguments with yoga's enveloped execute and subscribe, so every plugin — the compiled
 * execution included — applies as on HTTP. graphql-ws keeps the protocol: ids, replies, completion.
 */
export function protocolServer({ core, yoga, sessions, documents, sharePresence: share }: HookDeps): Server<SocketExtra> {
  return makeServer<Record<string, unknown> | undefined, SocketExtra>({
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
      const session = new WsSession(ctx.extra.socket, identity, ctx.extra.clientIp, core.connections);
      sessions.set(ctx.extra.socket, session);
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
      if (session.holds(id)) {
        // The client completed this id and reused it before its operation ended here. graphql-ws would
        // end the new one with the old one's completion; the id is still in use, as the protocol's 4409 says.
        ctx.extra.socket.close(ProtocolCloseCode.SubscriberAlreadyExists, `Subscriber for ${id} already exists`);
        return [new GraphQLError(`operation ${id} has not ended yet`)];
      }
      const enveloped = yoga.getEnveloped({ ws: session, params: payload });
      const { document, errors } = documents.check(payload.query, enveloped);
      if (errors) return errors;
      const operation = getOperationAST(document, payload.operationName);
      if (!operation) return [refusal(ErrorCode.ValidationFailed, 'the document has no operation of that name (or several, and no operationName)')];
      const refused = session.admit(id, operation.operation, operation.operation === 'subscription' || holdsLongPoll(operation));
      if (refused) return [refused];
      const { schema, contextFactory, execute, subscribe } = enveloped;
      // A WebSocket context is built without a promise (transport/context.ts): no extra turn when there is none.
      const made = contextFactory();
      const contextValue: unknown = made instanceof Promise ? await made : made;
      const shared = share && operation.operation === 'subscription' ? captureFeed(contextValue, ctx.extra.frames) : null;
      const args: ExecutionArgs = {
        schema,
        document,
        operationName: payload.operationName ?? null,
        variableValues: payload.variables ?? null,
        contextValue,
        rootValue: { execute, subscribe, shared } satisfies Roots,
      };
      return args;
    },
    onComplete: (ctx, id) => sessions.get(ctx.extra.socket)?.completed(id),
    execute: (args) => rootsOf(args).execute(args),
    subscribe: (args) => {
      const { subscribe, shared } = rootsOf(args);
      return shared ? withSharedPresence(subscribe(args), shared, args) : subscribe(args);
    },
  });
}

/** Notes the feed the operation's `signals` opens (the context's adoptFeed), so that its presence events can be shared. */
function captureFeed(context: unknown, frames: FrameSlots): NonNullable<Roots['shared']> | null {
  if (typeof context !== 'object' || context === null || !('adoptFeed' in context)) return null;
  const gateway = context as GatewayContext;
  const shared: NonNullable<Roots['shared']> = { frames, feed: null };
  const adopt = gateway.adoptFeed;
  gateway.adoptFeed = (feed) => {
    shared.feed = feed;
    adopt(feed);
  };
  return shared;
}

async function withSharedPresence(result: OperationResult, shared: NonNullable<Roots['shared']>, args: ExecutionArgs): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  const opened = await result;
  if (shared.feed === null || !(Symbol.asyncIterator in opened)) return opened;
  return sharePresence(opened, shared.feed, args, shared.frames);
}
