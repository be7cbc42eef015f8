import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, SignJWT, type JSONWebKeySet, type JWTVerifyGetKey, type JWTVerifyOptions } from 'jose';
import { z } from 'zod';
import { ID_PATTERN, MAX_NAME_CHARS } from '../protocol';

/** Who a valid session token says the caller is. */
export interface Identity {
  peerId: string;
  room: string;
  name: string | null;
  /** Expiry, epoch seconds. */
  exp: number;
}

/** A refused token; `reason` is safe to show the client. */
export class TokenError extends Error {
  override name = 'TokenError';
}

export interface TokenServiceOptions {
  secret: string;
  /** `https://…` (fetched and cached by jose) or `file://…` (read once). */
  jwksUrl: string | undefined;
  audience: string | undefined;
  issuer: string | undefined;
}

/** Tolerated clock difference between the token's issuer and this gateway. */
const CLOCK_SKEW_S = 5;
const HMAC_ALGORITHMS = ['HS256'];
const ASYMMETRIC_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'];

const claimsSchema = z.object({
  sub: z.string().regex(ID_PATTERN),
  room: z.string().regex(ID_PATTERN),
  exp: z.number(),
  name: z.string().max(MAX_NAME_CHARS).optional(),
});

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

  async mint(identity: Omit<Identity, 'exp'>, ttlS: number): Promise<{ token: string; expiresAt: Date }> {
    const exp = Math.floor(Date.now() / 1000) + ttlS;
    const claims: Record<string, string> = { room: identity.room };
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
    return { peerId: claims.data.sub, room: claims.data.room, name: claims.data.name ?? null, exp: claims.data.exp };
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
