/**
 * Reading a session token's claims on the client. The client never verifies a token (the gateway
 * does); it only needs to know who it is and when to refresh.
 */
import { TOKEN_REFRESH_MAX_MARGIN_MS, TOKEN_REFRESH_MIN_MARGIN_MS, TOKEN_REFRESH_SHARE } from './protocol';
import { SignalingError } from './errors';

/** setTimeout's longest delay; a longer one fires at once. A token that outlives it is checked again then. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** The claims of a session token the SDK uses. */
export interface TokenClaims {
  /** The peer id (`sub`). */
  readonly peerId: string;
  readonly room: string;
  /** Expiry, in ms since the epoch. */
  readonly expiresAtMs: number;
  /** Issued-at, in ms since the epoch (the expiry minus the default lifetime when absent). */
  readonly issuedAtMs: number | null;
}

function base64UrlDecode(part: string): string {
  const base64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)));
}

/** Reads the claims of a session token; throws a `BAD_USER_INPUT` {@link SignalingError} when it is not one. */
export function readToken(token: string): TokenClaims {
  const payload = token.split('.')[1];
  let claims: unknown;
  try {
    claims = payload ? JSON.parse(base64UrlDecode(payload)) : null;
  } catch {
    claims = null;
  }
  if (typeof claims !== 'object' || claims === null) throw new SignalingError('BAD_USER_INPUT', 'the token is not a JWT');
  const { sub, room, exp, iat } = claims as { sub?: unknown; room?: unknown; exp?: unknown; iat?: unknown };
  if (typeof sub !== 'string' || typeof room !== 'string' || typeof exp !== 'number') {
    throw new SignalingError('BAD_USER_INPUT', 'the token lacks sub, room or exp: is it a Switchboard session token?');
  }
  return { peerId: sub, room, expiresAtMs: exp * 1000, issuedAtMs: typeof iat === 'number' ? iat * 1000 : null };
}

/**
 * How long from `nowMs` until the token should be refreshed: when {@link TOKEN_REFRESH_SHARE} of its
 * lifetime is left, but at least {@link TOKEN_REFRESH_MIN_MARGIN_MS} and at most
 * {@link TOKEN_REFRESH_MAX_MARGIN_MS} before expiry.
 */
export function refreshDelayMs(claims: TokenClaims, nowMs: number): number {
  const lifetimeMs = claims.expiresAtMs - (claims.issuedAtMs ?? nowMs);
  const marginMs = Math.min(TOKEN_REFRESH_MAX_MARGIN_MS, Math.max(TOKEN_REFRESH_MIN_MARGIN_MS, lifetimeMs * TOKEN_REFRESH_SHARE));
  return Math.min(MAX_TIMER_DELAY_MS, Math.max(0, claims.expiresAtMs - marginMs - nowMs));
}
