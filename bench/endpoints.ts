/**
 * One signaling endpoint per peer, whatever the server: the load generator and the werift peers speak
 * to Switchboard (graphql-transport-ws), the PeerJS server and the raw relay through this interface, so
 * every server carries the same messages.
 */
import { io } from 'socket.io-client';
import WebSocket from 'ws';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '@switchboard/client/wire';
import { DEFAULT_SESSION_MAX_AGE_S } from '../src/protocol';
import { TokenService } from '../src/auth/tokens';
import { OWN_DOCUMENTS } from '../test/helpers/own-documents';

/**
 * The servers compared; `switchboard-own` is Switchboard driven with a client's own spelling of the
 * documents, `switchboard-socketio` and `switchboard-peerjs` the same gateway through its Socket.IO and
 * PeerJS-protocol transports.
 */
export type ServerKind = 'switchboard' | 'switchboard-own' | 'switchboard-socketio' | 'switchboard-peerjs' | 'switchboard-redis' | 'switchboard-redis3' | 'switchboard-cluster' | 'peerjs' | 'raw';

/** What a peer relays: descriptions and candidates. */
export type SignalType = 'offer' | 'answer' | 'candidate';

/** One peer's connection to a signaling server. */
export interface Endpoint {
  readonly id: string;
  send(to: string, type: SignalType, payload: string): void;
  /** Called for every relayed message to this peer. */
  onMessage: (from: string, type: SignalType, payload: string) => void;
  /** Replies and refusals the server sent back to this peer (Switchboard's mutation results). */
  readonly errors: string[];
  close(): void;
}

/** How to reach a server: its base URL and, for Switchboard, the secret tokens are signed with. */
export interface Target {
  readonly kind: ServerKind;
  readonly url: string;
  readonly secret?: string;
}

/** Bound for one connection to be accepted. */
const CONNECT_TIMEOUT_MS = 15_000;

const noop = (): void => undefined;

function opened(socket: WebSocket, ready: (resolve: () => void, reject: (error: Error) => void) => void, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      socket.terminate();
      reject(new Error('connect timeout'));
    }, timeoutMs);
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.once('close', () => {
      clearTimeout(timer);
      reject(new Error('closed before ready'));
    });
    ready(
      () => {
        clearTimeout(timer);
        socket.removeAllListeners('close');
        resolve();
      },
      (error) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
}

/** What a Switchboard peer asks of its `signals` subscription, and who hears every event of it. */
export interface SignalsOptions {
  /** Variables of the `signals` subscription (`presence`, `after`). */
  readonly variables?: Record<string, unknown>;
  /** Called with every event of the subscription, the Welcome first, before any other handling. */
  readonly onSignal?: (signal: SwitchboardSignal) => void;
  /** Bound for the Welcome to arrive (default {@link CONNECT_TIMEOUT_MS}). */
  readonly timeoutMs?: number;
  /** Called with the close code when the socket closes after the Welcome. */
  readonly onClose?: (code: number) => void;
}

/** Connects `id` (in `room`) to the target; resolves once the server accepted it. */
export function connect(target: Target, id: string, room: string, signals: SignalsOptions = {}): Promise<Endpoint> {
  if (target.kind === 'raw') return connectRaw(target.url, id);
  if (target.kind === 'peerjs') return connectPeerJs(`${target.url}/peerjs?key=peerjs&id=${encodeURIComponent(id)}&token=bench`, id);
  if (target.kind === 'switchboard-peerjs') return connectSwitchboardPeerJs(target, id, room);
  if (target.kind === 'switchboard-socketio') return connectSocketIo(target, id, room);
  return connectSwitchboard(target, id, room, signals);
}

async function connectRaw(url: string, id: string): Promise<Endpoint> {
  const socket = new WebSocket(`${url.replace(/^http/, 'ws')}/?id=${encodeURIComponent(id)}`);
  const endpoint: Endpoint = {
    id,
    errors: [],
    onMessage: noop,
    send: (to, type, payload) => socket.send(JSON.stringify({ to, type, payload })),
    close: () => socket.close(),
  };
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as { from: string; type: SignalType; payload: string };
    endpoint.onMessage(message.from, message.type, message.payload);
  });
  await opened(socket, (resolve) => socket.once('open', resolve));
  return endpoint;
}

