import { randomBytes } from 'node:crypto';
import { Cluster, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { RedisTarget } from '../config';
import { type BroadcastMessage, type DirectSignal, type PeerAddress, type PeerInfo, type PeerSession, type PresenceSignal, type RoomEvent, type RoomSignal, type SignalEvent, subjectOf } from '../events';
import { InstanceLeases } from './instance-leases';
import { LeaveReason, PresenceMode, SignalKind } from '../protocol';
import { type Broker, BrokerUnavailableError, type LeaveScope, PeerRemovedError, RoomFullError, type RoomRoster, type SendOptions, type SendResult, type SessionPeer, SessionSupersededError } from './broker';
import { Feed, type FeedLimits } from './feed';
import { RedisChannels } from './redis-channels';
import * as roomEvents from './room-events';
import { createRedisClients, type RedisClient, watchShards } from './redis-clients';
import { indexMember, keys } from './redis-keys';
import * as scripts from './redis-scripts';
import type { OpenReply, StreamEntry } from './redis-scripts';
import { parseRoster, type RosterEntry, RosterMemo } from './redis-roster';
import { SharedRuns } from './shared-runs';

export interface RedisBrokerOptions {
  target: RedisTarget;
  mailboxEvents: number;
  roomLogEvents: number;
  retentionMs: number;
  feedLimits: FeedLimits;
  /** Peers one roster may hold; 0: unlimited. */
  maxPeersPerRoom?: number;
  log: Logger;
  /** How long an instance's lease lives without renewal; its peers are announced gone after that. */
  leaseMs?: number;
  /** Replicas each append waits for (WAIT) before it is acknowledged; 0 (default): none. */
  waitReplicas?: number;
  /** Called for every failed Redis operation (metrics). */
  onError?: () => void;
}

/** Bound on any one Redis command; past it the operation answers UNAVAILABLE. */
const COMMAND_TIMEOUT_MS = 2_000;
/**
 * A write that Redis gets to run later than this after the gateway sent it does nothing (the scripts
 * compare against Redis's clock): by then the gateway is about to answer UNAVAILABLE, which promises
 * nothing was stored. The margin under the command timeout absorbs the error in the clock offset.
 */
const WRITE_DEADLINE_MS = 1_500;
const CONNECT_TIMEOUT_MS = 2_000;
/** How long an append waits for its replicas (REDIS_WAIT_REPLICAS), inside the command timeout. */
const WAIT_REPLICAS_TIMEOUT_MS = 1_000;
/** Reconnect backoff cap: Redis coming back is noticed within this. */
const MAX_RECONNECT_DELAY_MS = 500;
const DEFAULT_LEASE_MS = 8_000;
/** A subscriber's catch-up after a reconnect is retried this often while Redis is unavailable… */
const CATCH_UP_RETRY_MS = 250;
/** …this many times (about 10 s) before the subscription is ended instead. */
const CATCH_UP_RETRIES = 40;
/**
 * Subscribers of one room opened (or caught up) by one OPEN script run at most: the run reads the
 * roster once for all of them, and its reply is that roster plus each one's replay, so this bounds
 * both the script's time in Redis and the reply.
 */
const MAX_OPENS_PER_RUN = 100;
/**
 * Subscribers of one run whose Welcome (the whole roster, executed and written in the same turn)
 * is handed on per turn of the event loop: a run's hundred Welcomes of a 2,000-peer room in one
 * turn would hold the direct signals that arrived meanwhile.
 */
const OPENS_SETTLED_PER_TURN = 10;
/**
 * OPEN runs of one room start at least this far apart: a storm's joiners arrive over seconds, and
 * without a gap nearly every run held one or two of them (1,500 roster reads for 2,000 joiners). A
 * subscriber opening in a quiet room waits for nothing; in a busy one, for at most this.
 */
const OPEN_RUN_SPACING_MS = 25;
/** Keys looked at per SCAN step when the backend lists rooms. */
const ROSTER_SCAN_COUNT = 1_000;
/** A roster key is ROSTER_PREFIX + room + ROSTER_SUFFIX (room ids hold no glob characters). */
const ROSTER_PREFIX = keys.roster('').slice(0, keys.roster('').indexOf('}'));
const ROSTER_SUFFIX = keys.roster('').slice(ROSTER_PREFIX.length);
/** Char codes of `-` and `0`. */
const DASH = 45;
const ZERO = 48;
/** The number of the digits of `id` from `from` up to its dash or end (stream ids and cursors hold only digits and one dash). */
function digitsAt(id: string, from: number): number {
  let n = 0;
  for (let i = from; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c === DASH) break;
    n = n * 10 + (c - ZERO);
  }
  return n;
}

