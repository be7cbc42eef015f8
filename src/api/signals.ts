import type { IceCandidateData, PeerInfo, SignalEvent } from '../events';
import { validateCandidate, validateId, validateSdp } from '../limits/validation';
import { MAX_PRESENCE_BATCH_ENTRIES, PRESENCE_BATCH_WINDOW_MS, PresenceMode, SignalKind } from '../protocol';
import { builder, PeerRef } from './builder';
import { requireIdentity } from './context';
import { observeDelivery, openSignals, relay, validateCursor, validateIdempotencyKey } from './signaling';

type EventOf<K extends SignalKind> = Extract<SignalEvent, { kind: K }>;

export const SignalRef = builder.interfaceRef<SignalEvent>('Signal').implement({
  description: 'An event delivered to one peer. Resume after a drop with signals(after: <last cursor>).',
  fields: (t) => ({
    cursor: t.exposeID('cursor'),
    at: t.field({ type: 'DateTime', resolve: (event) => new Date(event.at) }),
  }),
  resolveType: (event) => event.kind,
});

builder.objectRef<EventOf<'Welcome'>>(SignalKind.Welcome).implement({
  description: 'Always the first event of a subscription: who I am and who else is in the room.',
  interfaces: [SignalRef],
  fields: (t) => ({
    self: t.expose('self', { type: PeerRef }),
    room: t.exposeID('room'),
    peers: t.expose('peers', { type: [PeerRef] }),
    resumed: t.exposeBoolean('resumed', {
      description: 'False when the after cursor was no longer retained: renegotiate (ICE restart).',
    }),
  }),
});

builder.objectRef<EventOf<'PeerConnected'>>(SignalKind.PeerConnected).implement({
  interfaces: [SignalRef],
  fields: (t) => ({ peer: t.expose('peer', { type: PeerRef }) }),
});

builder.objectRef<EventOf<'PeerDisconnected'>>(SignalKind.PeerDisconnected).implement({
  interfaces: [SignalRef],
  fields: (t) => ({
    peer: t.expose('peer', { type: PeerRef }),
    reason: t.exposeString('reason', { description: 'left (leaveRoom) or timeout (connection lost past the grace period).' }),
  }),
});

const PeerDepartureRef = builder.objectRef<{ peer: PeerInfo; reason: string }>('PeerDeparture').implement({
  description: 'A peer that left, in a PresenceBatch.',
  fields: (t) => ({
    peer: t.expose('peer', { type: PeerRef }),
    reason: t.exposeString('reason', { description: 'left (leaveRoom) or timeout (connection lost past the grace period).' }),
  }),
});

builder.objectRef<EventOf<'PresenceBatch'>>(SignalKind.PresenceBatch).implement({
  description:
    `With presence: BATCHED, in place of PeerConnected/PeerDisconnected: the joins and leaves of up to ${PRESENCE_BATCH_WINDOW_MS} ms ` +
    `(at most ${MAX_PRESENCE_BATCH_ENTRIES} entries), in order. Apply joined, then left. Its cursor resumes after its last entry.`,
  interfaces: [SignalRef],
  fields: (t) => ({
    joined: t.expose('joined', { type: [PeerRef] }),
    left: t.expose('left', { type: [PeerDepartureRef] }),
  }),
});

export const PresenceModeRef = builder.enumType('PresenceMode', {
  description: 'How joins and leaves are delivered: EACH as single events, BATCHED as PresenceBatch events (rooms of hundreds or thousands of peers).',
  values: { EACH: { value: PresenceMode.Each }, BATCHED: { value: PresenceMode.Batched } } as const,
});

for (const kind of [SignalKind.Offer, SignalKind.Answer] as const) {
  builder.objectRef<EventOf<typeof kind>>(kind).implement({
    interfaces: [SignalRef],
    fields: (t) => ({
      from: t.exposeID('from'),
      to: t.exposeID('to'),
      sdp: t.exposeString('sdp'),
    }),
  });
}

