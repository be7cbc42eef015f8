import { createRemoteJWKSet, jwtVerify, SignJWT, type JWTVerifyGetKey } from 'jose';
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
  jwksUrl: string | undefined;
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

  constructor(options: TokenServiceOptions) {
    this.key = new TextEncoder().encode(options.secret);
    this.jwks = options.jwksUrl === undefined ? undefined : createRemoteJWKSet(new URL(options.jwksUrl));
  }

  async mint(identity: Omit<Identity, 'exp'>, ttlS: number): Promise<{ token: string; expiresAt: Date }> {
    const exp = Math.floor(Date.now() / 1000) + ttlS;
    const claims: Record<string, string> = { room: identity.room };
    if (identity.name !== null) claims['name'] = identity.name;
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(identity.peerId)
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: new Date(exp * 1000) };
  }

  /** Verifies signature, algorithm and times; throws {@link TokenError} with a client-safe reason. */
  async verify(token: string): Promise<Identity> {
    let payload: unknown;
    try {
      const result = this.isHmac(token)
        ? await jwtVerify(token, this.key, { algorithms: HMAC_ALGORITHMS, clockTolerance: CLOCK_SKEW_S })
        : this.jwks
          ? await jwtVerify(token, this.jwks, { algorithms: ASYMMETRIC_ALGORITHMS, clockTolerance: CLOCK_SKEW_S })
          : null;
      if (result === null) throw new TokenError('token algorithm not accepted');
      payload = result.payload;
    } catch (error) {
      if (error instanceof TokenError) throw error;
      const code = (error as { code?: unknown }).code;
      throw new TokenError(code === 'ERR_JWT_EXPIRED' ? 'token expired' : 'token invalid');
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
