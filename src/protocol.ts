/**
 * The Switchboard wire protocol in one place: event kinds, error codes, close codes and limits.
 * Every other module imports these names; a literal code anywhere else is a bug waiting to happen.
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
} as const;
export type SignalKind = (typeof SignalKind)[keyof typeof SignalKind];

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

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_MAILBOX_EVENTS = 256;
export const DEFAULT_MAILBOX_TTL_MS = 120_000;
/** Presence events are stored once per room; a room keeps more of them than a peer's mailbox. */
export const DEFAULT_ROOM_LOG_EVENTS = 1024;
export const DEFAULT_SESSION_TTL_S = 24 * 60 * 60;
/** Events queued for one subscriber that has not read them; past this it is a slow consumer. */
export const MAX_SUBSCRIBER_QUEUE_EVENTS = 1024;
/** Bytes (approximate) queued for one subscriber that has not read them; past this it is a slow consumer. */
export const MAX_SUBSCRIBER_QUEUE_BYTES = 1024 * 1024;
export const MAX_POLL_WAIT_MS = 30_000;
/** How long a guest's new peer id stays reserved for it before its first subscription. */
export const GUEST_CLAIM_MS = 60_000;
/** Longest `after` cursor accepted; real ones are far shorter. */
export const MAX_CURSOR_CHARS = 128;

/** graphql-ws: no connection_init within this closes the socket with 4408. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Live `signals` subscriptions one WebSocket may hold. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 4;
/** Rate limits allow bursts: the per-second rate is enforced over windows this long. */
export const RATE_LIMIT_WINDOW_S = 2;
/** A socket refused this many times for rate within FLOOD_WINDOW_MS is closed with 4129. */
export const FLOOD_CLOSE_AFTER_REFUSALS = 20;
export const FLOOD_WINDOW_MS = 5_000;
/** Query limits (graphql-armor). The SDK's deepest document is 4 levels and ~120 tokens. */
export const MAX_QUERY_DEPTH = 8;
export const MAX_QUERY_ALIASES = 4;
export const MAX_QUERY_TOKENS = 1_000;
export const MAX_QUERY_COST = 2_000;
export const MAX_QUERY_DIRECTIVES = 8;

/** Bound on one JWKS download, headers and body together; past it the key source counts as down. */
export const JWKS_FETCH_TIMEOUT_MS = 2_000;
/** Largest JWKS body read; a real key set is a few KiB. */
export const MAX_JWKS_BYTES = 256 * 1024;
/** A fetched key set is used this long before it is fetched again. */
export const JWKS_CACHE_MS = 10 * 60_000;
/** An unknown `kid` refetches the key set at most this often (key rotation), not once per token. */
export const JWKS_REFETCH_COOLDOWN_MS = 30_000;
/** After a failed download, tokens needing the key set answer UNAVAILABLE this long before the next try. */
export const JWKS_FAILURE_BACKOFF_MS = 1_000;
/** Bound on verifying one token, waiting for the key set included. */
export const TOKEN_VERIFY_TIMEOUT_MS = 3_000;
/**
 * A send's idempotency key (chosen by the client, repeated on each retry of the same signal): a send
 * repeating one while the first signal is still in the recipient's mailbox is answered with the first
 * one's receipt, not stored twice.
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
