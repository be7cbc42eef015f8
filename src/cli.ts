/**
 * `switchboard token --room R --peer P [--name N] [--ttl 1h]`: mints a session token with
 * SIGNALING_SECRET, as a backend would, and prints it.
 */
import { GraphQLError } from 'graphql';
import { TokenService } from './auth/tokens';
import { ConfigError, loadConfig } from './config';
import { validateId, validateName } from './limits/validation';

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };
/** Without --ttl: an hour, or the longest session when that is shorter. */
const DEFAULT_TTL_S = 3600;

const USAGE = 'usage: switchboard token --room <room> --peer <peer id> [--name <name>] [--ttl 1h]';

/**
 * `90`, `90s`, `15m`, `1h`, `7d` → seconds, from 1 s to `maxS` (SESSION_MAX_AGE_S): a token that is
 * born expired, or lives longer than any session may, is an error, not a token.
 */
export function parseTtl(text: string, maxS: number): number {
  const match = /^(\d{1,15})([smhd]?)$/.exec(text);
  const seconds = match ? Number(match[1]) * (UNIT_SECONDS[match[2] || 's'] ?? 1) : NaN;
  if (!(seconds >= 1 && seconds <= maxS)) {
    throw new ConfigError(`--ttl ${JSON.stringify(text)} is invalid: use 1 s to ${maxS} s (SESSION_MAX_AGE_S), e.g. 3600, 15m, 1h or 7d`);
  }
  return seconds;
}

const FLAGS = ['room', 'peer', 'name', 'ttl'] as const;
type Flag = (typeof FLAGS)[number];
const isFlag = (name: string): name is Flag => (FLAGS as readonly string[]).includes(name);

/**
 * `--flag value` pairs, strictly: an unknown flag, a flag given twice, a stray word or a flag whose
 * value is missing or is itself a flag (`--peer --ttl 1h`) is an error naming it.
 */
export function parseFlags(args: readonly string[]): Partial<Record<Flag, string>> {
  const values: Partial<Record<Flag, string>> = {};
  for (let i = 0; i < args.length; i += 2) {
    const arg = args[i] ?? '';
    const name = arg.startsWith('--') ? arg.slice(2) : '';
    if (!isFlag(name)) throw new ConfigError(`unknown argument ${JSON.stringify(arg)}; ${USAGE}`);
    const value = args[i + 1];
    if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value; ${USAGE}`);
    if (values[name] !== undefined) throw new ConfigError(`--${name} is given twice`);
    values[name] = value;
  }
  return values;
}

/** A refusal of an id or name as one CLI line, with its code. */
function checked<T>(validate: () => T): T {
  try {
    return validate();
  } catch (error) {
    if (error instanceof GraphQLError) throw new ConfigError(`${error.message} (${String(error.extensions['code'])})`);
    throw error;
  }
}

export async function runCli(args: string[], env: Record<string, string | undefined>): Promise<string> {
  if (args[0] !== 'token') throw new ConfigError(USAGE);
  const flags = parseFlags(args.slice(1));
  const { room, peer } = flags;
  if (room === undefined || peer === undefined) throw new ConfigError(USAGE);
  const config = loadConfig(env);
  if (config.signalingSecretGenerated) throw new ConfigError('SIGNALING_SECRET must be set: it is the secret the gateways verify tokens with');
  const ttlS = flags.ttl === undefined ? Math.min(DEFAULT_TTL_S, config.sessionMaxAgeS) : parseTtl(flags.ttl, config.sessionMaxAgeS);
  const identity = checked(() => ({ room: validateId('room', room), peerId: validateId('peerId', peer), name: validateName(flags.name) }));
  const tokens = new TokenService({
    secret: config.signalingSecret,
    jwksUrl: undefined,
    audience: config.audience,
    issuer: config.issuer,
    maxAgeS: config.sessionMaxAgeS,
  });
  const { token } = await tokens.mint(identity, ttlS);
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
