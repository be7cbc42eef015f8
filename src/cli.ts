/**
 * `switchboard token --room R --peer P [--name N] [--ttl 1h]`: mints a session token with
 * SIGNALING_SECRET, as a backend would, and prints it.
 */
import { TokenService } from './auth/tokens';
import { ConfigError, loadConfig } from './config';
import { validateId, validateName } from './limits/validation';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** `90`, `90s`, `15m`, `1h`, `7d` → seconds. */
export function parseTtl(text: string): number {
  const match = /^(\d+)([smhd]?)$/.exec(text);
  if (!match) throw new ConfigError(`--ttl ${JSON.stringify(text)} is invalid: use e.g. 3600, 15m, 1h or 7d`);
  return Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1);
}

function option(args: string[], name: string): string | undefined {
  const index = args.indexOf(`--${name}`);
  return index >= 0 ? args[index + 1] : undefined;
}

const USAGE = 'usage: switchboard token --room <room> --peer <peer id> [--name <name>] [--ttl 1h]';

export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<string> {
  if (args[0] !== 'token') throw new ConfigError(USAGE);
  const room = option(args, 'room');
  const peer = option(args, 'peer');
  if (room === undefined || peer === undefined) throw new ConfigError(USAGE);
  const config = loadConfig(env);
  if (config.signalingSecretGenerated) throw new ConfigError('SIGNALING_SECRET must be set: it is the secret the gateways verify tokens with');
  const tokens = new TokenService({ secret: config.signalingSecret, jwksUrl: undefined, audience: config.audience, issuer: config.issuer });
  try {
    validateId('room', room);
    validateId('peerId', peer);
  } catch (error) {
    throw new ConfigError(error instanceof Error ? error.message : String(error));
  }
  const { token } = await tokens.mint({ room, peerId: peer, name: validateName(option(args, 'name')) }, parseTtl(option(args, 'ttl') ?? '1h'));
  return token;
}

/** Entry point of `bin/switchboard.cjs`: prints the token, or one line naming the problem (exit 1). */
export function main(): void {
  runCli(process.argv.slice(2), process.env).then(
    (token) => console.log(token),
    (error: unknown) => {
      console.error(`switchboard: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    },
  );
}
