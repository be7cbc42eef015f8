import { createHmac } from 'node:crypto';
import type { Config } from '../config';
import { builder } from './builder';
import { requireIdentity } from './context';

interface IceServerShape {
  urls: string[];
  username: string | null;
  credential: string | null;
}

const IceServerRef = builder.objectRef<IceServerShape>('IceServer').implement({
  description: 'An RTCIceServer. TURN credentials are ephemeral (coturn use-auth-secret) and tied to my peer id.',
  fields: (t) => ({
    urls: t.exposeStringList('urls'),
    username: t.exposeString('username', { nullable: true }),
    credential: t.exposeString('credential', { nullable: true }),
  }),
});

/**
 * coturn's REST credentials: username `<unix expiry>:<peer id>`, credential the base64 HMAC-SHA1 of
 * the username keyed with the shared secret, so coturn can check them without calling us.
 */
export function turnCredentials(secret: string, peerId: string, ttlS: number, nowMs = Date.now()): { username: string; credential: string } {
  const username = `${Math.floor(nowMs / 1000) + ttlS}:${peerId}`;
  const credential = createHmac('sha1', secret).update(username).digest('base64');
  return { username, credential };
}

export function iceServersFor(config: Config, peerId: string): IceServerShape[] {
  const servers: IceServerShape[] = [];
  if (config.stunUrls.length > 0) servers.push({ urls: config.stunUrls, username: null, credential: null });
  if (config.turnUrls.length > 0 && config.turnSecret !== undefined) {
    servers.push({ urls: config.turnUrls, ...turnCredentials(config.turnSecret, peerId, config.turnTtlS) });
  }
  return servers;
}

builder.queryField('iceServers', (t) =>
  t.field({
    type: [IceServerRef],
    description: 'STUN and TURN servers to pass to RTCPeerConnection.',
    resolve: (_root, _args, ctx) => iceServersFor(ctx.core.config, requireIdentity(ctx).peerId),
  }),
);
