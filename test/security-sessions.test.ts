import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { decodeJwt, SignJWT } from 'jose';
import { CREATE_SESSION, ME, REFRESH_SESSION, SEND_OFFER } from '../client/operations';
import type { Session } from '../client/types';
import { parseFlags, parseTtl, runCli } from '../src/cli';
import { ConfigError, loadConfig, VARIABLES } from '../src/config';
import { CloseCode, DEFAULT_SESSION_MAX_AGE_S, ErrorCode } from '../src/protocol';
import { ChildGateway } from './helpers/child-gateway';
import { codeOf, createSession, http } from './helpers/clients';
import { TEST_SECRET } from './helpers/gateway';
import { fakeSdp } from './helpers/sdp';
import { gatewaySuite } from './helpers/suite';

const now = (): number => Math.floor(Date.now() / 1000);
const hs256 = (claims: Record<string, unknown>): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(TEST_SECRET));
const env = { SIGNALING_SECRET: TEST_SECRET };

/** Characters that must never reach other peers inside a name: Unicode Cc and Cf. */
const HOSTILE: Array<[string, string]> = [
  ['CR', '\r'],
  ['LF', '\n'],
  ['TAB', '\t'],
  ['NUL', '\u0000'],
  ['NEL (C1 control)', '\u0085'],
  ['right-to-left override U+202E', '\u202e'],
  ['zero-width space U+200B', '\u200b'],
  ['left-to-right isolate U+2066', '\u2066'],
  ['zero-width joiner U+200D', '\u200d'],
  ['byte order mark U+FEFF', '\ufeff'],
  ['soft hyphen U+00AD', '\u00ad'],
];

describe('names refuse every control (Cc) and format (Cf) character, on every path', () => {
  const suite = gatewaySuite();

  it.each(HOSTILE)('createSession refuses a name with %s (BAD_USER_INPUT)', async (_label, char) => {
    const res = await http(suite.gw().httpUrl, CREATE_SESSION, { room: 'names', name: `ali${char}ce` });
    expect(codeOf(res)).toBe(ErrorCode.BadUserInput);
  });

  it.each(HOSTILE)('a token minted elsewhere with %s in its name claim is refused (HTTP BAD_USER_INPUT, WebSocket 4403)', async (_label, char) => {
    const token = await hs256({ sub: 'mallory', room: 'names', name: `admin${char}`, exp: now() + 600 });
    expect(codeOf(await http(suite.gw().httpUrl, ME, {}, { token }))).toBe(ErrorCode.BadUserInput);
    const ws = suite.open(token);
    expect((await ws.closes.next()).code).toBe(CloseCode.Forbidden);
  });

  it.each(HOSTILE)('the token CLI refuses a name with %s', async (_label, char) => {
    await expect(runCli(['token', '--room', 'names', '--peer', 'p', '--name', `x${char}y`], env)).rejects.toThrow(/BAD_USER_INPUT/);
  });

  it('keeps names in any script, and refuses format characters in SDP', async () => {
    const s = await createSession(suite.gw().httpUrl, 'names', 'zoe', 'Zoë 日本 Ω');
    expect((await http(suite.gw().httpUrl, ME, {}, { token: s.token })).data).toEqual({ me: { id: 'zoe', name: 'Zoë 日本 Ω' } });
    const ws = suite.open(s.token);
    await ws.signals().events.next();
    expect(codeOf(await ws.request(SEND_OFFER, { to: 'zoe', sdp: fakeSdp('\u202eevil') }))).toBe(ErrorCode.BadUserInput);
  });
});