/** A stream entry id, `<ms>-<seq>`, compared numerically. */
function compareIds(a: string, b: string): number {
  if (a === b) return 0;
  // Called per event and subscriber (a join storm: n² times), so without allocating: no slices, no numbers parsed from substrings.
  const am = digitsAt(a, 0);
  const bm = digitsAt(b, 0);
  if (am !== bm) return am - bm;
  return digitsAt(a, a.indexOf('-') + 1) - digitsAt(b, b.indexOf('-') + 1);
}

/**
 * The ms part of a stream id. Every member of a room on this instance stamps the same entry in a
 * row, so the last answer is kept: one parse per entry, not one per member.
 */
let lastMsId = '';
let lastMs = 0;
function msOf(id: string): number {
  if (id !== lastMsId) {
    lastMs = digitsAt(id, 0);
    lastMsId = id;
  }
  return lastMs;
}

/** `<mailbox epoch>~<mailbox id>_<log epoch>~<log id>`: a position means nothing without its stream's epoch. */
const CURSOR_PATTERN = /^([0-9a-z.]{1,24})~(\d{1,20}-\d{1,20})_([0-9a-z.]{1,24})~(\d{1,20}-\d{1,20})$/;

/**
 * What the broker publishes: a stream entry for live subscribers (with its stream's epoch `p`, and for
 * a mailbox entry the session `u` that owns the mailbox and, with tracing on, the accepting span's
 * traceparent `t`), or "this peer now lives elsewhere".
 */
type Published =
  | { i: string; q: number; s: 'm' | 'r'; p: string; u?: string; t?: string | undefined; e: DirectSignal | RoomSignal }
  | { k: 'moved'; o: string }
  | { k: 'session'; u: string }
  | { k: 'removed' };
type StreamMessage = Extract<Published, { i: string }>;

/** Opening for a client's cursor, or catching a live subscriber up after a reconnect (see OPEN). */
type OpenMode = 'open' | 'heal';

/** A stream position to open from (a client's cursor, or a live subscriber's own). */
interface StreamPositions {
  mailboxEpoch: string;
  mailboxPos: string;
  logEpoch: string;
  logPos: string;
}

/** One live subscriber on this instance: its feed, its position in both streams, and its pub/sub handles. */
class RedisSubscriber {
  mailboxEpoch = '';
  mailboxPos = '0-0';
  logEpoch = '';
  logPos = '0-0';
  /** Epochs this subscriber moved on from (the stream was recreated); their stragglers are stale. */
  private readonly retired = new Set<string>();
  /** While a snapshot is being read, live messages wait here and are deduplicated against it after. */
  buffer: Published[] | null = [];
  /** Ends this subscriber's pub/sub handlers. */
  readonly releases: Array<() => void> = [];

  constructor(
    readonly self: SessionPeer,
    readonly feed: Feed,
  ) {}

  /** The cursor up to the log position, and what it was made of: presence moves only the log position, once per entry and member. */
  private cursorHead = '';
  private cursorHeadOf: [mailboxEpoch: string, mailboxPos: string, logEpoch: string] = ['', '', ''];

  get cursor(): string {
    const of = this.cursorHeadOf;
    if (of[0] !== this.mailboxEpoch || of[1] !== this.mailboxPos || of[2] !== this.logEpoch || this.cursorHead === '') {
      this.cursorHeadOf = [this.mailboxEpoch, this.mailboxPos, this.logEpoch];
      this.cursorHead = `${this.mailboxEpoch}~${this.mailboxPos}_${this.logEpoch}~`;
    }
    return this.cursorHead + this.logPos;
  }

  /**
   * Delivers one stream entry unless it is at or before the subscriber's position; replayed entries
   * are preloaded. An entry of a new epoch means the stream was recreated while this subscriber was
   * live (data loss in Redis): its position starts over there. A mailbox entry of another session
   * is not this subscriber's to read: its session was superseded.
   */
  deliver(message: StreamMessage, replayed = false): void {
    const { s: stream, i: id, p: epoch, e: body } = message;
    if (stream === 'm') {
      if (message.u !== undefined && message.u !== this.self.session.id) {
        this.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
        return;
      }
      if (epoch !== this.mailboxEpoch) {
        if (this.retired.has(epoch)) return;
        this.retired.add(this.mailboxEpoch);
        this.mailboxEpoch = epoch;
        this.mailboxPos = '0-0';
      }
      if (compareIds(id, this.mailboxPos) <= 0) return;
      this.mailboxPos = id;
    } else {
      if (epoch !== this.logEpoch) {
        if (this.retired.has(epoch)) return;
        this.retired.add(this.logEpoch);
        this.logEpoch = epoch;
        this.logPos = '0-0';
      }
      if (compareIds(id, this.logPos) <= 0) return;
      this.logPos = id;
      if (subjectOf(body as RoomSignal) === this.self.id) return;
    }
    const cursor = this.cursor;
    const at = msOf(id);
    // Presence events are stamped once per member in a join storm: built field by field, not spread.
    let event: SignalEvent;
    if (body.kind === SignalKind.PeerConnected) event = { kind: body.kind, peer: body.peer, cursor, at };
    else if (body.kind === SignalKind.PeerDisconnected) event = { kind: body.kind, peer: body.peer, reason: body.reason, cursor, at };
    else event = { ...body, cursor, at };
    if (message.t !== undefined) event.traceparent = message.t;
    if (replayed) this.feed.preload(event);
    else this.feed.push(event);
  }

