import { connect } from 'node:net';

export interface RawExchange {
  /** Everything the server sent back. */
  response: string;
  /** Body bytes the client got to write before the server answered or closed. */
  sentBodyBytes: number;
  /** From the first byte written to the connection's close. */
  closedAfterMs: number;
}

export interface RawRequest {
  port: number;
  /** Request line and headers as sent; may stop mid-headers for slow-header tests. */
  head: string;
  /** Body bytes to send after the head; `chunked` frames them as Transfer-Encoding: chunked chunks. */
  bodyBytes?: number;
  chunked?: boolean;
  /** Send the body (or, without one, more header bytes) one byte every this many ms instead of as fast as possible. */
  trickleMs?: number;
  /** The exchange is abandoned (and fails) after this. */
  timeoutMs: number;
}

const CHUNK_BYTES = 64 * 1024;
const CHUNK = Buffer.alloc(CHUNK_BYTES, 'x');

/**
 * A raw HTTP/1.1 exchange on a TCP socket, for what no well-behaved client does: bodies of any size
 * in any framing, trickled bytes. The client stops writing once the server answers, as curl does;
 * resolves when the server closes the connection.
 */
export function rawExchange(request: RawRequest): Promise<RawExchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(request.port, '127.0.0.1');
    const started = Date.now();
    let response = '';
    let sent = 0;
    let stopped = false;
    let trickle: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`raw exchange still open after ${request.timeoutMs} ms; got ${JSON.stringify(response.slice(0, 200))}`));
    }, request.timeoutMs);
    const stop = (): void => {
      stopped = true;
      clearInterval(trickle);
    };
    socket.on('data', (data: Buffer) => {
      response += data.toString('latin1');
      stop();
    });
    socket.on('error', () => stop()); // EPIPE / ECONNRESET once the server has closed: the close event follows
    socket.on('close', () => {
      stop();
      clearTimeout(timer);
      resolve({ response, sentBodyBytes: sent, closedAfterMs: Date.now() - started });
    });
    socket.write(request.head);
    const total = request.bodyBytes ?? 0;
    if (request.trickleMs !== undefined) {
      trickle = setInterval(() => {
        if (stopped || socket.destroyed) return;
        socket.write(request.chunked ? '1\r\nx\r\n' : 'x');
        sent++;
      }, request.trickleMs);
      return;
    }
    const pump = (): void => {
      while (!stopped && sent < total) {
        const size = Math.min(CHUNK_BYTES, total - sent);
        const piece = size === CHUNK_BYTES ? CHUNK : CHUNK.subarray(0, size);
        sent += size;
        const more = socket.write(request.chunked ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), piece, Buffer.from('\r\n')]) : piece);
        if (!more) {
          socket.once('drain', pump);
          return;
        }
      }
      if (!stopped && request.chunked && sent >= total) socket.write('0\r\n\r\n');
    };
    pump();
  });
}

/** The status code of the first response in `raw`, or 0 when there was none. */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}