const PEERJS_TYPES: Record<SignalType, string> = { offer: 'OFFER', answer: 'ANSWER', candidate: 'CANDIDATE' };

/** A PeerJS client's socket at `url` (the PeerJS server's, or Switchboard's PeerJS protocol). */
async function connectPeerJs(url: string, id: string): Promise<Endpoint> {
  const socket = new WebSocket(url.replace(/^http/, 'ws'));
  const endpoint: Endpoint = {
    id,
    errors: [],
    onMessage: noop,
    // The payload shape PeerJS clients send: the candidate or description plus the connection it is for.
    send: (to, type, payload) => {
      const body = type === 'candidate' ? { candidate: { candidate: payload, sdpMid: '0', sdpMLineIndex: 0 } } : { sdp: { type, sdp: payload } };
      socket.send(JSON.stringify({ type: PEERJS_TYPES[type], dst: to, payload: { ...body, type: 'data', connectionId: 'dc_bench' } }));
    },
    close: () => socket.close(),
  };
  await opened(socket, (resolve, reject) => {
    socket.once('message', (data) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === 'OPEN') resolve();
      else reject(new Error(`peerjs refused: ${data.toString()}`));
    });
  });
  socket.on('message', (data) => {
    const message = JSON.parse(data.toString()) as {
      type: string;
      src: string;
      payload: { candidate?: { candidate: string }; sdp?: { sdp: string } };
    };
    if (message.type === 'CANDIDATE') endpoint.onMessage(message.src, 'candidate', message.payload.candidate?.candidate ?? '');
    else if (message.type === 'OFFER') endpoint.onMessage(message.src, 'offer', message.payload.sdp?.sdp ?? '');
    else if (message.type === 'ANSWER') endpoint.onMessage(message.src, 'answer', message.payload.sdp?.sdp ?? '');
  });
  return endpoint;
}

/** Switchboard's PeerJS protocol: the key is the room, the token a session token (production requires one). */
async function connectSwitchboardPeerJs(target: Target, id: string, room: string): Promise<Endpoint> {
  if (!target.secret) throw new Error('switchboard needs the shared secret');
  const token = await mint(target.secret, id, room);
  return connectPeerJs(`${target.url}/peerjs/peerjs?key=${encodeURIComponent(room)}&id=${encodeURIComponent(id)}&token=${encodeURIComponent(token)}`, id);
}

interface SeedMessage {
  from: string;
  sdp?: { sdp: string };
  candidate?: { candidate: string };
}

/** Switchboard's Socket.IO transport: each send asks for its ack, as each GraphQL mutation gets its reply. */
async function connectSocketIo(target: Target, id: string, room: string): Promise<Endpoint> {
  if (!target.secret) throw new Error('switchboard needs the shared secret');
  const token = await mint(target.secret, id, room);
  const socket = io(target.url, { path: '/socket.io/', transports: ['websocket'], auth: { token }, reconnection: false, forceNew: true, timeout: CONNECT_TIMEOUT_MS });
  const endpoint: Endpoint = {
    id,
    errors: [],
    onMessage: noop,
    send: (to, type, payload) => {
      const ack = (reply: { error?: unknown }): void => void (reply.error && endpoint.errors.push(JSON.stringify(reply.error)));
      if (type === 'candidate') socket.emit('ice-candidate', { to, candidate: { candidate: payload, sdpMid: '0', sdpMLineIndex: 0 } }, ack);
      else socket.emit(type, { to, sdp: { type, sdp: payload } }, ack);
    },
    close: () => void socket.disconnect(),
  };
  socket.on('ice-candidate', (m: SeedMessage) => endpoint.onMessage(m.from, 'candidate', m.candidate?.candidate ?? ''));
  socket.on('offer', (m: SeedMessage) => endpoint.onMessage(m.from, 'offer', m.sdp?.sdp ?? ''));
  socket.on('answer', (m: SeedMessage) => endpoint.onMessage(m.from, 'answer', m.sdp?.sdp ?? ''));
  await new Promise<void>((resolve, reject) => {
    socket.once('welcome', () => resolve());
    socket.once('connect_error', (error) => reject(error));
  });
  return endpoint;
}

