import type { IncomingMessage } from 'node:http';
import type { GatewayContext } from '../api/context';
import type { Feed } from '../broker/feed';
import { clientIp } from '../limits/client-ip';
import { KeySourceUnavailableError, TokenError, type Identity } from '../auth/tokens';
import type { Core } from '../core';
import { peerKey } from '../presence/presence';
import { CloseCode } from '../protocol';
import type { WsSession } from './session';

/** What the WebSocket transport hands yoga's envelop for one operation: the socket's session instead of a request. */
export interface WsInitialContext {
  ws: WsSession;
  params: unknown;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The resolver context of an operation on a socket: the identity verified when it connected. */
export function wsContext(core: Core, session: WsSession, transport: 'ws' | 'socket.io' | 'peerjs' = 'ws'): GatewayContext {
  const { identity, handle, clientIp, adoptFeed } = session;
  return { core, transport, identity, tokenProblem: null, keysUnavailable: false, apiKey: null, connection: handle, clientIp, adoptFeed };
}

/** On SSE (and HTTP) the signal stream is the peer's connection: a newer one replaces it. */
function streamAsConnection(core: Core, identity: Identity | null): (feed: Feed) => void {
  return (feed) => {
    if (identity === null) return;
    const key = peerKey(identity.room, identity.peerId);
    const stream = { end: () => feed.end(), session: identity.session };
    core.connections.register(key, stream, CloseCode.Replaced, 'replaced by a newer connection');
    feed.onClose(() => core.connections.unregister(key, stream));
  };
}

/**
 * Builds the resolver context for every transport. WebSocket operations carry the identity verified at
 * connection init (no promise: it is built for every operation on a socket); HTTP and SSE requests
 * present `Authorization: Bearer` on each request.
 */
export function buildContext(core: Core, initial: { request?: Request; req?: IncomingMessage; ws?: WsSession }): GatewayContext | Promise<GatewayContext> {
  return initial.ws ? wsContext(core, initial.ws) : requestContext(core, initial);
}

async function requestContext(core: Core, initial: { request?: Request; req?: IncomingMessage }): Promise<GatewayContext> {
  const ip = initial.req ? clientIp(initial.req, core.config.trustProxy) : 'unknown';
  const headers = initial.request?.headers;
  const accept = headers?.get('accept') ?? '';
  const transport = accept.includes('text/event-stream') ? 'sse' : 'http';
  const apiKey = headers?.get('x-api-key') ?? null;
  const authorization = headers?.get('authorization');
  const base = { core, transport, apiKey, connection: null, clientIp: ip, keysUnavailable: false } as const;
  if (!authorization) return { ...base, identity: null, tokenProblem: null, adoptFeed: streamAsConnection(core, null) };
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) {
    return { ...base, identity: null, tokenProblem: new TokenError('Authorization must be "Bearer <token>"'), adoptFeed: streamAsConnection(core, null) };
  }
  let identity: Identity | null = null;
  let tokenProblem: TokenError | null = null;
  try {
    identity = await core.tokens.verify(token);
  } catch (error) {
    // The keys could not be had: the token may be good, so operations that need it answer UNAVAILABLE.
    if (error instanceof KeySourceUnavailableError) {
      return { ...base, identity: null, tokenProblem: null, keysUnavailable: true, adoptFeed: streamAsConnection(core, null) };
    }
    if (!(error instanceof TokenError)) throw error;
    tokenProblem = error;
  }
  return { ...base, identity, tokenProblem, adoptFeed: streamAsConnection(core, identity) };
}
