import type { SignalEvent } from '../events';
import { refusal } from '../errors';
import { ErrorCode, MAX_POLL_WAIT_MS, PresenceMode, SignalKind } from '../protocol';
import { peerKey } from '../presence/presence';
import { brokered } from './broker-call';
import { builder } from './builder';
import { requireIdentity, type GatewayContext } from './context';
import { validateCursor } from './signaling';
import { PresenceModeRef, SignalRef } from './signals';

/** Without waitMs a poll holds this long: under common proxy idle timeouts (30–60 s). */
export const DEFAULT_POLL_WAIT_MS = 20_000;
/** Events returned by one poll at most; the rest come with the next poll, from the returned cursor. */
export const MAX_POLL_BATCH_EVENTS = 256;

interface SignalBatch {
  events: SignalEvent[];
  cursor: string;
}

const SignalBatchRef = builder.objectRef<SignalBatch>('SignalBatch').implement({
  description: 'Events for one long poll, and the cursor to pass as after in the next poll.',
  fields: (t) => ({
    events: t.expose('events', { type: [SignalRef] }),
    cursor: t.exposeID('cursor'),
  }),
});

function validateWait(waitMs: number | null | undefined): number {
  if (waitMs === null || waitMs === undefined) return DEFAULT_POLL_WAIT_MS;
  if (!Number.isInteger(waitMs) || waitMs < 0 || waitMs > MAX_POLL_WAIT_MS) {
    throw refusal(ErrorCode.BadUserInput, `waitMs must be 0–${MAX_POLL_WAIT_MS}`, { field: 'waitMs' });
  }
  return waitMs;
}

/**
 * One long poll: the peer counts as connected while it polls (and for the grace between polls).
 * Returns at once with what is retained after the cursor, else waits up to `waitMs` for live events.
 * The Welcome is part of the batch when there is no cursor or it could not be resumed.
 */
async function poll(ctx: GatewayContext, after: string | null, waitMs: number, presence: PresenceMode): Promise<SignalBatch> {
  const identity = requireIdentity(ctx);
  const self = { id: identity.peerId, name: identity.name, room: identity.room, session: identity.session };
  // One pending poll per peer: taking the slot ends the peer's older poll, whose wait is cut below.
  const hold = ctx.core.polls.hold(peerKey(identity.room, identity.peerId));
  try {
    const detach = await brokered(ctx.core.presence.attach(self));
    try {
      const feed = await brokered(ctx.core.broker.open(self, after, presence));
      const cut = (): void => void feed.return();
      hold.signal.addEventListener('abort', cut, { once: true });
      try {
        // The feed can end before its Welcome too (removed, superseded): the same codes as under the wait.
        const first = await brokered(feed.next());
        if (first.done) return { events: [], cursor: after ?? '' };
        const welcome = first.value;
        const events: SignalEvent[] = [];
        if (welcome.kind !== SignalKind.Welcome || after === null || !welcome.resumed) events.push(welcome);
        events.push(...feed.drainQueued(MAX_POLL_BATCH_EVENTS - events.length));
        if (events.length === 0 && waitMs > 0 && !hold.signal.aborted) {
          // A feed ended under the wait (the backend removed the peer, a newer session took its id) answers with its code.
          const live = await brokered(feed.nextWithin(waitMs));
          if (live) events.push(live, ...feed.drainQueued(MAX_POLL_BATCH_EVENTS - 1));
        }
        return { events, cursor: events[events.length - 1]?.cursor ?? welcome.cursor };
      } finally {
        hold.signal.removeEventListener('abort', cut);
        await feed.return();
      }
    } finally {
      detach();
    }
  } finally {
    hold.release();
  }
}

builder.queryField('pollSignals', (t) =>
  t.field({
    type: SignalBatchRef,
    description:
      'Long polling for networks where neither WebSocket nor SSE survive: returns at once when events after `after` exist, ' +
      `else holds up to waitMs (≤ ${MAX_POLL_WAIT_MS}). Without after, the first batch starts with Welcome. presence: BATCHED as on signals. A polling peer counts as connected. ` +
      'A peer holds one pending poll: a newer poll ends the older one at once with an empty batch and its cursor.',
    args: {
      after: t.arg.id(),
      waitMs: t.arg.int(),
      presence: t.arg({ type: PresenceModeRef, defaultValue: PresenceMode.Each }),
    },
    resolve: (_root, args, ctx) => poll(ctx, validateCursor(args.after), validateWait(args.waitMs), args.presence ?? PresenceMode.Each),
  }),
);
