import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { renderGraphiQL } from '@graphql-yoga/render-graphiql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { GatewayContext } from './api/context';
import { schema } from './api/schema';
import { TokenService } from './auth/tokens';
import type { Broker } from './broker/broker';
import { MemoryBroker } from './broker/memory';
import { RedisBroker } from './broker/redis';
import type { RedisClient } from './broker/redis-clients';
import { type Config, redisAddress } from './config';
import type { Core } from './core';
import { createLogger } from './logger';
import { RateLimits } from './limits/rate-limits';
import { Metrics } from './metrics';
import { useCodedErrors } from './api/coded-errors';
import { useCompiledExecution } from './api/compiled-execution';
import { hardeningPlugins } from './api/hardening';
import { useRejectionMetrics } from './api/rejection-metrics';
import { DEMO_CSP, demoAsset, demoHtml } from './pages/demo';
import { GRAPHIQL_ROOM, graphiqlOptions, type PageSession } from './pages/graphiql-tabs';
import { ConnectionRegistry } from './presence/connections';
import { PendingPolls } from './presence/pending-polls';
import { peerKey, Presence } from './presence/presence';
import { CloseCode, CREATE_SESSION, ErrorCode, LISTEN_BACKLOG_CONNECTIONS, MAX_SUBSCRIBER_QUEUE_BYTES, MAX_SUBSCRIBER_QUEUE_EVENTS } from './protocol';
import { clientIp } from './limits/client-ip';
import { buildContext, type WsInitialContext } from './transport/context';
import { admitGraphqlBody } from './transport/http-body';
import { refuseHttp, RequestsPerIp, slowClientDeadlines } from './transport/http-limits';
import type { SideTransport } from './transport/side-transport';
import { attachSideTransports } from './transport/side-transports';
import { gateUpgrades } from './transport/upgrade';
import { attachWebSocket } from './transport/websocket';
import { SignalTracing } from './tracing';
import { Webhooks } from './webhooks/webhooks';

export const GRAPHQL_PATH = '/graphql';
/** Longest wait for connections to finish at shutdown, per phase (sockets, then HTTP). */
export const DRAIN_TIMEOUT_MS = 5_000;

export interface Gateway {
  /** `http(s)://host:port` as bound (port resolved when 0 was asked). */
  url: string;
  port: number;
  core: Core;
  /** Stops accepting, ends every connection (WebSocket close 1001) and releases the broker. */
  close(): Promise<void>;
}

export interface GatewayOptions {
  log?: Logger;
  /** A broker made by the caller; `rateLimitStore` then shares the rate limits (none: per process). */
  broker?: Broker;
  rateLimitStore?: RedisClient;
  /** Envelop plugins after the gateway's own; they apply to every operation on every transport. */
  plugins?: Plugin[];
}

const FEED_LIMITS = { maxQueuedEvents: MAX_SUBSCRIBER_QUEUE_EVENTS, maxQueuedBytes: MAX_SUBSCRIBER_QUEUE_BYTES };

/**
 * How long start-up waits for Redis's first answer before listening anyway with /readyz at 503 (it
 * keeps reconnecting). A refused connection ends the wait at once; this bounds a silent network.
 */
const REDIS_FIRST_ATTEMPT_MS = 2_000;

