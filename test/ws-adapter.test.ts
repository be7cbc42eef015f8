import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GRAPHQL_TRANSPORT_WS_PROTOCOL, makeServer } from 'graphql-ws';
import pino from 'pino';
import { WebSocket, WebSocketServer } from 'ws';
import { serveGraphqlWs, type SocketExtra } from '../src/transport/ws-adapter';

/** The gateway's graphql-ws adapter on its own: keep-alive, and how protocol misuse ends a socket. */
describe('graphql-ws adapter', () => {
  let http: Server;
  let url: string;
  let adapter: { dispose(): void };
  /** The adapter's log lines (pino JSON). */
  const logged: Array<{ level: number; msg: string }> = [];

  beforeAll(async () => {
    http = createServer();
    const wss = new WebSocketServer({ server: http });
    adapter = serveGraphqlWs(wss, makeServer<Record<string, unknown> | undefined, SocketExtra>({ onConnect: () => true }), {
      log: pino({ level: 'debug' }, { write: (line: string) => void logged.push(JSON.parse(line) as { level: number; msg: string }) }),
      clientIp: () => '127.0.0.1',
      keepAliveMs: 50,
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    adapter.dispose();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  });

  const open = async (autoPong: boolean): Promise<WebSocket> => {
    const socket = new WebSocket(url, GRAPHQL_TRANSPORT_WS_PROTOCOL, { autoPong });
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return socket;
  };
  const closed = (socket: WebSocket): Promise<number> => new Promise((resolve) => socket.once('close', (code) => resolve(code)));

  it('cuts a socket that stops answering pings', async () => {
    const socket = await open(false);
    let pings = 0;
    socket.on('ping', () => pings++);
    // 1006: terminated without a close frame, after the first unanswered ping.
    await expect(closed(socket)).resolves.toBe(1006);
    expect(pings).toBeGreaterThanOrEqual(1);
  });

  it('keeps a socket that answers pings', async () => {
    const socket = await open(true);
    const ended = closed(socket);
    let pings = 0;
    await new Promise<void>((resolve) => socket.on('ping', () => ++pings === 5 && resolve()));
    expect(socket.readyState).toBe(WebSocket.OPEN);
    socket.close(1000);
    await expect(ended).resolves.toBe(1000);
  });

  it('hands every frame to graphql-ws, which answers or closes as the protocol says', async () => {
    const socket = await open(true);
    const acknowledged = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acknowledged;
    const pong = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('"pong"') && resolve()));
    socket.send(JSON.stringify({ type: 'ping' }));
    await pong;
    const ended = closed(socket);
    socket.send('not json');
    await expect(ended).resolves.toBe(4400);
  });

  it.each([
    ['connection_ack', { type: 'connection_ack' }],
    ['next', { id: '1', type: 'next', payload: { data: null } }],
  ])('closes 4400 when a client sends %s, logged at debug level only', async (_type, message) => {
    const socket = await open(true);
    const acknowledged = new Promise<void>((resolve) => socket.on('message', (data) => String(data).includes('connection_ack') && resolve()));
    socket.send(JSON.stringify({ type: 'connection_init' }));
    await acknowledged;
    logged.length = 0;
    const ended = closed(socket);
    socket.send(JSON.stringify(message));
    await expect(ended).resolves.toBe(4400);
    expect(logged.map((line) => line.level)).toEqual([20]);
  });
});
