import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { WebSocket, WebSocketServer } from 'ws';
import type { Core } from '../core';
import { clientIp } from '../limits/client-ip';
import { coalesceWrites } from './coalesce';

/** What an upgrade may be refused with, before any WebSocket exists. */
const REFUSED = {
  notFound: 'HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n',
  forbidden: 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n',
  tooMany: 'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n',
} as const;

/**
 * Lets WebSocket upgrades of `path` through to `wss` (which then emits `connection`), refusing other
 * paths (404), origins not allowed (403) and an address past its connection limit (429). Returns
 * what stops accepting new upgrades.
 */
export function gateUpgrades(server: HttpServer, wss: WebSocketServer, core: Core, path: string): { stopAccepting(): void } {
  const allowed = core.config.allowedOrigins;
  const { maxConnectionsPerIp, trustProxy } = core.config;
  const perIp = new Map<string, number>();
  const release = (ip: string): void => {
    const left = (perIp.get(ip) ?? 1) - 1;
    if (left > 0) perIp.set(ip, left);
    else perIp.delete(ip);
  };

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const origin = request.headers.origin;
    if (url.pathname !== path) return void socket.end(REFUSED.notFound);
    if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) return void socket.end(REFUSED.forbidden);
    const ip = clientIp(request, trustProxy);
    const open = perIp.get(ip) ?? 0;
    if (maxConnectionsPerIp > 0 && open >= maxConnectionsPerIp) {
      core.metrics.rateLimited.inc({ limit: 'connections' });
      return void socket.end(REFUSED.tooMany);
    }
    // Counted once the handshake succeeded (ws completes it synchronously; a refused one never calls back).
    wss.handleUpgrade(request, socket, head, (ws: WebSocket) => {
      perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
      coalesceWrites(socket);
      ws.once('close', () => release(ip));
      wss.emit('connection', ws, request);
    });
  };
  server.on('upgrade', onUpgrade);
  return { stopAccepting: () => server.off('upgrade', onUpgrade) };
}
