import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { Config } from '../config';
import { ErrorCode } from '../protocol';

/** Node checks the slow-client deadlines this often at most, so a deadline is met within a fraction of itself. */
const DEADLINE_CHECK_MS = 1_000;

/**
 * Node's own slow-client deadlines for the HTTP server: headers (a WebSocket upgrade request is one)
 * within `httpHeadersTimeoutMs`, the whole request with its body within `httpRequestTimeoutMs`,
 * answered 408 and closed past them. Both end when the request has arrived, so the time a long poll
 * waits for events does not count. Node checks them on an interval (30 s by default, which let a slow
 * client live 75 s); here it is a quarter of the shortest deadline, at most a second.
 */
export function slowClientDeadlines(config: Config): Pick<ServerOptions, 'headersTimeout' | 'requestTimeout' | 'connectionsCheckingInterval'> {
  const shortest = Math.min(config.httpHeadersTimeoutMs, config.httpRequestTimeoutMs);
  return {
    headersTimeout: config.httpHeadersTimeoutMs,
    requestTimeout: config.httpRequestTimeoutMs,
    connectionsCheckingInterval: Math.max(10, Math.min(DEADLINE_CHECK_MS, Math.floor(shortest / 4))),
  };
}

/** A coded JSON refusal on plain HTTP, shaped like a GraphQL response. */
export function refuseHttp(res: ServerResponse, status: number, code: ErrorCode, message: string, extensions: Record<string, unknown> = {}): void {
  if (res.headersSent) return;
  const body = JSON.stringify({ errors: [{ message, extensions: { ...extensions, code } }] });
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body), 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * HTTP requests in flight per client IP, capped like WebSockets (MAX_CONNECTIONS_PER_IP). A request
 * counts from its headers until its response ends or its connection drops; long polls and SSE streams
 * are requests in flight. Connections that have not sent a whole request yet are cut by the header
 * deadline, idle keep-alive connections by Node's keep-alive timeout. Behind a trusted proxy one
 * connection carries many clients, so the request, not the TCP connection, is what is counted.
 */
export class RequestsPerIp {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  /** Counts the request until its response closes; false (and not counted) when the IP is at its cap. */
  admit(ip: string, res: ServerResponse): boolean {
    if (this.max <= 0) return true;
    const count = this.open.get(ip) ?? 0;
    if (count >= this.max) return false;
    this.open.set(ip, count + 1);
    res.once('close', () => {
      const left = (this.open.get(ip) ?? 1) - 1;
      if (left > 0) this.open.set(ip, left);
      else this.open.delete(ip);
    });
    return true;
  }

  /** Requests in flight from `ip` (tests, metrics). */
  inFlight(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}

export type BodyRead = { kind: 'body'; bytes: Buffer } | { kind: 'too-large' } | { kind: 'aborted' };

/**
 * Reads a request body, counting bytes as they stream: whatever the framing (chunked, no
 * Content-Length, a false one), reading stops as soon as the count passes `maxBytes`, so at most that
 * much is ever held. A declared Content-Length over the limit is refused without reading at all.
 */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyRead> {
  if (Number(req.headers['content-length'] ?? 0) > maxBytes) return Promise.resolve({ kind: 'too-large' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const settle = (result: BodyRead): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > maxBytes) {
        chunks.length = 0;
        req.pause();
        settle({ kind: 'too-large' });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => settle({ kind: 'body', bytes: Buffer.concat(chunks, bytes) });
    const onClose = (): void => settle({ kind: 'aborted' });
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onClose);
  });
}
