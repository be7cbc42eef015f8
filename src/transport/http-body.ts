import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, MAX_HTTP_BODY_BYTES, REFUSED_BODY_LINGER_MS } from '../protocol';
import { readBody, refuseHttp } from './http-limits';

const BODYLESS_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Ends a connection whose body was refused, so that the client reads the answer. Closing at once with
 * unread bytes in the socket makes the kernel send a reset, which can destroy the answer before the
 * client reads it; so the gateway half-closes (FIN), keeps discarding what still arrives (Node dumps
 * the rest of the body), and cuts the connection after {@link REFUSED_BODY_LINGER_MS} at most.
 */
function closeAfterAnswer(req: IncomingMessage): void {
  const { socket } = req;
  socket.end();
  const linger = setTimeout(() => socket.destroy(), REFUSED_BODY_LINGER_MS);
  socket.once('close', () => clearTimeout(linger));
}

/**
 * Reads and parses a GraphQL request body before yoga sees the request: at most
 * {@link MAX_HTTP_BODY_BYTES}, counted as it streams (413 PAYLOAD_TOO_LARGE past it), JSON only (415),
 * and a JSON object (400 BAD_USER_INPUT otherwise, without echoing the parser's message). The parsed
 * body is handed to yoga as `req.body`, which its Node adapter takes instead of reading the stream, as
 * it does behind a body-parsing framework. Resolves false when the request was answered here.
 */
export async function admitGraphqlBody(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
  if (BODYLESS_METHODS.has(req.method ?? 'GET')) return true;
  const type = req.headers['content-type'];
  if (type !== undefined && !type.includes('json')) {
    refuseHttp(res, 415, ErrorCode.BadUserInput, 'send the GraphQL request as application/json');
    return false;
  }
  const read = await readBody(req, MAX_HTTP_BODY_BYTES);
  if (read.kind === 'aborted') return false;
  if (read.kind === 'too-large') {
    res.once('finish', () => closeAfterAnswer(req));
    refuseHttp(res, 413, ErrorCode.PayloadTooLarge, `request body exceeds ${MAX_HTTP_BODY_BYTES} bytes`, { limit: MAX_HTTP_BODY_BYTES });
    return false;
  }
  let body: unknown;
  try {
    body = JSON.parse(read.bytes.toString('utf8'));
  } catch {
    refuseHttp(res, 400, ErrorCode.BadUserInput, 'the request body is not valid JSON');
    return false;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || Object.keys(body).length === 0) {
    refuseHttp(res, 400, ErrorCode.BadUserInput, 'the request body must be a JSON object with a query');
    return false;
  }
  Object.assign(req, { body });
  return true;
}
