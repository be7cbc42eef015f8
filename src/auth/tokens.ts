import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import type { PeerSession } from '../events';
import { isDisplayName, NAME_RULE } from '../limits/validation';
import { ErrorCode, ID_PATTERN, TOKEN_VERIFY_TIMEOUT_MS } from '../protocol';
import { KeySourceUnavailableError, RemoteKeySet } from './jwks';

export { KeySourceUnavailableError } from './jwks';

/** Who a valid session token says the caller is. */
export interface Identity {
  peerId: string;
  room: string;
  name: string | null;
  /** Expiry, epoch seconds. */
  exp: number;
  /** When the session began (epoch seconds), kept across refreshes: it ends SESSION_MAX_AGE_S later. */
  sessionStart: number;
  /** The session the token belongs to; kept by refreshSession. */
  session: PeerSession;
}

/** A refused token; the message is safe to show the client, `code` is the refusal's code on HTTP. */
export class TokenError extends Error {
  override name = 'TokenError';

  constructor(
    message: string,
    readonly code: ErrorCode = ErrorCode.Unauthenticated,
  ) {
    super(message);
  }
}

export interface TokenServiceOptions {
  secret: string;
  /** `https://…` (fetched and cached by jose) or `file://…` (read once). */
  jwksUrl: string | undefined;
  audience: string | undefined;
  issuer: string | undefined;
  /** SESSION_MAX_AGE_S: the longest a session lives, and the furthest `exp` a token may carry. */
  maxAgeS: number;
  /** Bound on one verify(), key download included (default {@link TOKEN_VERIFY_TIMEOUT_MS}). */
  verifyTimeoutMs?: number;
}

/** Tolerated clock difference between the token's issuer and this gateway. */
const CLOCK_SKEW_S = 5;
const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const SESSION_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

const claimsSchema = z.object({
  sub: z.string().regex(ID_PATTERN),
  room: z.string().regex(ID_PATTERN),
  exp: z.number(),
  name: z.string().optional(),
  /** When the session began: set at createSession, carried unchanged by every refresh (OIDC's claim name). */
  auth_time: z.number().optional(),
  iat: z.number().optional(),
  /** The session's id and its start in ms (docs/security.md, "Session identity"); both or neither. */
  sid: z.string().regex(SESSION_ID_PATTERN).optional(),
  sat: z.number().int().nonnegative().optional(),
});

const nowS = (): number => Math.floor(Date.now() / 1000);

/** A new session's id: random, not guessable from the peer id. */
function newSession(): PeerSession {
  return { id: randomBytes(9).toString('base64url'), startedAtMs: Date.now() };
}

