import { io, type Socket } from 'socket.io-client';
import type { Signal } from '../../client/types';
import { SOCKET_IO_PATH, SocketIoEvent } from '../../src/protocol';
import type { SeedMessage } from '../../src/transport/socket-io/messages';
import { EVENT_TIMEOUT_MS, Inbox } from './inbox';
import type { SignalingPort } from './webrtc';

export type Ack = { id: string; at: string } | { error: { code: string; message: string; [k: string]: unknown } };

export interface IoPeer {
  peerId: string;
  socket: Socket;
  /** Every seed message the server emitted, in order (welcome first). */
  messages: Inbox<SeedMessage>;
  /** `closing` events (the close code a server disconnect stands for). */
  closings: Inbox<{ code: number; reason: string }>;
  /** Emits with an ack and resolves with it. */
  send(event: string, payload: unknown): Promise<Ack>;
  /** The next message of `type`; messages of other types before it stay unread. */
  next<T extends SeedMessage['type']>(type: T): Promise<Extract<SeedMessage, { type: T }>>;
  /** The messages not read yet and every later one as Signals (`__typename`), for the werift helpers. */
  port(): SignalingPort;
  close(): void;
}

/** The seed message as the Signal a GraphQL subscriber gets (the helpers' common shape). */
export function asSignal(message: SeedMessage): Signal {
  switch (message.type) {
    case SocketIoEvent.Welcome:
      return { __typename: 'Welcome', cursor: message.cursor, at: message.at, self: { ...message.self }, room: message.room, peers: message.peers, resumed: message.resumed } as Signal;
    case SocketIoEvent.PeerConnected:
      return { __typename: 'PeerConnected', cursor: message.cursor, at: message.at, peer: message.peer } as Signal;
    case SocketIoEvent.PeerDisconnected:
      return { __typename: 'PeerDisconnected', cursor: message.cursor, at: message.at, peer: message.peer, reason: message.reason } as Signal;
    case SocketIoEvent.Offer:
    case SocketIoEvent.Answer:
      return { __typename: message.type === 'offer' ? 'Offer' : 'Answer', cursor: message.cursor, at: message.at, from: message.from, to: message.to, sdp: message.sdp.sdp } as Signal;
    case SocketIoEvent.IceCandidate:
      return { __typename: 'IceCandidate', cursor: message.cursor, at: message.at, from: message.from, to: message.to, candidate: message.candidate } as Signal;
  }
}

const SERVER_EVENTS = [SocketIoEvent.Welcome, SocketIoEvent.PeerConnected, SocketIoEvent.PeerDisconnected, SocketIoEvent.Offer, SocketIoEvent.Answer, SocketIoEvent.IceCandidate];

/** A socket.io-client on the gateway (WebSocket transport, no automatic reconnection so a test sees every drop). */
export function ioPeer(url: string, peerId: string, auth: { token: string; after?: string } | Record<string, unknown>): IoPeer {
  const socket = io(url, { path: SOCKET_IO_PATH, transports: ['websocket'], reconnection: false, auth, forceNew: true });
  const messages = new Inbox<SeedMessage>(`socket.io messages of ${peerId}`);
  const closings = new Inbox<{ code: number; reason: string }>(`socket.io closings of ${peerId}`);
  for (const event of SERVER_EVENTS) socket.on(event, (message: SeedMessage) => messages.push(message));
  socket.on(SocketIoEvent.Closing, (closing: { code: number; reason: string }) => closings.push(closing));
  const send = (event: string, payload: unknown): Promise<Ack> => socket.timeout(EVENT_TIMEOUT_MS).emitWithAck(event, payload) as Promise<Ack>;
  const must = async (event: string, payload: unknown): Promise<void> => {
    const ack = await send(event, payload);
    if ('error' in ack) throw new Error(`${event}: ${JSON.stringify(ack.error)}`);
  };
  return {
    peerId,
    socket,
    messages,
    closings,
    send,
    next: <T extends SeedMessage['type']>(type: T) =>
      messages.nextWhere((m) => m.type === type, EVENT_TIMEOUT_MS, type) as Promise<Extract<SeedMessage, { type: T }>>,
    port: () => {
      const events = new Inbox<Signal>(`signals of ${peerId}`);
      messages.listen((message) => events.push(asSignal(message)));
      return {
        peerId,
        events,
        sendOffer: (to, sdp) => must(SocketIoEvent.Offer, { to, sdp: { type: 'offer', sdp } }),
        sendAnswer: (to, sdp) => must(SocketIoEvent.Answer, { to, sdp: { type: 'answer', sdp } }),
        sendIceCandidate: (to, candidate) => must(SocketIoEvent.IceCandidate, { to, candidate }),
      };
    },
    close: () => void socket.disconnect(),
  };
}

/** The `connect_error` of a socket that the gateway refused at the handshake. */
export function connectError(peer: IoPeer, timeoutMs = EVENT_TIMEOUT_MS): Promise<Error & { data?: { code?: string } }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connect_error within ${timeoutMs} ms`)), timeoutMs);
    peer.socket.once('connect_error', (error: Error & { data?: { code?: string } }) => {
      clearTimeout(timer);
      resolve(error);
    });
  });
}
