import { RTCPeerConnection, type RTCDataChannel } from 'werift';
import WebSocket from 'ws';
import { createGuestSession, createPeerSession, createSignalingClient, type PeerSession, type SignalingClient, type SignalingClientOptions } from '@switchboard/client';
import type { TypedEmitter } from '../../client/emitter';
import type { ConnectionState } from '../../client/state';
import { EVENT_TIMEOUT_MS } from './inbox';
import { LOOPBACK_ONLY } from './webrtc';

/** The seed's main line, as a session that connects without trouble walks it. */
export const MAIN_LINE: readonly ConnectionState[] = ['disconnected', 'connecting', 'connected', 'signaling', 'ice-gathering', 'p2p-connected'];

/** A werift-backed session, as the SDK's users in Node would build it. */
export type WeriftSession = PeerSession<RTCPeerConnection>;

/** A guest session plus an SDK client on `url` (Node: `ws` as the WebSocket), welcomed. */
export async function sdkClient(url: string, room: string, peerId: string, options: Partial<SignalingClientOptions> = {}): Promise<SignalingClient> {
  const session = await createGuestSession({ url, room, peerId });
  const client = createSignalingClient({ url, token: session.token, webSocketImpl: WebSocket, random: () => 0.5, ...options });
  await client.ready();
  return client;
}

/** A session with `remote` on a fresh werift connection limited to loopback. */
export function weriftSession(client: SignalingClient, remote: string): WeriftSession {
  return createPeerSession(client, remote, { peerConnection: new RTCPeerConnection(LOOPBACK_ONLY) });
}

/** Answers calls: the first offer from a peer without a session starts one (the SDK keeps that offer for it). */
export function answerCalls(client: SignalingClient): Map<string, WeriftSession> {
  const sessions = new Map<string, WeriftSession>();
  client.on('offer', ({ from }) => {
    if (!sessions.has(from)) sessions.set(from, weriftSession(client, from));
  });
  return sessions;
}

/** The next `event` of `emitter` that matches, or a failure after `timeoutMs`. */
export function nextEvent<Events extends { [K in keyof Events]: unknown }, K extends keyof Events>(
  emitter: TypedEmitter<Events>,
  event: K,
  match: (payload: Events[K]) => boolean = () => true,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<Events[K]> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching ${String(event)} within ${timeoutMs} ms`));
    }, timeoutMs);
    const off = emitter.on(event, (payload) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      off();
      resolve(payload);
    });
  });
}

/** Resolves when `session` is in `state` (at once if it is). */
export function reach(session: PeerSession<RTCPeerConnection>, state: ConnectionState, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<void> {
  if (session.state === state) return Promise.resolve();
  return nextEvent(session, 'state', (change) => change.state === state, timeoutMs).then(() => undefined);
}

/** Resolves with the session `sessions` gets for `remote` (when its first offer arrives). */
export async function sessionFor(sessions: Map<string, WeriftSession>, client: SignalingClient, remote: string): Promise<WeriftSession> {
  const existing = sessions.get(remote);
  if (existing) return existing;
  await nextEvent(client, 'offer', ({ from }) => from === remote);
  const session = sessions.get(remote);
  if (!session) throw new Error(`no session for ${remote}`);
  return session;
}

/** Resolves with the first data channel the remote side opens on `pc`. */
export function remoteChannel(pc: RTCPeerConnection, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<RTCDataChannel> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no remote data channel within ${timeoutMs} ms`)), timeoutMs);
    const { unSubscribe } = pc.onDataChannel.subscribe((channel) => {
      clearTimeout(timer);
      unSubscribe();
      resolve(channel);
    });
  });
}

/** Resolves when `channel` is open. */
export function opened(channel: RTCDataChannel, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<void> {
  if (channel.readyState === 'open') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`data channel ${channel.label} not open within ${timeoutMs} ms`)), timeoutMs);
    const { unSubscribe } = channel.stateChanged.subscribe((state) => {
      if (state !== 'open') return;
      clearTimeout(timer);
      unSubscribe();
      resolve();
    });
  });
}
