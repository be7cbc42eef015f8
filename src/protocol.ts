/**
 * The gateway's protocol constants in one place: the shared wire protocol (codes, event kinds, input
 * limits, the SDK's documents — `@switchboard/client/wire`) and the limits and timings only the gateway
 * knows. Every other module imports these names; a literal code anywhere else is a bug waiting to happen.
 */
export * from '@switchboard/client/wire';
import { MAX_WS_PAYLOAD_BYTES } from '@switchboard/client/wire';

/** Largest HTTP request body, counted as it streams whatever the framing (chunked, no or a false Content-Length). */
export const MAX_HTTP_BODY_BYTES = MAX_WS_PAYLOAD_BYTES;
/** After a 413 the connection is half-closed and cut this much later at most, so the client can read the answer. */
export const REFUSED_BODY_LINGER_MS = 1_000;

export const DEFAULT_GRACE_MS = 10_000;
export const DEFAULT_MAILBOX_EVENTS = 256;
export const DEFAULT_MAILBOX_TTL_MS = 120_000;
/** Presence events are stored once per room; a room keeps more of them than a peer's mailbox. */
export const DEFAULT_ROOM_LOG_EVENTS = 1024;
export const DEFAULT_SESSION_TTL_S = 24 * 60 * 60;
/** A session (first token, then every refresh) ends this long after it began; then a new session is needed. */
export const DEFAULT_SESSION_MAX_AGE_S = 7 * 24 * 60 * 60;
/** Events queued for one subscriber that has not read them; past this it is a slow consumer. */
export const MAX_SUBSCRIBER_QUEUE_EVENTS = 1024;
/** Bytes (approximate) queued for one subscriber that has not read them; past this it is a slow consumer. */
export const MAX_SUBSCRIBER_QUEUE_BYTES = 1024 * 1024;
/** How long a guest's new peer id stays reserved for it before its first subscription. */
export const GUEST_CLAIM_MS = 60_000;

/**
 * Slow clients: request headers (a WebSocket upgrade request too) must arrive within the first
 * deadline, the whole request with its body within the second. Neither covers the time the gateway
 * takes to answer, so a long poll of up to {@link MAX_POLL_WAIT_MS} is not cut. Both are configurable
 * up to {@link MAX_SLOW_CLIENT_DEADLINE_MS}.
 */
export const DEFAULT_HTTP_HEADERS_TIMEOUT_MS = 10_000;
export const DEFAULT_HTTP_REQUEST_TIMEOUT_MS = 20_000;
export const MAX_SLOW_CLIENT_DEADLINE_MS = 30_000;

/** graphql-ws: no connection_init within this closes the socket with 4408. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Live `signals` subscriptions (and pending long polls) one WebSocket may hold. */
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
