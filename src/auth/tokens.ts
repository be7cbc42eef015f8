import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import { isDisplayName, NAME_RULE } from '../limits/validation';
import { ErrorCode, ID_PATTERN } from '../protocol';

/** Who a valid session token says the caller is. */
export interface Identity {
  peerId: string;
  room: string;
  name: string | null;
  /** Expiry, epoch seconds. */
  exp: number;
  /** When the session began (epoch seconds), kept across refreshes: it ends SESSION_MAX_AGE_S later. */
  sessionStart: number;
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
}

/** Tolerated clock difference between the token's issuer and this gateway. */
const CLOCK_SKEW_S = 5;
const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const claimsSchema = z.object({
  sub: z.string().regex(ID_PATTERN),
  room: z.string().regex(ID_PATTERN),
  exp: z.number(),
  name: z.string().optional(),
  /** When the session began: set at createSession, carried unchanged by every refresh (OIDC's claim name). */
  auth_time: z.number().optional(),
  iat: z.number().optional(),
});

const nowS = (): number => Math.floor(Date.now() / 1000);

/** Mints and verifies session tokens: HS256 with the shared secret, or RS/ES keys from a JWKS URL. */
export class TokenService {
  private readonly key: Uint8Array;
  private readonly jwks: JWTVerifyGetKey | undefined;
  private readonly checks: Pick<JWTVerifyOptions, 'audience' | 'issuer' | 'clockTolerance'>;

  constructor(private readonly options: TokenServiceOptions) {
    this.key = new TextEncoder().encode(options.secret);
    this.jwks = options.jwksUrl === undefined ? undefined : loadJwks(new URL(options.jwksUrl));
    this.checks = { clockTolerance: CLOCK_SKEW_S };
    if (options.audience !== undefined) this.checks.audience = options.audience;
    if (options.issuer !== undefined) this.checks.issuer = options.issuer;
  }

  /**
   * A token for `ttlS` seconds (0 < ttlS ≤ maxAgeS), or less: never past the session's end,
   * `sessionStart` + maxAgeS. A refresh passes the session's original start.
   */
  async mint(identity: Omit<Identity, 'exp' | 'sessionStart'>, ttlS: number, sessionStart = nowS()): Promise<{ token: string; expiresAt: Date }> {
    const { maxAgeS } = this.options;
    if (!Number.isSafeInteger(ttlS) || ttlS <= 0 || ttlS > maxAgeS) throw new RangeError(`token lifetime must be 1–${maxAgeS} s`);
    const exp = Math.min(nowS() + ttlS, sessionStart + maxAgeS);
    if (exp <= nowS()) throw new TokenError(this.tooOld());
    const claims: Record<string, string | number> = { room: identity.room, auth_time: sessionStart };
    if (identity.name !== null) claims['name'] = identity.name;
    const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setSubject(identity.peerId).setIssuedAt().setExpirationTime(exp);
    if (this.options.audience !== undefined) jwt.setAudience(this.options.audience);
    if (this.options.issuer !== undefined) jwt.setIssuer(this.options.issuer);
    const token = await jwt.sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies signature, algorithm and times; throws {@link TokenError} with a client-safe reason. */
  async verify(token: string): Promise<Identity> {
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
      if (error instanceof TokenError) throw error;
      const code = error instanceof Error && 'code' in error ? error.code : undefined;
      throw new TokenError(code === 'ERR_JWT_EXPIRED' ? 'token expired' : code === 'ERR_JWT_CLAIM_VALIDATION_FAILED' ? 'token claims not accepted' : 'token invalid');
    }
    const claims = claimsSchema.safeParse(payload);
    if (!claims.success) throw new TokenError('token claims invalid: needs sub, room and exp');
    const { sub, room, exp, name, auth_time: authTime, iat } = claims.data;
    // Tokens minted elsewhere (a backend, another CLI) are held to the same rules as ours.
    if (name !== undefined && !isDisplayName(name)) throw new TokenError(`token claim ${NAME_RULE}`, ErrorCode.BadUserInput);
    const now = nowS();
    const { maxAgeS } = this.options;
    if (exp > now + maxAgeS + CLOCK_SKEW_S) throw new TokenError(`token expiry lies beyond the longest session (SESSION_MAX_AGE_S = ${maxAgeS} s)`);
    const sessionStart = authTime ?? iat ?? now;
    if (sessionStart > now + CLOCK_SKEW_S) throw new TokenError('token session starts in the future');
    if (now >= sessionStart + maxAgeS) throw new TokenError(this.tooOld());
    return { peerId: sub, room, name: name ?? null, exp, sessionStart };
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

/** A JWKS from a URL (jose fetches, caches and refreshes it) or from a file (read once at start). */
function loadJwks(url: URL): JWTVerifyGetKey {
  if (url.protocol !== 'file:') return createRemoteJWKSet(url);
  const jwks = JSON.parse(readFileSync(fileURLToPath(url), 'utf8')) as JSONWebKeySet;
  return createLocalJWKSet(jwks);
}
