import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { TEST_SECRET } from './gateway';

/**
 * A session token as a backend mints it with the shared secret (not through createSession): a new
 * session (`sid`, `sat`) for `peer` in `room`, valid for `ttlS`.
 */
export function backendToken(room: string, peer: string, ttlS = 600): Promise<string> {
  const now = Date.now();
  return new SignJWT({ room, sid: randomBytes(9).toString('base64url'), sat: now })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(peer)
    .setIssuedAt()
    .setExpirationTime(Math.floor(now / 1000) + ttlS)
    .sign(new TextEncoder().encode(TEST_SECRET));
}
