import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import WebSocket from 'ws';
import { createSignalingClient, type SignalingClient } from '@switchboard/client';
import { ME } from '../client/operations';
import { CloseCode, ErrorCode, JWKS_FETCH_TIMEOUT_MS, MAX_JWKS_BYTES, TOKEN_VERIFY_TIMEOUT_MS } from '../src/protocol';
import { codeOf, http, wsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';

type Mode = 'ok' | 'stall-after-headers' | 'huge' | 'error';

/** A JWKS server under the test's control: serves the key set, stalls after the headers, streams a huge body, or fails. */
class JwksServer {
  mode: Mode = 'ok';
  requests = 0;
  /** Bytes written to the last huge-body response before the gateway hung up. */
  hugeBytesWritten = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    private readonly body: string,
  ) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.answer(req, res));
  }

  static async start(body: string): Promise<JwksServer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new JwksServer(server, body);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/jwks.json`;
  }

  private answer(_req: IncomingMessage, res: ServerResponse): void {
    this.requests++;
    if (this.mode === 'ok') return void res.writeHead(200, { 'content-type': 'application/json' }).end(this.body);
    if (this.mode === 'error') return void res.writeHead(503).end();
    res.writeHead(200, { 'content-type': 'application/json' });
    if (this.mode === 'stall-after-headers') return void res.flushHeaders();
    // A body far past the cap, without Content-Length, written as fast as the reader takes it.
    this.hugeBytesWritten = 0;
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const pump = (): void => {
      while (!res.destroyed && this.hugeBytesWritten < 300 * 1024 * 1024) {
        this.hugeBytesWritten += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    res.write('{"keys":[');
    pump();
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

describe('a JWKS key source that stalls, floods or fails', () => {
  let jwks: JwksServer;
  let gw: TestGateway;
  let privateKey: KeyLike;
  const clients: SignalingClient[] = [];

  const token = (peer: string): Promise<string> =>
    new SignJWT({ room: 'jwks' }).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setSubject(peer).setIssuedAt().setExpirationTime('1h').sign(privateKey);

  /** Runs `me` with a JWKS-signed token; resolves with the code and how long it took. */
  const me = async (peer: string): Promise<{ code: string; ms: number }> => {
    const started = Date.now();
    const res = await http(gw.httpUrl, ME, {}, { token: await token(peer) });
    return { code: codeOf(res), ms: Date.now() - started };
  };

  beforeAll(async () => {
    const keys = await generateKeyPair('RS256', { extractable: true });
    privateKey = keys.privateKey;
    jwks = await JwksServer.start(JSON.stringify({ keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] }));
    jwks.mode = 'stall-after-headers';
    gw = await startGateway({ SIGNALING_JWKS_URL: jwks.url });
  });
  afterAll(async () => {
    // Whatever a client's close says, the servers close: a listener left open keeps jest from exiting.
    await Promise.allSettled(clients.splice(0).map((c) => c.close()));
    await gw.close();
    await jwks.close();
  });

  it('answers UNAVAILABLE within the deadline while the JWKS server stalls after its headers, with one download in flight', async () => {
    const before = jwks.requests;
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => me(`stalled-${i}`)));
    expect(results.map((r) => r.code)).toEqual(Array(20).fill(ErrorCode.Unavailable));
    expect(Math.max(...results.map((r) => r.ms))).toBeLessThan(TOKEN_VERIFY_TIMEOUT_MS + 1_000);
    // Twenty requests shared one download.
    expect(jwks.requests - before).toBe(1);
  });

  it('closes a WebSocket with the retryable 4103 (not 4403) while the keys cannot be had', async () => {
    const peer = wsPeer(gw.wsUrl, await token('ws-stalled'));
    const closed = await peer.closes.next(TOKEN_VERIFY_TIMEOUT_MS + 2_000);
    expect(closed.code).toBe(CloseCode.Unavailable);
    await peer.dispose();
  });

  it('recovers by itself once the JWKS server answers again (no download left hanging)', async () => {
    jwks.mode = 'ok';
    // The failure backoff and any stalled download are over within the fetch deadline.
    await expect(waitFor(async () => (await me('recovered')).code === 'OK', JWKS_FETCH_TIMEOUT_MS * 3)).resolves.toBe(true);
  });

  it('the SDK keeps reconnecting through a key-source outage and connects when it ends', async () => {
    // A fresh gateway: no keys cached yet, so the outage is visible at the first connect.
    jwks.mode = 'error';
    const second = await startGateway({ SIGNALING_JWKS_URL: jwks.url });
    const started = Date.now();
    try {
      const client = createSignalingClient({
        url: second.httpUrl,
        token: await token('sdk'),
        webSocketImpl: WebSocket,
        transport: 'auto',
        reconnect: { baseDelayMs: 100, maxDelayMs: 400, maxAttempts: 100 },
      });
      clients.push(client);
      // Past the attempts after which 'auto' would give up on WebSocket, were these counted as transport failures.
      await waitFor(async () => client.history.includes('reconnecting') && Date.now() - started > 2_500, 10_000);
      expect(client.state).not.toBe('failed');
      jwks.mode = 'ok';
      await client.ready();
      expect(client.state).toBe('connected');
      // An outage of the key source is not the transport's fault: no fallback to SSE or long polling.
      expect(client.transport).toBe('websocket');
      // Closed before its gateway, so it does not go on reconnecting to a port nobody listens on.
      await client.close();
    } finally {
      await second.close();
    }
  });

  it(`reads at most ${MAX_JWKS_BYTES / 1024} KiB of a JWKS body, then answers UNAVAILABLE`, async () => {
    const third = await startGateway({ SIGNALING_JWKS_URL: jwks.url });
    jwks.mode = 'huge';
    try {
      const rssBefore = process.memoryUsage().rss;
      const res = await http(third.httpUrl, ME, {}, { token: await token('huge') });
      expect(codeOf(res)).toBe(ErrorCode.Unavailable);
      // The socket was cut soon after the cap (kernel buffers hold a few MiB at most), not after 300 MiB.
      expect(jwks.hugeBytesWritten).toBeLessThan(16 * 1024 * 1024);
      console.log(`huge JWKS: ${(jwks.hugeBytesWritten / 1024 / 1024).toFixed(1)} MiB written before the gateway hung up; RSS ${((process.memoryUsage().rss - rssBefore) / 1024 / 1024).toFixed(1)} MiB more`);
    } finally {
      jwks.mode = 'ok';
      await third.close();
    }
  });
});

/** Polls `check` until it is true or `timeoutMs` passes; resolves with the last answer. */
async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return check();
}
