import { brokered } from './broker-call';
import { builder, PeerRef } from './builder';
import { requireIdentity } from './context';
import { leaveRoom } from './signaling';

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
    resolve: (_root, _args, ctx) => leaveRoom(ctx),
  }),
);
