import type { IncomingMessage } from 'node:http';
import type { GatewayContext } from '../api/context';
import { clientIp } from '../limits/client-ip';
import { KeySourceUnavailableError, TokenError, type Identity } from '../auth/tokens';
import type { Core } from '../core';
import type { WsSession } from './websocket';

/** What graphql-ws hands yoga's envelop for one operation: the socket's session instead of a request. */
export interface WsInitialContext {
  ws: WsSession;
  params: unknown;
}

const BEARER = /^Bearer\s+(\S+)$/i;

/** The resolver context of an operation on a WebSocket: the identity verified at connection init. */
export function wsContext(core: Core, session: WsSession): GatewayContext {
  const { identity, handle, clientIp } = session;
  return { core, transport: 'ws', identity, tokenProblem: null, keysUnavailable: false, apiKey: null, connection: handle, clientIp };
}

/**
 * Builds the resolver context for every transport. WebSocket operations carry the identity verified at
 * connection init; HTTP and SSE requests present `Authorization: Bearer` on each request.
 */
export async function buildContext(core: Core, initial: { request?: Request; req?: IncomingMessage; ws?: WsSession }): Promise<GatewayContext> {
  if (initial.ws) return wsContext(core, initial.ws);
  const ip = initial.req ? clientIp(initial.req, core.config.trustProxy) : 'unknown';
  const headers = initial.request?.headers;
  const accept = headers?.get('accept') ?? '';
  const transport = accept.includes('text/event-stream') ? 'sse' : 'http';
  const apiKey = headers?.get('x-api-key') ?? null;
  const authorization = headers?.get('authorization');
  const base = { core, transport, apiKey, connection: null, clientIp: ip, keysUnavailable: false } as const;
  if (!authorization) return { ...base, identity: null, tokenProblem: null };
  const token = BEARER.exec(authorization)?.[1];
  if (token === undefined) {
    return { ...base, identity: null, tokenProblem: 'Authorization must be "Bearer <token>"' };
  }
  let identity: Identity | null = null;
  let tokenProblem: string | null = null;
  try {
    identity = await core.tokens.verify(token);
  } catch (error) {
    // The keys could not be had: the token may be good, so operations that need it answer UNAVAILABLE.
    if (error instanceof KeySourceUnavailableError) return { ...base, identity: null, tokenProblem: null, keysUnavailable: true };
    if (!(error instanceof TokenError)) throw error;
    tokenProblem = error.message;
  }
  return { ...base, identity, tokenProblem };
}
