import { peerKey } from '../presence/presence';
import { CloseCode } from '../protocol';
import { brokered } from './broker-call';
import { builder, PeerRef } from './builder';
import { requireIdentity } from './context';

builder.queryField('peers', (t) =>
  t.field({
    type: [PeerRef],
    description: 'The other peers connected (or within their grace period) in my room.',
    resolve: async (_root, _args, ctx) => {
      const identity = requireIdentity(ctx);
      const roster = await brokered(ctx.core.broker.roster(identity.room));
      return roster.filter((p) => p.id !== identity.peerId);
    },
  }),
);

builder.mutationField('leaveRoom', (t) =>
  t.field({
    type: 'Boolean',
    description: 'Leaves at once: others get PeerDisconnected(reason: "left") and my connection ends (4101).',
    resolve: async (_root, _args, ctx) => {
      const identity = requireIdentity(ctx);
      const self = { id: identity.peerId, name: identity.name, room: identity.room, session: identity.session };
      const left = await brokered(ctx.core.presence.leave(self));
      ctx.core.connections.end(peerKey(identity.room, identity.peerId), CloseCode.SessionEnded, 'session ended: left the room');
      return left;
    },
  }),
);
