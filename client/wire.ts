/**
 * The wire protocol the gateway and the SDK share: error codes, close codes, event kinds, leave
 * reasons, the input limits both sides know, and the SDK's GraphQL documents. The gateway imports it
 * as `@switchboard/client/wire` (through `src/protocol.ts`); nothing here imports either side.
 */

/** The `extensions.code` of every GraphQL error Switchboard returns. */
export const ErrorCode = {
  Unauthenticated: 'UNAUTHENTICATED',
  Forbidden: 'FORBIDDEN',
  BadUserInput: 'BAD_USER_INPUT',
  PeerNotFound: 'PEER_NOT_FOUND',
  PeerIdTaken: 'PEER_ID_TAKEN',
  PayloadTooLarge: 'PAYLOAD_TOO_LARGE',
  RateLimited: 'RATE_LIMITED',
  Unavailable: 'UNAVAILABLE',
  /** yoga's codes for documents that do not parse or validate (including the query limits). */
  ParseFailed: 'GRAPHQL_PARSE_FAILED',
  ValidationFailed: 'GRAPHQL_VALIDATION_FAILED',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * WebSocket close codes. graphql-ws owns 4400–4500 (its `CloseCode` enum); Switchboard adds its own
 * in the 41xx range so clients can tell "reconnect and resume" apart from "give up".
 */
export const CloseCode = {
  /** graphql-ws: invalid or expired token at connection init. */
  Forbidden: 4403,
  /** A newer connection of the same peer took over. Do not reconnect automatically. */
  Replaced: 4100,
  /** The session ended (`leaveRoom`). Do not reconnect. */
  SessionEnded: 4101,
  /** The client did not read fast enough; reconnect and resume from the last cursor. */
  SlowConsumer: 4102,
  /**
   * The gateway could not check the token right now (its key source, the JWKS URL, is down or too
   * slow): nothing is wrong with the token; reconnect with backoff. In Switchboard's 41xx range, not
   * graphql-ws's 44xx/45xx (4403 there means "token refused", which clients treat as final).
   */
  Unavailable: 4103,
  /** The client kept sending over its rate limit. */
  Flooding: 4129,
  /** The server is shutting down; reconnect (to another instance) and resume. */
  GoingAway: 1001,
  /** A frame exceeded the WebSocket payload limit. */
  MessageTooBig: 1009,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** The `__typename` of each event delivered by `signals` and `pollSignals`. */
export const SignalKind = {
  Welcome: 'Welcome',
  PeerConnected: 'PeerConnected',
  PeerDisconnected: 'PeerDisconnected',
  Offer: 'Offer',
  Answer: 'Answer',
  IceCandidate: 'IceCandidate',
  /** With `presence: BATCHED`: the joins and leaves of a short window, in place of single PeerConnected/PeerDisconnected. */
  PresenceBatch: 'PresenceBatch',
} as const;
export type SignalKind = (typeof SignalKind)[keyof typeof SignalKind];

/**
 * How a subscriber hears of joins and leaves (`signals(presence:)`, `pollSignals(presence:)`): one
 * event each, or grouped per short window ({@link PRESENCE_BATCH_WINDOW_MS}, at most
 * {@link MAX_PRESENCE_BATCH_ENTRIES} entries) for rooms of hundreds or thousands of peers.
 */
export const PresenceMode = {
  Each: 'EACH',
  Batched: 'BATCHED',
} as const;
export type PresenceMode = (typeof PresenceMode)[keyof typeof PresenceMode];
/** A PresenceBatch holds the joins and leaves of at most this long… */
export const PRESENCE_BATCH_WINDOW_MS = 100;
/** …and at most this many of them. */
export const MAX_PRESENCE_BATCH_ENTRIES = 500;

/** Why a peer left, as carried in `PeerDisconnected.reason`. */
export const LeaveReason = {
  /** The peer called `leaveRoom`. */
  Left: 'left',
  /** The peer's last subscription ended and it did not come back within the grace period. */
  Timeout: 'timeout',
} as const;
export type LeaveReason = (typeof LeaveReason)[keyof typeof LeaveReason];

/** Room and peer ids. */
export const ID_PATTERN = /^[A-Za-z0-9_.-]{1,128}$/;
export const MAX_NAME_CHARS = 64;

export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_CANDIDATE_BYTES = 1024;
export const MAX_SDP_MID_CHARS = 64;
export const MAX_USERNAME_FRAGMENT_CHARS = 256;
export const MAX_SDP_MLINE_INDEX = 1023;
export const MAX_WS_PAYLOAD_BYTES = 128 * 1024;

export const MAX_POLL_WAIT_MS = 30_000;
/** Longest `after` cursor accepted; real ones are far shorter. */
export const MAX_CURSOR_CHARS = 128;

/**
 * Socket.IO (DESIGN §4b), WebSocket transport only, on the gateway's port at this path. A client emits
 * `offer`, `answer`, `ice-candidate` and `leave` (leaveRoom) with an ack; the server emits the rest.
 * `closing` comes just before the server disconnects a socket, with the WebSocket close code it stands
 * for (4100 replaced, 4101 left, 4102 slow consumer, 4129 flooding, 1001 shutdown); `error` answers an
 * emit that asked for no ack.
 */
export const SOCKET_IO_PATH = '/socket.io/';
export const SocketIoEvent = {
  Welcome: 'welcome',
  PeerConnected: 'peer-connected',
  PeerDisconnected: 'peer-disconnected',
  Offer: 'offer',
  Answer: 'answer',
  IceCandidate: 'ice-candidate',
  Leave: 'leave',
  Closing: 'closing',
  Error: 'error',
} as const;
export type SocketIoEvent = (typeof SocketIoEvent)[keyof typeof SocketIoEvent];

export * from './operations';
