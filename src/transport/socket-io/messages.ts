import { z } from 'zod';
import { validateIdempotencyKey } from '../../api/signaling';
import type { DirectSignal, PeerInfo, SignalEvent } from '../../events';
import { refusal } from '../../errors';
import { validateCandidate, validateId, validateSdp } from '../../limits/validation';
import { ErrorCode, SignalKind, SocketIoEvent } from '../../protocol';

/**
 * The seed's message format on Socket.IO, both ways: what a client emits, parsed and validated into
 * the core's DirectSignal (the same validators as the GraphQL mutations), and each event of a peer's
 * feed as `{ type, from, to, sdp | candidate, cursor }`.
 */

/** One event for the client, under its Socket.IO event name (which is also its `type`). */
export type SeedMessage =
  | { type: typeof SocketIoEvent.Welcome; self: PeerInfo; room: string; peers: PeerInfo[]; resumed: boolean; cursor: string; at: string }
  | { type: typeof SocketIoEvent.PeerConnected; peer: PeerInfo; cursor: string; at: string }
  | { type: typeof SocketIoEvent.PeerDisconnected; peer: PeerInfo; reason: string; cursor: string; at: string }
  | { type: typeof SocketIoEvent.Offer; from: string; to: string; sdp: { type: 'offer'; sdp: string }; cursor: string; at: string }
  | { type: typeof SocketIoEvent.Answer; from: string; to: string; sdp: { type: 'answer'; sdp: string }; cursor: string; at: string }
  | { type: typeof SocketIoEvent.IceCandidate; from: string; to: string; candidate: Extract<SignalEvent, { kind: 'IceCandidate' }>['candidate']; cursor: string; at: string };

export function seedMessage(event: SignalEvent): SeedMessage {
  const { cursor } = event;
  const at = new Date(event.at).toISOString();
  switch (event.kind) {
    case SignalKind.Welcome:
      return { type: SocketIoEvent.Welcome, self: event.self, room: event.room, peers: event.peers, resumed: event.resumed, cursor, at };
    case SignalKind.PeerConnected:
      return { type: SocketIoEvent.PeerConnected, peer: event.peer, cursor, at };
    case SignalKind.PeerDisconnected:
      return { type: SocketIoEvent.PeerDisconnected, peer: event.peer, reason: event.reason, cursor, at };
    case SignalKind.Offer:
      return { type: SocketIoEvent.Offer, from: event.from, to: event.to, sdp: { type: 'offer', sdp: event.sdp }, cursor, at };
    case SignalKind.Answer:
      return { type: SocketIoEvent.Answer, from: event.from, to: event.to, sdp: { type: 'answer', sdp: event.sdp }, cursor, at };
    case SignalKind.IceCandidate:
      return { type: SocketIoEvent.IceCandidate, from: event.from, to: event.to, candidate: event.candidate, cursor, at };
    case SignalKind.PresenceBatch:
      // Socket.IO peers open their feed with EACH presence (the seed's format has no batch).
      throw new Error('a PresenceBatch reached a Socket.IO peer, whose feed delivers presence one event at a time');
  }
}

const optionalText = z.string().nullish();
const idempotencyKey = z.union([z.string(), z.number()]).nullish();
const description = (type: 'offer' | 'answer') =>
  z.object({ to: z.string(), sdp: z.object({ type: z.literal(type), sdp: z.string() }), idempotencyKey });
const inputs = {
  [SocketIoEvent.Offer]: description('offer'),
  [SocketIoEvent.Answer]: description('answer'),
  [SocketIoEvent.IceCandidate]: z.object({
    to: z.string(),
    candidate: z.object({ candidate: z.string(), sdpMid: optionalText, sdpMLineIndex: z.number().int().nullish(), usernameFragment: optionalText }),
    idempotencyKey,
  }),
} as const;

/** The signals a client may emit (and `leave`, which carries nothing). */
export type ClientEvent = keyof typeof inputs;

export function isClientEvent(event: string): event is ClientEvent {
  return Object.hasOwn(inputs, event);
}

/** A client's emit as the core's signal from `from` (the token's peer), or the refusal with its code. */
export function parseSend(event: ClientEvent, payload: unknown, from: string): { signal: DirectSignal; idempotencyKey: string | null } {
  const parsed = inputs[event].safeParse(payload);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue?.path.join('.') ?? '';
    throw refusal(ErrorCode.BadUserInput, `${event}: ${field === '' ? '' : `${field}: `}${issue?.message ?? 'malformed payload'}`, { field });
  }
  const input = parsed.data;
  const to = validateId('to', input.to);
  const key = validateIdempotencyKey(input.idempotencyKey);
  if ('candidate' in input) return { signal: { kind: SignalKind.IceCandidate, from, to, candidate: validateCandidate(input.candidate) }, idempotencyKey: key };
  const kind = event === SocketIoEvent.Offer ? SignalKind.Offer : SignalKind.Answer;
  return { signal: { kind, from, to, sdp: validateSdp(input.sdp.sdp) }, idempotencyKey: key };
}