  flush(): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const message of buffered) if ('i' in message) this.deliver(message);
  }
}

function parseEntry(entry: StreamEntry): { id: string; seq: number; body: DirectSignal | RoomSignal; trace: string | undefined } {
  const [id, fields] = entry;
  let body = 'null';
  let seq = 'null';
  let trace: string | undefined;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1] ?? '';
    if (fields[i] === 'e') body = value;
    else if (fields[i] === 'q') seq = value;
    else if (fields[i] === 't') trace = value;
  }
  const parsed = JSON.parse(body) as DirectSignal | RoomSignal;
  if (parsed.kind === SignalKind.PeerConnected || parsed.kind === SignalKind.PeerDisconnected) {
    parsed.peer = { id: parsed.peer.id, name: parsed.peer.name ?? null };
  }
  return { id, seq: Number(seq), body: parsed, trace };
}


/**
 * The shared broker: any number of gateway instances on one Redis behave as one gateway.
 * Mailboxes and room logs are capped Redis Streams; each append is published in the same Lua script
 * on the recipient's own channel (presence on its room's channel), so pub/sub is only the fast path
 * and the streams are the truth a subscriber replays from after any gap. Instances hold leases; the
 * survivors announce a dead instance's peers.
 */
export class RedisBroker implements Broker {
  readonly instanceId = randomBytes(6).toString('hex');
  private readonly commands: RedisClient;
  private readonly subscriberConnection: RedisClient;
  private readonly channels: RedisChannels;
  private readonly subscribers = new Set<RedisSubscriber>();
  private readonly leases: InstanceLeases;
  private movedHandler: (address: PeerAddress) => void = () => undefined;
  private roomEventHandler: (event: RoomEvent) => void = () => undefined;
  private closed = false;
  private wasReady = { commands: false, subscriber: false };
  /** Redis's clock minus ours, ms: write deadlines are given in Redis time. */
  private clockOffsetMs = 0;
  /** The dataset marker seen last; null before the first look. */
  private marker: string | null = null;
  /** True from noticing that Redis lost its data until this instance's peers are back in their rosters. */
  private healing = false;
  /**
   * False from losing the command connection until the heal after its return has sent the roster
   * restores. ioredis announces 'ready' a tick after it is ready; a write slipping in between would
   * find its sender missing from a roster Redis lost.
   */
  private commandsHealed = true;
  private epochs = 0;
  /** The rooms' last roster reads, parsed (see RosterMemo). */
  private readonly rosters = new RosterMemo();
  /** OPEN runs, one at a time per room and mode: a join storm's subscribers share their roster reads. */
  private readonly opens = new SharedRuns<{ self: SessionPeer; from: StreamPositions | null }, { reply: OpenReply; roster: PeerInfo[] }>(
    { maxPerRun: MAX_OPENS_PER_RUN, settledPerTurn: OPENS_SETTLED_PER_TURN, spacingMs: OPEN_RUN_SPACING_MS },
    (key, requests) =>
    this.openRun(key.slice(0, key.indexOf('\n')) as OpenMode, requests),
  );

  constructor(private readonly options: RedisBrokerOptions) {
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    };
    const clients = createRedisClients(options.target, base);
    this.commands = clients.commands;
    this.subscriberConnection = clients.subscriber;
    for (const script of [scripts.send, scripts.broadcast, scripts.join, scripts.leave, scripts.restore, scripts.claim, scripts.open]) script.define(this.commands);
    this.channels = new RedisChannels(this.subscriberConnection, options.log);

