import { z } from 'zod';
import type { DirectSignal, SignalEvent } from '../../events';
import { refusal } from '../../errors';
import { validateCandidate, validateId, validateSdp } from '../../limits/validation';
import { ErrorCode, MAX_PEERJS_ENVELOPE_BYTES, PeerjsMessageType, SignalKind } from '../../protocol';

/**
 * PeerJS's wire format (`{ type, src, dst, payload }`) to and from the core's signals. The SDP and the
 * candidate go through the same validators as every other transport; what else a PeerJS payload
 * carries (connectionId, connection type, label, serialization, metadata) rides along as the
 * signal's opaque envelope, bounded.
 */

export interface PeerjsMessage {
  type: PeerjsMessageType;
  src?: string;
  dst?: string;
  payload?: Record<string, unknown>;
}

const record = z.record(z.string(), z.unknown());
const incoming = z.object({ type: z.string(), dst: z.string().nullish(), payload: record.nullish() });
const description = (type: 'offer' | 'answer') => z.object({ type: z.literal(type), sdp: z.string() });
const candidate = z.object({
  candidate: z.string(),
  sdpMid: z.string().nullish(),
  sdpMLineIndex: z.number().int().nullish(),
  usernameFragment: z.string().nullish(),
});

/** What a PeerJS client sent: a signal for the core, a LEAVE, or a message the gateway only notes. */
export type Incoming =
  | { kind: 'signal'; signal: DirectSignal }
  | { kind: 'leave'; dst: string | null }
  | { kind: 'ignored' };

function bad(message: string, field: string): never {
  throw refusal(ErrorCode.BadUserInput, message, { field });
}

/** Parses one text frame from the peer `from`; a refusal (with its code) when it is not a PeerJS message we take. */
export function parseIncoming(text: string, from: string): Incoming {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    bad('a PeerJS message must be JSON', 'type');
  }
  const parsed = incoming.safeParse(json);
  if (!parsed.success) bad('a PeerJS message is { type, dst?, payload? }', parsed.error.issues[0]?.path.join('.') ?? 'type');
  const { type, dst, payload } = parsed.data;
  switch (type) {
    case PeerjsMessageType.Heartbeat:
    case PeerjsMessageType.Expire:
      return { kind: 'ignored' };
    case PeerjsMessageType.Leave:
      return { kind: 'leave', dst: dst == null ? null : validateId('to', dst) };
    case PeerjsMessageType.Offer:
    case PeerjsMessageType.Answer:
    case PeerjsMessageType.Candidate: {
      if (dst == null) bad(`${type} needs a dst`, 'dst');
      if (payload == null) bad(`${type} needs a payload`, 'payload');
      const to = validateId('to', dst);
      if (type === PeerjsMessageType.Candidate) {
        const { candidate: raw, ...rest } = payload;
        const checked = candidate.safeParse(raw);
        if (!checked.success) bad('CANDIDATE payload.candidate must be { candidate, sdpMid?, sdpMLineIndex?, usernameFragment? }', 'payload.candidate');
        return { kind: 'signal', signal: { kind: SignalKind.IceCandidate, from, to, candidate: validateCandidate(checked.data), envelope: envelopeOf(rest) } };
      }
      const sdpType = type === PeerjsMessageType.Offer ? 'offer' : 'answer';
      const { sdp: raw, ...rest } = payload;
      const checked = description(sdpType).safeParse(raw);
      if (!checked.success) bad(`${type} payload.sdp must be { type: "${sdpType}", sdp }`, 'payload.sdp');
      const kind = type === PeerjsMessageType.Offer ? SignalKind.Offer : SignalKind.Answer;
      return { kind: 'signal', signal: { kind, from, to, sdp: validateSdp(checked.data.sdp), envelope: envelopeOf(rest) } };
    }
    default:
      return bad(`unknown PeerJS message type ${JSON.stringify(type).slice(0, 40)}`, 'type');
  }
}

function envelopeOf(rest: Record<string, unknown>): string {
  const text = JSON.stringify(rest);
  if (Buffer.byteLength(text, 'utf8') > MAX_PEERJS_ENVELOPE_BYTES) {
    throw refusal(ErrorCode.PayloadTooLarge, `the payload besides sdp/candidate exceeds ${MAX_PEERJS_ENVELOPE_BYTES} bytes`, { field: 'payload', limit: MAX_PEERJS_ENVELOPE_BYTES });
  }
  return text;
}

/** The envelope a signal came with, or an empty one (a signal from a peer on another transport). */
function envelope(event: { envelope?: string }): Record<string, unknown> {
  if (event.envelope === undefined) return {};
  const parsed: unknown = JSON.parse(event.envelope);
  return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
}

/** A direct signal of the feed as the PeerJS message its client expects; null for the other events. */
export function outgoing(event: SignalEvent): PeerjsMessage | null {
  switch (event.kind) {
    case SignalKind.Offer:
      return { type: PeerjsMessageType.Offer, src: event.from, dst: event.to, payload: { ...envelope(event), sdp: { type: 'offer', sdp: event.sdp } } };
    case SignalKind.Answer:
      return { type: PeerjsMessageType.Answer, src: event.from, dst: event.to, payload: { ...envelope(event), sdp: { type: 'answer', sdp: event.sdp } } };
    case SignalKind.IceCandidate:
      return { type: PeerjsMessageType.Candidate, src: event.from, dst: event.to, payload: { ...envelope(event), candidate: event.candidate } };
    default:
      return null;
  }
}
