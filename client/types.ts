/**
 * The SDK's data types, derived from the generated documents (`npm run codegen`), so they cannot drift
 * from `schema/schema.graphql`.
 */
import type { CreateSessionMutation, IceCandidateInput, IceServersQuery, SendOfferMutation, SignalFieldsFragment } from './generated/graphql';

/** One event of the `signals` subscription (or of a `pollSignals` batch), discriminated by `__typename`. */
export type Signal = SignalFieldsFragment;

/** The signal with the given `__typename`. */
export type SignalOf<K extends Signal['__typename']> = Extract<Signal, { __typename: K }>;

/** A peer as the gateway reports it. */
export type Peer = SignalOf<'PeerConnected'>['peer'];

/** An ICE candidate as it arrives (`candidate: ""` is end-of-candidates). */
export type IceCandidateData = SignalOf<'IceCandidate'>['candidate'];

/** An ICE candidate to send; the optional fields default to null. */
export type IceCandidateSend = IceCandidateInput;

/** A session: the token and what it stands for. */
export type Session = CreateSessionMutation['createSession'];

/** The gateway's receipt for an accepted signal. */
export type Delivery = SendOfferMutation['sendOffer'];

/** One STUN/TURN server, in the shape `RTCPeerConnection`'s `iceServers` takes (absent fields left out). */
export interface IceServer {
  readonly urls: IceServersQuery['iceServers'][number]['urls'];
  readonly username?: string;
  readonly credential?: string;
}
