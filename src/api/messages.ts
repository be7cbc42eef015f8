import { validateId, validateMessageData } from '../limits/validation';
import { SignalKind } from '../protocol';
import { builder } from './builder';
import { requireIdentity } from './context';
import { relay, validateIdempotencyKey } from './signaling';
import { DeliveryRef, type EventOf, IDEMPOTENCY_KEY_HELP, SignalRef } from './signals';

builder.objectRef<EventOf<'Message'>>(SignalKind.Message).implement({
  description: 'An app message from another peer of the room (sendMessage): to me, or broadcast to everyone but its sender.',
  interfaces: [SignalRef],
  fields: (t) => ({
    from: t.exposeID('from'),
    // Stored once for a broadcast, so its recipient is whoever reads it: me, as for every event of mine.
    to: t.field({ type: 'ID', description: 'Me (the recipient), as in every event of my stream.', resolve: (event, _args, ctx) => event.to ?? requireIdentity(ctx).peerId }),
    broadcast: t.boolean({ description: 'True when it was sent to every peer of the room (sendMessage without to).', resolve: (event) => event.to === null }),
    data: t.exposeString('data'),
  }),
});

builder.mutationField('sendMessage', (t) =>
  t.field({
    type: DeliveryRef,
    description:
      'Sends an app message (mute, hand raised, anything small) through the gateway, before or without a data channel: to one peer, ' +
      'or with `to` omitted to every other peer of my room. Delivered as a Message event, ordered and resumed like signals; ' +
      'data ≤ 16 KiB without control characters (tab, line feed and carriage return allowed), rate-limited per peer.',
    args: {
      to: t.arg.id(),
      data: t.arg.string({ required: true }),
      idempotencyKey: t.arg.id({ description: IDEMPOTENCY_KEY_HELP }),
    },
    resolve: (_root, args, ctx) => {
      const from = requireIdentity(ctx).peerId;
      const data = validateMessageData(args.data);
      const key = validateIdempotencyKey(args.idempotencyKey);
      if (args.to === null || args.to === undefined) return relay(ctx, { kind: SignalKind.Message, from, to: null, data }, key);
      return relay(ctx, { kind: SignalKind.Message, from, to: validateId('to', String(args.to)), data }, key);
    },
  }),
);