const tokenServices = new Map<string, TokenService>();

/** A session token as a backend mints it with the shared secret. */
export async function mint(secret: string, id: string, room: string): Promise<string> {
  let service = tokenServices.get(secret);
  if (!service) tokenServices.set(secret, (service = new TokenService({ secret, jwksUrl: undefined, audience: undefined, issuer: undefined, maxAgeS: DEFAULT_SESSION_MAX_AGE_S })));
  return (await service.mint({ peerId: id, room, name: null }, 3600)).token;
}

/** The documents each Switchboard row sends: the SDK's, or a client's own spelling of them. */
const DOCUMENTS = {
  sdk: { offer: SEND_OFFER, answer: SEND_ANSWER, candidate: SEND_ICE_CANDIDATE, signals: SIGNALS_SUBSCRIPTION },
  own: OWN_DOCUMENTS,
} as const;

interface WsMessage {
  id?: string;
  type: string;
  payload?: { data?: { signals?: SwitchboardSignal }; errors?: Array<{ message: string }> };
}

/** The fields of a `signals` event the generators read. */
export interface SwitchboardSignal {
  __typename: string;
  cursor: string;
  from?: string;
  sdp?: string;
  candidate?: { candidate: string };
  peer?: { id: string };
  peers?: Array<{ id: string }>;
  joined?: Array<{ id: string }>;
  left?: Array<{ peer: { id: string } }>;
}

async function connectSwitchboard(target: Target, id: string, room: string, signals: SignalsOptions): Promise<Endpoint> {
  if (!target.secret) throw new Error('switchboard needs the shared secret');
  const token = await mint(target.secret, id, room);
  const documents = DOCUMENTS[target.kind === 'switchboard-own' ? 'own' : 'sdk'];
  const socket = new WebSocket(`${target.url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
  let next = 0;
  const endpoint: Endpoint = {
    id,
    errors: [],
    onMessage: noop,
    send: (to, type, payload) => {
      next += 1;
      const variables = type === 'candidate' ? { to, candidate: { candidate: payload, sdpMid: '0', sdpMLineIndex: 0 } } : { to, sdp: payload };
      socket.send(JSON.stringify({ id: `m${next}`, type: 'subscribe', payload: { query: documents[type], variables } }));
    },
    close: () => socket.close(),
  };
  await opened(socket, (resolve, reject) => {
    socket.once('open', () => socket.send(JSON.stringify({ type: 'connection_init', payload: { authToken: token } })));
    socket.on('message', (data) => {
      const message = JSON.parse(data.toString()) as WsMessage;
      if (message.type === 'connection_ack') {
        socket.send(JSON.stringify({ id: 's', type: 'subscribe', payload: { query: documents.signals, variables: signals.variables ?? {} } }));
      } else if (message.type === 'ping') {
        socket.send(JSON.stringify({ type: 'pong' }));
      } else if (message.id === 's' && message.type === 'next' && message.payload?.errors) {
        // graphql-ws answers a subscription refused in its subscribe step with one `next` holding the errors, then `complete`.
        reject(new Error(JSON.stringify(message.payload.errors)));
      } else if (message.id === 's' && message.type === 'next') {
        const signal = message.payload?.data?.signals;
        if (signal) signals.onSignal?.(signal);
        if (signal?.__typename === 'Welcome') resolve();
        else if (signal?.__typename === 'IceCandidate') endpoint.onMessage(signal.from ?? '', 'candidate', signal.candidate?.candidate ?? '');
        else if (signal?.__typename === 'Offer') endpoint.onMessage(signal.from ?? '', 'offer', signal.sdp ?? '');
        else if (signal?.__typename === 'Answer') endpoint.onMessage(signal.from ?? '', 'answer', signal.sdp ?? '');
      } else if (message.type === 'error' || message.payload?.errors) {
        const text = JSON.stringify(message.payload);
        if (message.id === 's') reject(new Error(text));
        endpoint.errors.push(text);
      }
    });
  }, signals.timeoutMs);
  const { onClose } = signals;
  if (onClose) socket.on('close', (code) => onClose(code));
  return endpoint;
}
