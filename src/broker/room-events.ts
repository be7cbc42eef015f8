import type { PeerInfo, RoomEvent } from '../events';
import { type LeaveReason, WebhookEvent } from '../protocol';

/**
 * The room events of one roster change, as both brokers raise them. `entry` names the room-log
 * entry that recorded the change (unique within its room), so the event's id is unique and the same
 * on every retry of its delivery.
 */
export function joined(room: string, entry: string, peer: PeerInfo, at: number): RoomEvent[] {
  return [{ id: `${room}/${entry}`, event: WebhookEvent.PeerJoined, room, peer, reason: null, at }];
}

/** `peer.left`, and `room.ended` after it when the peer was the room's last. */
export function left(room: string, entry: string, peer: PeerInfo, reason: LeaveReason, at: number, last: boolean): RoomEvent[] {
  const events: RoomEvent[] = [{ id: `${room}/${entry}`, event: WebhookEvent.PeerLeft, room, peer, reason, at }];
  if (last) events.push({ id: `${room}/${entry}/ended`, event: WebhookEvent.RoomEnded, room, peer: null, reason: null, at });
  return events;
}