const IceCandidateDataRef = builder.objectRef<IceCandidateData>('IceCandidateData').implement({
  fields: (t) => ({
    candidate: t.exposeString('candidate', { description: '"" means end-of-candidates.' }),
    sdpMid: t.exposeString('sdpMid', { nullable: true }),
    sdpMLineIndex: t.exposeInt('sdpMLineIndex', { nullable: true }),
    usernameFragment: t.exposeString('usernameFragment', { nullable: true }),
  }),
});

builder.objectRef<EventOf<'IceCandidate'>>(SignalKind.IceCandidate).implement({
  interfaces: [SignalRef],
  fields: (t) => ({
    from: t.exposeID('from'),
    to: t.exposeID('to'),
    candidate: t.expose('candidate', { type: IceCandidateDataRef }),
  }),
});

const IceCandidateInputRef = builder.inputType('IceCandidateInput', {
  fields: (t) => ({
    candidate: t.string({ required: true }),
    sdpMid: t.string(),
    sdpMLineIndex: t.int(),
    usernameFragment: t.string(),
  }),
});

const DeliveryRef = builder.objectRef<{ id: string; at: number }>('Delivery').implement({
  description: 'Receipt for a signal the gateway accepted into the recipient’s mailbox.',
  fields: (t) => ({
    id: t.exposeID('id'),
    at: t.field({ type: 'DateTime', resolve: (d) => new Date(d.at) }),
  }),
});

const IDEMPOTENCY_KEY_HELP =
  'Chosen by the client for this signal and repeated on every retry of it: a repeat while the first signal is still in the recipient’s mailbox answers the first receipt and is not delivered twice.';

builder.mutationFields((t) => ({
  sendOffer: t.field({
    type: DeliveryRef,
    args: { to: t.arg.id({ required: true }), sdp: t.arg.string({ required: true }), idempotencyKey: t.arg.id({ description: IDEMPOTENCY_KEY_HELP }) },
    resolve: (_root, args, ctx) => {
      const from = requireIdentity(ctx).peerId;
      const to = validateId('to', String(args.to));
      return relay(ctx, { kind: SignalKind.Offer, from, to, sdp: validateSdp(args.sdp) }, validateIdempotencyKey(args.idempotencyKey));
    },
  }),
  sendAnswer: t.field({
    type: DeliveryRef,
    args: { to: t.arg.id({ required: true }), sdp: t.arg.string({ required: true }), idempotencyKey: t.arg.id({ description: IDEMPOTENCY_KEY_HELP }) },
    resolve: (_root, args, ctx) => {
      const from = requireIdentity(ctx).peerId;
      const to = validateId('to', String(args.to));
      return relay(ctx, { kind: SignalKind.Answer, from, to, sdp: validateSdp(args.sdp) }, validateIdempotencyKey(args.idempotencyKey));
    },
  }),
  sendIceCandidate: t.field({
    type: DeliveryRef,
    args: { to: t.arg.id({ required: true }), candidate: t.arg({ type: IceCandidateInputRef, required: true }), idempotencyKey: t.arg.id({ description: IDEMPOTENCY_KEY_HELP }) },
    resolve: (_root, args, ctx) => {
      const from = requireIdentity(ctx).peerId;
      const to = validateId('to', String(args.to));
      return relay(ctx, { kind: SignalKind.IceCandidate, from, to, candidate: validateCandidate(args.candidate) }, validateIdempotencyKey(args.idempotencyKey));
    },
  }),
}));

builder.subscriptionField('signals', (t) =>
  t.field({
    type: SignalRef,
    description:
      'My events only: Welcome first, then PeerConnected/PeerDisconnected (PresenceBatch with presence: BATCHED, for large rooms) and the offers, answers and candidates sent to me. ' +
      'Pass the last cursor you received as after to resume without loss or duplicates.',
    args: { after: t.arg.id(), presence: t.arg({ type: PresenceModeRef, defaultValue: PresenceMode.Each }) },
    subscribe: (_root, args, ctx) => openSignals(ctx, validateCursor(args.after), args.presence ?? PresenceMode.Each),
    resolve: (event, _args, ctx) => {
      observeDelivery(ctx, event);
      return event;
    },
  }),
);