    const log = options.log;
    for (const [name, connection] of [
      ['commands', this.commands],
      ['subscriber', this.subscriberConnection],
    ] as const) {
      // While Redis stays away ioredis retries every half second: one warning per outage, the rest at debug.
      let quiet = false;
      connection.on('error', (error: Error) => {
        log[quiet ? 'debug' : 'warn']({ redis: name, err: error.message }, 'redis error');
        quiet = true;
      });
      connection.on('ready', () => {
        quiet = false;
        const again = this.wasReady[name];
        this.wasReady[name] = true;
        if (!again && name === 'commands') void this.leases.renew();
        if (again) {
          log.info({ redis: name }, 'redis connection restored');
          void this.heal(name);
        }
      });
      connection.on('close', () => {
        if (this.closed || !this.wasReady[name]) return;
        log.warn({ redis: name }, 'redis connection lost');
        if (name === 'commands') this.commandsHealed = false;
        // From now until the heal's snapshot, live messages are held back: one that arrived on the
        // new connection before the snapshot would otherwise jump ahead of the ones missed meanwhile.
        if (name === 'subscriber') for (const sub of this.subscribers) sub.buffer = sub.buffer ?? [];
      });
    }
    let shardLost = false;
    watchShards(this.subscriberConnection, {
      lost: () => {
        if (this.closed || shardLost) return;
        shardLost = true;
        log.warn('a redis cluster shard was lost; holding live messages until its slots are served again');
        for (const sub of this.subscribers) sub.buffer = sub.buffer ?? [];
      },
      back: () => {
        if (!shardLost) return;
        shardLost = false;
        log.info('every redis cluster shard subscribed again; catching up');
        // As after a reconnect: a promoted replica may lack the last writes, so rosters are restored too.
        void this.heal('commands');
      },
    });
    this.leases = new InstanceLeases({
      client: this.commands,
      instanceId: this.instanceId,
      leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
      log,
      announceGone: (room, peer, instance) => this.leaveOwnedBy(room, peer, LeaveReason.Timeout, instance),
      onRenewed: (marker, clockOffsetMs) => {
        if (clockOffsetMs !== null) this.clockOffsetMs = clockOffsetMs;
        return this.checkMarker(marker);
      },
    });
    this.leases.start();
  }

  /** The command connection, shared with the rate limiters so limits hold across instances. */
  get client(): RedisClient {
    return this.commands;
  }

  /**
   * True once both connections are ready; false as soon as a first attempt fails or after
   * `timeoutMs`, whichever comes first (the gateway then serves not ready and keeps reconnecting).
   */
  async connected(timeoutMs: number): Promise<boolean> {
    const failed = (c: RedisClient) => new Promise<false>((resolve) => c.once('error', () => resolve(false)));
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      this.whenConnected().then(() => true),
      failed(this.commands),
      failed(this.subscriberConnection),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (ok) await this.leases.renew();
    return ok;
  }

  /** Resolves once both connections have been ready (it never rejects: ioredis reconnects forever). */
  whenConnected(): Promise<void> {
    const ready = (c: RedisClient) => (c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve())));
    return Promise.all([ready(this.commands), ready(this.subscriberConnection)]).then(() => undefined);
  }

  async send(room: string, signal: DirectSignal, sender: SendOptions): Promise<SendResult> {
    const result = await this.call(() =>
      scripts.send.run(
        this.commands,
        {
          roster: keys.roster(room),
          mailbox: keys.mailbox(room, signal.to),
          seq: keys.seq(room),
          recipientMeta: keys.mailboxMeta(room, signal.to),
          senderMeta: keys.mailboxMeta(room, signal.from),
        },
        {
          to: signal.to,
          body: JSON.stringify(signal),
          maxlen: this.options.mailboxEvents,
          ttlMs: this.options.retentionMs,
          channel: keys.peerChannel(room, signal.to),
          from: signal.from,
          deadlineMs: this.writeDeadline(),
          epochCandidate: this.newEpoch(),
          idempotencyKey: sender.idempotencyKey ?? '',
          senderSid: sender.session.id,
          senderStartMs: sender.session.startedAtMs,
          traceparent: sender.traceparent ?? '', // made by our propagator (hex and dashes): safe to splice into the published JSON
        },
      ),
    );
    if (result === 'late') throw this.late();
    if (result === 'superseded') throw new SessionSupersededError('a newer session holds your peer id');
    if (typeof result === 'string') return result;
    await this.replicated(keys.mailbox(room, signal.to));
    return { id: result.id, at: msOf(result.id) };
  }

  async broadcast(room: string, message: BroadcastMessage, sender: SendOptions): Promise<SendResult> {
    const result = await this.call(() =>
      scripts.broadcast.run(
        this.commands,
        {
          roster: keys.roster(room),
          log: keys.log(room),
          seq: keys.seq(room),
          senderMeta: keys.mailboxMeta(room, message.from),
          roomEpoch: keys.roomEpoch(room),
          logMeta: keys.logMeta(room),
        },
        {
          from: message.from,
          body: JSON.stringify(message),
          maxlen: this.options.roomLogEvents,
          ttlMs: this.options.retentionMs,
          roomChannel: keys.roomChannel(room),
          deadlineMs: this.writeDeadline(),
          epochCandidate: this.newEpoch(),
          idempotencyKey: sender.idempotencyKey ?? '',
          senderSid: sender.session.id,
          senderStartMs: sender.session.startedAtMs,
          traceparent: sender.traceparent ?? '',
        },
      ),
    );
    if (result === 'late') throw this.late();
    if (result === 'superseded') throw new SessionSupersededError('a newer session holds your peer id');
    if (typeof result === 'string') return result;
    await this.replicated(keys.log(room));
    return { id: result.id, at: msOf(result.id) };
  }

  async join(room: string, peer: PeerInfo, session: PeerSession): Promise<boolean> {
    const entry: RosterEntry = { id: peer.id, name: peer.name, o: this.instanceId, j: Date.now() };
    const event: PresenceSignal = { kind: SignalKind.PeerConnected, peer: { id: peer.id, name: peer.name } };
    // Index first: every peer this instance owns is in its index (a member whose join failed, or
    // that moved on, costs the reaper one owner check that does nothing). On one Redis both go down
    // one connection in this order, so they are sent together (a round trip less per join, in a storm
    // of thousands); a Cluster may hold the index and the room on two nodes: there the join waits.
    const indexed = this.call(() => this.commands.sadd(keys.index(this.instanceId), indexMember(room, peer.id)));
    if (this.commands instanceof Cluster) await indexed;
    const joined = this.call(() =>
      scripts.join.run(
        this.commands,
        {
          roster: keys.roster(room),
          log: keys.log(room),
          mailbox: keys.mailbox(room, peer.id),
          seq: keys.seq(room),
          meta: keys.mailboxMeta(room, peer.id),
          roomEpoch: keys.roomEpoch(room),
          removed: keys.removed(room, peer.id),
        },
        {
          peerId: peer.id,
          rosterEntry: JSON.stringify(entry),
          event: JSON.stringify(event),
          maxlen: this.options.roomLogEvents,
          ttlMs: this.options.retentionMs,
          roomChannel: keys.roomChannel(room),
          peerChannel: keys.peerChannel(room, peer.id),
          owner: this.instanceId,
          deadlineMs: this.writeDeadline(),
          epochCandidate: this.newEpoch(),
          sid: session.id,
          sessionStartMs: session.startedAtMs,
          maxPeers: this.maxPeers,
        },
      ),
    );
    const [, result] = await Promise.all([indexed, joined]);
    if (result === 'late') throw this.late();
    if (result === 'superseded') throw new SessionSupersededError('a newer session holds this peer id');
    if (result === 'full') throw this.full(room);
    if (result === 'removed') throw new PeerRemovedError('the backend removed this session from the room');
    if (result === 'present') return false;
    await this.replicated(keys.log(room));
    this.raise(roomEvents.joined(room, result.joined, { id: peer.id, name: peer.name }, msOf(result.joined)));
    return true;
  }

  async leave(room: string, peerId: string, reason: LeaveReason, scope: LeaveScope): Promise<boolean> {
    return this.leaveOwnedBy(room, peerId, reason, scope === 'if-mine' ? this.instanceId : '');
  }

  async remove(room: string, peerId: string, barMs: number): Promise<boolean> {
    return this.leaveOwnedBy(room, peerId, LeaveReason.Removed, '', barMs);
  }

  /** SCANs for rosters (an empty roster is no key; on a Cluster, every primary): O(keys in Redis), for the backend's occasional look. */
  async listRooms(): Promise<RoomRoster[]> {
    const found = new Set<string>();
    const client = this.commands;
    const nodes = client instanceof Cluster ? client.nodes('master') : [client];
    for (const node of nodes) {
      let cursor = '0';
      do {
        const [next, batch] = await this.call(() => node.scan(cursor, 'MATCH', keys.roster('*'), 'COUNT', ROSTER_SCAN_COUNT));
        cursor = next;
        for (const key of batch) found.add(key.slice(ROSTER_PREFIX.length, key.length - ROSTER_SUFFIX.length));
      } while (cursor !== '0');
    }
    const rooms = await Promise.all([...found].sort().map(async (id) => ({ id, peers: await this.roster(id) })));
    return rooms.filter((room) => room.peers.length > 0);
  }

  onRoomEvent(handler: (event: RoomEvent) => void): void {
    this.roomEventHandler = handler;
  }

  private raise(events: RoomEvent[]): void {
    for (const event of events) this.roomEventHandler(event);
  }

  async roster(room: string): Promise<PeerInfo[]> {
    const flat = await this.call(() => this.commands.hgetall(keys.roster(room)));
    return parseRoster(Object.entries(flat).flat()).map(({ id, name }) => ({ id, name }));
  }

  async claim(address: PeerAddress, ttlMs: number): Promise<boolean> {
    const { room, peer } = address;
    const result = await this.call(() =>
      scripts.claim.run(this.commands, { roster: keys.roster(room), claim: keys.claim(room, peer) }, { peerId: peer, ttlMs, maxPeers: this.maxPeers }),
    );
    if (result === 'full') throw this.full(room);
    return result === 'claimed';
  }

  async open(self: SessionPeer, after: string | null, presence: PresenceMode = PresenceMode.Each): Promise<Feed> {
    const feed = new Feed(this.options.feedLimits, presence);
    const sub = new RedisSubscriber(self, feed);
    const onMessage = (message: unknown) => this.onMessage(sub, message as Published);
    try {
      // Subscribe first, then snapshot: anything published in between is buffered and deduplicated.
      sub.releases.push(await this.call(() => this.channels.subscribe(keys.peerChannel(self.room, self.id), onMessage), 'subscriber'));
      sub.releases.push(await this.call(() => this.channels.subscribe(keys.roomChannel(self.room), onMessage), 'subscriber'));
      const cursor = after === null ? null : CURSOR_PATTERN.exec(after);
      const position = cursor ? { mailboxEpoch: cursor[1] ?? '', mailboxPos: cursor[2] ?? '', logEpoch: cursor[3] ?? '', logPos: cursor[4] ?? '' } : null;
      const { reply, roster } = await this.snapshot(self, position, 'open');
      if (reply.kind === 'superseded') throw new SessionSupersededError('a newer session holds this peer id');
      sub.mailboxEpoch = reply.mailbox.epoch;
      sub.mailboxPos = reply.mailbox.from;
      sub.logEpoch = reply.log.epoch;
      sub.logPos = reply.log.from;
      feed.preload({
        kind: SignalKind.Welcome,
        self: { id: self.id, name: self.name },
        room: self.room,
        peers: roster.filter((p) => p.id !== self.id),
        resumed: reply.resumed,
        cursor: sub.cursor,
        at: Date.now(),
      });
      this.replay(sub, reply);
    } catch (error) {
      this.release(sub);
      throw error;
    }
    this.subscribers.add(sub);
    feed.onClose(() => this.release(sub));
    return feed;
  }

  onPeerMoved(handler: (address: PeerAddress) => void): void {
    this.movedHandler = handler;
  }

  /** Not ready while a connection is down, nor while Redis has lost this instance's peers and they are not back yet. */
  ready(): boolean {
    return !this.closed && !this.healing && this.commandsHealed && this.commands.status === 'ready' && this.subscriberConnection.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    this.leases.stop();
    for (const sub of [...this.subscribers]) sub.feed.end();
    await Promise.allSettled([this.commands.quit(), this.subscriberConnection.quit()]);
    this.commands.disconnect();
    this.subscriberConnection.disconnect();
  }

  /** Takes `self`'s snapshot in the next OPEN run of its room (see {@link MAX_OPENS_PER_RUN}). */
  private snapshot(self: SessionPeer, from: StreamPositions | null, mode: OpenMode): Promise<{ reply: OpenReply; roster: PeerInfo[] }> {
    return this.opens.run(`${mode}\n${self.room}`, { self, from });
  }

  /** One OPEN run for subscribers of one room: the roster is read and parsed once for all of them. */
  private async openRun(mode: OpenMode, requests: Array<{ self: SessionPeer; from: StreamPositions | null }>): Promise<Array<{ reply: OpenReply; roster: PeerInfo[] }>> {
    const room = requests[0]?.self.room ?? '';
    const run = await this.call(() =>
      scripts.open.run(
        this.commands,
        { roster: keys.roster(room), log: keys.log(room), roomEpoch: keys.roomEpoch(room) },
        { ttlMs: this.options.retentionMs, mode, roomEpochCandidate: this.newEpoch() },
        requests.map(({ self, from }) => ({
          keys: { mailbox: keys.mailbox(room, self.id), meta: keys.mailboxMeta(room, self.id) },
          args: {
            mailboxEpoch: from?.mailboxEpoch ?? '',
            afterMailbox: from?.mailboxPos ?? '',
            logEpoch: from?.logEpoch ?? '',
            afterLog: from?.logPos ?? '',
            sid: self.session.id,
            sessionStartMs: self.session.startedAtMs,
            mailboxEpochCandidate: this.newEpoch(),
            peerChannel: keys.peerChannel(room, self.id),
          },
        })),
      ),
    );
    // One list for every subscriber of the run (each Welcome filters itself out): read-only.
    const roster = this.rosters.read(room, run.roster);
    return run.opened.map((reply) => ({ reply, roster }));
  }

  /** Delivers snapshot entries of both streams in acceptance order, then whatever arrived live meanwhile. */
  private replay(sub: RedisSubscriber, { mailbox, log }: Extract<OpenReply, { kind: 'opened' }>): void {
    const merged = [
      ...mailbox.entries.map((e) => ({ s: 'm' as const, p: mailbox.epoch, ...parseEntry(e) })),
      ...log.entries.map((e) => ({ s: 'r' as const, p: log.epoch, ...parseEntry(e) })),
    ].sort((a, b) => a.seq - b.seq);
    for (const { s, p, id, seq, body, trace } of merged) sub.deliver({ s, p, i: id, q: seq, t: trace, e: body }, true);
    sub.flush();
  }

  private onMessage(sub: RedisSubscriber, message: Published): void {
    if ('k' in message) {
      if (message.k === 'removed') {
        sub.feed.fail(new PeerRemovedError('the backend removed this peer from the room'));
      } else if (message.k === 'session') {
        if (message.u !== sub.self.session.id) sub.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
      } else if (message.o !== this.instanceId) {
        this.commands.srem(keys.index(this.instanceId), indexMember(sub.self.room, sub.self.id)).catch(() => undefined);
        this.movedHandler({ room: sub.self.room, peer: sub.self.id });
      }
      return;
    }
    if (sub.buffer) sub.buffer.push(message);
    else sub.deliver(message);
  }

  private release(sub: RedisSubscriber): void {
    this.subscribers.delete(sub);
    for (const release of sub.releases.splice(0)) release();
  }

  /**
   * After a reconnect, or when Redis lost its data (see {@link checkMarker}): put this instance's live
   * peers back in their rosters (a restart without persistence or a FLUSHALL emptied them), and, since
   * pub/sub dropped whatever was published while the subscriber was away, let every subscriber catch
   * up from its own position. A subscriber that cannot catch up without a gap (its events were evicted
   * meanwhile, or the snapshot failed) is ended, so its client resumes and is told `resumed: false`.
   */
  private heal(connection: 'commands' | 'subscriber'): Promise<void> {
    const subs = [...this.subscribers];
    let restored: Promise<unknown> = Promise.resolve();
    if (connection === 'commands') {
      // The restores are written now, before any write that comes after this tick.
      this.commandsHealed = true;
      void this.leases.renew();
      restored = Promise.allSettled(subs.map((sub) => this.restore(sub.self)));
    }
    for (const sub of subs) sub.buffer = sub.buffer ?? [];
    const caughtUp = this.resubscribed(subs).then(() => Promise.all(subs.map((sub) => this.catchUp(sub))));
    return Promise.all([restored, caughtUp]).then(() => undefined);
  }

  private async restore(self: SessionPeer): Promise<void> {
    const { room, id, name, session } = self;
    const entry: RosterEntry = { id, name, o: this.instanceId, j: Date.now() };
    // Sent together, the index first: a heal restores many peers, one round trip each.
    const indexed = this.call(() => this.commands.sadd(keys.index(this.instanceId), indexMember(room, id)));
    const restored = this.call(() =>
      scripts.restore.run(
        this.commands,
        { roster: keys.roster(room), meta: keys.mailboxMeta(room, id) },
        {
          peerId: id,
          rosterEntry: JSON.stringify(entry),
          sid: session.id,
          sessionStartMs: session.startedAtMs,
          epochCandidate: this.newEpoch(),
        },
      ),
    );
    await Promise.all([indexed, restored]);
  }

  /**
   * Replays what a subscriber missed. While Redis is still unavailable (the other connection is not
   * back yet, or it is stalled) live messages keep being held and the catch-up is tried again; a
   * subscriber that cannot catch up within the bound is ended (its client resumes from its cursor).
   */
  private async catchUp(sub: RedisSubscriber, attempt = 0): Promise<void> {
    if (sub.feed.isClosed || this.closed) return;
    try {
      const { reply } = await this.snapshot(sub.self, sub, 'heal');
      if (reply.kind === 'superseded') return sub.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
      if (!reply.resumed) return sub.feed.fail(new BrokerUnavailableError('events were lost while redis was away; resume from your cursor'));
      this.replay(sub, reply);
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError) || attempt >= CATCH_UP_RETRIES) return sub.feed.fail(error);
      const timer = setTimeout(() => void this.catchUp(sub, attempt + 1), CATCH_UP_RETRY_MS);
      timer.unref();
    }
  }

  /**
   * Resolves once the subscriber connection listens on every channel again. ioredis resubscribes by
   * itself on reconnect; a SUBSCRIBE sent now is answered after those, so a snapshot taken afterwards
   * cannot miss a message published in between.
   */
  private async resubscribed(subs: RedisSubscriber[]): Promise<void> {
    const channels = new Set(subs.flatMap((s) => [keys.peerChannel(s.self.room, s.self.id), keys.roomChannel(s.self.room)]));
    if (channels.size === 0) return;
    // One SSUBSCRIBE per channel: on a Cluster the channels of one command must share a slot.
    await Promise.all([...channels].map((channel) => this.subscriberConnection.ssubscribe(channel))).catch((error: unknown) =>
      this.options.log.warn({ err: error }, 'resubscribe failed'),
    );
  }

  private async leaveOwnedBy(room: string, peerId: string, reason: LeaveReason, owner: string, barMs = 0): Promise<boolean> {
    const left = await this.call(() =>
      scripts.leave.run(
        this.commands,
        {
          roster: keys.roster(room),
          log: keys.log(room),
          mailbox: keys.mailbox(room, peerId),
          seq: keys.seq(room),
          meta: keys.mailboxMeta(room, peerId),
          roomEpoch: keys.roomEpoch(room),
          removed: keys.removed(room, peerId),
        },
        {
          peerId,
          reason,
          requiredOwner: owner,
          maxlen: this.options.roomLogEvents,
          ttlMs: this.options.retentionMs,
          roomChannel: keys.roomChannel(room),
          epochCandidate: this.newEpoch(),
          barMs,
          peerChannel: keys.peerChannel(room, peerId),
        },
      ),
    );
    if (left === null) return false;
    await this.replicated(keys.log(room));
    // Best effort: a member left behind only costs the reaper one owner check that does nothing.
    this.commands.srem(keys.index(left.owner), indexMember(room, peerId)).catch(() => undefined);
    const { peer } = JSON.parse(left.event) as Extract<PresenceSignal, { kind: 'PeerDisconnected' }>;
    this.raise(roomEvents.left(room, left.id, { id: peer.id, name: peer.name ?? null }, reason, msOf(left.id), left.last));
    return true;
  }


  /**
   * A marker other than the one seen before means Redis lost its data without this instance's
   * connection dropping (FLUSHALL, failover to an empty replica): heal as after a restart, and stay
   * not ready until this instance's peers are back in their rosters.
   */
  private async checkMarker(marker: string): Promise<void> {
    const previous = this.marker;
    this.marker = marker;
    if (previous === null || previous === marker || this.healing) return;
    this.options.log.warn('redis lost its data (dataset marker changed); restoring this instance\'s peers');
    this.healing = true;
    try {
      await this.heal('commands');
    } finally {
      this.healing = false;
    }
  }

  /**
   * With `waitReplicas`, holds the acknowledgement of a write until that many replicas have it
   * (Redis WAIT), so a failover cannot lose it. WAIT counts the writes of its own connection: it is
   * sent with a read of the written key, which routes it (on a Cluster) to the shard that took the
   * write. Too few replicas in time: UNAVAILABLE, though the write may survive — the client's retry
   * with the same idempotency key is answered with the first receipt, never stored twice.
   */
  private async replicated(key: string): Promise<void> {
    const wanted = this.options.waitReplicas ?? 0;
    if (wanted === 0) return;
    const replies = await this.call(() => this.commands.pipeline().exists(key).wait(wanted, WAIT_REPLICAS_TIMEOUT_MS).exec());
    const [error, acknowledged] = replies?.[1] ?? [new Error('no WAIT reply'), 0];
    if (error || typeof acknowledged !== 'number' || acknowledged < wanted) {
      this.options.onError?.();
      throw new BrokerUnavailableError(`the write reached ${String(acknowledged)} of ${wanted} replicas in time; retry with the same idempotency key`);
    }
  }

  /** A fresh epoch, used by a script only where a stream has none yet: unique across instances. */
  private newEpoch(): string {
    return `${this.instanceId}.${(++this.epochs).toString(36)}`;
  }

  /** Until when, in Redis time, a write sent now may still run. */
  private writeDeadline(): number {
    return Math.floor(Date.now() + this.clockOffsetMs + WRITE_DEADLINE_MS);
  }

  private get maxPeers(): number {
    return this.options.maxPeersPerRoom ?? 0;
  }

  private full(room: string): RoomFullError {
    return new RoomFullError(`room ${room} is full (${this.maxPeers} peers)`);
  }

  private late(): BrokerUnavailableError {
    this.options.onError?.();
    return new BrokerUnavailableError('redis ran the write after its deadline; nothing was stored');
  }

  /** Runs one Redis operation; connection trouble becomes {@link BrokerUnavailableError} (nothing accepted). */
  private async call<T>(operation: () => Promise<T>, needs: 'commands' | 'subscriber' = 'commands'): Promise<T> {
    const connection = needs === 'commands' ? this.commands : this.subscriberConnection;
    if (this.closed || connection.status !== 'ready' || (needs === 'commands' && !this.commandsHealed)) {
      throw new BrokerUnavailableError(`redis ${needs} connection is not ready`);
    }
    try {
      return await operation();
    } catch (error) {
      this.options.onError?.();
      this.options.log.warn({ err: error instanceof Error ? error.message : error }, 'redis operation failed');
      throw new BrokerUnavailableError('redis operation failed');
    }
  }
}
