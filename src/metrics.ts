import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { version } from '../package.json';

/**
 * The gateway's Prometheus metrics, on a registry of its own (several gateways can share a process in
 * tests). Served at /metrics. Node's default metrics keep their standard names (`process_*`,
 * `nodejs_*`) so stock Node.js dashboards and alerts find them; the gateway's own start `switchboard_`.
 */
export class Metrics {
  readonly registry = new Registry();

  /** Offers, answers and candidates accepted into a mailbox, by type. */
  readonly signalsRelayed = new Counter({
    name: 'switchboard_signals_relayed_total',
    help: 'Signals accepted for delivery, by type',
    labelNames: ['type'] as const,
    registers: [this.registry],
  });

  /** From acceptance to hand-off to the recipient's transport. */
  readonly relayLatency = new Histogram({
    name: 'switchboard_relay_latency_seconds',
    help: 'Time from a signal being accepted to its delivery to the recipient connection',
    labelNames: ['type'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5],
    registers: [this.registry],
  });

  /** WebSocket operations by whether their document text was already parsed and validated (transport/documents.ts). */
  readonly wsDocuments = new Counter({
    name: 'switchboard_ws_documents_total',
    help: 'WebSocket operations by document cache outcome (hit: parsed and validated before)',
    labelNames: ['cache'] as const,
    registers: [this.registry],
  });

  readonly rejected = new Counter({
    name: 'switchboard_rejected_total',
    help: 'Operations refused, by error code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  readonly rateLimited = new Counter({
    name: 'switchboard_rate_limited_total',
    help: 'Requests refused by a rate limit, by limit',
    labelNames: ['limit'] as const,
    registers: [this.registry],
  });

  /** Connections the gateway ended itself (replaced, session ended, slow consumer, flooding, shutdown). */
  readonly disconnects = new Counter({
    name: 'switchboard_disconnects_total',
    help: 'Connections ended by the gateway, by close code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });

  /** Tokens minted by `createSession` (guests and API-key callers). */
  readonly sessionsCreated = new Counter({
    name: 'switchboard_sessions_created_total',
    help: 'Session tokens minted by createSession',
    registers: [this.registry],
  });

  /** Webhook attempts by outcome: delivered, retried (an attempt failed, another follows), failed (given up), dropped (queue full). */
  readonly webhooks = new Counter({
    name: 'switchboard_webhooks_total',
    help: 'Webhook deliveries by outcome (delivered, retried, failed after the last attempt, dropped with the queue full)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });

  readonly brokerErrors = new Counter({
    name: 'switchboard_broker_errors_total',
    help: 'Broker (Redis) operations that failed',
    registers: [this.registry],
  });

  readonly connectedPeers: Gauge;
  readonly rooms: Gauge;
  readonly openConnections: Gauge;

  constructor(sources: { connectedPeers: () => number; rooms: () => number; openConnections: () => number }) {
    this.connectedPeers = new Gauge({
      name: 'switchboard_connected_peers',
      help: 'Peers with a live subscription on this instance',
      registers: [this.registry],
      collect() {
        this.set(sources.connectedPeers());
      },
    });
    this.rooms = new Gauge({
      name: 'switchboard_rooms',
      help: 'Rooms with at least one peer connected to this instance',
      registers: [this.registry],
      collect() {
        this.set(sources.rooms());
      },
    });
    this.openConnections = new Gauge({
      name: 'switchboard_open_connections',
      help: 'WebSocket connections and SSE streams open on this instance',
      registers: [this.registry],
      collect() {
        this.set(sources.openConnections());
      },
    });
    new Gauge({
      name: 'switchboard_build_info',
      help: 'Always 1; the version label says which build this instance runs',
      labelNames: ['version'] as const,
      registers: [this.registry],
    }).set({ version }, 1);
    collectDefaultMetrics({ register: this.registry });
  }
}
