import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import {
  DEFAULT_GRACE_MS,
  DEFAULT_HTTP_HEADERS_TIMEOUT_MS,
  DEFAULT_HTTP_REQUEST_TIMEOUT_MS,
  DEFAULT_MAILBOX_EVENTS,
  DEFAULT_MAILBOX_TTL_MS,
  DEFAULT_ROOM_LOG_EVENTS,
  DEFAULT_SESSION_MAX_AGE_S,
  DEFAULT_SESSION_TTL_S,
  MAX_SLOW_CLIENT_DEADLINE_MS,
} from './protocol';

/** Everything the gateway reads from its environment, validated once at start. */
export interface Config {
  port: number;
  host: string;
  /** Unset: the embedded in-memory broker. */
  redis: RedisTarget | undefined;
  /** Replicas each append waits for (WAIT) before it is acknowledged; 0: none. */
  redisWaitReplicas: number;
  /** HS256 secret for session tokens. */
  signalingSecret: string;
  /** True when no secret was configured and a random one was made for this process. */
  signalingSecretGenerated: boolean;
  jwksUrl: string | undefined;
  /** Required `aud` / `iss` claims, when set. */
  audience: string | undefined;
  issuer: string | undefined;
  apiKey: string | undefined;
  guestSessions: boolean;
  allowedOrigins: string[];
  tlsCertFile: string | undefined;
  tlsKeyFile: string | undefined;
  stunUrls: string[];
  turnUrls: string[];
  turnSecret: string | undefined;
  turnTtlS: number;
  graceMs: number;
  mailboxEvents: number;
  mailboxTtlMs: number;
  roomLogEvents: number;
  /** Lifetime of minted tokens; 0 < sessionTtlS ≤ sessionMaxAgeS. */
  sessionTtlS: number;
  /** Longest a session lives across refreshes, and the furthest `exp` a token may carry. */
  sessionMaxAgeS: number;
  /** Slow-client deadlines: request headers (upgrades too), then the whole request with its body. */
  httpHeadersTimeoutMs: number;
  httpRequestTimeoutMs: number;
  rateLimitSdpPerS: number;
  rateLimitIcePerS: number;
  maxConnectionsPerIp: number;
  rateLimitSessionsPerMin: number;
  /** Take the client IP from X-Forwarded-For (behind a trusted reverse proxy only). */
  trustProxy: boolean;
  /** Schema introspection (and GraphiQL); off in production by default. */
  introspection: boolean;
  /** The demo page at `/`; off in production by default (it needs guest sessions to join). */
  demoPage: boolean;
  /** Accept only the operations the SDK ships (client/operations.ts). */
  knownOperationsOnly: boolean;
  /** The PeerJS-protocol endpoint (DESIGN §4b); null when PEERJS_PATH=off. */
  peerjs: PeerjsConfig | null;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  production: boolean;
  /** OpenTelemetry tracing of signals (docs/architecture.md, "Tracing"); null: off, no cost. */
  tracing: TracingConfig | null;
}

/** A Redis server's address. */
export interface HostPort {
  host: string;
  port: number;
}

/** The Redis the broker shares: one server, a Cluster, or the primary that Sentinels name. */
export type RedisTarget =
  | { kind: 'single'; url: string }
  | { kind: 'cluster'; nodes: HostPort[] }
  | { kind: 'sentinel'; sentinels: HostPort[]; name: string };

/** Where the broker's Redis is, for a log line: never a password. */
export function redisAddress(target: RedisTarget): string {
  const list = (nodes: HostPort[]) => nodes.map(({ host, port }) => `${host}:${port}`).join(',');
  if (target.kind === 'cluster') return `cluster ${list(target.nodes)}`;
  if (target.kind === 'sentinel') return `sentinel master ${target.name} via ${list(target.sentinels)}`;
  const url = new URL(target.url);
  return `${url.hostname}:${url.port || '6379'}`;
}

/** Where spans go: an OTLP/HTTP (JSON) traces endpoint, or the console. */
export interface TracingConfig {
  serviceName: string;
  exporter: { kind: 'otlp'; url: string } | { kind: 'console' };
}

