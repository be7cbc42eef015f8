import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import WebSocket from 'ws';
import { CREATE_SESSION, LEAVE_ROOM, ME, PEERS, POLL_SIGNALS, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import { runCli } from '../src/cli';
import { CloseCode, ErrorCode, MAX_WS_PAYLOAD_BYTES } from '../src/protocol';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, TEST_SECRET, type TestGateway } from './helpers/gateway';
import { TestRedis } from './helpers/redis';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

const now = () => Math.floor(Date.now() / 1000);
const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
const hs256 = (claims: Record<string, unknown>, secret: string | Uint8Array = TEST_SECRET): Promise<string> =>
  new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(typeof secret === 'string' ? new TextEncoder().encode(secret) : secret);

/** Every refused attack is tallied here and printed at the end. */
const tally: Array<{ attack: string; expected: string | number; got: string | number }> = [];
function refused(attack: string, expected: string | number, got: string | number): void {
  tally.push({ attack, expected, got });
  expect({ attack, got }).toEqual({ attack, got: expected });
}

/** The close code of a raw graphql-transport-ws socket after `script` runs on it. */
function closeCodeOf(url: string, script: (ws: WebSocket) => void, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, 'graphql-transport-ws', { headers });
    ws.on('open', () => script(ws));
    ws.on('close', (code) => resolve(code));
    ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

