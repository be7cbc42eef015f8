/**
 * The SDK's GraphQL documents as strings, printed from the generated documents (`client/documents/`),
 * for anyone who wants to paste them into another GraphQL client, and for the gateway's
 * `KNOWN_OPERATIONS_ONLY` list: what the SDK sends is exactly what is listed here.
 */
import { print } from 'graphql';
import {
  CreateSessionDocument,
  IceServersDocument,
  LeaveRoomDocument,
  MeDocument,
  PeersDocument,
  PollSignalsDocument,
  RefreshSessionDocument,
  SendAnswerDocument,
  SendIceCandidateDocument,
  SendMessageDocument,
  SendOfferDocument,
  SignalsDocument,
} from './generated/graphql';

/** `signals(after)`: Welcome first, then this peer's events; resume with the last cursor. */
export const SIGNALS_SUBSCRIPTION = print(SignalsDocument);
/** `pollSignals(after, waitMs)`: the same events over plain HTTP. */
export const POLL_SIGNALS = print(PollSignalsDocument);
/** `createSession(room, peerId, name)`: a token (guest sessions, or with the API key). */
export const CREATE_SESSION = print(CreateSessionDocument);
/** `refreshSession`: a fresh token for the same peer and room. */
export const REFRESH_SESSION = print(RefreshSessionDocument);
/** `sendOffer(to, sdp)`. */
export const SEND_OFFER = print(SendOfferDocument);
/** `sendAnswer(to, sdp)`. */
export const SEND_ANSWER = print(SendAnswerDocument);
/** `sendIceCandidate(to, candidate)` (`candidate: ""` is end-of-candidates). */
export const SEND_ICE_CANDIDATE = print(SendIceCandidateDocument);
/** `sendMessage(to, data)`: an app message to one peer, or (without `to`) to every other peer of the room. */
export const SEND_MESSAGE = print(SendMessageDocument);
/** `leaveRoom`: others see PeerDisconnected at once. */
export const LEAVE_ROOM = print(LeaveRoomDocument);
/** `me`: this peer. */
export const ME = print(MeDocument);
/** `peers`: who is connected in this peer's room. */
export const PEERS = print(PeersDocument);
/** `iceServers`: STUN/TURN servers with short-lived TURN credentials. */
export const ICE_SERVERS = print(IceServersDocument);
