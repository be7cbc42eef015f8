import { isServerApiKey } from '../auth/api-key';
import type { RoomRoster } from '../broker/broker';
import { refusal } from '../errors';
import { validateId } from '../limits/validation';
import { ErrorCode } from '../protocol';
import { brokered } from './broker-call';
import { builder, PeerRef } from './builder';
import type { GatewayContext } from './context';
import { limited } from './limited';

/**
 * The app backend's room controls: only with the server's API key (`x-api-key`, over HTTP). A session
 * token never suffices: these act on rooms and peers that are not the caller's.
 */
async function requireApiKey(ctx: GatewayContext): Promise<void> {
  const expected = ctx.core.config.apiKey;
  if (expected === undefined) throw refusal(ErrorCode.Forbidden, 'the admin API is off: set SIGNALING_API_KEY and send it as x-api-key');
  if (ctx.apiKey === null) throw refusal(ErrorCode.Forbidden, 'admin operations need the server API key as x-api-key over HTTP; a session token never suffices');
  if (!isServerApiKey(expected, ctx.apiKey)) {
    // Wrong keys are counted per IP: past the limit the answer is RATE_LIMITED, so the key cannot be guessed online.
    await limited(ctx, 'apiKey', ctx.clientIp);
    throw refusal(ErrorCode.Forbidden, 'x-api-key is not this server’s API key');
  }
}

const RoomRef = builder.objectRef<RoomRoster>('Room').implement({
  description: 'A room as the backend sees it: the peers in its roster (connected, or within their grace period).',
  fields: (t) => ({
    id: t.exposeID('id'),
    peers: t.expose('peers', { type: [PeerRef] }),
  }),
});

/** Removes one peer for the backend; a removed session stays barred as long as any of its tokens could be valid. */
function removeOne(ctx: GatewayContext, room: string, peerId: string): Promise<boolean> {
  return brokered(ctx.core.broker.remove(room, peerId, ctx.core.config.sessionMaxAgeS * 1000));
}

builder.queryFields((t) => ({
  rooms: t.field({
    type: [RoomRef],
    description: 'Admin (x-api-key): every room with peers, by id.',
    resolve: async (_root, _args, ctx) => {
      await requireApiKey(ctx);
      return brokered(ctx.core.broker.listRooms());
    },
  }),
  room: t.field({
    type: RoomRef,
    nullable: true,
    description: 'Admin (x-api-key): one room, or null when no peer is in it.',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await requireApiKey(ctx);
      const id = validateId('id', String(args.id));
      const peers = await brokered(ctx.core.broker.roster(id));
      return peers.length === 0 ? null : { id, peers };
    },
  }),
}));

builder.mutationFields((t) => ({
  removePeer: t.field({
    type: 'Boolean',
    description:
      'Admin (x-api-key): removes a peer. Its connections close with 4101, the others get PeerDisconnected(reason: "removed"), ' +
      'and its session cannot join the room again (its tokens, refreshed or not, are refused); a new session can. False when it was not in the room.',
    args: { room: t.arg.id({ required: true }), peerId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await requireApiKey(ctx);
      const room = validateId('room', String(args.room));
      const peerId = validateId('peerId', String(args.peerId));
      const removed = await removeOne(ctx, room, peerId);
      if (removed) ctx.core.log.info({ room, peer: peerId }, 'peer removed by the backend');
      return removed;
    },
  }),
  endRoom: t.field({
    type: 'Int',
    description: 'Admin (x-api-key): removes every peer of the room (as removePeer does) and answers how many.',
    args: { room: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await requireApiKey(ctx);
      const room = validateId('room', String(args.room));
      const roster = await brokered(ctx.core.broker.roster(room));
      const removed = await Promise.all(roster.map((peer) => removeOne(ctx, room, peer.id)));
      const count = removed.filter(Boolean).length;
      ctx.core.log.info({ room, peers: count }, 'room ended by the backend');
      return count;
    },
  }),
}));
