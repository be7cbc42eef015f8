import type { Identity, TokenError } from '../auth/tokens';
import type { Feed } from '../broker/feed';
import type { Core } from '../core';
import { refusal, unauthenticated, unavailable } from '../errors';
import type { ConnectionHandle } from '../presence/connections';

export type Transport = 'http' | 'sse' | 'ws' | 'socket.io' | 'peerjs';

/** What every resolver sees, whichever transport the operation came on. */
export interface GatewayContext {
  core: Core;
  transport: Transport;
  /** The verified token's identity; null when no valid token was presented. */
  identity: Identity | null;
  /** Why a presented token was refused: its message and code (UNAUTHENTICATED, or BAD_USER_INPUT for a bad claim). */
  tokenProblem: TokenError | null;
  /** The token could not be checked (its key source is down): operations needing it answer UNAVAILABLE. */
  keysUnavailable: boolean;
  /** The `x-api-key` header, for createSession when guest sessions are off. */
  apiKey: string | null;
  /** The WebSocket this operation arrived on; null on HTTP and SSE. */
  connection: ConnectionHandle | null;
  /**
   * What the transport makes of the peer's signal feed once `signals` opened it: on WebSocket the
   * socket is the peer's connection (a slow consumer closes it); on SSE the stream itself is.
   */
  adoptFeed(feed: Feed): void;
  /** The caller's IP (see TRUST_PROXY), for per-IP limits. */
  clientIp: string;
}

/** The caller's identity, or UNAUTHENTICATED; also refuses a token that expired mid-connection. */
export function requireIdentity(ctx: GatewayContext): Identity {
  const { identity } = ctx;
  if (identity === null && ctx.keysUnavailable) throw unavailable('the token could not be checked (its key source is unreachable); retry shortly');
  if (identity === null) throw ctx.tokenProblem ? refusal(ctx.tokenProblem.code, ctx.tokenProblem.message) : unauthenticated();
  if (identity.exp * 1000 <= Date.now()) throw unauthenticated('token expired: call refreshSession before expiry or create a new session');
  return identity;
}
