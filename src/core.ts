import type { Logger } from 'pino';
import type { TokenService } from './auth/tokens';
import type { Broker } from './broker/broker';
import type { Config } from './config';
import type { RateLimits } from './limits/rate-limits';
import type { Metrics } from './metrics';
import type { ConnectionRegistry } from './presence/connections';
import type { PendingPolls } from './presence/pending-polls';
import type { Presence } from './presence/presence';
import type { SignalTracing } from './tracing';

/** The gateway's transport-free parts, shared by every request on every transport. */
export interface Core {
  config: Config;
  log: Logger;
  broker: Broker;
  presence: Presence;
  tokens: TokenService;
  connections: ConnectionRegistry;
  /** The one pending long poll of each peer on this instance. */
  polls: PendingPolls;
  metrics: Metrics;
  limits: RateLimits;
  /** Null when tracing is off: the hot path then makes no tracer call. */
  tracing: SignalTracing | null;
}
