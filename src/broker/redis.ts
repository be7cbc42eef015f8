import { randomBytes } from 'node:crypto';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import Redis, { type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import type { DirectSignal, PeerAddress, PeerInfo, PresenceSignal, SignalEvent } from '../events';
import { LeaveReason, SignalKind } from '../protocol';
import { type Broker, BrokerUnavailableError, type LeaveScope, type SendResult } from './broker';
import { Feed, type FeedLimits } from './feed';
import { CLAIM, JOIN, LEAVE, OPEN, RESTORE, SEND } from './redis-scripts';

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
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect backoff cap: Redis coming back is noticed within this. */
const MAX_RECONNECT_DELAY_MS = 500;
const DEFAULT_LEASE_MS = 8_000;
/** How long a surviving instance holds the right to clean up one dead instance's peers. */
const REAP_LOCK_MS = 30_000;

const KEY_PREFIX = 'sb:';
const INSTANCES_KEY = `${KEY_PREFIX}instances`;
const INDEX_PREFIX = `${KEY_PREFIX}inst-peers:`;

const keys = {
  roster: (room: string) => `${KEY_PREFIX}{${room}}:roster`,
  log: (room: string) => `${KEY_PREFIX}{${room}}:log`,
  seq: (room: string) => `${KEY_PREFIX}{${room}}:seq`,
  mailbox: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:mb:${peer}`,
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

const CURSOR_PATTERN = /^(\d{1,20}-\d{1,20})_(\d{1,20}-\d{1,20})$/;

interface RosterEntry {
  id: string;
  name: string | null;
  /** Owning instance. */
  o: string;
  /** Join time, for roster order. */
  j: number;
}

type StreamEntry = [id: string, fields: string[]];
type OpenReply = [resumed: number, roster: string[], mailboxFrom: string, logFrom: string, mailbox: StreamEntry[], log: StreamEntry[]];

/** What the broker publishes: a stream entry for live subscribers, or "this peer now lives elsewhere". */
type Published = { i: string; q: number; s: 'm' | 'r'; e: DirectSignal | PresenceSignal } | { k: 'moved'; o: string };

interface RedisCommands {
  sbSend(roster: string, mailbox: string, seq: string, to: string, body: string, maxlen: number, ttl: number, channel: string, from: string): Promise<string | number>;
  sbJoin(...args: Array<string | number>): Promise<string | null>;
  sbLeave(...args: Array<string | number>): Promise<string | null>;
  sbRestore(roster: string, index: string, peer: string, entry: string, member: string): Promise<number>;
  sbClaim(roster: string, claim: string, peer: string, ttl: number): Promise<number>;
  sbOpen(roster: string, log: string, mailbox: string, afterM: string, afterR: string, ttl: number): Promise<OpenReply>;
}

/** One live subscriber on this instance: its feed, its position in both streams, and its pub/sub handles. */
class RedisSubscriber {
  mailboxPos: string;
  logPos: string;
  /** While a snapshot is being read, live messages wait here and are deduplicated against it after. */
  buffer: Published[] | null = [];
  readonly subIds: number[] = [];

  constructor(
    readonly self: PeerInfo & { room: string },
    readonly feed: Feed,
  ) {
    this.mailboxPos = '0-0';
    this.logPos = '0-0';
  }

  get cursor(): string {
    return `${this.mailboxPos}_${this.logPos}`;
  }

  /** Delivers one stream entry unless it is at or before the subscriber's position; replayed entries are preloaded. */
  deliver(stream: 'm' | 'r', id: string, body: DirectSignal | PresenceSignal, replayed = false): void {
    if (stream === 'm') {
      if (compareIds(id, this.mailboxPos) <= 0) return;
      this.mailboxPos = id;
    } else {
      if (compareIds(id, this.logPos) <= 0) return;
      this.logPos = id;
      if ((body as PresenceSignal).peer.id === this.self.id) return;
    }
    const event = { ...body, cursor: this.cursor, at: msOf(id) } as SignalEvent;
    if (replayed) this.feed.preload(event);
    else this.feed.push(event);
  }

  flush(): void {
    const buffered = this.buffer ?? [];
    this.buffer = null;
    for (const message of buffered) if ('i' in message) this.deliver(message.s, message.i, message.e);
  }
}

function parseEntry(entry: StreamEntry): { id: string; seq: number; body: DirectSignal | PresenceSignal } {
  const [id, fields] = entry;
  const field = (name: string) => fields[fields.indexOf(name) + 1] ?? 'null';
  const body = JSON.parse(field('e')) as DirectSignal | PresenceSignal;
  if (body.kind === SignalKind.PeerConnected || body.kind === SignalKind.PeerDisconnected) {
    body.peer = { id: body.peer.id, name: body.peer.name ?? null };
  }
  return { id, seq: Number(field('q')), body };
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
  private readonly pubsub: RedisPubSub;
  private readonly subscribers = new Set<RedisSubscriber>();
  private readonly leaseMs: number;
  private readonly timers: NodeJS.Timeout[] = [];
  private movedHandler: (address: PeerAddress) => void = () => undefined;
  private closed = false;
  private wasReady = { commands: false, subscriber: false };

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
    this.commands.defineCommand('sbSend', { numberOfKeys: 3, lua: SEND });
    this.commands.defineCommand('sbJoin', { numberOfKeys: 5, lua: JOIN });
    this.commands.defineCommand('sbLeave', { numberOfKeys: 4, lua: LEAVE });
    this.commands.defineCommand('sbRestore', { numberOfKeys: 2, lua: RESTORE });
    this.commands.defineCommand('sbClaim', { numberOfKeys: 2, lua: CLAIM });
    this.commands.defineCommand('sbOpen', { numberOfKeys: 3, lua: OPEN });
    this.pubsub = new RedisPubSub({ publisher: this.commands, subscriber: this.subscriberConnection });

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
          this.heal(name);
        }
      });
      connection.on('close', () => {
        if (!this.closed && this.wasReady[name]) log.warn({ redis: name }, 'redis connection lost');
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

  async send(room: string, signal: DirectSignal): Promise<SendResult> {
    const id = await this.call(() =>
      this.commands.sbSend(
        keys.roster(room),
        keys.mailbox(room, signal.to),
        keys.seq(room),
        signal.to,
        JSON.stringify(signal),
        this.options.mailboxEvents,
        this.options.retentionMs,
        keys.peerChannel(room, signal.to),
        signal.from,
      ),
    );
    if (id === 0) return 'sender-not-joined';
    if (typeof id !== 'string') return 'recipient-not-found';
    return { id, at: msOf(id) };
  }

  async join(room: string, peer: PeerInfo): Promise<boolean> {
    const entry: RosterEntry = { id: peer.id, name: peer.name, o: this.instanceId, j: Date.now() };
    const event: PresenceSignal = { kind: SignalKind.PeerConnected, peer: { id: peer.id, name: peer.name } };
    const id = await this.call(() =>
      this.commands.sbJoin(
        keys.roster(room),
        keys.log(room),
        keys.mailbox(room, peer.id),
        keys.index(this.instanceId),
        keys.seq(room),
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
      ),
    );
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

  async open(self: PeerInfo & { room: string }, after: string | null): Promise<Feed> {
    const feed = new Feed(this.options.feedLimits);
    const sub = new RedisSubscriber(self, feed);
    const onMessage = (message: Published) => this.onMessage(sub, message);
    try {
      // Subscribe first, then snapshot: anything published in between is buffered and deduplicated.
      sub.subIds.push(await this.call(() => this.pubsub.subscribe(keys.peerChannel(self.room, self.id), onMessage), 'subscriber'));
      sub.subIds.push(await this.call(() => this.pubsub.subscribe(keys.roomChannel(self.room), onMessage), 'subscriber'));
      const cursor = after === null ? null : CURSOR_PATTERN.exec(after);
      const [resumed, roster, mailboxFrom, logFrom, mailbox, logEntries] = await this.snapshot(self, cursor?.[1] ?? '', cursor?.[2] ?? '');
      sub.mailboxPos = mailboxFrom;
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
      this.replay(sub, mailbox, logEntries);
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

  ready(): boolean {
    return !this.closed && this.commands.status === 'ready' && this.subscriberConnection.status === 'ready';
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    for (const sub of [...this.subscribers]) sub.feed.end();
    await Promise.allSettled([this.commands.quit(), this.subscriberConnection.quit()]);
    this.commands.disconnect();
    this.subscriberConnection.disconnect();
  }

  private snapshot(self: PeerInfo & { room: string }, afterMailbox: string, afterLog: string): Promise<OpenReply> {
    return this.call(() =>
      this.commands.sbOpen(keys.roster(self.room), keys.log(self.room), keys.mailbox(self.room, self.id), afterMailbox, afterLog, this.options.retentionMs),
    );
  }

  /** Delivers snapshot entries of both streams in acceptance order, then whatever arrived live meanwhile. */
  private replay(sub: RedisSubscriber, mailbox: StreamEntry[], logEntries: StreamEntry[]): void {
    const merged = [
      ...mailbox.map((e) => ({ stream: 'm' as const, ...parseEntry(e) })),
      ...logEntries.map((e) => ({ stream: 'r' as const, ...parseEntry(e) })),
    ].sort((a, b) => a.seq - b.seq);
    for (const { stream, id, body } of merged) sub.deliver(stream, id, body, true);
    sub.flush();
  }

  private onMessage(sub: RedisSubscriber, message: Published): void {
    if ('k' in message) {
      if (message.o !== this.instanceId) this.movedHandler({ room: sub.self.room, peer: sub.self.id });
      return;
    }
    if (sub.buffer) sub.buffer.push(message);
    else sub.deliver(message.s, message.i, message.e);
  }

  private release(sub: RedisSubscriber): void {
    this.subscribers.delete(sub);
    for (const id of sub.subIds.splice(0)) {
      try {
        this.pubsub.unsubscribe(id);
      } catch (error) {
        this.options.log.debug({ err: error }, 'unsubscribe after connection loss');
      }
    }
  }

  /**
   * After a reconnect: Redis may have lost its data (restart without persistence), so put this
   * instance's live peers back in their rosters; and pub/sub dropped whatever was published while the
   * subscriber was away, so every subscriber replays from its own position.
   */
  private heal(connection: 'commands' | 'subscriber'): void {
    const subs = [...this.subscribers];
    if (connection === 'commands') {
      void this.renewLease();
      for (const sub of subs) {
        const { room, id, name } = sub.self;
        const entry: RosterEntry = { id, name, o: this.instanceId, j: Date.now() };
        this.call(() => this.commands.sbRestore(keys.roster(room), keys.index(this.instanceId), id, JSON.stringify(entry), indexMember(room, id))).catch(
          () => undefined,
        );
      }
    }
    for (const sub of subs) sub.buffer = sub.buffer ?? [];
    void this.resubscribed(subs).then(() =>
      subs.forEach((sub) =>
        this.snapshot(sub.self, sub.mailboxPos, sub.logPos).then(
          ([, , , , mailbox, logEntries]) => this.replay(sub, mailbox, logEntries),
          () => sub.flush(),
        ),
      ),
    );
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
        peerId,
        reason,
        owner,
        this.options.roomLogEvents,
        this.options.retentionMs,
        keys.roomChannel(room),
        indexMember(room, peerId),
        INDEX_PREFIX,
      ),
    );
    return id !== null;
  }

  private async renewLease(): Promise<void> {
    if (this.commands.status !== 'ready') return;
    await this.commands
      .multi()
      .set(keys.lease(this.instanceId), '1', 'PX', this.leaseMs)
      .zadd(INSTANCES_KEY, Date.now() + this.leaseMs, this.instanceId)
      .exec()
      .catch((error: unknown) => this.options.log.warn({ err: error }, 'could not renew instance lease'));
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

  private every(intervalMs: number, task: () => Promise<void>): void {
    const timer = setInterval(() => void task(), intervalMs);
    timer.unref();
    this.timers.push(timer);
  }

  /** Runs one Redis operation; connection trouble becomes {@link BrokerUnavailableError} (nothing accepted). */
  private async call<T>(operation: () => Promise<T>, needs: 'commands' | 'subscriber' = 'commands'): Promise<T> {
    const connection = needs === 'commands' ? this.commands : this.subscriberConnection;
    if (this.closed || connection.status !== 'ready') throw new BrokerUnavailableError(`redis ${needs} connection is not ready`);
    try {
      return await operation();
    } catch (error) {
      this.options.onError?.();
      this.options.log.warn({ err: error instanceof Error ? error.message : error }, 'redis operation failed');
      throw new BrokerUnavailableError('redis operation failed');
    }
  }
}
