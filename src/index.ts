/**
 * The `switchboard` package's programmatic API: build a configuration from an environment-like record
 * and start a gateway with it.
 *
 * ```ts
 * import { createGateway, loadConfig } from 'switchboard';
 * const gateway = await createGateway(loadConfig({ ...process.env, PORT: '0' }));
 * console.log(gateway.url); // … later: await gateway.close();
 * ```
 */
export { ConfigError, loadConfig, type Config } from './config';
export { createGateway, GRAPHQL_PATH, type Gateway, type GatewayOptions } from './server';
