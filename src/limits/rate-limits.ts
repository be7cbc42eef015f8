import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { RedisClient } from '../broker/redis-clients';
import type { Config } from '../config';
import { refusal } from '../errors';
import { ErrorCode, RATE_LIMIT_WINDOW_S, SignalKind } from '../protocol';

/** The limits, by what they protect. */
export type LimitName = 'sdp' | 'ice' | 'sessions';

const SESSION_WINDOW_S = 60;

/**
 * Per-peer and per-IP rate limits. With Redis they are shared by every instance (keys under
 * `sb:rl:`), with an in-memory insurance limiter that takes over while Redis is unreachable; without
 * Redis they live in this process. A rate of 0 turns that limit off.
 */
export class RateLimits {
  private readonly limiters = new Map<LimitName, RateLimiterAbstract>();

  constructor(config: Config, redis: RedisClient | undefined) {
    const make = (name: LimitName, points: number, duration: number): void => {
      if (points <= 0) return;
      const options = { keyPrefix: `sb:rl:${name}`, points, duration };
      const memory = new RateLimiterMemory(options);
      this.limiters.set(
        name,
        redis ? new RateLimiterRedis({ ...options, storeClient: redis, rejectIfRedisNotReady: true, insuranceLimiter: memory }) : memory,
      );
    };
    make('sdp', config.rateLimitSdpPerS * RATE_LIMIT_WINDOW_S, RATE_LIMIT_WINDOW_S);
    make('ice', config.rateLimitIcePerS * RATE_LIMIT_WINDOW_S, RATE_LIMIT_WINDOW_S);
    make('sessions', config.rateLimitSessionsPerMin, SESSION_WINDOW_S);
  }

  /** Which limit a signal counts against. */
  static forSignal(kind: SignalKind): LimitName {
    return kind === SignalKind.IceCandidate ? 'ice' : 'sdp';
  }

  /** Takes one unit of `name` for `key`, or throws RATE_LIMITED with the wait in `retryAfterMs`. */
  async consume(name: LimitName, key: string): Promise<void> {
    const limiter = this.limiters.get(name);
    if (!limiter) return;
    try {
      await limiter.consume(key);
    } catch (rejection) {
      if (!(rejection instanceof RateLimiterRes)) throw rejection;
      const retryAfterMs = Math.max(1, Math.ceil(rejection.msBeforeNext));
      throw refusal(ErrorCode.RateLimited, `rate limit (${name}) exceeded: retry in ${retryAfterMs} ms`, { retryAfterMs, limit: name });
    }
  }
}
