import type { Feed } from '../broker/feed';
import type { Delivery, DirectSignal, SignalEvent } from '../events';
import { refusal } from '../errors';
import { RateLimits } from '../limits/rate-limits';
import { peerKey } from '../presence/presence';
import { CloseCode, ErrorCode, IDEMPOTENCY_KEY_PATTERN, MAX_CURSOR_CHARS, PresenceMode, SignalKind } from '../protocol';
import { brokered } from './broker-call';
import { type GatewayContext, requireIdentity } from './context';
import { limited } from './limited';

/**
 * The signalling core every transport calls: the GraphQL resolvers (signals.ts), Socket.IO and the
 * PeerJS protocol (src/transport/). Nothing here knows which one a peer uses: the token's identity,
 * the room, the rate limits and the broker decide.
 */

/** Accepts one signal from the token's peer to a peer of the same room (traced when tracing is on). */
export async function relay(ctx: GatewayContext, signal: DirectSignal, idempotencyKey: string | null): Promise<Delivery> {
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

/**
 * Opens the caller's event stream: counts it as connected (presence), then Welcome, replay after the
 * cursor, and live events. The transport adopts it (see GatewayContext.adoptFeed).
 */
export async function openSignals(ctx: GatewayContext, after: string | null, presence: PresenceMode = PresenceMode.Each): Promise<Feed> {
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

/** `leaveRoom`: the caller leaves at once (others get PeerDisconnected "left") and its connection ends (4101). */
export async function leaveRoom(ctx: GatewayContext): Promise<boolean> {
  const identity = requireIdentity(ctx);
  const self = { id: identity.peerId, name: identity.name, room: identity.room, session: identity.session };
  const left = await brokered(ctx.core.presence.leave(self));
  ctx.core.connections.end(peerKey(identity.room, identity.peerId), CloseCode.SessionEnded, 'session ended: left the room');
  return left;
}

/** A transport hands `event` to its peer: relay latency, and the trace of a direct signal. */
export function observeDelivery(ctx: GatewayContext, event: SignalEvent): void {
  if (event.kind === SignalKind.Offer || event.kind === SignalKind.Answer || event.kind === SignalKind.IceCandidate) {
    ctx.core.metrics.relayLatency.observe({ type: event.kind }, Math.max(0, Date.now() - event.at) / 1000);
    if (event.traceparent !== undefined) ctx.core.tracing?.delivered(requireIdentity(ctx).room, event.kind, event.traceparent);
  }
}

export function validateCursor(after: string | number | null | undefined): string | null {
  if (after === null || after === undefined) return null;
  const cursor = String(after);
  if (cursor.length > MAX_CURSOR_CHARS) throw refusal(ErrorCode.BadUserInput, 'after is not a cursor this gateway issued', { field: 'after' });
  return cursor;
}

export function validateIdempotencyKey(key: string | number | null | undefined): string | null {
  if (key === null || key === undefined) return null;
  const text = String(key);
  if (!IDEMPOTENCY_KEY_PATTERN.test(text)) throw refusal(ErrorCode.BadUserInput, 'idempotencyKey must be 1–64 of A-Z a-z 0-9 _ -', { field: 'idempotencyKey' });
  return text;
}
