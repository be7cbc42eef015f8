import type { Signal } from '../client/types';
import { PresenceMode } from '../src/protocol';
import { createSession, wsPeer, type WsPeer } from './helpers/clients';
import { gatewaySuite, sharedRedisSuite } from './helpers/suite';

/** A room of this many peers opening `signals` at once: every one must learn of every other exactly once. */
const PEERS = 200;
/** Peers whose socket is cut in the middle of the storm, each after it heard of this many joins. */
const CUT_PEERS = 8;
const CUT_AFTER_JOINS = 20;
const STORM_TIMEOUT_MS = 90_000;
/** A storm takes seconds alone; the bound is for a loaded machine running the whole suite. */
const TEST_TIMEOUT_MS = 120_000;

interface Endpoint {
  httpUrl: string;
  wsUrl: string;
}

/** What one peer heard: the roster of its first Welcome, then every join and leave, over all its connections. */
class Hearing {
  readonly joins: string[] = [];
  readonly leaves: string[] = [];
  welcomed: string[] = [];
  cursor = '';
  kinds = new Set<string>();
  resumedWelcomes: boolean[] = [];
  /** Bumped when the socket is cut: what the dead connection still hands over is not heard (as a client drops a dead link's events). */
  connection = 0;
  /** Joins heard when the socket was cut: the resumed connection must bring the rest (the cut was mid-storm). */
  joinsAtCut: number | null = null;
  private done: () => void = () => undefined;
  readonly complete = new Promise<void>((resolve) => (this.done = resolve));

  constructor(
    readonly id: string,
    private readonly others: number,
  ) {}

  hear(signal: Signal, first: boolean): void {
    this.cursor = signal.cursor;
    this.kinds.add(signal.__typename);
    if (signal.__typename === 'Welcome') {
      if (first) this.welcomed = signal.peers.map((p) => p.id);
      else this.resumedWelcomes.push(signal.resumed);
    } else if (signal.__typename === 'PeerConnected') this.joins.push(signal.peer.id);
    else if (signal.__typename === 'PeerDisconnected') this.leaves.push(signal.peer.id);
    else if (signal.__typename === 'PresenceBatch') {
      this.joins.push(...signal.joined.map((p) => p.id));
      this.leaves.push(...signal.left.map((d) => d.peer.id));
    }
    if (new Set([...this.welcomed, ...this.joins]).size >= this.others) this.done();
  }

  get learned(): string[] {
    return [...this.welcomed, ...this.joins];
  }
}

/** Runs the storm: the cut peers first (so they hear the others join), then everyone else in two waves at once. */
async function storm(endpoints: Endpoint[], room: string, mode: PresenceMode, sockets: WsPeer[]): Promise<Hearing[]> {
  const ids = Array.from({ length: PEERS }, (_, i) => `p${i}`);
  const endpointOf = (i: number): Endpoint => endpoints[i % endpoints.length] ?? endpoints[0]!;
  const tokens = await Promise.all(ids.map((id, i) => createSession(endpointOf(i).httpUrl, room, id).then((s) => s.token)));
  const hearings = ids.map((id) => new Hearing(id, PEERS - 1));
  const open = (i: number, after?: string): ReturnType<WsPeer['signals']> => {
    const peer = wsPeer(endpointOf(i).wsUrl, tokens[i]);
    sockets.push(peer);
    const subscription = peer.signals(after, mode);
    const hearing = hearings[i]!;
    const connection = hearing.connection;
    subscription.events.listen((signal) => {
      if (hearing.connection === connection) hearing.hear(signal, after === undefined);
    });
    return subscription;
  };
  const cutPeers = Array.from({ length: CUT_PEERS }, (_, i) => i);
  const firstSubscriptions = cutPeers.map((i) => ({ i, subscription: open(i), socket: sockets[sockets.length - 1]! }));
  await Promise.all(cutPeers.map((i) => waitFor(() => hearings[i]!.kinds.has('Welcome'), `p${i} welcomed`)));
  // Each cut peer loses its socket once it has heard of some joins, and resumes from its last cursor.
  const cuts = firstSubscriptions.map(async ({ i, socket }) => {
    await waitFor(() => hearings[i]!.joins.length >= CUT_AFTER_JOINS, `p${i} heard ${CUT_AFTER_JOINS} joins`);
    const cursor = hearings[i]!.cursor;
    hearings[i]!.connection += 1;
    hearings[i]!.joinsAtCut = hearings[i]!.joins.length;
    socket.socket().terminate();
    await socket.closes.next();
    open(i, cursor);
  });
  // Two waves, the cuts between them: however large a batch, the second wave's joins come after every
  // cut, so each cut peer must resume (replay, then live) to learn of everyone.
  const secondWave = Math.floor((CUT_PEERS + PEERS) / 2);
  for (let i = CUT_PEERS; i < secondWave; i += 1) open(i);
  await Promise.all(cuts);
  for (let i = secondWave; i < PEERS; i += 1) open(i);
  await Promise.race([
    Promise.all(hearings.map((h) => h.complete)),
    new Promise((_, reject) =>
      setTimeout(() => {
        const behind = hearings.filter((h) => new Set(h.learned).size < PEERS - 1).map((h) => `${h.id}: ${new Set(h.learned).size}`);
        reject(new Error(`not every peer learned of every other within ${STORM_TIMEOUT_MS} ms: ${behind.slice(0, 10).join(', ')}`));
      }, STORM_TIMEOUT_MS).unref(),
    ),
  ]);
  return hearings;
}

/** Waits for a condition on what the listeners heard (checked on every turn, bounded). */
async function waitFor(condition: () => boolean, what: string, timeoutMs = STORM_TIMEOUT_MS): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

function expectEveryoneOnce(hearings: Hearing[], mode: PresenceMode): void {
  for (const hearing of hearings) {
    const others = Array.from({ length: PEERS }, (_, i) => `p${i}`).filter((id) => id !== hearing.id);
    expect({ id: hearing.id, learned: [...hearing.learned].sort() }).toEqual({ id: hearing.id, learned: others.sort() });
    expect(hearing.leaves).toEqual([]);
    expect(hearing.kinds.has(mode === PresenceMode.Batched ? 'PeerConnected' : 'PresenceBatch')).toBe(false);
  }
  for (const hearing of hearings.slice(0, CUT_PEERS)) {
    expect({ id: hearing.id, resumed: hearing.resumedWelcomes }).toEqual({ id: hearing.id, resumed: [true] });
    expect(hearing.joins.length).toBeGreaterThan(hearing.joinsAtCut ?? Infinity);
  }
}

const MODES = [PresenceMode.Each, PresenceMode.Batched];

describe('a room of 200 peers joining at once', () => {
  const sockets: WsPeer[] = [];
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
  });

  const env = { MAX_CONNECTIONS_PER_IP: '0', GRACE_MS: '60000' };

  describe('on one instance (memory broker)', () => {
    const { gw } = gatewaySuite(env);

    it.each(MODES)('tells every peer of every other exactly once with %s presence, across a socket cut and resume mid-storm', async (mode) => {
      expectEveryoneOnce(await storm([gw()], `storm-memory-${mode}`, mode, sockets), mode);
    }, TEST_TIMEOUT_MS);
  });

  describe('on two instances sharing Redis', () => {
    const gateways = sharedRedisSuite(2, env);

    it.each(MODES)('tells every peer of every other exactly once with %s presence, across a socket cut and resume mid-storm', async (mode) => {
      expectEveryoneOnce(await storm(gateways(), `storm-redis-${mode}`, mode, sockets), mode);
    }, TEST_TIMEOUT_MS);
  });
});
