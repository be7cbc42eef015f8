import type { GatewayContext } from '../api/context';
import { TokenError, type Identity } from '../auth/tokens';
import type { Core } from '../core';
import type { WsSession } from './websocket';

/** What graphql-ws hands yoga's envelop for one operation: the socket's session instead of a request. */
export interface WsInitialContext {
  ws: WsSession;
  params: unknown;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/**
 * Builds the resolver context for every transport. WebSocket operations carry the identity verified at
 * connection init; HTTP and SSE requests present `Authorization: Bearer` on each request.
 */
export async function buildContext(core: Core, initial: { request?: Request; ws?: WsSession }): Promise<GatewayContext> {
  if (initial.ws) {
    return { core, transport: 'ws', identity: initial.ws.identity, tokenProblem: null, apiKey: null, connection: initial.ws.handle };
  }
  const headers = initial.request?.headers;
  const accept = headers?.get('accept') ?? '';
  const transport = accept.includes('text/event-stream') ? 'sse' : 'http';
  const apiKey = headers?.get('x-api-key') ?? null;
  const authorization = headers?.get('authorization');
  if (!authorization) return { core, transport, identity: null, tokenProblem: null, apiKey, connection: null };
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) {
    return { core, transport, identity: null, tokenProblem: 'Authorization must be "Bearer <token>"', apiKey, connection: null };
  }
  let identity: Identity | null = null;
  let tokenProblem: string | null = null;
  try {
    identity = await core.tokens.verify(token);
  } catch (error) {
    if (!(error instanceof TokenError)) throw error;
    tokenProblem = error.message;
  }
  return { core, transport, identity, tokenProblem, apiKey, connection: null };
}