describe('attack suite: everything is refused with the right code', () => {
  let gw: TestGateway;
  let jwksGw: TestGateway;
  let rsaPrivate: KeyLike;
  let rsaPublicPem: string;
  const sockets: WsPeer[] = [];
  const open = (g: TestGateway, token: string | undefined): WsPeer => {
    const p = wsPeer(g.wsUrl, token);
    sockets.push(p);
    return p;
  };

  beforeAll(async () => {
    gw = await startGateway({ SIGNALING_AUDIENCE: 'switchboard', MAX_CONNECTIONS_PER_IP: '40' });
    const { publicKey, privateKey } = await generateKeyPair('RS256', { extractable: true });
    rsaPrivate = privateKey;
    rsaPublicPem = await exportSPKI(publicKey);
    const dir = mkdtempSync(join(tmpdir(), 'sb-jwks-'));
    const jwksFile = join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    jwksGw = await startGateway({ SIGNALING_JWKS_URL: `file://${jwksFile}` });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await Promise.all([gw.close(), jwksGw.close()]);
    console.log(`attack suite: ${tally.length} attacks tried, ${tally.filter((t) => t.got === t.expected).length} refused with the expected code`);
  });

  it('refuses bad tokens on HTTP and WebSocket', async () => {
    const aud = { aud: 'switchboard' };
    const tokens: Array<[string, string | undefined]> = [
      ['missing token', undefined],
      ['expired', await hs256({ ...aud, sub: 'm', room: 'r', exp: now() - 60 })],
      ['not yet valid (nbf)', await hs256({ ...aud, sub: 'm', room: 'r', exp: now() + 600, nbf: now() + 300 })],
      ['issued in the future', await hs256({ ...aud, sub: 'm', room: 'r', exp: now() + 600, iat: now() + 300 })],
      ['wrong audience', await hs256({ aud: 'elsewhere', sub: 'm', room: 'r', exp: now() + 600 })],
      ['signed with another key', await hs256({ ...aud, sub: 'm', room: 'r', exp: now() + 600 }, 'x'.repeat(40))],
      ['alg none', `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...aud, sub: 'm', room: 'r', exp: now() + 600 })}.`],
      ['RS256 without a JWKS configured', await new SignJWT({ ...aud, room: 'r' }).setProtectedHeader({ alg: 'RS256' }).setSubject('m').setExpirationTime('1h').sign(rsaPrivate)],
      ['truncated', (await hs256({ ...aud, sub: 'm', room: 'r', exp: now() + 600 })).slice(0, -5)],
    ];
    for (const [label, token] of tokens) {
      refused(`HTTP: ${label}`, ErrorCode.Unauthenticated, codeOf(await http(gw.httpUrl, ME, {}, token === undefined ? {} : { token })));
      refused(`WS: ${label}`, CloseCode.Forbidden, (await open(gw, token).closes.next()).code);
    }
  });

  it('pins algorithms with a JWKS: accepts RS256 from the key set, refuses HS256 made with the public key', async () => {
    const good = await new SignJWT({ room: 'jwks' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject('alice').setExpirationTime('1h').sign(rsaPrivate);
    expect((await http(jwksGw.httpUrl, ME, {}, { token: good })).data).toEqual({ me: { id: 'alice', name: null } });
    const confused = await hs256({ sub: 'mallory', room: 'jwks', exp: now() + 600 }, new TextEncoder().encode(rsaPublicPem));
    refused('HS256 signed with the RSA public key', ErrorCode.Unauthenticated, codeOf(await http(jwksGw.httpUrl, ME, {}, { token: confused })));
    const noneWithKid = `${b64({ alg: 'none', kid: 'k1' })}.${b64({ sub: 'mallory', room: 'jwks', exp: now() + 600 })}.`;
    refused('alg none with a known kid', ErrorCode.Unauthenticated, codeOf(await http(jwksGw.httpUrl, ME, {}, { token: noneWithKid })));
  });

  it('keeps peers in their room, senders honest and inputs bounded', async () => {
    const [alice, eve] = await Promise.all([createSession(gw.httpUrl, 'a-room', 'alice'), createSession(gw.httpUrl, 'e-room', 'eve')]);
    const aliceWs = open(gw, alice.token);
    const aliceSignals = aliceWs.signals();
    await aliceSignals.events.next();
    const eveWs = open(gw, eve.token);
    await eveWs.signals().events.next();
    refused('offer to a peer of another room', ErrorCode.PeerNotFound, codeOf(await eveWs.request(SEND_OFFER, { to: 'alice', sdp: fakeSdp('e') })));
    refused('candidate to a peer of another room', ErrorCode.PeerNotFound, codeOf(await eveWs.request(SEND_ICE_CANDIDATE, { to: 'alice', candidate: { candidate: '' } })));
    refused('peers of another room', 0, ((await eveWs.request<{ peers: unknown[] }>(PEERS)).data?.peers ?? [1]).length);
    refused('forged from argument', ErrorCode.ValidationFailed, codeOf(await eveWs.request('mutation { sendOffer(to: "alice", sdp: "v=0", from: "bob") { id } }')));
    const inputs: Array<[string, string, Record<string, unknown>, string]> = [
      ['SDP of 70 KiB', SEND_OFFER, { to: 'alice', sdp: fakeSdp('x') + 'a='.padEnd(70 * 1024, 'x') }, ErrorCode.PayloadTooLarge],
      ['SDP without fingerprint', SEND_OFFER, { to: 'alice', sdp: 'v=0\r\ns=-\r\n' }, ErrorCode.BadUserInput],
      ['SDP with a NUL byte', SEND_OFFER, { to: 'alice', sdp: fakeSdp('x') + '\u0000' }, ErrorCode.BadUserInput],
      ['candidate of 2 KiB', SEND_ICE_CANDIDATE, { to: 'alice', candidate: { candidate: HOST_CANDIDATE.padEnd(2048, 'x') } }, ErrorCode.PayloadTooLarge],
      ['candidate with a newline injected', SEND_ICE_CANDIDATE, { to: 'alice', candidate: { candidate: `${HOST_CANDIDATE}\r\na=evil` } }, ErrorCode.BadUserInput],
      ['target id with a slash', SEND_OFFER, { to: '../alice', sdp: fakeSdp('x') }, ErrorCode.BadUserInput],
      ['target id of 200 characters', SEND_OFFER, { to: 'a'.repeat(200), sdp: fakeSdp('x') }, ErrorCode.BadUserInput],
    ];
    for (const [label, query, variables, expected] of inputs) refused(label, expected, codeOf(await eveWs.request(query, variables)));
    refused('room id with spaces', ErrorCode.BadUserInput, codeOf(await http(gw.httpUrl, 'mutation { createSession(room: "a b") { token } }')));
    // Nothing reached alice.
    expect(aliceSignals.events.drain()).toEqual([]);
  });

  it('refuses query bombs on every transport', async () => {
    const s = await createSession(gw.httpUrl, 'bombs', 'p');
    const ws = open(gw, s.token);
    const deep = `query { __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } }`;
    const aliases = `query { ${Array.from({ length: 50 }, (_, i) => `a${i}: me { id }`).join(' ')} }`;
    const tokens = `query { ${Array.from({ length: 600 }, () => 'me { id }').join(' ')} }`;
    const directives = `query { me @include(if: true) ${'@include(if: true) '.repeat(20)} { id } }`;
    const cases: Array<[string, string, string]> = [
      ['alias bomb', aliases, ErrorCode.ValidationFailed],
      ['token bomb', tokens, ErrorCode.ParseFailed],
      ['directive bomb', directives, ErrorCode.ValidationFailed],
    ];
    for (const [label, query, expected] of cases) {
      refused(`HTTP: ${label}`, expected, codeOf(await http(gw.httpUrl, query, {}, { token: s.token })));
      refused(`WS: ${label}`, expected, codeOf(await ws.request(query)));
    }
    const locked = await startGateway({ NODE_ENV: 'production' });
    const knownOnly = await startGateway({ KNOWN_OPERATIONS_ONLY: 'true' });
    try {
      const t = await createSession(locked.httpUrl, 'locked', 'p').catch(() => null);
      expect(t).toBeNull(); // guests are off in production
      const token = await runCli(['token', '--room', 'locked', '--peer', 'p'], { SIGNALING_SECRET: TEST_SECRET });
      expect((await http(locked.httpUrl, ME, {}, { token })).data).toEqual({ me: { id: 'p', name: null } });
      refused('introspection in production', ErrorCode.ValidationFailed, codeOf(await http(locked.httpUrl, '{ __schema { types { name } } }', {}, { token })));
      // No field of this schema nests deeper than 5 levels; only introspection can, and it is off here.
      refused('depth bomb', ErrorCode.ValidationFailed, codeOf(await http(locked.httpUrl, deep, {}, { token })));
      const known = (await createSession(knownOnly.httpUrl, 'known', 'p')).token;
      expect((await http(knownOnly.httpUrl, ME, {}, { token: known })).data).toEqual({ me: { id: 'p', name: null } });
      refused('unknown operation with KNOWN_OPERATIONS_ONLY', ErrorCode.Forbidden, codeOf(await http(knownOnly.httpUrl, 'query { me { id } }', {}, { token: known })));
      const page = await fetch(locked.httpUrl, { headers: { accept: 'text/html' } });
      refused('GraphiQL in production', 'not served', (await page.text()).includes('<title>Switchboard</title>') ? 'served' : 'not served');
    } finally {
      await Promise.all([locked.close(), knownOnly.close()]);
    }
  });

  it('closes malformed, oversized and idle WebSocket connections', async () => {
    const s = await createSession(gw.httpUrl, 'frames', 'p');
    const init = JSON.stringify({ type: 'connection_init', payload: { authToken: s.token } });
    const frames: Array<[string, (ws: WebSocket) => void, number]> = [
      ['non-JSON frame', (ws) => ws.send('{{{'), 4400],
      ['unknown message type', (ws) => ws.send('{"type":"pwn"}'), 4400],
      ['subscribe before connection_init', (ws) => ws.send('{"id":"1","type":"subscribe","payload":{"query":"{ me { id } }"}}'), 4401],
      ['second connection_init', (ws) => { ws.send(init); ws.send(init); }, 4429],
      ['frame over 128 KiB', (ws) => ws.send('x'.repeat(MAX_WS_PAYLOAD_BYTES + 1)), CloseCode.MessageTooBig],
    ];
    for (const [label, script, expected] of frames) refused(label, expected, await closeCodeOf(gw.wsUrl, script));
    // connection_init flood: sockets that never initialise are closed after the 3 s init timeout.
    const idle = await Promise.all(Array.from({ length: 10 }, () => closeCodeOf(gw.wsUrl, () => undefined)));
    idle.forEach((code, i) => refused(`idle socket ${i} without connection_init`, 4408, code));
    // More sockets than MAX_CONNECTIONS_PER_IP (40 here) from one address: the upgrade is refused with 429.
    const held: WebSocket[] = [];
    let status = 101;
    try {
      while (status === 101 && held.length <= 40) {
        const ws = new WebSocket(gw.wsUrl, 'graphql-transport-ws');
        held.push(ws);
        status = await new Promise<number>((resolve) => {
          ws.once('open', () => resolve(101));
          ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
          ws.once('error', () => undefined);
        });
      }
      refused('connection over the per-IP cap', 429, status);
    } finally {
      held.forEach((ws) => ws.terminate());
    }
  }, 20_000);

  it('limits rates, closes a flooding socket with 4129, and keeps another pair fast', async () => {
    const limited = await startGateway({ RATE_LIMIT_SDP_PER_S: '5', RATE_LIMIT_ICE_PER_S: '50', RATE_LIMIT_SESSIONS_PER_MIN: '20' });
    const local: WsPeer[] = [];
    try {
      const [m, v, a, b] = await Promise.all(['mallory', 'victim', 'a', 'b'].map((id) => createSession(limited.httpUrl, 'flood', id)));
      if (!m || !v || !a || !b) throw new Error('sessions');
      const [mw, vw, aw, bw] = [m, v, a, b].map((s) => {
        const p = wsPeer(limited.wsUrl, s.token);
        local.push(p);
        return p;
      }) as [WsPeer, WsPeer, WsPeer, WsPeer];
      await Promise.all([mw, vw, aw].map((p) => p.signals().events.next()));
      const bSignals = bw.signals();
      await bSignals.events.next();

      const relayOnce = async (i: number): Promise<number> => {
        const t0 = performance.now();
        await aw.request(SEND_ICE_CANDIDATE, { to: 'b', candidate: { candidate: HOST_CANDIDATE, sdpMid: `p${i}` } });
        await bSignals.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.sdpMid === `p${i}`);
        return performance.now() - t0;
      };
      const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)] ?? 0;
      const idle: number[] = [];
      for (let i = 0; i < 20; i++) idle.push(await relayOnce(i));

      // A burst of 10 offers passes (5/s over a 2 s window); the 11th is limited with a retry hint.
      const burst = await Promise.all(Array.from({ length: 11 }, () => mw.request(SEND_OFFER, { to: 'victim', sdp: fakeSdp('f') })));
      const limitedOne = burst.find((r) => codeOf(r) === ErrorCode.RateLimited);
      refused('11th offer within 2 s', ErrorCode.RateLimited, limitedOne ? ErrorCode.RateLimited : 'OK');
      expect(limitedOne?.errors?.[0]?.extensions?.['retryAfterMs']).toBeGreaterThan(0);

      // Mallory keeps flooding: her socket is closed with 4129 while the other pair keeps relaying.
      const underFlood: number[] = [];
      let sent = 0;
      const flood = (async () => {
        while (sent < 2_000) {
          sent++;
          const r = await mw.request(SEND_ICE_CANDIDATE, { to: 'victim', candidate: { candidate: HOST_CANDIDATE } }).catch(() => null);
          if (r === null) return;
        }
      })();
      for (let i = 100; i < 120; i++) underFlood.push(await relayOnce(i));
      refused('flooding socket', CloseCode.Flooding, (await mw.closes.next()).code);
      await flood;
      const ratio = median(underFlood) / median(idle);
      console.log(
        `flood: mallory closed 4129 after ${sent} requests; other pair relay p50 idle ${median(idle).toFixed(2)} ms, ` +
          `under flood ${median(underFlood).toFixed(2)} ms (${ratio.toFixed(2)}× idle)`,
      );

      // Guest sessions per IP.
      const sessions = await Promise.all(Array.from({ length: 21 }, (_, i) => http(limited.httpUrl, `mutation { createSession(room: "s", peerId: "g${i}") { token } }`)));
      refused('21st guest session within a minute', ErrorCode.RateLimited, sessions.some((r) => codeOf(r) === ErrorCode.RateLimited) ? ErrorCode.RateLimited : 'OK');
    } finally {
      await Promise.all(local.map((p) => p.dispose()));
      await limited.close();
    }
  }, 30_000);

  it('serves WSS with TLS and refuses WebSocket and CORS from origins not allowed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sb-tls-'));
    const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'], { stdio: 'ignore' });
    const tls = await startGateway({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key, ALLOWED_ORIGINS: 'https://app.example' });
    try {
      expect(tls.url).toMatch(/^https:/);
      const ca = readFileSync(cert);
      const health = await new Promise<number>((resolve, reject) =>
        httpsRequest(`${tls.url}/healthz`, { ca }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end(),
      );
      expect(health).toBe(200);
      const token = (await runCli(['token', '--room', 'tls', '--peer', 'p'], { SIGNALING_SECRET: TEST_SECRET })).trim();
      const welcome = await new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(tls.wsUrl, 'graphql-transport-ws', { ca, headers: { origin: 'https://app.example' } });
        ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', payload: { authToken: token } })));
        ws.on('message', (data) => {
          const message = JSON.parse(data.toString()) as { type: string; payload?: { data?: { signals?: { __typename: string } } } };
          if (message.type === 'connection_ack') ws.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query: 'subscription { signals { __typename } }' } }));
          if (message.type === 'next') {
            resolve(message.payload?.data?.signals?.__typename ?? '');
            ws.close();
          }
        });
        ws.on('error', reject);
      });
      expect(welcome).toBe('Welcome');
      const evil = await new Promise<number>((resolve) => {
        const ws = new WebSocket(tls.wsUrl, 'graphql-transport-ws', { ca, headers: { origin: 'https://evil.example' } });
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
      refused('WebSocket from a foreign Origin (cross-site WebSocket hijacking)', 403, evil);
      const preflight = await new Promise<string | undefined>((resolve, reject) =>
        httpsRequest(
          tls.httpUrl,
          { ca, method: 'OPTIONS', headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } },
          (res) => resolve(res.headers['access-control-allow-origin']),
        )
          .on('error', reject)
          .end(),
      );
      refused('CORS preflight from a foreign Origin', 'no allow-origin', preflight === 'https://evil.example' || preflight === '*' ? String(preflight) : 'no allow-origin');
    } finally {
      await tls.close();
    }
  });
});

