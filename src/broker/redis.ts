import { randomBytes } from 'node:crypto';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { DirectSignal, PeerAddress, PeerInfo, PeerSession, PresenceSignal, SignalEvent } from '../events';
import { LeaveReason, PresenceMode, SignalKind } from '../protocol';
import { type Broker, BrokerUnavailableError, type LeaveScope, type SendOptions, type SendResult, type SessionPeer, SessionSupersededError } from './broker';
import { Feed, type FeedLimits } from './feed';
import { RedisChannels } from './redis-channels';
import { CLAIM, JOIN, LATE, LEAVE, OPEN, RESTORE, SEND, SUPERSEDED } from './redis-scripts';

export interface RedisBrokerOptions {
  url: string;
  mailboxEvents: number;
  roomLogEvents: number;
  retentionMs: number;
  feedLimits: FeedLimits;
  log: Logger;
  /** How long an instance's lease lives without renewal; its peers are announced gone after that. */
  leaseMs?: number;
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
/** The offset to Redis's clock is only taken from TIME replies that came back this fast. */
const MAX_CLOCK_SAMPLE_RTT_MS = 100;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect backoff cap: Redis coming back is noticed within this. */
const MAX_RECONNECT_DELAY_MS = 500;
const DEFAULT_LEASE_MS = 8_000;
/** A subscriber's catch-up after a reconnect is retried this often while Redis is unavailable… */
const CATCH_UP_RETRY_MS = 250;
/** …this many times (about 10 s) before the subscription is ended instead. */
const CATCH_UP_RETRIES = 40;
/** How long a surviving instance holds the right to clean up one dead instance's peers. */
const REAP_LOCK_MS = 30_000;

const KEY_PREFIX = 'sb:';
const INSTANCES_KEY = `${KEY_PREFIX}instances`;
/** Set once per Redis dataset; gone or different means the data was lost (FLUSHALL, empty restart). */
const MARKER_KEY = `${KEY_PREFIX}marker`;
const INDEX_PREFIX = `${KEY_PREFIX}inst-peers:`;

const keys = {
  roster: (room: string) => `${KEY_PREFIX}{${room}}:roster`,
  log: (room: string) => `${KEY_PREFIX}{${room}}:log`,
  seq: (room: string) => `${KEY_PREFIX}{${room}}:seq`,
  mailbox: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:mb:${peer}`,
  /**
   * The mailbox's epoch and owning session (hash fields e, s, t) and the idempotency keys of the
   * signals it holds (`k:<from>:<key>` → entry id); lives as long as the mailbox.
   */
  mailboxMeta: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:mbm:${peer}`,
  /** The room log's epoch; lives as long as the log. */
  roomEpoch: (room: string) => `${KEY_PREFIX}{${room}}:epoch`,
  claim: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:claim:${peer}`,
  roomChannel: (room: string) => `${KEY_PREFIX}{${room}}:room`,
  peerChannel: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:peer:${peer}`,
  lease: (instance: string) => `${KEY_PREFIX}lease:${instance}`,
  reap: (instance: string) => `${KEY_PREFIX}reap:${instance}`,
  index: (instance: string) => `${INDEX_PREFIX}${instance}`,
};

const indexMember = (room: string, peer: string) => `${room}\n${peer}`;

/** A stream entry id, `<ms>-<seq>`, compared numerically. */
function compareIds(a: string, b: string): number {
  const [am = 0, as = 0] = a.split('-').map(Number);
  const [bm = 0, bs = 0] = b.split('-').map(Number);
  return am !== bm ? am - bm : as - bs;
}

const msOf = (id: string): number => Number(id.split('-')[0]);

/** `<mailbox epoch>~<mailbox id>_<log epoch>~<log id>`: a position means nothing without its stream's epoch. */
const CURSOR_PATTERN = /^([0-9a-z.]{1,24})~(\d{1,20}-\d{1,20})_([0-9a-z.]{1,24})~(\d{1,20}-\d{1,20})$/;

interface RosterEntry {
  id: string;
  name: string | null;
  /** Owning instance. */
  o: string;
  /** Join time, for roster order. */
  j: number;
}

type StreamEntry = [id: string, fields: string[]];
type OpenReply =
  | [resumed: number, roster: string[], mailboxEpoch: string, mailboxFrom: string, logEpoch: string, logFrom: string, mailbox: StreamEntry[], log: StreamEntry[]]
  | [superseded: typeof SUPERSEDED];

/**
 * What the broker publishes: a stream entry for live subscribers (with its stream's epoch `p`, and for
 * a mailbox entry the session `u` that owns the mailbox and, with tracing on, the accepting span's
 * traceparent `t`), or "this peer now lives elsewhere".
 */
type Published =
  | { i: string; q: number; s: 'm' | 'r'; p: string; u?: string; t?: string | undefined; e: DirectSignal | PresenceSignal }
  | { k: 'moved'; o: string }
  | { k: 'session'; u: string };
type StreamMessage = Extract<Published, { i: string }>;

/** Opening for a client's cursor, or catching a live subscriber up after a reconnect (see OPEN). */
type OpenMode = 'open' | 'heal';

interface RedisCommands {
  sbSend(...args: Array<string | number>): Promise<string | number>;
  sbJoin(...args: Array<string | number>): Promise<string | number | null>;
  sbLeave(...args: Array<string | number>): Promise<string | null>;
  sbRestore(...args: Array<string | number>): Promise<number>;
  sbClaim(roster: string, claim: string, peer: string, ttl: number): Promise<number>;
  sbOpen(...args: Array<string | number>): Promise<OpenReply>;
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

