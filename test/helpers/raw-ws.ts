import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { WebSocket } from 'ws';
import { Inbox } from './inbox';

/** A graphql-transport-ws message as it travels, loosely typed: probes look at any shape the server sends. */
export interface Frame {
  type: string;
  id?: string;
  payload?: unknown;
  /** PeerJS frames: sender and recipient. */
  src?: string;
  dst?: string;
}

/** A bare `ws` socket speaking graphql-transport-ws by hand, for protocol probes: every frame and the close are observable. */
export interface RawSocket {
  socket: WebSocket;
  frames: Inbox<Frame>;
  /** The close code and reason, once the socket closed (bounded wait). */
  closed(): Promise<{ code: number; reason: string }>;
  send(message: unknown): void;
  /** connection_init with the token, then waits for connection_ack. */
  init(token: string): Promise<void>;
  /** The next frame of `type` (and `id`, when given). */
  next(type: string, id?: string): Promise<Frame>;
}

/** `protocol` null: no subprotocol (the PeerJS protocol has none). */
export async function rawSocket(url: string, protocol: string | null = GRAPHQL_TRANSPORT_WS_PROTOCOL): Promise<RawSocket> {
  const socket = protocol === null ? new WebSocket(url) : new WebSocket(url, protocol);
  const frames = new Inbox<Frame>('raw ws frames');
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  const closes = new Inbox<{ code: number; reason: string }>('raw ws close');
  socket.once('close', (code, reason) => closes.push({ code, reason: String(reason) }));
  await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
  const send = (message: unknown): void => socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  const next = (type: string, id?: string): Promise<Frame> =>
    frames.nextWhere((f) => f.type === type && (id === undefined || f.id === id), undefined, `${type}${id === undefined ? '' : ` for ${id}`}`);
  return {
    socket,
    frames,
    closed: () => closes.next(),
    send,
    next,
    init: async (token) => {
      send({ type: 'connection_init', payload: { authToken: token } });
      await next('connection_ack');
    },
  };
}
