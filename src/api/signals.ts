import type { Feed } from '../broker/feed';
import type { DirectSignal, IceCandidateData, PeerInfo, SignalEvent } from '../events';
import { refusal } from '../errors';
import { limited } from './limited';
import { RateLimits } from '../limits/rate-limits';
import { validateCandidate, validateId, validateSdp } from '../limits/validation';
import { peerKey } from '../presence/presence';
import { ErrorCode, IDEMPOTENCY_KEY_PATTERN, MAX_CURSOR_CHARS, MAX_PRESENCE_BATCH_ENTRIES, PRESENCE_BATCH_WINDOW_MS, PresenceMode, SignalKind } from '../protocol';
import { brokered } from './broker-call';
import { builder, PeerRef } from './builder';
import { type GatewayContext, requireIdentity } from './context';

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

/** Accepts one signal from the token's peer to a peer of the same room (traced when tracing is on). */
async function relay(ctx: GatewayContext, signal: DirectSignal, idempotencyKey: string | null): Promise<{ id: string; at: number }> {
  const identity = requireIdentity(ctx);
  await limited(ctx, RateLimits.forSignal(signal.kind), peerKey(identity.room, identity.peerId));
  const tracing = ctx.core.tracing;
  const span = tracing === null ? null : tracing.accept(identity.room, signal.kind);
  try {
    const traceparent = span === null ? null : span.traceparent;
    const delivery = await brokered(ctx.core.broker.send(identity.room, signal, { session: identity.session, idempotencyKey, traceparent }));
    if (delivery === 'recipient-not-found') {
      throw refusal(ErrorCode.PeerNotFound, `no peer ${signal.to} is connected in your room`, { to: signal.to });
    }
    if (delivery === 'sender-not-joined') {
      throw refusal(ErrorCode.Forbidden, 'you are not connected to your room: subscribe to signals (or poll) before sending');
    }
    ctx.core.metrics.signalsRelayed.inc({ type: signal.kind });
    span?.end();
    return delivery;
  } catch (error) {
    span?.fail(error);
    throw error;
  }
}

const IDEMPOTENCY_KEY_HELP =
  'Chosen by the client for this signal and repeated on every retry of it: a repeat while the first signal is still in the recipient’s mailbox answers the first receipt and is not delivered twice.';

function validateIdempotencyKey(key: string | number | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const text = String(key);
  if (!IDEMPOTENCY_KEY_PATTERN.test(text)) throw refusal(ErrorCode.BadUserInput, 'idempotencyKey must be 1–64 of A-Z a-z 0-9 _ -', { field: 'idempotencyKey' });
  return text;
}

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

/** The `presence` argument's help, on `signals` and `pollSignals`. */
export const PRESENCE_ARG_HELP = 'BATCHED for large rooms: joins and leaves as PresenceBatch events.';

export function validateCursor(after: string | number | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  const cursor = String(after);
  if (cursor.length > MAX_CURSOR_CHARS) throw refusal(ErrorCode.BadUserInput, 'after is not a cursor this gateway issued', { field: 'after' });
  return cursor;
}

/**
 * Opens the caller's event stream: counts it as connected (presence), then Welcome, replay after the
 * cursor, and live events. The transport adopts it (see GatewayContext.adoptFeed).
 */
async function openSignals(ctx: GatewayContext, after: string | null, presence: PresenceMode): Promise<Feed> {
  const identity = requireIdentity(ctx);
  const self = { id: identity.peerId, name: identity.name, room: identity.room, session: identity.session };
  const detach = await brokered(ctx.core.presence.attach(self));
  let feed: Feed;
  try {
    feed = await brokered(ctx.core.broker.open(self, after, presence));
  } catch (error) {
    detach();
    throw error;
  }
  feed.onClose(detach);
  ctx.adoptFeed(feed);
  return feed;
}

builder.subscriptionField('signals', (t) =>
  t.field({
    type: SignalRef,
    description:
      'My events only: Welcome first, then PeerConnected/PeerDisconnected (or PresenceBatch) and the offers, answers and candidates sent to me. ' +
      'Pass the last cursor you received as after to resume without loss or duplicates.',
    args: { after: t.arg.id(), presence: t.arg({ type: PresenceModeRef, defaultValue: PresenceMode.Each, description: PRESENCE_ARG_HELP }) },
    subscribe: (_root, args, ctx) => openSignals(ctx, validateCursor(args.after), args.presence ?? PresenceMode.Each),
    resolve: (event, _args, ctx) => {
      if (event.kind === SignalKind.Offer || event.kind === SignalKind.Answer || event.kind === SignalKind.IceCandidate) {
        ctx.core.metrics.relayLatency.observe({ type: event.kind }, Math.max(0, Date.now() - event.at) / 1000);
        if (event.traceparent !== undefined) ctx.core.tracing?.delivered(requireIdentity(ctx).room, event.kind, event.traceparent);
      }
      return event;
    },
  }),
);
