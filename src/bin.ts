/**
 * The `switchboard` command (`dist/server/bin.js`, behind `bin/switchboard.cjs`):
 * `switchboard start` runs a gateway from the environment, `switchboard token …` mints a session token.
 */
import { main as token } from './cli';
import { runStart } from './start';

const USAGE = `usage: switchboard start [--help]          run a gateway (configured by environment variables)
       switchboard token --room <room> --peer <peer id> [--name <name>] [--ttl 1h]`;

const [command, ...rest] = process.argv.slice(2);
if (command === 'start') {
  runStart(rest);
} else if (command === 'token') {
  token();
} else {
  console.error(command === undefined || command === '--help' || command === '-h' ? USAGE : `switchboard: unknown command ${JSON.stringify(command)}\n${USAGE}`);
  process.exit(command === '--help' || command === '-h' ? 0 : 1);
}
