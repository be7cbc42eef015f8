/**
 * The one connection state of the SDK and the only moves between states. The main line is
 * `disconnected → connecting → connected → signaling → ice-gathering → p2p-connected → disconnected`;
 * `reconnecting` and `failed` branch off it. The table is typed, so `tsc` rejects a call that names an
 * illegal move, and the machine checks every move again at run time.
 */

/**
 * - `disconnected`: no connection to the gateway (initial, and after `close()`).
 * - `connecting`: opening the first connection to the gateway.
 * - `connected`: the gateway's `Welcome` arrived; signals can be sent and received.
 * - `signaling`: an offer/answer exchange with the remote peer is under way.
 * - `ice-gathering`: descriptions are agreed; ICE gathers candidates and checks pairs.
 * - `p2p-connected`: the peer-to-peer connection is up (media and data flow without the gateway).
 * - `reconnecting`: the connection to the gateway dropped; the SDK reconnects and resumes by itself.
 * - `failed`: the SDK gave up (reconnects or ICE restarts exhausted, token refused, replaced).
 */
export type ConnectionState =
  | 'disconnected'
  | 'connecting'
  | 'connected'
  | 'signaling'
  | 'ice-gathering'
  | 'p2p-connected'
  | 'reconnecting'
  | 'failed';

/** Every legal move: `CONNECTION_TRANSITIONS[from]` lists the states `from` may move to. */
export const CONNECTION_TRANSITIONS = {
  disconnected: ['connecting'],
  connecting: ['connected', 'reconnecting', 'failed', 'disconnected'],
  connected: ['signaling', 'reconnecting', 'failed', 'disconnected'],
  signaling: ['ice-gathering', 'reconnecting', 'failed', 'disconnected'],
  'ice-gathering': ['p2p-connected', 'signaling', 'reconnecting', 'failed', 'disconnected'],
  // A broken peer link is renegotiated (ICE restart), or waits for the gateway to come back.
  'p2p-connected': ['signaling', 'reconnecting', 'failed', 'disconnected'],
  reconnecting: ['connected', 'failed', 'disconnected'],
  failed: ['connecting', 'disconnected'],
} as const satisfies { readonly [S in ConnectionState]: readonly ConnectionState[] };

/** The states `From` may move to. */
export type NextState<From extends ConnectionState> = (typeof CONNECTION_TRANSITIONS)[From][number];

type IntersectAll<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;

/**
 * The states every member of `From` may move to: when the current state is only known to be one of
 * several, only a move legal from all of them type-checks.
 */
export type AllowedFrom<From extends ConnectionState> = NextOfAll<IntersectAll<From extends ConnectionState ? { next: NextState<From> } : never>>;

type NextOfAll<T> = T extends { next: infer N } ? N & ConnectionState : never;

/** One legal move, as a value. */
export type Transition = { [From in ConnectionState]: { readonly from: From; readonly to: NextState<From> } }[ConnectionState];

/** A state change, as the `state` events report it. */
export interface StateChange<S extends ConnectionState = ConnectionState> {
  readonly state: S;
  readonly previous: S;
}

/** Thrown when a move outside {@link CONNECTION_TRANSITIONS} is attempted (only reachable by going around the types). */
export class InvalidTransitionError extends Error {
  override readonly name = 'InvalidTransitionError';
  /** @param from - the state the move started from @param to - the state it asked for */
  constructor(
    readonly from: ConnectionState,
    readonly to: ConnectionState,
  ) {
    super(`invalid connection state transition ${from} → ${to}`);
  }
}

/** True when `from → to` is in {@link CONNECTION_TRANSITIONS}. */
export function isLegalTransition(from: ConnectionState, to: ConnectionState): boolean {
  const next: readonly ConnectionState[] = CONNECTION_TRANSITIONS[from];
  return next.includes(to);
}

/** The legal moves out of `from`, as values. */
export function transitionsFrom(from: ConnectionState): Transition[] {
  const next: readonly ConnectionState[] = CONNECTION_TRANSITIONS[from];
  return next.map((to) => asTransition(from, to));
}

/** Checks one move at run time and returns it as a {@link Transition}; throws {@link InvalidTransitionError}. */
export function asTransition(from: ConnectionState, to: ConnectionState): Transition {
  if (!isLegalTransition(from, to)) throw new InvalidTransitionError(from, to);
  return { from, to } as Transition;
}

/**
 * The shortest chain of legal moves from `from` to `to` (empty when they are equal, null when `to` cannot
 * be reached). Lets a holder of the machine walk to a state it derived, emitting every state on the way.
 */
export function pathBetween(from: ConnectionState, to: ConnectionState): Transition[] | null {
  if (from === to) return [];
  const previous = new Map<ConnectionState, Transition>();
  const queue: ConnectionState[] = [from];
  for (let state = queue.shift(); state !== undefined; state = queue.shift()) {
    for (const move of transitionsFrom(state)) {
      if (move.to === from || previous.has(move.to)) continue;
      previous.set(move.to, move);
      if (move.to === to) {
        const path: Transition[] = [];
        for (let step = previous.get(to); step; step = step.from === from ? undefined : previous.get(step.from)) path.unshift(step);
        return path;
      }
      queue.push(move.to);
    }
  }
  return null;
}

/**
 * Holds one {@link ConnectionState} and its history; moves only along {@link CONNECTION_TRANSITIONS}.
 * `onChange` runs after each move.
 */
export class ConnectionStateMachine {
  private current: ConnectionState;
  private readonly visited: ConnectionState[];

  /**
   * @param initial - the state to start in
   * @param onChange - called after every move, with the new and the previous state
   */
  constructor(
    initial: ConnectionState,
    private readonly onChange: (change: StateChange) => void = () => undefined,
  ) {
    this.current = initial;
    this.visited = [initial];
  }

  /** The current state. */
  get state(): ConnectionState {
    return this.current;
  }

  /** Every state this machine was in, in order, starting with the initial one. */
  get history(): readonly ConnectionState[] {
    return this.visited;
  }

  /**
   * Moves `from → to` if the machine is in `from` now; returns false (and changes nothing) if it is not,
   * so a stale caller cannot move a machine that moved on. `to` must be legal from `from`: `tsc`
   * rejects an illegal pair, and the run-time guard throws {@link InvalidTransitionError}.
   */
  transition<From extends ConnectionState>(from: From, to: AllowedFrom<From>): boolean {
    return this.apply(asTransition(from, to));
  }

  /** Applies one move obtained from {@link asTransition}, {@link transitionsFrom} or {@link pathBetween}. */
  apply(move: Transition): boolean {
    if (this.current !== move.from) return false;
    if (!isLegalTransition(move.from, move.to)) throw new InvalidTransitionError(move.from, move.to);
    this.current = move.to;
    this.visited.push(move.to);
    this.onChange({ state: move.to, previous: move.from });
    return true;
  }

  /**
   * Walks the shortest legal path to `to`, one move at a time (each reported to `onChange`).
   * @returns false when `to` cannot be reached from the current state
   */
  walkTo(to: ConnectionState): boolean {
    const path = pathBetween(this.current, to);
    if (!path) return false;
    for (const move of path) if (!this.apply(move)) return false;
    return true;
  }
}
