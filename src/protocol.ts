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

/** The `event` of a webhook: what happened to a room's roster (docs/delivery.md, "Webhooks"). */
export const WebhookEvent = {
  PeerJoined: 'peer.joined',
  /** With `reason`: `left`, `timeout` or `removed`. */
  PeerLeft: 'peer.left',
  /** The room's last peer left (it left, timed out, or the backend removed it or ended the room). */
  RoomEnded: 'room.ended',
} as const;
export type WebhookEvent = (typeof WebhookEvent)[keyof typeof WebhookEvent];
/** Attempts to deliver one webhook to one URL (the first included) before it is given up. */
export const WEBHOOK_MAX_ATTEMPTS = 6;
/** The wait before the second attempt; it doubles for each further one (0.25 s … 4 s). */
export const WEBHOOK_RETRY_BASE_MS = 250;
/** Bound on one webhook POST, response included; past it the attempt counts as failed. */
export const WEBHOOK_TIMEOUT_MS = 5_000;
/** Webhooks waiting per URL; past it new ones are dropped (and counted) rather than held without bound. */
export const MAX_WEBHOOK_QUEUE_EVENTS = 1_000;
/** With Redis: the webhook outbox stream keeps about this many entries (XADD MAXLEN ~); older ones are trimmed. */
export const MAX_WEBHOOK_OUTBOX_EVENTS = 10_000;
/** With Redis: outbox entries one instance works on at once; it reads more only as these finish. */
export const MAX_WEBHOOK_IN_FLIGHT = 100;
/** With Redis: an outbox entry its consumer has not touched for this long (it died) is taken over by a live instance. */
export const WEBHOOK_CLAIM_IDLE_MS = 5_000;

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
/** With tracing on, finished spans are exported in batches at least this often. */
export const TRACE_EXPORT_INTERVAL_MS = 1_000;
/** One export of spans (and so the last one, at shutdown) gives up after this. */
export const TRACE_EXPORT_TIMEOUT_MS = 2_000;
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

/**
 * Connections the kernel may hold for the gateway to accept (capped by net.core.somaxconn). Node's
 * default, 511, overflows when a large room joins at once (or reconnects after an instance restart)
 * while the event loop is busy: the dropped SYNs are retried 1 s, 3 s, 7 s later, and measured at 2,000
 * peers that, not the gateway's work, is what kept the last peers out.
 */
export const LISTEN_BACKLOG_CONNECTIONS = 4096;

/** graphql-ws: no connection_init within this closes the socket with 4408. */
export const CONNECTION_INIT_TIMEOUT_MS = 3_000;
/** Live `signals` subscriptions (and pending long polls) one WebSocket may hold. */
export const MAX_SUBSCRIPTIONS_PER_CONNECTION = 4;
/** Rate limits allow bursts: the per-second rate is enforced over windows this long. */
export const RATE_LIMIT_WINDOW_S = 2;
/** A socket refused this many times for rate within FLOOD_WINDOW_MS is closed with 4129. */
export const FLOOD_CLOSE_AFTER_REFUSALS = 20;
export const FLOOD_WINDOW_MS = 5_000;
/** A subscription refused past MAX_SUBSCRIPTIONS_PER_CONNECTION may ask again after this. */
export const SUBSCRIPTION_RETRY_AFTER_MS = 1_000;
/** Bytes a WebSocket may hold unwritten before a send waits for the write (backpressure on the feed). */
export const SEND_HIGH_WATER_BYTES = 64 * 1024;
/** Distinct document texts the WebSocket transport remembers parsed and validated (least recently used go). */
export const MAX_CACHED_DOCUMENTS = 512;
/** Longer document texts are parsed and validated every time instead of remembered. */
export const MAX_CACHED_DOCUMENT_CHARS = 16 * 1024;
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

/** The PeerJS protocol's message types (peerjs-server's wire format), both ways. */
export const PeerjsMessageType = {
  Open: 'OPEN',
  Error: 'ERROR',
  IdTaken: 'ID-TAKEN',
  InvalidKey: 'INVALID-KEY',
  Offer: 'OFFER',
  Answer: 'ANSWER',
  Candidate: 'CANDIDATE',
  Leave: 'LEAVE',
  Expire: 'EXPIRE',
  Heartbeat: 'HEARTBEAT',
} as const;
export type PeerjsMessageType = (typeof PeerjsMessageType)[keyof typeof PeerjsMessageType];
/** The PeerJS WebSocket is `{PEERJS_PATH}/peerjs`, as PeerJS clients build it. */
export const PEERJS_SOCKET_SEGMENT = 'peerjs';
/** A PeerJS client's own token (without PEERJS_REQUIRE_TOKEN): printable, at most this long. */
export const MAX_PEERJS_TOKEN_CHARS = 256;
/** JSON of what a PeerJS signal carries besides its SDP or candidate (connectionId, type, metadata…). */
export const MAX_PEERJS_ENVELOPE_BYTES = 16 * 1024;
/** Signals one PeerJS socket holds for peers that have not appeared yet; past it the sender gets EXPIRE at once. */
export const MAX_PEERJS_HELD_SIGNALS = 64;
/** Messages a PeerJS socket may send before its session is set up; more close it (4129). */
export const MAX_PEERJS_EARLY_MESSAGES = 16;
/**
 * Longest a `presence: EACH` subscriber's PeerConnected/PeerDisconnected events wait, so that the
 * events of a join storm leave a socket in one write instead of one write each (see presence-window.ts).
 */
export const PRESENCE_EACH_WINDOW_MS = 10;