/** The broker the config asks for, and the Redis client the rate limits share when there is one. */
async function createBroker(config: Config, log: Logger, onBrokerError: () => void): Promise<{ broker: Broker; rateLimitStore?: RedisClient }> {
  if (config.redis !== undefined) {
    const target = config.redis;
    const broker = new RedisBroker({
      target,
      waitReplicas: config.redisWaitReplicas,
      mailboxEvents: config.mailboxEvents,
      roomLogEvents: config.roomLogEvents,
      retentionMs: config.mailboxTtlMs,
      feedLimits: FEED_LIMITS,
      maxPeersPerRoom: config.maxPeersPerRoom,
      log: log.child({ component: 'redis' }),
      onError: onBrokerError,
    });
    if (!(await broker.connected(REDIS_FIRST_ATTEMPT_MS))) {
      const address = redisAddress(target);
      log.warn({ redis: address }, `waiting for Redis at ${address}; serving with /readyz at 503 until it answers`);
      void broker.whenConnected().then(() => log.info({ instance: broker.instanceId }, 'redis broker connected'));
    } else log.info({ instance: broker.instanceId }, 'redis broker connected');
    return { broker, rateLimitStore: broker.client };
  }
  const broker = new MemoryBroker({
    mailboxEvents: config.mailboxEvents,
    roomLogEvents: config.roomLogEvents,
    retentionMs: config.mailboxTtlMs,
    feedLimits: FEED_LIMITS,
    maxPeersPerRoom: config.maxPeersPerRoom,
  });
  return { broker };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

/** Builds and starts a gateway: HTTP (or HTTPS), yoga on /graphql for HTTP and SSE, graphql-ws on the same path. */
export async function createGateway(config: Config, options: GatewayOptions = {}): Promise<Gateway> {
  const log = options.log ?? createLogger(config);
  const metrics: Metrics = new Metrics({
    connectedPeers: () => core.presence.connectedPeers,
    rooms: () => core.presence.connectedRooms,
    openConnections: () => core.connections.size,
  });
  const { broker, rateLimitStore } = options.broker
    ? { broker: options.broker, rateLimitStore: options.rateLimitStore }
    : await createBroker(config, log, () => metrics.brokerErrors.inc());
  const core: Core = {
    config,
    log,
    broker,
    presence: new Presence(broker, config.graceMs, log),
    tokens: new TokenService({
      secret: config.signalingSecret,
      jwksUrl: config.jwksUrl,
      audience: config.audience,
      issuer: config.issuer,
      maxAgeS: config.sessionMaxAgeS,
    }),
    connections: new ConnectionRegistry((code) => metrics.disconnects.inc({ code })),
    polls: new PendingPolls(),
    metrics,
    limits: new RateLimits(config, rateLimitStore),
    tracing: config.tracing === null ? null : new SignalTracing(config.tracing, log.child({ component: 'tracing' })),
  };
  broker.onPeerMoved(({ room, peer }) => core.connections.end(peerKey(room, peer), CloseCode.Replaced, 'replaced by a newer connection'));
  const webhooks = config.webhooks === null ? null : new Webhooks({ ...config.webhooks, metrics, log: log.child({ component: 'webhooks' }), redis: rateLimitStore ?? null });
  if (webhooks) broker.onRoomEvent((event) => webhooks.send(event));

  const yogaLog = log.child({ component: 'yoga' });
  const yoga = createYoga<Record<string, unknown>, GatewayContext>({
    schema,
    plugins: [...hardeningPlugins(config), useCodedErrors(), useRejectionMetrics(metrics), useCompiledExecution(), ...(options.plugins ?? [])],
    graphqlEndpoint: GRAPHQL_PATH,
    landingPage: false,
    graphiql: !config.introspection ? false : async (_request, serverContext) => graphiqlOptions(await mintPageSession(serverContext)),
    renderGraphiQL,
    maskedErrors: { isDev: false },
    cors: config.allowedOrigins.length > 0 ? { origin: config.allowedOrigins, credentials: true } : undefined,
    logging: {
      debug: (...args) => yogaLog.debug(args.map(String).join(' ')),
      info: (...args) => yogaLog.info(args.map(String).join(' ')),
      warn: (...args) => yogaLog.warn(args.map(String).join(' ')),
      error: (...args) => yogaLog.error(args.map(String).join(' ')),
    },
    context: (initial) => buildContext(core, initial as { request?: Request; req?: IncomingMessage } & Partial<WsInitialContext>),
  });

  /** GraphiQL's own guest session, minted by the `createSession` a client would send, for the caller's IP. */
  const mintPageSession = async (serverContext: Record<string, unknown> | undefined): Promise<PageSession | null> => {
    if (!config.guestSessions) return null;
    const body = JSON.stringify({ query: CREATE_SESSION, variables: { room: GRAPHIQL_ROOM, name: 'graphiql' } });
    const response = await yoga.fetch(`http://gateway${GRAPHQL_PATH}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }, serverContext ?? {});
    const result = (await response.json()) as { data?: { createSession?: PageSession | null } | null };
    return result.data?.createSession ?? null;
  };

  const requestsPerIp = new RequestsPerIp(config.maxConnectionsPerIp);
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!requestsPerIp.admit(clientIp(req, config.trustProxy), res)) {
      metrics.rateLimited.inc({ limit: 'connections' });
      return refuseHttp(res, 429, ErrorCode.RateLimited, `at most ${config.maxConnectionsPerIp} requests in flight per IP`, { retryAfterMs: 1000 });
    }
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/metrics') {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        () => sendJson(res, 500, { error: 'metrics unavailable' }),
      );
      return;
    }
    if (path === '/readyz') return sendJson(res, broker.ready() ? 200 : 503, { broker: broker.ready() ? 'ready' : 'unavailable' });
    if (path !== undefined && sideTransports.some((transport) => transport.serve(req, res, path))) return;
    if (config.demoPage && (req.method === 'GET' || req.method === 'HEAD') && path !== GRAPHQL_PATH && path !== undefined) {
      serveDemo(path, res).then(
        (served) => {
          if (!served) sendJson(res, 404, { error: 'not found', endpoints: [GRAPHQL_PATH, '/healthz', '/readyz', '/metrics', '/'] });
        },
        () => sendJson(res, 500, { error: 'demo page unavailable' }),
      );
      return;
    }
    if (path !== GRAPHQL_PATH) return sendJson(res, 404, { error: 'not found', endpoints: [GRAPHQL_PATH, '/healthz', '/readyz'] });
    void admitGraphqlBody(req, res).then((admitted) => (admitted ? yoga(req, res) : undefined));
  };

  const deadlines = slowClientDeadlines(config);
  const server: Server =
    config.tlsCertFile !== undefined && config.tlsKeyFile !== undefined
      ? createHttpsServer({ ...deadlines, cert: readFileSync(config.tlsCertFile), key: readFileSync(config.tlsKeyFile) }, handle)
      : createHttpServer(deadlines, handle);

  const upgrades = gateUpgrades(server, core);
  // Presence rendered once per selection only while every envelop plugin is the gateway's own (ws-hooks.ts).
  const ws = attachWebSocket(upgrades, core, yoga, GRAPHQL_PATH, { sharePresence: (options.plugins ?? []).length === 0 });
  const sideTransports: SideTransport[] = attachSideTransports(upgrades, core);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: config.port, host: config.host, backlog: LISTEN_BACKLOG_CONNECTIONS }, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = config.tlsCertFile === undefined ? 'http' : 'https';
  const host = config.host === '0.0.0.0' || config.host === '::' ? 'localhost' : config.host;

  /**
   * Graceful stop: accept nothing new; tell every client 1001 (after the reply to any operation in
   * flight) so it resumes on another instance; let in-flight HTTP requests and long polls finish;
   * release the broker. Each wait is bounded.
   */
  const shutdown = async (): Promise<void> => {
    upgrades.stopAccepting();
    const httpClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    core.connections.endAll(CloseCode.GoingAway, 'server shutting down');
    core.presence.close();
    await Promise.all([ws.drain(DRAIN_TIMEOUT_MS), ...sideTransports.map((transport) => transport.drain(DRAIN_TIMEOUT_MS))]);
    await broker.close(); // ends the feeds of pending long polls, which then answer
    let timer: NodeJS.Timeout | undefined;
    const httpDrained = Promise.race([httpClosed, new Promise<void>((resolve) => (timer = setTimeout(resolve, DRAIN_TIMEOUT_MS)))]);
    // Webhooks still queued get the same bounded time to go out.
    await Promise.all([httpDrained, webhooks?.close(DRAIN_TIMEOUT_MS)]);
    clearTimeout(timer);
    server.closeAllConnections();
    await httpClosed;
    await core.tracing?.shutdown().catch((error: unknown) => log.warn({ err: error }, 'tracing: last spans not exported'));
  };
  let closing: Promise<void> | null = null;
  return {
    url: `${scheme}://${host}:${port}`,
    port,
    core,
    close: () => {
      closing ??= shutdown();
      return closing;
    },
  };
}

/** Serves the demo page at `/` and its assets; false when `path` is not one of them. */
async function serveDemo(path: string, res: ServerResponse): Promise<boolean> {
  if (path === '/') {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': DEMO_CSP, 'x-content-type-options': 'nosniff' });
    res.end(await demoHtml(GRAPHQL_PATH));
    return true;
  }
  const asset = await demoAsset(path);
  if (!asset) return false;
  res.writeHead(200, { 'content-type': asset.type, 'x-content-type-options': 'nosniff', 'cache-control': 'no-cache' });
  res.end(asset.body);
  return true;
}
