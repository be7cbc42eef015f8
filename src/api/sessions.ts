import { randomBytes } from 'node:crypto';
import { isServerApiKey } from '../auth/api-key';
import { refusal, unauthenticated } from '../errors';
import { validateId, validateName } from '../limits/validation';
import { ErrorCode, GUEST_CLAIM_MS } from '../protocol';
import { brokered } from './broker-call';
import { limited } from './limited';
import { builder, PeerRef } from './builder';
import { requireIdentity } from './context';

interface SessionShape {
  token: string;
  peerId: string;
  room: string;
  expiresAt: Date;
}

const SessionRef = builder.objectRef<SessionShape>('Session').implement({
  description: 'A session token for one peer in one room. Present it as connectionParams.authToken or Authorization: Bearer.',
  fields: (t) => ({
    token: t.exposeString('token'),
    peerId: t.exposeID('peerId'),
    room: t.exposeID('room'),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
  }),
});

builder.mutationField('createSession', (t) =>
  t.field({
    type: SessionRef,
    description:
      'Mints a session token. Without credentials only while guest sessions are on; otherwise send the x-api-key header. ' +
      'A guest asking for a peer id that a live session holds gets PEER_ID_TAKEN.',
    args: {
      room: t.arg.id({ required: true }),
      peerId: t.arg.id(),
      name: t.arg.string(),
    },
    resolve: async (_root, args, ctx) => {
      const trusted = isServerApiKey(ctx.core.config.apiKey, ctx.apiKey);
      if (!trusted && !ctx.core.config.guestSessions) {
        throw refusal(ErrorCode.Forbidden, 'guest sessions are off: send the server API key as x-api-key');
      }
      if (!trusted) await limited(ctx, 'sessions', ctx.clientIp);
      const room = validateId('room', String(args.room));
      const peerId = args.peerId == null ? `peer-${randomBytes(6).toString('hex')}` : validateId('peerId', String(args.peerId));
      const name = validateName(args.name);
      if (!trusted && !(await brokered(ctx.core.broker.claim({ room, peer: peerId }, GUEST_CLAIM_MS)))) {
        throw refusal(ErrorCode.PeerIdTaken, `peer id ${peerId} is in use in room ${room}; choose another or omit peerId`);
      }
      const { token, expiresAt } = await ctx.core.tokens.mint({ peerId, room, name }, ctx.core.config.sessionTtlS);
      ctx.core.metrics.sessionsCreated.inc();
      return { token, peerId, room, expiresAt };
    },
  }),
);

builder.mutationField('refreshSession', (t) =>
  t.field({
    type: SessionRef,
    description:
      'A fresh token for the same peer and room; needs a valid token. The session keeps its start: no token outlives ' +
      'SESSION_MAX_AGE_S after createSession, and past it refreshSession is refused (UNAUTHENTICATED): create a new session.',
    resolve: async (_root, _args, ctx) => {
      const identity = requireIdentity(ctx);
      const { sessionMaxAgeS, sessionTtlS } = ctx.core.config;
      // The session's start travels in every refreshed token: past SESSION_MAX_AGE_S no refresh extends it.
      if (Date.now() / 1000 >= identity.sessionStart + sessionMaxAgeS) {
        throw unauthenticated(`the session is older than SESSION_MAX_AGE_S (${sessionMaxAgeS} s): create a new session`);
      }
      const { token, expiresAt } = await ctx.core.tokens.mint(
        { peerId: identity.peerId, room: identity.room, name: identity.name },
        sessionTtlS,
        identity.sessionStart,
        // The same session goes on: its mailbox and cursors stay valid under the new token.
        identity.session,
      );
      // A socket authenticates once: refreshing over it extends what it may do, as a new connection would.
      ctx.connection?.renew?.(Math.floor(expiresAt.getTime() / 1000));
      return { token, peerId: identity.peerId, room: identity.room, expiresAt };
    },
  }),
);

builder.queryField('me', (t) =>
  t.field({
    type: PeerRef,
    description: 'The peer the session token speaks for.',
    resolve: (_root, _args, ctx) => {
      const identity = requireIdentity(ctx);
      return { id: identity.peerId, name: identity.name };
    },
  }),
);
