import { createClient, type Client } from 'graphql-ws';
import { createClient as createSseClient } from 'graphql-sse';
import WebSocket from 'ws';
import { CREATE_SESSION, POLL_SIGNALS, SIGNALS_SUBSCRIPTION } from '../../client/operations';
import type { Session, Signal } from '../../client/types';
import type { PresenceMode } from '../../client/wire';
import { Inbox } from './inbox';

export interface GraphQLResponse<T = Record<string, unknown>> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string; [k: string]: unknown } }>;
}

/** One GraphQL request over HTTP POST. */
export async function http<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables: Record<string, unknown> = {},
  options: { token?: string; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GraphQLResponse<T>> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  if (options.token !== undefined) headers['authorization'] = `Bearer ${options.token}`;
  const init: RequestInit = { method: 'POST', headers, body: JSON.stringify({ query, variables }) };
  if (options.signal) init.signal = options.signal;
  const res = await fetch(url, init);
  return (await res.json()) as GraphQLResponse<T>;
}

/** The `extensions.code` of the first error, or 'OK' when there was none. */
export function codeOf(response: GraphQLResponse<unknown>): string {
  return response.errors?.[0]?.extensions?.code ?? 'OK';
}

export async function createSession(url: string, room: string, peerId?: string, name?: string): Promise<Session> {
  const res = await http<{ createSession: Session }>(url, CREATE_SESSION, { room, peerId, name });
  if (!res.data?.createSession) throw new Error(`createSession failed: ${JSON.stringify(res.errors)}`);
  return res.data.createSession;
}

export interface WsPeer {
  client: Client;
  /** The current underlying socket, for fault injection (terminate, pause). */
  socket(): WebSocket;
  /** Close events of the underlying socket, in order. */
  closes: Inbox<{ code: number; reason: string }>;
  /** Runs one query or mutation over this socket. */
  request<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>): Promise<GraphQLResponse<T>>;
  /** Subscribes to signals (presence mode: the gateway's default, EACH, unless given); events arrive in the returned inbox. */
  signals(after?: string, presence?: PresenceMode): { events: Inbox<Signal>; stop: () => void };
  dispose(): Promise<void>;
}

/** A graphql-ws client on a real socket, without retries so tests see every close. */
export function wsPeer(wsUrl: string, token: string | undefined): WsPeer {
  const closes = new Inbox<{ code: number; reason: string }>('ws closes');
  let current: WebSocket | null = null;
  class CapturedWebSocket extends WebSocket {
    constructor(...args: ConstructorParameters<typeof WebSocket>) {
      super(...args);
      current = this;
    }
  }
  const client = createClient({
    url: wsUrl,
    webSocketImpl: CapturedWebSocket,
    connectionParams: token === undefined ? {} : { authToken: token },
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    on: { closed: (e) => { const ev = e as { code: number; reason: string }; closes.push({ code: ev.code, reason: String(ev.reason) }); } },
  });
  return {
    client,
    socket: () => {
      if (!current) throw new Error('no socket yet');
      return current;
    },
    closes,
    request: <T>(query: string, variables: Record<string, unknown> = {}) =>
      new Promise<GraphQLResponse<T>>((resolve, reject) => {
        let result: GraphQLResponse<T> | null = null;
        client.subscribe<T>(
          { query, variables },
          {
            next: (value) => { result = value as GraphQLResponse<T>; },
            error: (error) => (Array.isArray(error) ? resolve({ errors: error }) : reject(error instanceof Error ? error : new Error(JSON.stringify(error)))),
            complete: () => (result ? resolve(result) : reject(new Error('completed without a result'))),
          },
        );
      }),
    signals: (after?: string, presence?: PresenceMode) => {
      const events = new Inbox<Signal>('ws signals');
      const stop = client.subscribe<{ signals: Signal }>(
        { query: SIGNALS_SUBSCRIPTION, variables: { ...(after === undefined ? {} : { after }), ...(presence === undefined ? {} : { presence }) } },
        {
          next: (value) => {
            if (value.data?.signals) events.push(value.data.signals);
            else events.fail(new Error(`signals error: ${JSON.stringify(value.errors)}`));
          },
          error: (error) => {
            const close = error as { code?: number; reason?: string };
            events.fail(new Error(`signals ended: ${close.code === undefined ? JSON.stringify(error) : `close ${close.code} ${close.reason ?? ''}`}`));
          },
          complete: () => events.fail(new Error('signals completed')),
        },
      );
      return { events, stop };
    },
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** Signals by HTTP long polling, as a client behind a hostile proxy would get them; stop() aborts the poll in flight. */
export function pollingSignals(httpUrl: string, token: string, after?: string): { events: Inbox<Signal>; cursor: () => string; stop: () => void } {
  const events = new Inbox<Signal>('long-poll signals');
  const abort = new AbortController();
  let cursor = after;
  void (async () => {
    while (!abort.signal.aborted) {
      const res = await http<{ pollSignals: { cursor: string; events: Signal[] } }>(
        httpUrl,
        POLL_SIGNALS,
        cursor === undefined ? { waitMs: 5_000 } : { after: cursor, waitMs: 5_000 },
        { token, signal: abort.signal },
      ).catch((error: unknown) => (abort.signal.aborted ? null : Promise.reject(error)));
      if (!res) return;
      if (!res.data?.pollSignals) return events.fail(new Error(`poll failed: ${JSON.stringify(res.errors)}`));
      res.data.pollSignals.events.forEach((e) => events.push(e));
      cursor = res.data.pollSignals.cursor;
    }
  })().catch((error: unknown) => events.fail(error instanceof Error ? error : new Error(String(error))));
  return { events, cursor: () => cursor ?? '', stop: () => abort.abort() };
}

/** Subscribes to signals over Server-Sent Events (yoga's GraphQL over SSE, distinct connections). */
export function sseSignals(httpUrl: string, token: string, after?: string): { events: Inbox<Signal>; stop: () => void } {
  const events = new Inbox<Signal>('sse signals');
  const client = createSseClient({ url: httpUrl, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
  const stop = client.subscribe<{ signals: Signal }>(
    { query: SIGNALS_SUBSCRIPTION, variables: after === undefined ? {} : { after } },
    {
      next: (value) => {
        if (value.data?.signals) events.push(value.data.signals);
        else events.fail(new Error(`signals error: ${JSON.stringify(value.errors)}`));
      },
      error: (error) => events.fail(new Error(`sse ended: ${String(error)}`)),
      complete: () => events.fail(new Error('sse completed')),
    },
  );
  return { events, stop: () => { stop(); client.dispose(); } };
}