export interface PeerjsConfig {
  /** Without a trailing slash: `GET {path}/{key}/id`, WebSocket `{path}/peerjs`. */
  path: string;
  /** `GET {path}/{key}/peers` lists a room's peers. */
  discovery: boolean;
  /** The `token` must be a Switchboard session token for that id and room. */
  requireToken: boolean;
  /** A signal to a peer that is not in the room waits this long for it, then its sender gets EXPIRE. */
  expireMs: number;
}

const DEFAULT_OTLP_ENDPOINT = 'http://localhost:4318';

/** A bad environment value; the message is one line naming the variable. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** One documented variable: the single source for validation, `--help` and `.env.example`. */
interface Variable {
  name: string;
  meaning: string;
  default: string;
  /** Its value is never printed, not even in the error about a bad one. */
  secret?: true;
}

export const VARIABLES: readonly Variable[] = [
  { name: 'PORT', default: '4000', meaning: 'TCP port of the HTTP/WebSocket listener' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'address to listen on' },
  { name: 'REDIS_URL', default: '', meaning: 'redis://… to share state between instances; unset: embedded memory broker' },
  { name: 'REDIS_CLUSTER_NODES', default: '', meaning: 'comma list of host:port seeds of a Redis Cluster (instead of REDIS_URL)' },
  { name: 'REDIS_SENTINELS', default: '', meaning: 'comma list of host:port Sentinels watching the primary REDIS_SENTINEL_NAME (instead of REDIS_URL)' },
  { name: 'REDIS_SENTINEL_NAME', default: '', meaning: 'the master name the Sentinels know the primary by' },
  { name: 'REDIS_WAIT_REPLICAS', default: '0', meaning: 'replicas every append waits for (Redis WAIT) before it is acknowledged' },
  { name: 'SIGNALING_SECRET', default: '', meaning: 'HS256 secret for session tokens (random per process in development)', secret: true },
  { name: 'SIGNALING_JWKS_URL', default: '', meaning: 'JWKS (https:// or file://) for RS/ES-signed session tokens' },
  { name: 'SIGNALING_AUDIENCE', default: '', meaning: 'required aud claim of session tokens (also set on minted ones)' },
  { name: 'SIGNALING_ISSUER', default: '', meaning: 'required iss claim of session tokens (also set on minted ones)' },
  { name: 'SIGNALING_API_KEY', default: '', meaning: 'x-api-key that allows createSession when guest sessions are off', secret: true },
  { name: 'GUEST_SESSIONS', default: 'true (false in production)', meaning: 'allow createSession without credentials' },
  { name: 'ALLOWED_ORIGINS', default: '', meaning: 'comma list of browser origins allowed (empty: any)' },
  { name: 'TLS_CERT_FILE', default: '', meaning: 'PEM certificate: serve HTTPS and WSS' },
  { name: 'TLS_KEY_FILE', default: '', meaning: 'PEM private key for TLS_CERT_FILE' },
  { name: 'STUN_URLS', default: '', meaning: 'comma list of stun: URLs returned by iceServers' },
  { name: 'TURN_URLS', default: '', meaning: 'comma list of turn:/turns: URLs returned by iceServers' },
  { name: 'TURN_SECRET', default: '', meaning: 'coturn use-auth-secret for ephemeral TURN credentials', secret: true },
  { name: 'TURN_TTL_S', default: '300', meaning: 'lifetime of TURN credentials in seconds' },
  { name: 'GRACE_MS', default: String(DEFAULT_GRACE_MS), meaning: 'how long a peer whose socket dropped stays in the room' },
  { name: 'MAILBOX_EVENTS', default: String(DEFAULT_MAILBOX_EVENTS), meaning: 'events kept per peer for resume' },
  { name: 'MAILBOX_TTL_MS', default: String(DEFAULT_MAILBOX_TTL_MS), meaning: 'how long events are kept for resume' },
  { name: 'SESSION_TTL_S', default: String(DEFAULT_SESSION_TTL_S), meaning: 'lifetime of minted session tokens (1 to SESSION_MAX_AGE_S)' },
  {
    name: 'SESSION_MAX_AGE_S',
    default: String(DEFAULT_SESSION_MAX_AGE_S),
    meaning: 'longest a session lives across refreshSession, and the furthest exp a token may carry',
  },
  {
    name: 'HTTP_HEADERS_TIMEOUT_MS',
    default: String(DEFAULT_HTTP_HEADERS_TIMEOUT_MS),
    meaning: `request headers (WebSocket upgrades too) must arrive within this (1–${MAX_SLOW_CLIENT_DEADLINE_MS})`,
  },
  {
    name: 'HTTP_REQUEST_TIMEOUT_MS',
    default: String(DEFAULT_HTTP_REQUEST_TIMEOUT_MS),
    meaning: `a whole request with its body must arrive within this (HTTP_HEADERS_TIMEOUT_MS–${MAX_SLOW_CLIENT_DEADLINE_MS}); long polls are not cut`,
  },
  { name: 'RATE_LIMIT_SDP_PER_S', default: '5', meaning: 'offers+answers per peer per second (0: off)' },
  { name: 'RATE_LIMIT_ICE_PER_S', default: '50', meaning: 'ICE candidates per peer per second (0: off)' },
  { name: 'MAX_CONNECTIONS_PER_IP', default: '200', meaning: 'concurrent WebSocket connections per IP (0: off)' },
  { name: 'RATE_LIMIT_SESSIONS_PER_MIN', default: '60', meaning: 'guest sessions per IP per minute (0: off)' },
  { name: 'TRUST_PROXY', default: 'false', meaning: 'take client IPs from X-Forwarded-For (only behind your own proxy)' },
  { name: 'INTROSPECTION', default: 'true (false in production)', meaning: 'schema introspection and GraphiQL' },
  { name: 'DEMO_PAGE', default: 'true (false in production)', meaning: 'serve the demo page at /' },
  { name: 'PEERJS_PATH', default: '/peerjs', meaning: 'PeerJS-protocol endpoint: GET {path}/{key}/id, WebSocket {path}/peerjs (off: none)' },
  { name: 'PEERJS_DISCOVERY', default: 'false', meaning: 'GET {PEERJS_PATH}/{key}/peers lists the peers of a room' },
  { name: 'PEERJS_REQUIRE_TOKEN', default: 'false (true when guest sessions are off)', meaning: 'a PeerJS token must be a session token for its id and room' },
  { name: 'PEERJS_EXPIRE_MS', default: '5000', meaning: 'a PeerJS signal waits this long for its peer to appear, then its sender gets EXPIRE' },
  { name: 'KNOWN_OPERATIONS_ONLY', default: 'false', meaning: 'accept only the operations shipped in client/operations.ts' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal|error|warn|info|debug|trace|silent' },
  { name: 'NODE_ENV', default: 'development', meaning: 'production turns guest sessions off and requires a secret' },
  { name: 'OTEL_SDK_DISABLED', default: 'false', meaning: 'true turns OpenTelemetry tracing off whatever else is set' },
  { name: 'OTEL_TRACES_EXPORTER', default: '', meaning: 'otlp or console turns tracing on (so does an OTLP endpoint); none keeps it off' },
  { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', default: '', meaning: `OTLP/HTTP base URL; traces go to <url>/v1/traces (otlp default ${DEFAULT_OTLP_ENDPOINT})` },
  { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', default: '', meaning: 'full OTLP/HTTP traces URL (wins over OTEL_EXPORTER_OTLP_ENDPOINT)' },
  { name: 'OTEL_SERVICE_NAME', default: 'switchboard', meaning: 'service.name of the spans' },
];

const MIN_SECRET_CHARS = 32;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

const commaList = optionalString.transform((v) =>
  v === undefined ? [] : v.split(',').map((s) => s.trim()).filter((s) => s.length > 0),
);

const hostPortList = commaList.pipe(
  z.array(
    z
      .string()
      .regex(/^[^\s:,]+:\d{1,5}$/, 'must be a comma list of host:port')
      .transform((v): HostPort => ({ host: v.slice(0, v.lastIndexOf(':')), port: Number(v.slice(v.lastIndexOf(':') + 1)) })),
  ),
);

function count(fallback: number, max = Number.MAX_SAFE_INTEGER) {
  return optionalString.pipe(
    z
      .string()
      .regex(/^\d+$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(0).max(max))
      .optional()
      .transform((v) => v ?? fallback),
  );
}

const bool = optionalString.pipe(z.enum(['true', 'false', '1', '0']).optional()).transform((v) =>
  v === undefined ? undefined : v === 'true' || v === '1',
);

const url = (protocols: readonly string[]) =>
  optionalString.refine(
    (v) => {
      if (v === undefined) return true;
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL (${protocols.join(' or ')})` },
  );

const envSchema = z.object({
  PORT: count(4000, 65535),
  HOST: optionalString.transform((v) => v ?? '0.0.0.0'),
  REDIS_URL: url(['redis:', 'rediss:']),
  REDIS_CLUSTER_NODES: hostPortList,
  REDIS_SENTINELS: hostPortList,
  REDIS_SENTINEL_NAME: optionalString,
  REDIS_WAIT_REPLICAS: count(0, 16),
  SIGNALING_SECRET: optionalString.refine((v) => v === undefined || v.length >= MIN_SECRET_CHARS, {
    message: `must be at least ${MIN_SECRET_CHARS} characters`,
  }),
  SIGNALING_JWKS_URL: url(['http:', 'https:', 'file:']),
  SIGNALING_AUDIENCE: optionalString,
  SIGNALING_ISSUER: optionalString,
  TRUST_PROXY: bool,
  INTROSPECTION: bool,
  DEMO_PAGE: bool,
  KNOWN_OPERATIONS_ONLY: bool,
  PEERJS_PATH: optionalString.refine((v) => v === undefined || v === 'off' || /^(\/[A-Za-z0-9_.-]+)+$/.test(v), {
    message: 'must be off or a path such as /peerjs (no trailing slash)',
  }),
  PEERJS_DISCOVERY: bool,
  PEERJS_REQUIRE_TOKEN: bool,
  PEERJS_EXPIRE_MS: count(5000, 60_000),
  SIGNALING_API_KEY: optionalString,
  GUEST_SESSIONS: bool,
  ALLOWED_ORIGINS: commaList,
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  STUN_URLS: commaList.refine((l) => l.every((u) => /^stuns?:/.test(u)), { message: 'each URL must start with stun: or stuns:' }),
  TURN_URLS: commaList.refine((l) => l.every((u) => /^turns?:/.test(u)), { message: 'each URL must start with turn: or turns:' }),
  TURN_SECRET: optionalString,
  TURN_TTL_S: count(300),
  GRACE_MS: count(DEFAULT_GRACE_MS),
  MAILBOX_EVENTS: count(DEFAULT_MAILBOX_EVENTS),
  MAILBOX_TTL_MS: count(DEFAULT_MAILBOX_TTL_MS),
  SESSION_TTL_S: count(DEFAULT_SESSION_TTL_S),
  SESSION_MAX_AGE_S: count(DEFAULT_SESSION_MAX_AGE_S),
  HTTP_HEADERS_TIMEOUT_MS: count(DEFAULT_HTTP_HEADERS_TIMEOUT_MS, MAX_SLOW_CLIENT_DEADLINE_MS),
  HTTP_REQUEST_TIMEOUT_MS: count(DEFAULT_HTTP_REQUEST_TIMEOUT_MS, MAX_SLOW_CLIENT_DEADLINE_MS),
  RATE_LIMIT_SDP_PER_S: count(5),
  RATE_LIMIT_ICE_PER_S: count(50),
  MAX_CONNECTIONS_PER_IP: count(200),
  RATE_LIMIT_SESSIONS_PER_MIN: count(60),
  LOG_LEVEL: optionalString.pipe(z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).optional()),
  NODE_ENV: optionalString,
  OTEL_SDK_DISABLED: optionalString.transform((v) => v?.toLowerCase() === 'true'),
  OTEL_TRACES_EXPORTER: optionalString.pipe(z.enum(['otlp', 'console', 'none']).optional()),
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']),
  OTEL_SERVICE_NAME: optionalString,
});

/**
 * Tracing is opt-in (the OpenTelemetry variables): on with OTEL_TRACES_EXPORTER=otlp|console or an
 * OTLP endpoint; OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none win.
 */
function tracingConfig(e: z.infer<typeof envSchema>): TracingConfig | null {
  if (e.OTEL_SDK_DISABLED || e.OTEL_TRACES_EXPORTER === 'none') return null;
  const endpoint = e.OTEL_EXPORTER_OTLP_ENDPOINT;
  const tracesUrl = e.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (e.OTEL_TRACES_EXPORTER === undefined && endpoint === undefined && tracesUrl === undefined) return null;
  const serviceName = e.OTEL_SERVICE_NAME ?? 'switchboard';
  if (e.OTEL_TRACES_EXPORTER === 'console') return { serviceName, exporter: { kind: 'console' } };
  const url = tracesUrl ?? `${(endpoint ?? DEFAULT_OTLP_ENDPOINT).replace(/\/+$/, '')}/v1/traces`;
  return { serviceName, exporter: { kind: 'otlp', url } };
}

function redisTarget(e: z.infer<typeof envSchema>): RedisTarget | undefined {
  if (e.REDIS_CLUSTER_NODES.length > 0) return { kind: 'cluster', nodes: e.REDIS_CLUSTER_NODES };
  if (e.REDIS_SENTINELS.length > 0 && e.REDIS_SENTINEL_NAME !== undefined) return { kind: 'sentinel', sentinels: e.REDIS_SENTINELS, name: e.REDIS_SENTINEL_NAME };
  return e.REDIS_URL === undefined ? undefined : { kind: 'single', url: e.REDIS_URL };
}

const SECRET_NAMES = new Set(VARIABLES.filter((v) => v.secret).map((v) => v.name));

/**
 * A bad value as the config error shows it: never a secret's value, and never the credentials of a
 * URL (`redis://user:password@host`), so the error line is safe in any log.
 */
function printable(name: string, value: string | undefined): string {
  if (SECRET_NAMES.has(name)) return `(secret, ${value?.length ?? 0} characters, not shown)`;
  return JSON.stringify((value ?? '').replace(/^([^@/]*\/\/)?[^@]*@/, (_match, scheme: string | undefined) => `${scheme ?? ''}***@`));
}

/**
 * Reads and validates the environment. Throws {@link ConfigError} whose message names the first bad
 * variable, so `npm start` can stop with one clear line.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = String(issue?.path[0] ?? 'environment');
    throw new ConfigError(`${name}=${printable(name, env[name])} is invalid: ${issue?.message ?? 'bad value'}`);
  }
  const e = parsed.data;
  const production = e.NODE_ENV === 'production';
  if (production && e.SIGNALING_SECRET === undefined && e.SIGNALING_JWKS_URL === undefined) {
    throw new ConfigError('SIGNALING_SECRET is required in production (or set SIGNALING_JWKS_URL)');
  }
  if ((e.TLS_CERT_FILE === undefined) !== (e.TLS_KEY_FILE === undefined)) {
    throw new ConfigError('TLS_CERT_FILE and TLS_KEY_FILE must be set together');
  }
  if (e.TURN_URLS.length > 0 && e.TURN_SECRET === undefined) {
    throw new ConfigError('TURN_SECRET is required when TURN_URLS is set');
  }
  const targets = [e.REDIS_URL, e.REDIS_CLUSTER_NODES.length > 0, e.REDIS_SENTINELS.length > 0].filter(Boolean).length;
  if (targets > 1) throw new ConfigError('REDIS_URL, REDIS_CLUSTER_NODES and REDIS_SENTINELS: set at most one');
  if ((e.REDIS_SENTINELS.length > 0) !== (e.REDIS_SENTINEL_NAME !== undefined)) {
    throw new ConfigError('REDIS_SENTINELS and REDIS_SENTINEL_NAME must be set together');
  }
  if (e.MAILBOX_EVENTS === 0) throw new ConfigError('MAILBOX_EVENTS must be at least 1');
  if (e.SESSION_MAX_AGE_S === 0) throw new ConfigError('SESSION_MAX_AGE_S must be at least 1');
  if (e.SESSION_TTL_S === 0 || e.SESSION_TTL_S > e.SESSION_MAX_AGE_S) {
    throw new ConfigError(`SESSION_TTL_S must be 1–${e.SESSION_MAX_AGE_S} (SESSION_MAX_AGE_S)`);
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS === 0 || e.HTTP_REQUEST_TIMEOUT_MS === 0) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS and HTTP_REQUEST_TIMEOUT_MS must be at least 1: slow clients are always cut');
  }
  if (e.HTTP_HEADERS_TIMEOUT_MS > e.HTTP_REQUEST_TIMEOUT_MS) {
    throw new ConfigError('HTTP_HEADERS_TIMEOUT_MS must not exceed HTTP_REQUEST_TIMEOUT_MS (the headers are part of the request)');
  }
  return {
    port: e.PORT,
    host: e.HOST,
    redis: redisTarget(e),
    redisWaitReplicas: e.REDIS_WAIT_REPLICAS,
    signalingSecret: e.SIGNALING_SECRET ?? randomBytes(32).toString('base64url'),
    signalingSecretGenerated: e.SIGNALING_SECRET === undefined,
    jwksUrl: e.SIGNALING_JWKS_URL,
    audience: e.SIGNALING_AUDIENCE,
    issuer: e.SIGNALING_ISSUER,
    apiKey: e.SIGNALING_API_KEY,
    guestSessions: e.GUEST_SESSIONS ?? !production,
    allowedOrigins: e.ALLOWED_ORIGINS,
    tlsCertFile: e.TLS_CERT_FILE,
    tlsKeyFile: e.TLS_KEY_FILE,
    stunUrls: e.STUN_URLS,
    turnUrls: e.TURN_URLS,
    turnSecret: e.TURN_SECRET,
    turnTtlS: e.TURN_TTL_S,
    graceMs: e.GRACE_MS,
    mailboxEvents: e.MAILBOX_EVENTS,
    mailboxTtlMs: e.MAILBOX_TTL_MS,
    roomLogEvents: Math.max(DEFAULT_ROOM_LOG_EVENTS, e.MAILBOX_EVENTS),
    sessionTtlS: e.SESSION_TTL_S,
    sessionMaxAgeS: e.SESSION_MAX_AGE_S,
    httpHeadersTimeoutMs: e.HTTP_HEADERS_TIMEOUT_MS,
    httpRequestTimeoutMs: e.HTTP_REQUEST_TIMEOUT_MS,
    rateLimitSdpPerS: e.RATE_LIMIT_SDP_PER_S,
    rateLimitIcePerS: e.RATE_LIMIT_ICE_PER_S,
    maxConnectionsPerIp: e.MAX_CONNECTIONS_PER_IP,
    rateLimitSessionsPerMin: e.RATE_LIMIT_SESSIONS_PER_MIN,
    trustProxy: e.TRUST_PROXY ?? false,
    introspection: e.INTROSPECTION ?? !production,
    demoPage: e.DEMO_PAGE ?? !production,
    knownOperationsOnly: e.KNOWN_OPERATIONS_ONLY ?? false,
    peerjs:
      e.PEERJS_PATH === 'off'
        ? null
        : {
            path: e.PEERJS_PATH ?? '/peerjs',
            discovery: e.PEERJS_DISCOVERY ?? false,
            requireToken: e.PEERJS_REQUIRE_TOKEN ?? !(e.GUEST_SESSIONS ?? !production),
            expireMs: e.PEERJS_EXPIRE_MS,
          },
    logLevel: e.LOG_LEVEL ?? 'info',
    production,
    tracing: tracingConfig(e),
  };
}