/** Mints and verifies session tokens: HS256 with the shared secret, or RS/ES keys from a JWKS URL. */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly verifyTimeoutMs: number;
  private readonly checks: Pick<JWTVerifyOptions, 'audience' | 'issuer' | 'clockTolerance'>;

  constructor(private readonly options: TokenServiceOptions) {
    this.verifyTimeoutMs = options.verifyTimeoutMs ?? TOKEN_VERIFY_TIMEOUT_MS;
    this.key = new TextEncoder().encode(options.secret);
    this.jwks = options.jwksUrl === undefined ? undefined : loadJwks(new URL(options.jwksUrl));
    this.checks = { clockTolerance: CLOCK_SKEW_S };
    if (options.audience !== undefined) this.checks.audience = options.audience;
    if (options.issuer !== undefined) this.checks.issuer = options.issuer;
  }

  /**
   * A token for `ttlS` seconds (0 < ttlS ≤ maxAgeS), or less: never past the session's end,
   * `sessionStart` + maxAgeS. A refresh passes the session's original start and the session itself
   * (its `sid`), so the session carries on; without them a new session starts (createSession, the
   * CLI). A session without an id (a token minted elsewhere without `sid`) stays without one.
   */
  async mint(
    identity: Omit<Identity, 'exp' | 'sessionStart' | 'session'>,
    ttlS: number,
    sessionStart = nowS(),
    session: PeerSession = newSession(),
  ): Promise<{ token: string; expiresAt: Date }> {
    const { maxAgeS } = this.options;
    if (!Number.isSafeInteger(ttlS) || ttlS <= 0 || ttlS > maxAgeS) throw new RangeError(`token lifetime must be 1–${maxAgeS} s`);
    const exp = Math.min(nowS() + ttlS, sessionStart + maxAgeS);
    if (exp <= nowS()) throw new TokenError(this.tooOld());
    const claims: Record<string, string | number> = { room: identity.room, auth_time: sessionStart };
    if (identity.name !== null) claims['name'] = identity.name;
    if (session.id !== '') {
      claims['sid'] = session.id;
      claims['sat'] = session.startedAtMs;
    }
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(identity.peerId).setIssuedAt().setExpirationTime(exp);
    if (this.options.audience !== undefined) jwt.setAudience(this.options.audience);
    if (this.options.issuer !== undefined) jwt.setIssuer(this.options.issuer);
    const token = await jwt.sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /**
   * Verifies signature, algorithm and times; throws {@link TokenError} with a client-safe reason, or
   * {@link KeySourceUnavailableError} when the keys could not be had within the deadline (an outage).
   */
  async verify(token: string): Promise<Identity> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KeySourceUnavailableError(`token not verified within ${this.verifyTimeoutMs} ms`)), this.verifyTimeoutMs);
    });
    try {
      return await Promise.race([this.check(token), deadline]);
    } finally {
      clearTimeout(timer);
    }
  }

  private async check(token: string): Promise<Identity> {
    let payload: unknown;
    try {
      // Each key type is verified only with its own pinned algorithms: no alg "none", and no HMAC
      // with a public key as the secret (algorithm confusion).
      const result = this.isHmac(token)
        ? await jwtVerify(token, this.key, { ...this.checks, algorithms: HMAC_ALGORITHMS })
        : this.jwks
          ? await jwtVerify(token, this.jwks, { ...this.checks, algorithms: ASYMMETRIC_ALGORITHMS })
          : null;
      if (result === null) throw new TokenError('token algorithm not accepted');
      const issuedAt = result.payload.iat;
      if (issuedAt !== undefined && issuedAt > Date.now() / 1000 + CLOCK_SKEW_S) throw new TokenError('token issued in the future');
      payload = result.payload;
    } catch (error) {
      if (error instanceof TokenError || error instanceof KeySourceUnavailableError) throw error;
      const code = error instanceof Error && 'code' in error ? error.code : undefined;
      throw new TokenError(code === 'ERR_JWT_EXPIRED' ? 'token expired' : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? 'token claims not accepted' : 'token invalid');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError('token claims invalid: needs sub, room and exp');
    const { sub, room, exp, name, auth_time: authTime, iat, sid, sat } = claims.data;
    if ((sid === undefined) !== (sat === undefined)) throw new TokenError('token claims invalid: sid and sat go together');
    // Tokens minted elsewhere (a backend, another CLI) are held to the same rules as ours.
    if (name !== undefined && !isDisplayName(name)) throw new TokenError(`token claim ${NAME_RULE}`, ErrorCode.BadUserInput);
    const now = nowS();
    const { maxAgeS } = this.options;
    if (exp > now + maxAgeS + CLOCK_SKEW_S) throw new TokenError(`token expiry lies beyond the longest session (SESSION_MAX_AGE_S = ${maxAgeS} s)`);
    const sessionStart = authTime ?? iat ?? now;
    if (sessionStart > now + CLOCK_SKEW_S) throw new TokenError('token session starts in the future');
    if (now >= sessionStart + maxAgeS) throw new TokenError(this.tooOld());
    const session: PeerSession = sid === undefined ? { id: '', startedAtMs: (iat ?? 0) * 1000 } : { id: sid, startedAtMs: sat ?? 0 };
    return { peerId: sub, room, name: name ?? null, exp, sessionStart, session };
  }

  private tooOld(): string {
    return `the session is older than SESSION_MAX_AGE_S (${this.options.maxAgeS} s): create a new session`;
  }

  private isHmac(token: string): boolean {
    const header = token.split('.')[0] ?? '';
    try {
      const parsed: unknown = JSON.parse(Buffer.from(header, 'base64url').toString('utf8'));
      return typeof parsed === 'object' && parsed !== null && (parsed as { alg?: unknown }).alg === 'HS256';
    } catch {
      return false;
    }
  }
}

/** A JWKS from a URL (fetched, cached and refreshed within bounds: see RemoteKeySet) or from a file (read once at start). */
function loadJwks(url: URL): JWTVerifyGetKey {
  if (url.protocol !== 'file:') return new RemoteKeySet(url).getKey;
  const jwks = JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as JSONWebKeySet;
  return createLocalJWKSet(jwks);
}