describe('token lifetime is bounded', () => {
  it('parses the CLI strictly', async () => {
    const token = (...extra: string[]): Promise<string> => runCli(['token', '--room', 'r', '--peer', 'p', ...extra], env);
    await expect(token('--ttl', '99999999999999999999d')).rejects.toThrow(/--ttl/);
    await expect(token('--ttl', '0')).rejects.toThrow(/--ttl/);
    await expect(token('--ttl', '8d')).rejects.toThrow(/SESSION_MAX_AGE_S/);
    await expect(token('--ttl', '1x')).rejects.toThrow(/--ttl/);
    await expect(token('--ttl', '-5')).rejects.toThrow(/--ttl/);
    await expect(runCli(['token', '--room', 'r', '--peer', '--ttl', '1h'], env)).rejects.toThrow(/--peer needs a value/);
    await expect(token('--rooom', 'x')).rejects.toThrow(/unknown argument "--rooom"/);
    await expect(token('stray')).rejects.toThrow(/unknown argument "stray"/);
    await expect(token('--room', 'again')).rejects.toThrow(/--room is given twice/);
    await expect(token('--ttl')).rejects.toThrow(/--ttl needs a value/);
    expect(() => parseFlags(['--name', 'x', '--ttl', '15m'])).not.toThrow();
    expect(parseTtl('7d', DEFAULT_SESSION_MAX_AGE_S)).toBe(DEFAULT_SESSION_MAX_AGE_S);
    const claims = decodeJwt(await token('--ttl', '15m'));
    expect((claims.exp ?? 0) - now()).toBeGreaterThan(15 * 60 - 5);
    expect((claims.exp ?? 0) - now()).toBeLessThanOrEqual(15 * 60);
  });

  it('refuses SESSION_TTL_S of 0 or beyond SESSION_MAX_AGE_S', () => {
    expect(() => loadConfig({ SESSION_TTL_S: '0' })).toThrow(/^SESSION_TTL_S/);
    expect(() => loadConfig({ SESSION_TTL_S: '7200', SESSION_MAX_AGE_S: '3600' })).toThrow(/^SESSION_TTL_S/);
    expect(() => loadConfig({ SESSION_MAX_AGE_S: '0' })).toThrow(/^SESSION_MAX_AGE_S/);
  });

  describe('on a gateway', () => {
    const MAX_AGE_S = 3;
    const suite = gatewaySuite({ SESSION_MAX_AGE_S: String(MAX_AGE_S), SESSION_TTL_S: '2' });

    it('refuses tokens whose exp lies beyond SESSION_MAX_AGE_S, or whose session began too long ago', async () => {
      const far = await hs256({ sub: 'p', room: 'r', exp: now() + MAX_AGE_S + 3600 });
      expect(codeOf(await http(suite.gw().httpUrl, ME, {}, { token: far }))).toBe(ErrorCode.Unauthenticated);
      expect((await suite.open(far).closes.next()).code).toBe(CloseCode.Forbidden);
      const huge = await hs256({ sub: 'p', room: 'r', exp: 8.6e24 });
      expect(codeOf(await http(suite.gw().httpUrl, ME, {}, { token: huge }))).toBe(ErrorCode.Unauthenticated);
      const old = await hs256({ sub: 'p', room: 'r', exp: now() + 2, auth_time: now() - MAX_AGE_S - 60 });
      expect(codeOf(await http(suite.gw().httpUrl, ME, {}, { token: old }))).toBe(ErrorCode.Unauthenticated);
    });

    it('keeps the session start across refreshes and refuses refreshSession past SESSION_MAX_AGE_S', async () => {
      let session = await createSession(suite.gw().httpUrl, 'age', 'p');
      const start = decodeJwt(session.token)['auth_time'];
      expect(typeof start).toBe('number');
      const end = (start as number) + MAX_AGE_S;
      const started = Date.now();
      let refreshes = 0;
      let refusal = '';
      // Refresh as often as a client could; bounded well past the maximum age.
      while (Date.now() - started < (MAX_AGE_S + 10) * 1000) {
        const res = await http<{ refreshSession: Session }>(suite.gw().httpUrl, REFRESH_SESSION, {}, { token: session.token });
        if (!res.data?.refreshSession) {
          refusal = codeOf(res);
          break;
        }
        session = res.data.refreshSession;
        refreshes++;
        expect(decodeJwt(session.token)['auth_time']).toBe(start);
        expect(new Date(session.expiresAt).getTime() / 1000).toBeLessThanOrEqual(end);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(refreshes).toBeGreaterThan(0);
      expect(refusal).toBe(ErrorCode.Unauthenticated);
      // A new session is what the client needs then.
      expect(codeOf(await http(suite.gw().httpUrl, CREATE_SESSION, { room: 'age' }))).toBe('OK');
    }, 30_000);
  });
});

describe('smaller leaks', () => {
  const suite = gatewaySuite();

  it('refuses 300 aliases of __typename on HTTP and WebSocket', async () => {
    const query = `query { ${Array.from({ length: 300 }, (_, i) => `a${i}: __typename`).join(' ')} }`;
    expect(codeOf(await http(suite.gw().httpUrl, query))).toBe(ErrorCode.ValidationFailed);
    const s = await createSession(suite.gw().httpUrl, 'aliases');
    expect(codeOf(await suite.open(s.token).request(query))).toBe(ErrorCode.ValidationFailed);
  });

  it('never prints a secret value, or URL credentials, in a config error', () => {
    const bad = 'hunter2-is-too-short';
    const message = (variables: Record<string, string>): string => {
      try {
        loadConfig(variables);
        return '';
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return error.message;
      }
    };
    expect(message({ SIGNALING_SECRET: bad })).toMatch(/^SIGNALING_SECRET=.* is invalid/);
    for (const variable of VARIABLES.filter((v) => v.secret)) expect(message({ [variable.name]: bad })).not.toContain(bad);
    expect(message({ REDIS_URL: 'http://user:hunter2@redis.example:6379' })).toMatch(/^REDIS_URL=.* is invalid/);
    expect(message({ REDIS_URL: 'http://user:hunter2@redis.example:6379' })).not.toContain('hunter2');
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', 'src', 'main.ts')], {
      env: { ...process.env, SIGNALING_SECRET: bad },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/SIGNALING_SECRET/);
    expect(run.stderr + run.stdout).not.toContain(bad);
  });

  it('advertises GraphiQL only where it is served', async () => {
    const [production, development] = await Promise.all([ChildGateway.start({ NODE_ENV: 'production' }), ChildGateway.start({})]);
    try {
      // The development banner goes to stderr after the "listening" line: wait for it (bounded).
      const started = Date.now();
      while (!/WebSocket\s+ws:/.test(development.stderr) && Date.now() - started < 10_000) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(development.stderr).toMatch(/GraphiQL/);
      const listening = production.logs.find((line) => line.includes('"switchboard listening"')) ?? '';
      expect(JSON.parse(listening)).toMatchObject({ graphiql: false });
      expect(production.stderr).not.toMatch(/GraphiQL/i);
      const page = await fetch(production.httpUrl, { headers: { accept: 'text/html' } });
      expect(await page.text()).not.toContain('<title>Switchboard</title>');
    } finally {
      await Promise.all([production.stop(), development.stop()]);
    }
  });

  it('answers a GET with invalid variables without parser internals', async () => {
    const res = await fetch(`${suite.gw().httpUrl}?query=${encodeURIComponent('{ __typename }')}&variables=${encodeURIComponent('{oops')}`);
    expect(JSON.stringify(await res.json())).not.toMatch(/originalError|SyntaxError/);
  });
});

