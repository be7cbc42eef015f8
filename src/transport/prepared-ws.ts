import { type GraphQLError, locatedError } from 'graphql';
import { CloseCode as ProtocolCloseCode, MessageType } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Core } from '../core';
import { wsContext } from './context';
import type { PreparedOperation, PreparedOperations } from './prepared';
import type { WsSession } from './websocket';

/** Bytes a socket may hold unwritten before a subscription stops taking events from its feed. */
const SEND_HIGH_WATER_BYTES = 64 * 1024;

type Variables = Record<string, unknown> | null;

/** What the WebSocket transport lends the prepared path: its sessions and its per-operation bookkeeping. */
export interface PreparedDeps {
  core: Core;
  prepared: PreparedOperations;
  sessionOf(socket: WebSocket): WsSession | undefined;
  /** Counts a new subscription on the socket, or refuses it past the per-connection limit. */
  admitSubscription(session: WsSession, id: string): GraphQLError | null;
  /** A query, mutation or subscription finished (graphql-ws's onComplete). */
  completed(socket: WebSocket, id: string): void;
}

/**
 * Answers subscribe frames that carry a prepared operation (see PreparedOperations), skipping
 * graphql-ws's per-message work as well as yoga's, while keeping the protocol's own bookkeeping: the id
 * is held in graphql-ws's state while it runs (a duplicate closes 4409 there), the replies are the ones
 * graphql-ws sends (next then complete; error), and a client's complete or the socket's close ends a
 * subscription. Anything unusual about a frame — not a subscribe, not a prepared document, an id in use,
 * a socket not yet acknowledged — is left to graphql-ws, which answers or closes as the protocol says.
 * Returns the adapter's intercept hook: true when it took the frame.
 */
export function answerPrepared(deps: PreparedDeps): (socket: WebSocket, text: string) => boolean {
  const { core, prepared, sessionOf, admitSubscription, completed } = deps;

  /** Sends what graphql-ws would for the operation `id`, unless the client has completed it meanwhile. */
  const reply = (socket: WebSocket, state: WsSession['protocol'], id: string, type: MessageType, payload?: unknown): void => {
    if (id in state.subscriptions && socket.readyState === socket.OPEN) socket.send(JSON.stringify({ id, type, payload }));
  };

  /** A prepared mutation: next with the result, then complete. */
  const execute = async (socket: WebSocket, session: WsSession, id: string, operation: PreparedOperation, variables: Variables): Promise<void> => {
    const { protocol: state } = session;
    session.running.add(id);
    const result = await operation.execute(wsContext(core, session), variables);
    reply(socket, state, id, MessageType.Next, result);
    const notify = id in state.subscriptions;
    completed(socket, id);
    if (notify) reply(socket, state, id, MessageType.Complete);
  };

  /** The prepared `signals` subscription: each event as next; complete when the stream ends, unless the client ended it. */
  const subscribe = async (socket: WebSocket, session: WsSession, id: string, operation: PreparedOperation, variables: Variables): Promise<void> => {
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
        // A stream that fails ends with an error message, masked like any other unexpected error.
        const errors = operation.settle({ errors: [locatedError(error, undefined)] }).errors ?? [];
        reply(socket, state, id, MessageType.Error, errors.map((e) => e.toJSON()));
        delete state.subscriptions[id];
      }
    }
    const notify = id in state.subscriptions;
    completed(socket, id);
    if (notify) reply(socket, state, id, MessageType.Complete);
  };

  return (socket, text) => {
    const session = sessionOf(socket);
    if (!session?.protocol.acknowledged) return false;
    const message = subscribeMessage(text);
    if (!message || message.id in session.protocol.subscriptions) return false;
    const operation = prepared.find(message.query, message.operationName);
    if (!operation) return false;
    const { id, variables } = message;
    const { subscriptions } = session.protocol;
    subscriptions[id] = null;
    core.metrics.prepared.inc({ operation: operation.name });
    const run = operation.kind === 'subscription' ? subscribe : execute;
    run(socket, session, id, operation, variables)
      .catch((error: unknown) => {
        core.log.error({ err: error }, 'internal error running a prepared operation');
        socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
      })
      .finally(() => delete subscriptions[id]);
    return true;
  };
}

interface SubscribeFrame {
  id: string;
  query: string;
  operationName: string | null | undefined;
  variables: Variables;
}

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