describe.each(['memory', 'redis'] as const)('session identity (%s broker): a session’s events belong to that session', (brokerKind) => {
  let redis: TestRedis | null = null;
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  const open = (token: string): WsPeer => {
    const p = wsPeer(gw.wsUrl, token);
    sockets.push(p);
    return p;
  };
  const API_KEY = 'identity-backend-key-0123456789';

  beforeAll(async () => {
    redis = brokerKind === 'redis' ? await TestRedis.start() : null;
    gw = await startGateway({ SIGNALING_API_KEY: API_KEY, GRACE_MS: '60000', ...(redis ? { REDIS_URL: redis.url } : {}) });
  });
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await gw.close();
    await redis?.stop();
  });

  it("a new session with a departed peer's id reads none of its signals, and the old token cannot take the id back", async () => {
    const room = `identity-${brokerKind}`;
    const alice = await createSession(gw.httpUrl, room, 'alice');
    const victim = await createSession(gw.httpUrl, room, 'victim');
    const aliceWs = open(alice.token);
    await aliceWs.signals().events.next();
    const victimWs = open(victim.token);
    const victimSignals = victimWs.signals();
    const welcome = await victimSignals.events.next();
    const secret = fakeSdp('secret-offer-for-victim');
    expect(codeOf(await aliceWs.request(SEND_OFFER, { to: 'victim', sdp: secret }))).toBe('OK');
    await victimSignals.events.nextWhere((e) => e.__typename === 'Offer');
    expect(codeOf(await victimWs.request(LEAVE_ROOM))).toBe('OK');

    // A second session for the same peer id: a guest at once on the memory broker (the claim went with
    // the join); on Redis the guest claim lives 60 s, so a backend mints it with the API key.
    const headers: Record<string, string> = brokerKind === 'redis' ? { 'x-api-key': API_KEY } : {};
    const minted = await http<{ createSession: { token: string } }>(gw.httpUrl, CREATE_SESSION, { room, peerId: 'victim' }, { headers });
    const intruder = minted.data?.createSession.token ?? '';
    expect(intruder).not.toBe('');
    // Its poll with the victim's cursors — the Welcome's (the mailbox position before the offer) and
    // with the mailbox position lowered to zero — returns no event of the earlier session.
    for (const after of [welcome.cursor, lowerMailboxPosition(welcome.cursor)]) {
      const polled = await http<{ pollSignals: { events: Array<{ __typename: string; resumed?: boolean; sdp?: string }> } }>(gw.httpUrl, POLL_SIGNALS, { after, waitMs: 0 }, { token: intruder });
      const events = polled.data?.pollSignals.events ?? [];
      expect(events.filter((e) => e.sdp === secret)).toEqual([]);
      expect(events[0]).toMatchObject({ __typename: 'Welcome', resumed: false });
    }
    const intruderWs = open(intruder);
    const intruderSignals = intruderWs.signals();
    expect(await intruderSignals.events.next()).toMatchObject({ __typename: 'Welcome', resumed: false });

    // The older session's token no longer speaks for the id: it cannot knock the newer one off (4100),
    // subscribe, or send as it.
    const comeback = open(victim.token);
    refused('older session connects over a newer one', CloseCode.Replaced, (await comeback.closes.next()).code);
    refused('older session sends', ErrorCode.Forbidden, codeOf(await http(gw.httpUrl, SEND_OFFER, { to: 'alice', sdp: fakeSdp('x') }, { token: victim.token })));
    const polledOld = await http(gw.httpUrl, POLL_SIGNALS, { waitMs: 0 }, { token: victim.token });
    refused('older session polls', ErrorCode.Forbidden, codeOf(polledOld));
    expect(codeOf(await aliceWs.request(SEND_OFFER, { to: 'victim', sdp: fakeSdp('for-the-new-session') }))).toBe('OK');
    expect(await intruderSignals.events.nextWhere((e) => e.__typename === 'Offer')).toMatchObject({ from: 'alice', sdp: fakeSdp('for-the-new-session') });
    expect(intruderWs.closes.all).toEqual([]);
  });
});

/** The same cursor with the mailbox position set to its lowest value (memory: `epoch.seq.…`; Redis: `epoch~ms-seq_…`). */
function lowerMailboxPosition(cursor: string): string {
  if (cursor.includes('~')) return cursor.replace(/^([^~]+)~[^_]+_/, '$1~0-0_');
  return cursor.replace(/^([^.]+)\.[^.]+\./, '$1.0.');
}
