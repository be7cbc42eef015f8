/** `npm start`: reads the environment, starts one gateway, and stops cleanly on SIGTERM/SIGINT. */
import { ConfigError, loadConfig, VARIABLES } from './config';
import { createLogger } from './logger';
import { createGateway, DRAIN_TIMEOUT_MS, GRAPHQL_PATH } from './server';

/** If a graceful stop hangs anyway, the process still exits within this. */
const HARD_EXIT_MS = 3 * DRAIN_TIMEOUT_MS;

function printHelp(): void {
  console.log('Switchboard — realtime GraphQL signaling gateway for WebRTC\n\nEnvironment variables:');
  const width = Math.max(...VARIABLES.map((v) => v.name.length));
  for (const v of VARIABLES) console.log(`  ${v.name.padEnd(width)}  ${v.meaning}${v.default ? ` (default: ${v.default})` : ''}`);
}

async function main(): Promise<void> {
  if (process.argv.includes('--help') || process.argv.includes('-h')) {
    printHelp();
    return;
  }
  const config = loadConfig(process.env);
  const log = createLogger(config);
  if (config.signalingSecretGenerated && config.jwksUrl === undefined) {
    log.warn('SIGNALING_SECRET is not set: using a random secret for this process only; tokens die with it. Set it for anything but development.');
  }
  const gateway = await createGateway(config, { log });
  const wsUrl = gateway.url.replace(/^http/, 'ws');
  const http = `${gateway.url}${GRAPHQL_PATH}`;
  // GraphiQL is advertised only where it is served (INTROSPECTION, off in production).
  log.info(
    { http, websocket: `${wsUrl}${GRAPHQL_PATH}`, ...(config.introspection ? { graphiql: http } : {}), guestSessions: config.guestSessions },
    'switchboard listening',
  );
  const lines = ['Switchboard ready', `${config.introspection ? 'GraphiQL ' : 'GraphQL  '}  ${http}`, `WebSocket  ${wsUrl}${GRAPHQL_PATH}`, `Demo       ${gateway.url}/`];
  console.log(`\n${lines.map((line) => `  ${line}`).join('\n')}\n`);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    setTimeout(() => {
      log.error('graceful shutdown timed out; exiting');
      process.exit(1);
    }, HARD_EXIT_MS).unref();
    const started = Date.now();
    gateway.close().then(
      () => {
        log.info({ ms: Date.now() - started }, 'shut down');
        process.exit(0);
      },
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    console.error(`switchboard: ${error.message}`);
  } else {
    console.error('switchboard: failed to start:', error instanceof Error ? error.message : error);
  }
  process.exit(1);
});
