import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Core } from '../core';
import { clientIp } from '../limits/client-ip';
import { coalesceWrites } from './coalesce';

/** What an upgrade may be refused with, before any WebSocket exists. */
const REFUSED = {
  notFound: 'HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n',
  forbidden: 'HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n',
  tooMany: 'HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\n\r\n',
} as const;

/** Completes a WebSocket handshake the gate let through (its library's `handleUpgrade`). */
export type UpgradeHandler = (request: IncomingMessage, socket: Duplex, head: Buffer) => void;

/** The one `upgrade` listener of the HTTP server: every WebSocket transport passes it. */
export interface UpgradeGate {
  /** Hands upgrades of exactly `path` (the URL's pathname) to `handler`. */
  route(path: string, handler: UpgradeHandler): void;
  /** New upgrades are refused from now on. */
  stopAccepting(): void;
}

/**
 * Lets WebSocket upgrades through to the transport that routed their path (graphql-ws, Socket.IO, the
 * PeerJS protocol), refusing other paths (404), origins not allowed (403) and an address past its
 * connection limit (429). A connection counts against its address from the moment it is let through
 * until its TCP socket closes, whichever transport holds it.
 */
export function gateUpgrades(server: HttpServer, core: Core): UpgradeGate {
  const routes = new Map<string, UpgradeHandler>();
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
    const handler = routes.get(url.pathname);
    if (handler === undefined) return void socket.end(REFUSED.notFound);
    if (allowed.length > 0 && origin !== undefined && !allowed.includes(origin)) return void socket.end(REFUSED.forbidden);
    const ip = clientIp(request, trustProxy);
    const open = perIp.get(ip) ?? 0;
    if (maxConnectionsPerIp > 0 && open >= maxConnectionsPerIp) {
      core.metrics.rateLimited.inc({ limit: 'connections' });
      return void socket.end(REFUSED.tooMany);
    }
    perIp.set(ip, open + 1);
    socket.once('close', () => release(ip));
    coalesceWrites(socket);
    handler(request, socket, head);
  };
  server.on('upgrade', onUpgrade);
  return {
    route: (path, handler) => void routes.set(path, handler),
    stopAccepting: () => server.off('upgrade', onUpgrade),
  };
}
