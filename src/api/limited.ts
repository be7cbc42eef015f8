import { GraphQLError } from 'graphql';
import type { LimitName } from '../limits/rate-limits';
import { ErrorCode } from '../protocol';
import type { GatewayContext } from './context';

/** Takes one unit of a rate limit; a refusal is counted and reported to the connection (flood detection). */
export async function limited(ctx: GatewayContext, name: LimitName, key: string): Promise<void> {
  try {
    await ctx.core.limits.consume(name, key);
  } catch (error) {
    if (error instanceof GraphQLError && error.extensions['code'] === ErrorCode.RateLimited) {
      ctx.core.metrics.rateLimited.inc({ limit: name });
      ctx.connection?.refused?.();
    }
    throw error;
  }
}
