import { RTCPeerConnection } from 'werift';
import WebSocket from 'ws';
import { joinRoom, type IceServer, type JoinRoomOptions, type Room, type RoomData, type RoomGuest } from '@switchboard/client';
import { EVENT_TIMEOUT_MS } from './inbox';
import { nextEvent } from './sdk';
import { LOOPBACK_ONLY } from './webrtc';

/** A room of werift peers, as a Node app would join one. */
export type WeriftRoom = Room<RTCPeerConnection>;

/** A werift connection limited to loopback, for `createPeerConnection` (the ICE servers are not dialled). */
export function weriftConnection(): RTCPeerConnection {
  return new RTCPeerConnection(LOOPBACK_ONLY);
}

/**
 * Joins `guest.room` through `joinRoom` with werift connections limited to loopback. Every config the
 * room asked a connection for is pushed to `configs` (the ICE servers are recorded, not dialled: the
 * test's STUN URL has no server behind it).
 */
export function weriftRoom(url: string, guest: RoomGuest, configs: Array<{ iceServers: IceServer[] }> = [], options: Pick<JoinRoomOptions<RTCPeerConnection>, 'refreshToken' | 'transport'> = {}): Promise<WeriftRoom> {
  return joinRoom<RTCPeerConnection>({
    ...options,
    url,
    guest,
    webSocketImpl: WebSocket,
    createPeerConnection: (config) => {
      configs.push(config);
      return new RTCPeerConnection(LOOPBACK_ONLY);
    },
  });
}

/** Resolves when `room` has `count` other peers (at once if it has), or fails after `timeoutMs`. */
export function peersIn(room: WeriftRoom, count: number, timeoutMs = EVENT_TIMEOUT_MS): Promise<void> {
  if (room.peers.size === count) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (room.peers.size !== count) return;
      done();
      resolve();
    };
    const offs = [room.on('peer-joined', check), room.on('peer-left', check)];
    const timer = setTimeout(() => {
      done();
      reject(new Error(`${room.self.id} has ${room.peers.size} peers, not ${count}, after ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (): void => {
      clearTimeout(timer);
      for (const off of offs) off();
    };
  });
}

/** The next `data` event on `room` from `from` carrying `data`. */
export function dataFrom(room: WeriftRoom, from: string, data: RoomData, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<unknown> {
  return nextEvent(room, 'data', (event) => event.from === from && JSON.stringify(event.data) === JSON.stringify(data), timeoutMs);
}

/** Resolves when `room` is in `state` (at once if it is), or fails after `timeoutMs`. */
export async function roomState(room: WeriftRoom, state: WeriftRoom['state'], timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<void> {
  if (room.state === state) return;
  await nextEvent(room, 'state', (change) => change.state === state, timeoutMs);
}
