import { type GraphQLError, locatedError } from 'graphql';
import { CloseCode as ProtocolCloseCode, MessageType } from 'graphql-ws';
import type { WebSocket } from 'ws';
import type { Core } from '../core';
import { wsContext } from './context';
import type { PreparedOperation, PreparedOperations, Variables } from './prepared';
import type { WsSession } from './websocket';

/** Bytes a socket may hold unwritten before a subscription stops taking events from its feed. */
const SEND_HIGH_WATER_BYTES = 64 * 1024;

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

  /** Which run holds an id on each socket: a client may complete an id and reuse it while the old run is still finishing. */
  const holders = new WeakMap<WsSession, Map<string, Run>>();

  /** Sends what graphql-ws would for this run, unless the client has completed it meanwhile. */
  const reply = (run: Run, type: MessageType, payload?: unknown): void => {
    if (live(run) && run.socket.readyState === run.socket.OPEN) run.socket.send(JSON.stringify({ id: run.id, type, payload }));
  };

  /** The end every operation shares: graphql-ws's onComplete, then complete unless the client ended it. */
  const finish = (run: Run): void => {
    // An id reused meanwhile belongs to the newer run now, bookkeeping included.
    if (!holds(run)) return;
    const notify = live(run);
    completed(run.socket, run.id);
    if (notify) reply(run, MessageType.Complete);
  };

  /** A prepared mutation: next with the result, then complete. */
  const execute = async (run: Run): Promise<void> => {
    run.session.running.add(run.id);
    reply(run, MessageType.Next, await run.operation.execute(wsContext(core, run.session), run.variables));
    finish(run);
  };

  /** The prepared `signals` subscription: each event as next; complete when the stream ends, unless the client ended it. */
  const subscribe = async (run: Run): Promise<void> => {
    const { socket, session, id, operation } = run;
    const state = session.protocol;
    const refused = admitSubscription(session, id);
    if (refused) return reply(run, MessageType.Error, [refused.toJSON()]);
    const opened = await operation.subscribe(wsContext(core, session), run.variables);
    if (!(Symbol.asyncIterator in opened)) {
      reply(run, MessageType.Next, opened);
    } else if (!live(run)) {
      await opened.return?.();
    } else {
      // Kept where graphql-ws keeps its own streams: its complete handler and its close handler end it.
      state.subscriptions[id] = opened;
      try {
        for (let step = await opened.next(); !step.done; step = await opened.next()) {
          if (!live(run) || socket.readyState !== socket.OPEN) continue;
          const frame = JSON.stringify({ id, type: MessageType.Next, payload: operation.settle(step.value) });
          // Past the high-water mark, the next event waits in the feed (which bounds it) until this one is written.
          if (socket.bufferedAmount < SEND_HIGH_WATER_BYTES) socket.send(frame);
          else await new Promise<void>((resolve) => socket.send(frame, () => resolve()));
        }
      } catch (error) {
        // A stream that fails ends with an error message, masked like any other unexpected error.
        const errors = operation.settle({ errors: [locatedError(error, undefined)] }).errors ?? [];
        reply(run, MessageType.Error, errors.map((e) => e.toJSON()));
        if (live(run)) delete state.subscriptions[id];
      }
    }
    finish(run);
  };

  return (socket, text) => {
    const session = sessionOf(socket);
    if (!session?.protocol.acknowledged) return false;
    const message = subscribeMessage(text);
    if (!message || message.id in session.protocol.subscriptions) return false;
    const operation = prepared.find(message.query, message.operationName);
    if (!operation) return false;
    const { id, variables } = message;
    let held = holders.get(session);
    if (!held) holders.set(session, (held = new Map()));
    const run: Run = { socket, session, id, operation, variables, holders: held };
    held.set(id, run);
    session.protocol.subscriptions[id] = null;
    core.metrics.prepared.inc({ operation: operation.name });
    (operation.kind === 'subscription' ? subscribe : execute)(run)
      .catch((error: unknown) => {
        core.log.error({ err: error }, 'internal error running a prepared operation');
        socket.close(ProtocolCloseCode.InternalServerError, 'Internal server error');
      })
      .finally(() => {
        if (!holds(run)) return;
        run.holders.delete(id);
        // graphql-ws may have replaced the whole record on close; the id is released in whichever is current.
        delete session.protocol.subscriptions[id];
      });
    return true;
  };
}

/** One prepared operation running on a socket under a client's id. */
interface Run {
  socket: WebSocket;
  session: WsSession;
  id: string;
  operation: PreparedOperation;
  variables: Variables;
  /** The runs of this socket by id. */
  holders: Map<string, Run>;
}

/** Whether no newer run has taken this run's id (after the client completed it). */
const holds = (run: Run): boolean => run.holders.get(run.id) === run;

/** Whether this run still holds its id and the client has not completed it. */
const live = (run: Run): boolean => holds(run) && run.id in run.session.protocol.subscriptions;

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
