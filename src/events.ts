import type { LeaveReason, SignalKind } from './protocol';

/** A peer as others see it. */
export interface PeerInfo {
  id: string;
  name: string | null;
}

/** Where a peer lives: one token = one peer in one room. */
export interface PeerAddress {
  room: string;
  peer: string;
}

export interface IceCandidateData {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
}

/**
 * What a transport carries with a signal for peers on the same transport (PeerJS: its connectionId,
 * connection type, metadata…): JSON text, bounded by the transport, opaque to the core and the broker,
 * never in the schema (GraphQL peers do not see it).
 */
export interface Envelope {
  envelope?: string;
}

/** What a sender hands the broker for one recipient's mailbox. `from` is always the sender's token `sub`. */
export type DirectSignal = (
  | { kind: typeof SignalKind.Offer; from: string; to: string; sdp: string }
  | { kind: typeof SignalKind.Answer; from: string; to: string; sdp: string }
  | { kind: typeof SignalKind.IceCandidate; from: string; to: string; candidate: IceCandidateData }
) &
  Envelope;

/** Stored once per room and fanned out to every member but the one it is about. */
export type PresenceSignal =
  | { kind: typeof SignalKind.PeerConnected; peer: PeerInfo }
  | { kind: typeof SignalKind.PeerDisconnected; peer: PeerInfo; reason: LeaveReason };

/** What a `presence: BATCHED` subscriber gets in place of the presence signals of one short window. */
export interface PresenceBatchSignal {
  kind: typeof SignalKind.PresenceBatch;
  /** Apply `joined`, then `left`: a batch never holds a join that follows a leave of the same peer. */
  joined: PeerInfo[];
  left: Array<{ peer: PeerInfo; reason: LeaveReason }>;
}

export interface WelcomeSignal {
  kind: typeof SignalKind.Welcome;
  self: PeerInfo;
  room: string;
  /** The other peers connected (or in grace) when the subscription started. */
  peers: PeerInfo[];
  /** False when the requested cursor was no longer in the mailbox: renegotiate. */
  resumed: boolean;
}

/** Position in the stream delivered to one peer; opaque to clients. */
export interface Stamped {
  cursor: string;
  /** Epoch milliseconds at which the gateway accepted the event. */
  at: number;
}

/**
 * Internal to the gateway: the W3C traceparent of the span that accepted a direct signal, stored with
 * it when tracing is on. Not in the schema, so never sent to a client.
 */
export interface Traced {
  traceparent?: string;
}

/** Everything `signals` and `pollSignals` deliver. */
export type SignalEvent = (DirectSignal | PresenceSignal | PresenceBatchSignal | WelcomeSignal) & Stamped & Traced;

/** The sender's receipt for an accepted signal. */
export interface Delivery {
  id: string;
  at: number;
}

/**
 * Which session of a peer id a token belongs to. A session's events belong to it alone: a newer
 * session of the same peer id starts with an empty mailbox, and tokens of an older one are refused
 * (docs/security.md, "Session identity").
 */
export interface PeerSession {
  /** The token's `sid`; `''` for tokens minted without one (they all share one session per peer id). */
  id: string;
  /** When the session started, epoch ms (`sat`; the `iat` for tokens without `sid`): newer wins. */
  startedAtMs: number;
}
