import { randomBytes } from 'node:crypto';
import type { DocumentNode, ExecutionArgs } from 'graphql';
import type { ExecutionResult } from 'graphql-ws';
import { compiledEventSelection } from '../api/compiled-execution';
import type { Feed } from '../broker/feed';
import { isPresence, type PresenceEvent } from '../broker/presence-window';
import type { PeerInfo } from '../events';
import type { FrameSlots } from './shared-frames';

/**
 * A cursor no real one equals (random per process): a presence event is rendered once with it, and each
 * subscriber's text is that rendering with its own cursor in its place.
 */
const CURSOR_STAND_IN = `cursor-${randomBytes(12).toString('hex')}`;
const QUOTED_STAND_IN = JSON.stringify(CURSOR_STAND_IN);
/** Cursors both brokers issue need no JSON escaping; any other is quoted by JSON.stringify. */
const PLAIN_CURSOR = /^[\w.~-]*$/;
/** Presence events handed to graphql-ws as one stand-in at most (each still its own `next` message). */
const MAX_EVENTS_PER_STAND_IN = 64;
/** Renderings kept per peer object (its joins and leaves still being delivered); older ones are dropped. */
const MAX_RENDERINGS_PER_PEER = 4;

type EventSelection = NonNullable<ReturnType<typeof compiledEventSelection>>;

interface Rendering {
  kind: PresenceEvent['kind'];
  at: number;
  reason: string | null;
  /** The payload's JSON split where the cursor goes; null when it cannot be shared (errors, a promise). */
  parts: string[] | null;
}

/**
 * One selection (document, operation, variables) of the subscribers of a gateway, and its presence
 * events rendered once for all of them. In a room of n peers each join is an event for n − 1
 * subscribers that differ only in the cursor: executing and serialising it once per selection instead
 * of once per subscriber is what makes a join storm's n² events cheap (measured: docs/scaling.md,
 * "EACH at 1,000 peers").
 * Keyed by the event's peer object, which a broker shares between the events of one fan-out; an event
 * decoded apart (another object) is only rendered again.
 */
class Selection {
  private readonly byPeer = new WeakMap<PeerInfo, Rendering[]>();
  users = 0;

  constructor(
    private readonly run: EventSelection,
    private readonly variables: ExecutionArgs['variableValues'],
  ) {}

  /** The event's payload as JSON, for a subscriber with this context; null when it must be executed for it alone. */
  payload(event: PresenceEvent, context: unknown): string | null {
    const reason = event.kind === 'PeerDisconnected' ? event.reason : null;
    let renderings = this.byPeer.get(event.peer);
    if (!renderings) this.byPeer.set(event.peer, (renderings = []));
    let rendering = renderings.find((r) => r.kind === event.kind && r.at === event.at && r.reason === reason);
    if (!rendering) {
      rendering = { kind: event.kind, at: event.at, reason, parts: this.render(event, context) };
      if (renderings.length >= MAX_RENDERINGS_PER_PEER) renderings.shift();
      renderings.push(rendering);
    }
    const { parts } = rendering;
    if (parts === null) return null;
    if (parts.length === 1) return parts[0] ?? null;
    return parts.join(PLAIN_CURSOR.test(event.cursor) ? `"${event.cursor}"` : JSON.stringify(event.cursor));
  }

  /**
   * Runs the compiled selection on the event with the stand-in cursor. Only a result without errors is
   * shared: the envelop plugins of the gateway (masking, codes, metrics) act on errors alone, so they
   * would have passed it on unchanged; an event with errors takes the whole pipeline.
   */
  private render(event: PresenceEvent, context: unknown): string[] | null {
    const result = this.run({ ...event, cursor: CURSOR_STAND_IN }, context, this.variables ?? {});
    if (result instanceof Promise || result.errors !== undefined) return null;
    return JSON.stringify(result).split(QUOTED_STAND_IN);
  }
}

/** Selections by document, then operation name and variables; each lives while a subscriber uses it. */
const selections = new WeakMap<DocumentNode, Map<string, Selection>>();

function acquire(args: ExecutionArgs): { selection: Selection; release(): void } | null {
  const run = compiledEventSelection(args);
  if (!run) return null;
  let byKey = selections.get(args.document);
  if (!byKey) selections.set(args.document, (byKey = new Map()));
  const key = `${args.operationName ?? ''}\n${JSON.stringify(args.variableValues ?? {})}`;
  let selection = byKey.get(key);
  if (!selection) byKey.set(key, (selection = new Selection(run, args.variableValues)));
  selection.users++;
  const owner = byKey;
  const taken = selection;
  return {
    selection,
    release: () => {
      if (--taken.users === 0) owner.delete(key);
    },
  };
}

/**
 * A subscription's results as graphql-ws iterates them: the events of its feed in order, the presence
 * events that render without errors as a stand-in for their shared texts (FrameSlots), every other event
 * — the Welcome, direct signals, an error, the end — from yoga's enveloped stream, which takes it from
 * the same feed. It only looks at the feed's next event (`peek`) to choose; whichever path takes it, the
 * feed gives each event once, in order.
 */
class SharedPresenceStream implements AsyncIterableIterator<ExecutionResult> {
  private returned = false;

  constructor(
    private readonly enveloped: AsyncIterator<ExecutionResult>,
    private readonly feed: Feed,
    private readonly selection: Selection,
    private readonly context: unknown,
    private readonly frames: FrameSlots,
  ) {}

  /** Not async: an event that is not shared goes on as the enveloped stream's own promise, without one more turn. */
  next(): Promise<IteratorResult<ExecutionResult>> {
    if (this.returned) return this.enveloped.next();
    const head = this.feed.peek();
    if (head === undefined) return this.feed.isClosed ? this.enveloped.next() : this.afterReady();
    if (!isPresence(head)) return this.enveloped.next();
    const payloads = this.takeShared();
    return payloads.length > 0 ? Promise.resolve({ value: this.frames.standIn(payloads), done: false }) : this.enveloped.next();
  }

  private async afterReady(): Promise<IteratorResult<ExecutionResult>> {
    await this.feed.ready();
    return this.next();
  }

  /** The texts of the presence events at the head of the feed, taken, up to the next event that is not shared. */
  private takeShared(): string[] {
    const payloads: string[] = [];
    while (payloads.length < MAX_EVENTS_PER_STAND_IN) {
      const head = this.feed.peek();
      if (head === undefined || !isPresence(head)) break;
      const payload = this.selection.payload(head, this.context);
      if (payload === null) break;
      this.feed.skip();
      payloads.push(payload);
    }
    return payloads;
  }

  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.feed.end();
    return (await this.enveloped.return?.()) ?? { value: undefined, done: true };
  }

  async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
    this.returned = true;
    this.feed.end();
    if (this.enveloped.throw) return this.enveloped.throw(error);
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }
}

/**
 * Delivers the presence events of `feed` rendered once per selection when the operation's selection is
 * compiled; otherwise the enveloped stream as it is.
 */
export function sharePresence(
  enveloped: AsyncIterable<ExecutionResult>,
  feed: Feed,
  args: ExecutionArgs,
  frames: FrameSlots,
): AsyncIterable<ExecutionResult> {
  const held = acquire(args);
  if (!held) return enveloped;
  feed.onClose(held.release);
  return new SharedPresenceStream(enveloped[Symbol.asyncIterator](), feed, held.selection, args.contextValue, frames);
}
