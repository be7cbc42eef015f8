import type { PresenceBatchSignal, SignalEvent } from '../events';
import { MAX_PRESENCE_BATCH_ENTRIES, PRESENCE_BATCH_WINDOW_MS, PRESENCE_EACH_WINDOW_MS, PresenceMode, SignalKind } from '../protocol';

/** A presence event as a broker stamped it for one subscriber. */
export type PresenceEvent = Extract<SignalEvent, { kind: typeof SignalKind.PeerConnected | typeof SignalKind.PeerDisconnected }>;

export function isPresence(event: SignalEvent): event is PresenceEvent {
  return event.kind === SignalKind.PeerConnected || event.kind === SignalKind.PeerDisconnected;
}

/** A subscriber whose presence events wait for the end of the window. */
export interface Windowed {
  flushPresence(): void;
}

/**
 * Subscribers flushed in one turn of the event loop at most; the rest wait for the next turn
 * (setImmediate), after the I/O that came in meanwhile. A flush hands a batch to the transport,
 * which executes, serialises and writes it in the same turn: flushing a room's 1,000 members in one
 * go held every direct signal that arrived meanwhile for the whole of it (probe p99 over a second in
 * a 2,000-peer storm). Direct signals never wait for a window; this keeps them from waiting for a
 * window's flush of everyone else too.
 */
export const MAX_FLUSHES_PER_TURN = 32;

/**
 * When the presence events a subscriber has pending are handed on: in a join storm every join is one
 * event for every member, and joins arrive about one per turn of the event loop. Handed on one by one,
 * or even once per turn, nearly every event was a socket write of its own (measured at 1,000 peers:
 * 410k writes for 500k events, a third of the gateway's CPU in writev); held for
 * {@link PRESENCE_EACH_WINDOW_MS}, a member's events of that window leave in one write (46–51k writes,
 * gateway CPU-s −15–25 %, generator CPU-s −50 %). `EACH` subscribers are flushed once per
 * {@link PRESENCE_EACH_WINDOW_MS}, `BATCHED` ones once per {@link PRESENCE_BATCH_WINDOW_MS}; one timer
 * serves all subscribers of a mode, and a window's flushes are spread over turns of
 * {@link MAX_FLUSHES_PER_TURN}. A direct signal never waits: it hands the pending events on first.
 */
class WindowClock {
  private readonly due = new Set<Windowed>();
  private armed = false;

  constructor(private readonly arm: (fire: () => void) => void) {}

  schedule(subscriber: Windowed): void {
    this.due.add(subscriber);
    if (this.armed) return;
    this.armed = true;
    this.arm(() => {
      this.armed = false;
      const due = [...this.due];
      this.due.clear();
      flushInTurns(due, 0);
    });
  }
}

function flushInTurns(due: Windowed[], from: number): void {
  const end = Math.min(due.length, from + MAX_FLUSHES_PER_TURN);
  for (let i = from; i < end; i++) due[i]?.flushPresence();
  if (end < due.length) setImmediate(() => flushInTurns(due, end));
}

const clocks: Record<PresenceMode, WindowClock> = {
  [PresenceMode.Each]: new WindowClock((fire) => setTimeout(fire, PRESENCE_EACH_WINDOW_MS).unref()),
  [PresenceMode.Batched]: new WindowClock((fire) => setTimeout(fire, PRESENCE_BATCH_WINDOW_MS).unref()),
};

export function scheduleFlush(mode: PresenceMode, subscriber: Windowed): void {
  clocks[mode].schedule(subscriber);
}

/**
 * Groups a subscriber's pending presence events, in order, into PresenceBatch events of at most
 * {@link MAX_PRESENCE_BATCH_ENTRIES} entries. A client applies a batch's joins, then its leaves; so a
 * join of a peer whose leave is already in the batch starts the next batch (leave, then rejoin, must
 * not read as "gone"). A batch's cursor and time are its last entry's: resuming from it replays
 * exactly the entries after the batch.
 */
export function batchPresence(events: PresenceEvent[]): Array<SignalEvent & PresenceBatchSignal> {
  const batches: Array<SignalEvent & PresenceBatchSignal> = [];
  let current: (SignalEvent & PresenceBatchSignal) | null = null;
  let leftIds = new Set<string>();
  for (const event of events) {
    const full = current !== null && current.joined.length + current.left.length >= MAX_PRESENCE_BATCH_ENTRIES;
    const rejoin = current !== null && event.kind === SignalKind.PeerConnected && leftIds.has(event.peer.id);
    if (current === null || full || rejoin) {
      current = { kind: SignalKind.PresenceBatch, joined: [], left: [], cursor: event.cursor, at: event.at };
      leftIds = new Set();
      batches.push(current);
    }
    if (event.kind === SignalKind.PeerConnected) current.joined.push(event.peer);
    else {
      current.left.push({ peer: event.peer, reason: event.reason });
      leftIds.add(event.peer.id);
    }
    current.cursor = event.cursor;
    current.at = event.at;
  }
  return batches;
}
