import { loadConfig, type Config } from '../../src/config';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/server';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-0123456789';

/**
 * Rate limits off unless a test turns one on: suites create hundreds of sessions and signals from one
 * loopback address. The limits have their own suite.
 */
export const LIMITS_OFF = { RATE_LIMIT_SDP_PER_S: '0', RATE_LIMIT_ICE_PER_S: '0', RATE_LIMIT_MESSAGES_PER_S: '0', RATE_LIMIT_SESSIONS_PER_MIN: '0' };

/** A config for an in-process gateway on a free loopback port, silent, with the test secret. */
export function testConfig(env: Record<string, string> = {}): Config {
  return loadConfig({ PORT: '0', HOST: '127.0.0.1', SIGNALING_SECRET: TEST_SECRET, LOG_LEVEL: 'silent', ...LIMITS_OFF, ...env });
}

export interface TestGateway extends Gateway {
  httpUrl: string;
  wsUrl: string;
}

/** Starts a real gateway on a real port; close it in afterAll/afterEach. */
export async function startGateway(env: Record<string, string> = {}, options: GatewayOptions = {}): Promise<TestGateway> {
  const gateway = await createGateway(testConfig(env), options);
  return { ...gateway, httpUrl: `${gateway.url}/graphql`, wsUrl: `${gateway.url.replace(/^http/, 'ws')}/graphql` };
}