  get cursor(): string {
    return `${this.mailboxEpoch}~${this.mailboxPos}_${this.logEpoch}~${this.logPos}`;
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
      if ((body as PresenceSignal).peer.id === this.self.id) return;
    }
    const event = { ...body, cursor: this.cursor, at: msOf(id) } as SignalEvent;
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

function parseEntry(entry: StreamEntry): { id: string; seq: number; body: DirectSignal | PresenceSignal; trace: string | undefined } {
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
  const parsed = JSON.parse(body) as DirectSignal | PresenceSignal;
  if (parsed.kind === SignalKind.PeerConnected || parsed.kind === SignalKind.PeerDisconnected) {
    parsed.peer = { id: parsed.peer.id, name: parsed.peer.name ?? null };
  }
  return { id, seq: Number(seq), body: parsed, trace };
}

function parseRoster(flat: string[]): RosterEntry[] {
  const entries: RosterEntry[] = [];
  for (let i = 1; i < flat.length; i += 2) {
    const entry = JSON.parse(flat[i] ?? 'null') as RosterEntry;
    entries.push({ ...entry, name: entry.name ?? null });
  }
  return entries.sort((a, b) => a.j - b.j);
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
  private readonly commands: Redis & RedisCommands;
  private readonly subscriberConnection: Redis;
  private readonly channels: RedisChannels;
  private readonly subscribers = new Set<RedisSubscriber>();
  private readonly leaseMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private movedHandler: (address: PeerAddress) => void = () => undefined;
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

  constructor(private readonly options: RedisBrokerOptions) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const base: RedisOptions = {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      connectTimeout: CONNECT_TIMEOUT_MS,
      retryStrategy: (attempt) => Math.min(attempt * 100, MAX_RECONNECT_DELAY_MS),
    };
    this.commands = new Redis(options.url, base) as Redis & RedisCommands;
    this.subscriberConnection = new Redis(options.url, { ...base, enableReadyCheck: false });
    this.commands.defineCommand('sbSend', { numberOfKeys: 5, lua: SEND });
    this.commands.defineCommand('sbJoin', { numberOfKeys: 7, lua: JOIN });
    this.commands.defineCommand('sbLeave', { numberOfKeys: 6, lua: LEAVE });
    this.commands.defineCommand('sbRestore', { numberOfKeys: 3, lua: RESTORE });
    this.commands.defineCommand('sbClaim', { numberOfKeys: 2, lua: CLAIM });
    this.commands.defineCommand('sbOpen', { numberOfKeys: 5, lua: OPEN });
    this.channels = new RedisChannels(this.subscriberConnection, options.log);

    const log = options.log;
    for (const [name, connection] of [
      ['commands', this.commands],
      ['subscriber', this.subscriberConnection],
    ] as const) {
      connection.on('error', (error: Error) => log.warn({ redis: name, err: error.message }, 'redis error'));
      connection.on('ready', () => {
        const again = this.wasReady[name];
        this.wasReady[name] = true;
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
    this.every(this.leaseMs / 4, () => this.renewLease());
    this.every(this.leaseMs / 4, () => this.reapDeadInstances());
  }

  /** The command connection, shared with the rate limiters so limits hold across instances. */
  get client(): Redis {
    return this.commands;
  }

  /** Resolves once both connections are ready, or after `timeoutMs` (the gateway then starts not ready). */
  async connected(timeoutMs: number): Promise<boolean> {
    const ready = (c: Redis) =>
      c.status === 'ready' ? Promise.resolve() : new Promise<void>((resolve) => c.once('ready', () => resolve()));
    let timer: NodeJS.Timeout | undefined;
    const ok = await Promise.race([
      Promise.all([ready(this.commands), ready(this.subscriberConnection)]).then(() => true),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (ok) await this.renewLease();
    return ok;
  }

  async send(room: string, signal: DirectSignal, sender: SendOptions): Promise<SendResult> {
    const key = sender.idempotencyKey ?? '';
    const id = await this.call(() =>
      this.commands.sbSend(
        keys.roster(room),
        keys.mailbox(room, signal.to),
        keys.seq(room),
        keys.mailboxMeta(room, signal.to),
        keys.mailboxMeta(room, signal.from),
        signal.to,
        JSON.stringify(signal),
        this.options.mailboxEvents,
        this.options.retentionMs,
        keys.peerChannel(room, signal.to),
        signal.from,
        this.writeDeadline(),
        this.newEpoch(),
        key,
        sender.session.id,
        sender.session.startedAtMs,
        sender.traceparent ?? '', // made by our propagator (hex and dashes): safe to splice into the published JSON
      ),
    );
    if (id === 0) return 'sender-not-joined';
    if (id === LATE) throw this.late();
    if (id === SUPERSEDED) throw new SessionSupersededError('a newer session holds your peer id');
    if (typeof id !== 'string') return 'recipient-not-found';
    return { id, at: msOf(id) };
  }

  async join(room: string, peer: PeerInfo, session: PeerSession): Promise<boolean> {
    const entry: RosterEntry = { id: peer.id, name: peer.name, o: this.instanceId, j: Date.now() };
    const event: PresenceSignal = { kind: SignalKind.PeerConnected, peer: { id: peer.id, name: peer.name } };
    const id = await this.call(() =>
      this.commands.sbJoin(
        keys.roster(room),
        keys.log(room),
        keys.mailbox(room, peer.id),
        keys.index(this.instanceId),
        keys.seq(room),
        keys.mailboxMeta(room, peer.id),
        keys.roomEpoch(room),
        peer.id,
        JSON.stringify(entry),
        JSON.stringify(event),
        this.options.roomLogEvents,
        this.options.retentionMs,
        keys.roomChannel(room),
        keys.peerChannel(room, peer.id),
        this.instanceId,
        indexMember(room, peer.id),
        INDEX_PREFIX,
        this.writeDeadline(),
        this.newEpoch(),
        session.id,
        session.startedAtMs,
      ),
    );
    if (id === LATE) throw this.late();
    if (id === SUPERSEDED) throw new SessionSupersededError('a newer session holds this peer id');
    return id !== null;
  }

  async leave(room: string, peerId: string, reason: LeaveReason, scope: LeaveScope): Promise<boolean> {
    return this.leaveOwnedBy(room, peerId, reason, scope === 'if-mine' ? this.instanceId : '');
  }

  async roster(room: string): Promise<PeerInfo[]> {
    const flat = await this.call(() => this.commands.hgetall(keys.roster(room)));
    return parseRoster(Object.entries(flat).flat()).map(({ id, name }) => ({ id, name }));
  }

  async claim(address: PeerAddress, ttlMs: number): Promise<boolean> {
    const ok = await this.call(() => this.commands.sbClaim(keys.roster(address.room), keys.claim(address.room, address.peer), address.peer, ttlMs));
    return ok === 1;
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
      const reply = await this.snapshot(self, position, 'open');
      if (reply.length === 1) throw new SessionSupersededError('a newer session holds this peer id');
      const [resumed, roster, mailboxEpoch, mailboxFrom, logEpoch, logFrom, mailbox, logEntries] = reply;
      sub.mailboxEpoch = mailboxEpoch;
      sub.mailboxPos = mailboxFrom;
      sub.logEpoch = logEpoch;
      sub.logPos = logFrom;
      feed.preload({
        kind: SignalKind.Welcome,
        self: { id: self.id, name: self.name },
        room: self.room,
        peers: parseRoster(roster)
          .filter((p) => p.id !== self.id)
          .map(({ id, name }) => ({ id, name })),
        resumed: resumed === 1,
        cursor: sub.cursor,
        at: Date.now(),
      });
      this.replay(sub, mailbox, logEntries, mailboxEpoch, logEpoch);
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
    for (const timer of this.timers) clearInterval(timer);
    for (const sub of [...this.subscribers]) sub.feed.end();
    await Promise.allSettled([this.commands.quit(), this.subscriberConnection.quit()]);
    this.commands.disconnect();
    this.subscriberConnection.disconnect();
  }

  private snapshot(
    self: SessionPeer,
    from: { mailboxEpoch: string; mailboxPos: string; logEpoch: string; logPos: string } | null,
    mode: OpenMode,
  ): Promise<OpenReply> {
    return this.call(() =>
      this.commands.sbOpen(
        keys.roster(self.room),
        keys.log(self.room),
        keys.mailbox(self.room, self.id),
        keys.mailboxMeta(self.room, self.id),
        keys.roomEpoch(self.room),
        from?.mailboxEpoch ?? '',
        from?.mailboxPos ?? '',
        from?.logEpoch ?? '',
        from?.logPos ?? '',
        this.options.retentionMs,
        self.session.id,
        self.session.startedAtMs,
        this.newEpoch(),
        this.newEpoch(),
        mode,
        keys.peerChannel(self.room, self.id),
      ),
    );
  }

  /** Delivers snapshot entries of both streams in acceptance order, then whatever arrived live meanwhile. */
  private replay(sub: RedisSubscriber, mailbox: StreamEntry[], logEntries: StreamEntry[], mailboxEpoch: string, logEpoch: string): void {
    const merged = [
      ...mailbox.map((e) => ({ s: 'm' as const, p: mailboxEpoch, ...parseEntry(e) })),
      ...logEntries.map((e) => ({ s: 'r' as const, p: logEpoch, ...parseEntry(e) })),
    ].sort((a, b) => a.seq - b.seq);
    for (const { s, p, id, seq, body, trace } of merged) sub.deliver({ s, p, i: id, q: seq, t: trace, e: body }, true);
    sub.flush();
  }

  private onMessage(sub: RedisSubscriber, message: Published): void {
    if ('k' in message) {
      if (message.k === 'session') {
        if (message.u !== sub.self.session.id) sub.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
      } else if (message.o !== this.instanceId) {
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
      void this.renewLease();
      restored = Promise.allSettled(subs.map((sub) => this.restore(sub.self)));
    }
    for (const sub of subs) sub.buffer = sub.buffer ?? [];
    const caughtUp = this.resubscribed(subs).then(() => Promise.all(subs.map((sub) => this.catchUp(sub))));
    return Promise.all([restored, caughtUp]).then(() => undefined);
  }

  private restore(self: SessionPeer): Promise<number> {
    const { room, id, name, session } = self;
    const entry: RosterEntry = { id, name, o: this.instanceId, j: Date.now() };
    return this.call(() =>
      this.commands.sbRestore(
        keys.roster(room),
        keys.index(this.instanceId),
        keys.mailboxMeta(room, id),
        id,
        JSON.stringify(entry),
        indexMember(room, id),
        session.id,
        session.startedAtMs,
        this.newEpoch(),
      ),
    );
  }

  /**
   * Replays what a subscriber missed. While Redis is still unavailable (the other connection is not
   * back yet, or it is stalled) live messages keep being held and the catch-up is tried again; a
   * subscriber that cannot catch up within the bound is ended (its client resumes from its cursor).
   */
  private async catchUp(sub: RedisSubscriber, attempt = 0): Promise<void> {
    if (sub.feed.isClosed || this.closed) return;
    try {
      const reply = await this.snapshot(sub.self, sub, 'heal');
      if (reply.length === 1) return sub.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
      const [resumed, , mailboxEpoch, , logEpoch, , mailbox, logEntries] = reply;
      if (resumed !== 1) return sub.feed.fail(new BrokerUnavailableError('events were lost while redis was away; resume from your cursor'));
      this.replay(sub, mailbox, logEntries, mailboxEpoch, logEpoch);
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
    await this.subscriberConnection.subscribe(...channels).catch((error: unknown) => this.options.log.warn({ err: error }, 'resubscribe failed'));
  }

  private async leaveOwnedBy(room: string, peerId: string, reason: LeaveReason, owner: string): Promise<boolean> {
    const id = await this.call(() =>
      this.commands.sbLeave(
        keys.roster(room),
        keys.log(room),
        keys.mailbox(room, peerId),
        keys.seq(room),
        keys.mailboxMeta(room, peerId),
        keys.roomEpoch(room),
        peerId,
        reason,
        owner,
        this.options.roomLogEvents,
        this.options.retentionMs,
        keys.roomChannel(room),
        indexMember(room, peerId),
        INDEX_PREFIX,
        this.newEpoch(),
      ),
    );
    return id !== null;
  }

  /**
   * Renews this instance's lease, samples the offset to Redis's clock, and checks the dataset marker
   * (the lost-data check rides on the lease renewal: no extra round trip).
   */
  private async renewLease(): Promise<void> {
    if (this.commands.status !== 'ready') return;
    const sentAt = Date.now();
    try {
      const replies = await this.commands
        .multi()
        .set(keys.lease(this.instanceId), '1', 'PX', this.leaseMs)
        .zadd(INSTANCES_KEY, Date.now() + this.leaseMs, this.instanceId)
        .set(MARKER_KEY, randomBytes(6).toString('hex'), 'NX')
        .get(MARKER_KEY)
        .time()
        .exec();
      const receivedAt = Date.now();
      const marker = replies?.[3]?.[1];
      const time = replies?.[4]?.[1];
      // A slow round trip says little about the offset (its error is up to half the round trip): until
      // a fast one comes, the clocks are taken to agree (NTP keeps them within milliseconds).
      if (Array.isArray(time) && receivedAt - sentAt <= MAX_CLOCK_SAMPLE_RTT_MS) {
        this.clockOffsetMs = Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000) - (sentAt + receivedAt) / 2;
      }
      if (typeof marker === 'string') await this.checkMarker(marker);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not renew instance lease');
    }
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
   * Announces the peers of instances whose lease ran out. Costs one sorted-set read per interval per
   * instance, whatever the number of peers; the peers of a dead instance are visited once, by one survivor.
   */
  private async reapDeadInstances(): Promise<void> {
    if (this.commands.status !== 'ready') return;
    try {
      const candidates = await this.commands.zrangebyscore(INSTANCES_KEY, '-inf', Date.now());
      for (const instance of candidates) {
        if (instance === this.instanceId || (await this.commands.exists(keys.lease(instance))) === 1) continue;
        if ((await this.commands.set(keys.reap(instance), this.instanceId, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') continue;
        const members = await this.commands.smembers(keys.index(instance));
        for (const member of members) {
          const [room = '', peer = ''] = member.split('\n');
          if (await this.leaveOwnedBy(room, peer, LeaveReason.Timeout, instance)) {
            this.options.log.info({ room, peer, instance }, 'peer of a dead instance announced gone');
          }
        }
        await this.commands.multi().del(keys.index(instance)).zrem(INSTANCES_KEY, instance).exec();
      }
    } catch (error) {
      this.options.log.warn({ err: error }, 'reaping dead instances failed; will retry');
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

  private late(): BrokerUnavailableError {
    this.options.onError?.();
    return new BrokerUnavailableError('redis ran the write after its deadline; nothing was stored');
  }

  private every(intervalMs: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task(), intervalMs);
    timer.unref();
    this.timers.push(timer);
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
