/**
 * A link is one connection to the gateway: a signals stream from a cursor plus a way to run the other
 * operations. The signaling client opens a new link per attempt and throws it away when it closes, so
 * a link never reconnects by itself. The WebSocket link forwards every operation over graphql-ws
 * (through urql); the SSE link reads the signals stream as Server-Sent Events (graphql-sse) and the
 * long-polling link with `pollSignals`, both sending everything else as plain HTTP requests (urql).
 */
import { Client, type AnyVariables, type CombinedError, fetchExchange, type OperationResult, type OperationResultSource, subscriptionExchange, type TypedDocumentNode } from '@urql/core';
import { Kind, OperationTypeNode, print } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import { ClientErrorCode } from './protocol';
import { fromGraphQLErrors, SignalingError, transportError } from './errors';
import { PollSignalsDocument, SignalsDocument, type SignalsSubscription } from './generated/graphql';
import type { Signal } from './types';
import type { PresenceMode } from './wire';

/** Why a link ended (never called after {@link Link.close}). */
export interface LinkEnd {
  readonly error: SignalingError;
  /** The WebSocket close code, when the link was a socket. */
  readonly closeCode?: number;
}

/** What a link reports to its owner. */
export interface LinkHandlers {
  onSignal(signal: Signal): void;
  onEnd(end: LinkEnd): void;
}

/** One connection to the gateway. */
export interface Link {
  readonly transport: Transport;
  /** Runs a query or mutation; rejects with a {@link SignalingError}. */
  execute<Data, Variables extends AnyVariables>(document: TypedDocumentNode<Data, Variables>, variables: Variables): Promise<Data>;
  /** Ends the link without reporting it through `onEnd`; resolves when its socket or request is gone. */
  close(): Promise<void>;
}

/** The transports a link can use. */
export type Transport = 'websocket' | 'sse' | 'long-polling';

/** The WebSocket constructor (the browser's, or `ws` in Node). */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => unknown;

/** What opening a link needs. */
export interface LinkOptions {
  /** `http(s)://…/graphql`; the socket uses the same URL with `ws(s)://`. */
  readonly httpUrl: string;
  /** The current token, read whenever a request or connection needs it. */
  readonly token: () => string;
  /** Resume after this cursor (null: from the start, which begins with `Welcome`). */
  readonly after: string | null;
  /** How joins and leaves come: single events, or PresenceBatch events. */
  readonly presence: PresenceMode;
  readonly handlers: LinkHandlers;
  readonly webSocketImpl?: WebSocketConstructor | undefined;
  readonly fetchImpl?: typeof fetch | undefined;
  readonly keepAliveMs: number;
  readonly pongTimeoutMs: number;
  readonly pollWaitMs: number;
  /** How long `close()` waits for the socket to finish closing. */
  readonly closeWaitMs: number;
}

/** The SDK's error for a failed urql result. */
export function fromCombinedError(error: CombinedError): SignalingError {
  if (error.graphQLErrors.length > 0) return fromGraphQLErrors(error.graphQLErrors);
  return transportError(error.networkError ?? error);
}

function unwrap<Data>(result: OperationResult<Data>): Data {
  if (result.error) throw fromCombinedError(result.error);
  if (result.data === undefined) throw new SignalingError(ClientErrorCode.BadResponse, `the gateway answered ${result.operation.kind} without data`);
  return result.data;
}

/** The signals subscription as text, for the SSE client (which takes strings, not documents). */
const SIGNALS_QUERY = print(SignalsDocument);

/** Runs a query as a query and anything else as a mutation (subscriptions have their own path). */
function run<Data, Variables extends AnyVariables>(urql: Client, document: TypedDocumentNode<Data, Variables>, variables: Variables): OperationResultSource<OperationResult<Data, Variables>> {
  const definition = document.definitions.find((node) => node.kind === Kind.OPERATION_DEFINITION);
  const isQuery = definition?.kind === Kind.OPERATION_DEFINITION && definition.operation === OperationTypeNode.QUERY;
  return isQuery ? urql.query(document, variables, { requestPolicy: 'network-only' }) : urql.mutation(document, variables);
}

/** Opens a link over the chosen transport. */
export function openLink(transport: Transport, options: LinkOptions): Link {
  if (transport === 'websocket') return openWebSocketLink(options);
  return transport === 'sse' ? openSseLink(options) : openPollingLink(options);
}

