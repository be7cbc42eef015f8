/** `switchboard start` (and `npm start`): reads the environment, starts one gateway, and stops cleanly on SIGTERM/SIGINT. */
import { ConfigError, loadConfig, VARIABLES } from './config';
import { createLogger } from './logger';
import { createGateway, DRAIN_TIMEOUT_MS, GRAPHQL_PATH } from './server';
import { SOCKET_IO_PATH } from './protocol';

/** If a graceful stop hangs anyway, the process still exits within this. */
const HARD_EXIT_MS = 3 * DRAIN_TIMEOUT_MS;

function printHelp(): void {
  console.log('Switchboard — realtime GraphQL signaling gateway for WebRTC\n\nEnvironment variables:');
  const width = Math.max(...VARIABLES.map((v) => v.name.length));
  for (const v of VARIABLES) console.log(`  ${v.name.padEnd(width)}  ${v.meaning}${v.default ? ` (default: ${v.default})` : ''}`);
}

async function start(args: readonly string[]): Promise<void> {
  if (args.includes('--help') || args.includes('-h')) {
    printHelp();
    return;
  }
  const config = loadConfig(process.env);
  const log = createLogger(config);
  if (config.signalingSecretGenerated && config.jwksUrl === undefined) {
    log.warn('SIGNALING_SECRET is not set: using a random secret for this process only; tokens die with it. Set it for anything but development.');
  }
  const gateway = await createGateway(config, { log });
  // Handlers first: a SIGTERM sent as soon as the process says it listens (a supervisor, a test) stops it
  // gracefully instead of meeting Node's default action. The banner comes before the 'listening' line,
  // so whoever waits for that line has all of the start-up output.
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
  const wsUrl = gateway.url.replace(/^http/, 'ws');
  // stdout carries pino's JSON only; the banner is for a person at a terminal, or a developer.
  if (!config.production || process.stderr.isTTY) {
    const lines = [
      ['GraphQL', `${gateway.url}${GRAPHQL_PATH}${config.introspection ? ' (GraphiQL in a browser)' : ''}`],
      ['WebSocket', `${wsUrl}${GRAPHQL_PATH}`],
      ['Socket.IO', `${gateway.url}${SOCKET_IO_PATH} (WebSocket transport)`],
      ...(config.peerjs ? [['PeerJS', `${gateway.url}${config.peerjs.path} (key = room)`]] : []),
      ...(config.demoPage ? [['Demo', `${gateway.url}/`]] : []),
    ];
    process.stderr.write(`\n  Switchboard ready\n${lines.map(([label, value]) => `  ${label?.padEnd(10)} ${value}\n`).join('')}\n`);
  }
  log.info(
    { url: gateway.url, graphql: `${gateway.url}${GRAPHQL_PATH}`, websocket: `${wsUrl}${GRAPHQL_PATH}`, graphiql: config.introspection, guestSessions: config.guestSessions, demoPage: config.demoPage },
    'switchboard listening',
  );
}

/** Starts the gateway from the environment; a bad setting or a failed start prints one line and exits 1. */
export function runStart(args: readonly string[]): void {
  start(args).catch((error: unknown) => {
    if (error instanceof ConfigError) {
      console.error(`switchboard: ${error.message}`);
    } else {
      console.error('switchboard: failed to start:', error instanceof Error ? error.message : error);
    }
    process.exit(1);
  });
}
