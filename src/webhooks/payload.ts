import { createHmac } from 'node:crypto';
import type { RoomEvent } from '../events';

/** The header that carries a webhook body's signature: `sha256=<hex HMAC-SHA256 of the body with WEBHOOK_SECRET>`. */
export const SIGNATURE_HEADER = 'x-switchboard-signature';

/** The JSON a receiver gets: `{ id, event, room, peer, reason?, at }`, `at` in ISO-8601 UTC. */
export function webhookBody(event: RoomEvent): string {
  return JSON.stringify({
    id: event.id,
    event: event.event,
    room: event.room,
    peer: event.peer,
    ...(event.reason === null ? {} : { reason: event.reason }),
    at: new Date(event.at).toISOString(),
  });
}

/** The signature header's value for `body`: what a receiver recomputes (in constant time) to trust it. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
