/**
 * What the SDK knows of the wire protocol: the gateway's error and close codes (from `./wire`, the
 * module the gateway imports too), the SDK's own codes, and its timing defaults (with units in their names).
 */

import { CloseCode as GraphQLWsCloseCode } from 'graphql-ws';
import { CloseCode as GatewayCloseCode } from './wire';

/** The `extensions.code` of the gateway's GraphQL errors: the gateway's own table (it has no imports). */
export { ErrorCode } from './wire';

/**
 * Codes the SDK itself puts on a {@link SignalingError} when the failure is not a GraphQL error:
 * the transport dropped, the client was closed, a wait ran out.
 */
export const ClientErrorCode = {
  /** The socket or HTTP request failed before an answer arrived; whether it was accepted is unknown. */
  Transport: 'TRANSPORT',
  /** The client was closed (or failed) while the operation waited. */
  Closed: 'CLOSED',
  /** A bounded wait (for a connection, for a retry) ran out. */
  Timeout: 'TIMEOUT',
  /** The gateway closed the connection for good (replaced, session ended, token refused). */
  ConnectionRefused: 'CONNECTION_REFUSED',
  /** The answer did not have the shape the SDK's documents ask for. */
  BadResponse: 'BAD_RESPONSE',
} as const;
/** One of {@link ClientErrorCode}'s values. */
export type ClientErrorCode = (typeof ClientErrorCode)[keyof typeof ClientErrorCode];

/** WebSocket close codes the SDK acts on: the gateway's, graphql-ws's, and the WebSocket ones it needs. */
export const CloseCode = {
  ...GatewayCloseCode,
  /** Normal closure (the SDK closing its own socket). */
  Normal: 1000,
  /** The connection dropped without a close frame. */
  Abnormal: 1006,
  /** graphql-ws: malformed message; a bug, retrying will not help. */
  BadRequest: GraphQLWsCloseCode.BadRequest,
  /** graphql-ws: subprotocol not acceptable. */
  SubprotocolNotAcceptable: GraphQLWsCloseCode.SubprotocolNotAcceptable,
  /** graphql-ws `terminate()`: the SDK cut a socket that stopped answering pings. */
  Terminated: 4499,
} as const;
/** One of {@link CloseCode}'s values. */
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/**
 * Close codes after which reconnecting cannot help: the client gives up (state `failed`). Not
 * `4103` (the gateway could not check the token right now): that one is retried with backoff.
 */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set<number>([
  CloseCode.Replaced,
  CloseCode.SessionEnded,
  CloseCode.BadRequest,
  CloseCode.Forbidden,
  CloseCode.SubprotocolNotAcceptable,
]);

/** First reconnect delay; each further attempt doubles it (with full jitter) up to {@link RECONNECT_MAX_DELAY_MS}. */
export const RECONNECT_BASE_DELAY_MS = 250;
/** Longest wait between two reconnect attempts. */
export const RECONNECT_MAX_DELAY_MS = 10_000;
/** Reconnect attempts in a row, without a Welcome in between, before the client gives up (`failed`). */
export const RECONNECT_MAX_ATTEMPTS = 12;
/**
 * `transport: 'auto'` tries each transport this many times in a row without a Welcome before it falls
 * back to the next: WebSocket, then Server-Sent Events, then long polling (which stays).
 */
export const ATTEMPTS_BEFORE_FALLBACK = { websocket: 3, sse: 2 } as const;
/** How long one long poll asks the gateway to hold (the gateway allows up to 30 s). */
export const POLL_WAIT_MS = 25_000;
/** A graphql-ws ping goes out this often on an idle socket. */
export const KEEP_ALIVE_MS = 10_000;
/** A ping without a pong within this cuts the socket (then reconnect and resume). */
export const PONG_TIMEOUT_MS = 5_000;
/** How long a send waits for the connection to be live before it fails with `TIMEOUT`. */
export const SEND_WAIT_MS = 30_000;
/** Retries of one send refused with `RATE_LIMITED` or `UNAVAILABLE`, or cut by a dropped socket. */
export const SEND_MAX_RETRIES = 6;
/** Longest wait before retrying one send, whatever `retryAfterMs` says. */
export const SEND_MAX_RETRY_DELAY_MS = 5_000;
/** The token is refreshed when this share of its lifetime is left (bounded by the two limits below). */
export const TOKEN_REFRESH_SHARE = 0.2;
/** Refresh at least this long before expiry. */
export const TOKEN_REFRESH_MIN_MARGIN_MS = 1_000;
/** Refresh at most this long before expiry. */
export const TOKEN_REFRESH_MAX_MARGIN_MS = 5 * 60_000;
/** How long `close()` waits for `leaveRoom` and for sockets to close before cutting them. */
export const CLOSE_WAIT_MS = 2_000;
/** ICE restarts a peer session tries in a row without reaching `connected` before it reports `failed`. */
export const ICE_MAX_RESTARTS = 3;
/**
 * Descriptions agreed but no peer-to-peer connection after this long: restart ICE (candidates lost in
 * transit, or a browser that stopped gathering after a glare rollback).
 */
export const ICE_CONNECT_TIMEOUT_MS = 10_000;
/** An ICE connection `disconnected` for this long is restarted (it often recovers by itself first). */
export const ICE_DISCONNECTED_RESTART_MS = 4_000;

/**
 * The room's data channel: one per peer pair, agreed out of band (`negotiated: true`) on this id, so
 * neither side waits for the other to announce it. Each message is the JSON text of one value.
 */
export const ROOM_DATA_CHANNEL = { label: 'switchboard', id: 0 } as const;
/** Longest room message (its JSON text, in UTF-8 bytes): every browser's SCTP takes this in one message. */
export const MAX_ROOM_MESSAGE_BYTES = 64 * 1024;
/** Messages held for one peer while its data channel opens; past this `send` refuses with `RATE_LIMITED`. */
export const MAX_QUEUED_ROOM_MESSAGES = 256;
/**
 * A peer that joined after this one calls it (the newcomer calls everyone in its Welcome); if its
 * offer has not come within this, this side calls instead (an offer lost with a mailbox, say).
 */
export const ROOM_OFFER_WAIT_MS = 5_000;
/** Fresh sessions a room asks for in a row after the gateway refused its token, before `failed`. */
export const ROOM_REJOIN_MAX_ATTEMPTS = 8;
