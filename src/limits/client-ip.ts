import type { IncomingMessage } from 'node:http';

/**
 * The caller's IP, for per-IP limits. X-Forwarded-For is honoured only when the operator says a
 * trusted proxy sets it; otherwise any client could claim any address.
 */
export function clientIp(request: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const header = request.headers['x-forwarded-for'];
    const first = (Array.isArray(header) ? header[0] : header)?.split(',')[0]?.trim();
    if (first) return first;
  }
  return request.socket.remoteAddress ?? 'unknown';
}