function openWebSocketLink(options: LinkOptions): Link {
  let ended = false;
  const end = (result: LinkEnd): void => {
    if (ended) return;
    ended = true;
    clearTimeout(pongTimer);
    options.handlers.onEnd(result);
  };
  let pongTimer: ReturnType<typeof setTimeout> | undefined;
  let socketClosed: () => void = () => undefined;
  const gone = new Promise<void>((resolve) => (socketClosed = resolve));
  const socket = createWsClient({
    url: options.httpUrl.replace(/^http/, 'ws'),
    ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    connectionParams: () => ({ authToken: options.token() }),
    lazy: false,
    retryAttempts: 0,
    keepAlive: options.keepAliveMs,
    onNonLazyError: () => undefined,
    on: {
      // A ping that gets no pong means a dead path (NAT timeout, sleeping laptop): cut it and resume.
      ping: (received) => {
        if (received) return;
        clearTimeout(pongTimer);
        pongTimer = setTimeout(() => socket.terminate(), options.pongTimeoutMs);
      },
      pong: (received) => {
        if (received) clearTimeout(pongTimer);
      },
      closed: (event) => {
        socketClosed();
        const error = transportError(event);
        end(error.details.closeCode === undefined ? { error } : { error, closeCode: error.details.closeCode });
      },
    },
  });
  const urql = new Client({
    url: options.httpUrl,
    exchanges: [
      subscriptionExchange({
        enableAllOperations: true,
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: socket.subscribe(
              { ...request, query: request.query ?? '' },
              {
                next: ({ data, errors, extensions }) => sink.next({ data: data ?? null, ...(errors ? { errors } : {}), ...(extensions ? { extensions } : {}) }),
                error: (error) => sink.error(error),
                complete: () => sink.complete(),
              },
            ),
          }),
        }),
      }),
    ],
  });
  const signals = urql.subscription(SignalsDocument, { after: options.after, presence: options.presence }).subscribe((result) => {
    if (result.data) options.handlers.onSignal(result.data.signals);
    // A GraphQL error on the stream itself (the socket is still up): this link is no use any more.
    else if (result.error?.graphQLErrors.length) end({ error: fromCombinedError(result.error) });
  });
  return {
    transport: 'websocket',
    execute: async (document, variables) => unwrap(await run(urql, document, variables).toPromise()),
    close: async () => {
      ended = true;
      clearTimeout(pongTimer);
      signals.unsubscribe();
      await socket.dispose();
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([gone, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.closeWaitMs)))]);
      clearTimeout(timer);
    },
  };
}

/** Longer than the poll itself: a poll with no answer by then is a dead request. */
const POLL_GRACE_MS = 10_000;

/** Queries and mutations over plain HTTP with the current token, each abortable and bounded. */
class HttpRequests {
  private readonly urql: Client;
  private readonly inFlight = new Set<() => void>();

  constructor(private readonly options: LinkOptions) {
    this.urql = new Client({
      url: options.httpUrl,
      exchanges: [fetchExchange],
      ...(options.fetchImpl ? { fetch: options.fetchImpl } : {}),
      fetchOptions: () => ({ headers: { authorization: `Bearer ${options.token()}` } }),
      requestPolicy: 'network-only',
    });
  }

  /** One request; rejects with `TIMEOUT` after `timeoutMs` and with `CLOSED` when aborted. */
  request<Data, Variables extends AnyVariables>(document: TypedDocumentNode<Data, Variables>, variables: Variables, timeoutMs = this.options.pollWaitMs + POLL_GRACE_MS): Promise<Data> {
    return new Promise<Data>((resolve, reject) => {
      const source = run(this.urql, document, variables);
      const timer = setTimeout(() => finish(() => reject(new SignalingError(ClientErrorCode.Timeout, `no answer within ${timeoutMs} ms`))), timeoutMs);
      let done = false;
      const finish = (settle: () => void): void => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        this.inFlight.delete(abort);
        subscription.unsubscribe();
        settle();
      };
      const subscription = source.subscribe((result) => {
        finish(() => {
          try {
            resolve(unwrap(result));
          } catch (error) {
            reject(error instanceof SignalingError ? error : transportError(error));
          }
        });
      });
      const abort = (): void => finish(() => reject(new SignalingError(ClientErrorCode.Closed, 'the link was closed')));
      this.inFlight.add(abort);
    });
  }

  /** Aborts every request in flight. */
  abortAll(): void {
    for (const abort of [...this.inFlight]) abort();
  }
}

function openPollingLink(options: LinkOptions): Link {
  const http = new HttpRequests(options);
  let closed = false;

  async function poll(after: string | null): Promise<void> {
    while (!closed) {
      const batch = (await http.request(PollSignalsDocument, { after, waitMs: options.pollWaitMs, presence: options.presence })).pollSignals;
      if (closed) return;
      for (const signal of batch.events) options.handlers.onSignal(signal);
      after = batch.cursor;
    }
  }

  poll(options.after).catch((error: unknown) => {
    if (!closed) options.handlers.onEnd({ error: error instanceof SignalingError ? error : transportError(error) });
  });
  return {
    transport: 'long-polling',
    execute: (document, variables) => http.request(document, variables),
    close: async () => {
      closed = true;
      http.abortAll();
    },
  };
}

/** The signals stream over Server-Sent Events (yoga's GraphQL over SSE); everything else over plain HTTP. */
function openSseLink(options: LinkOptions): Link {
  const http = new HttpRequests(options);
  let ended = false;
  const end = (error: SignalingError): void => {
    if (ended) return;
    ended = true;
    options.handlers.onEnd({ error });
  };
  const sse = createSseClient({
    url: options.httpUrl,
    headers: () => ({ authorization: `Bearer ${options.token()}` }),
    retryAttempts: 0,
    ...(options.fetchImpl ? { fetchFn: options.fetchImpl } : {}),
  });
  const stop = sse.subscribe<SignalsSubscription>(
    { query: SIGNALS_QUERY, variables: { after: options.after, presence: options.presence } },
    {
      next: ({ data, errors }) => {
        if (data?.signals) options.handlers.onSignal(data.signals);
        else if (errors?.length) end(fromGraphQLErrors(errors));
      },
      error: (error) => end(transportError(error)),
      complete: () => end(new SignalingError(ClientErrorCode.Transport, 'the event stream ended')),
    },
  );
  return {
    transport: 'sse',
    execute: (document, variables) => http.request(document, variables),
    close: async () => {
      ended = true;
      stop();
      sse.dispose();
      http.abortAll();
    },
  };
}
