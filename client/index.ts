/**
 * The Switchboard client SDK: a signaling client for one peer, peer sessions that drive an
 * `RTCPeerConnection` per remote peer, the connection state machine, and the generated typed documents.
 */
export { createSignalingClient, SignalingClient, type ClientState, type PeerSignal, type SignalingClientOptions, type SignalingEvents } from './signaling-client';
export { createPeerSession, PeerSession, type CandidateLike, type CloseReason, type DescriptionLike, type PeerConnectionLike, type PeerSessionEvents, type PeerSessionOptions, type RemoteCandidate } from './peer-session';
export { createGuestSession, type GuestSessionOptions } from './guest';
export { CONNECTION_TRANSITIONS, ConnectionStateMachine, InvalidTransitionError, isLegalTransition, type ConnectionState, type StateChange, type Transition } from './state';
export { SignalingError, type SignalingErrorCode } from './errors';
export { ClientErrorCode, CloseCode, ErrorCode } from './protocol';
export { readToken, type TokenClaims } from './token';
export type { Transport, WebSocketConstructor } from './links';
export type { Delivery, IceCandidateData, IceCandidateSend, IceServer, Peer, Session, Signal, SignalOf } from './types';
export {
  joinRoom,
  Room,
  type DataChannelLike,
  type DefaultPeerConnection,
  type JoinRoomOptions,
  type RoomConnection,
  type RoomData,
  type RoomEvents,
  type RoomGuest,
  type RoomPeer,
  type RoomSelf,
  type RoomState,
  type SenderLike,
  type StreamLike,
  type StreamOf,
  type TrackLike,
  type TrackOf,
} from './room';
