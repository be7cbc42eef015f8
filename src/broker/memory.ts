import { randomBytes } from 'node:crypto';
import type { Delivery, DirectSignal, PeerAddress, PeerInfo, PeerSession, PresenceSignal, SignalEvent } from '../events';
import { type LeaveReason, PresenceMode, SignalKind } from '../protocol';
import { type Broker, isNewerSession, type LeaveScope, type SendOptions, type SendResult, type SessionPeer, SessionSupersededError } from './broker';
import { Feed, type FeedLimits } from './feed';

export interface MemoryBrokerOptions {
  /** Events kept per peer mailbox. */
  mailboxEvents: number;
  /** Presence events kept per room log. */
  roomLogEvents: number;
  /** How long any event is kept for resume. */
  retentionMs: number;
  /** What one subscriber may leave unread before it is a slow consumer. */
  feedLimits: FeedLimits;
  now?: () => number;
}

/** How often expired events, empty mailboxes and empty rooms are swept. */
const SWEEP_INTERVAL_MS = 5_000;

interface Stored<T> {
  seq: number;
  /** The sender's idempotency key (with the sender), when the send carried one. */
  key: string | null;
  /** The accepting span's W3C traceparent, when tracing is on. */
  trace: string | null;
  /** Broker-wide acceptance order, to merge a mailbox and a room log on replay. */
  order: number;
  at: number;
  body: T;
}

/**
 * A capped, expiring, append-only log with an identity that changes if it is ever recreated. Entries
 * appended with an idempotency key can be found by it while they are retained (and no longer).
 */
class Log<T> {
  seq = 0;
  /** Highest sequence number evicted; a cursor below it has lost events. */
  evicted = 0;
  readonly entries: Stored<T>[] = [];
  private readonly byKey = new Map<string, Stored<T>>();

  constructor(readonly epoch: string) {}

  append(body: T, order: number, at: number, maxEntries: number, key: string | null = null, trace: string | null = null): Stored<T> {
    const entry = { seq: ++this.seq, key, trace, order, at, body };
    this.entries.push(entry);
    if (key !== null) this.byKey.set(key, entry);
    while (this.entries.length > maxEntries) this.evictOldest();
    return entry;
  }

  /** The retained entry appended with `key`, if any. */
  withKey(key: string): Stored<T> | undefined {
    return this.byKey.get(key);
  }

  expire(before: number): void {
    while (this.entries.length > 0 && (this.entries[0]?.at ?? Infinity) < before) this.evictOldest();
  }

  private evictOldest(): void {
    const entry = this.entries.shift();
    if (!entry) return;
    this.evicted = entry.seq;
    if (entry.key !== null) this.byKey.delete(entry.key);
  }

  /** Whether every entry after `seq` of epoch `epoch` is still here. */
  covers(epoch: string, seq: number): boolean {
    return epoch === this.epoch && seq >= this.evicted && seq <= this.seq;
  }

  after(seq: number): Stored<T>[] {
    return this.entries.filter((e) => e.seq > seq);
  }
}

interface Subscriber {
  self: string;
  feed: Feed;
  mailbox: Log<DirectSignal>;
  room: Room;
  mailboxSeq: number;
  roomSeq: number;
}

interface Room {
  roster: Map<string, PeerInfo>;
  log: Log<PresenceSignal>;
  subscribers: Set<Subscriber>;
}

interface Mailbox {
  log: Log<DirectSignal>;
  subscribers: Set<Subscriber>;
  /** The session that owns this mailbox; null until one joins. */
  session: PeerSession | null;
  /** When its peer last left the room: the mailbox (and who owns it) is kept for the retention after. */
  leftAt: number;
}

interface Position {
  mailboxEpoch: string;
  mailboxSeq: number;
  roomEpoch: string;
  roomSeq: number;
}

const CURSOR_PATTERN = /^([a-z0-9]+-[a-z0-9]+)\.([a-z0-9]+)\.([a-z0-9]+-[a-z0-9]+)\.([a-z0-9]+)$/;

function encodeCursor(p: Position): string {
  return `${p.mailboxEpoch}.${p.mailboxSeq.toString(36)}.${p.roomEpoch}.${p.roomSeq.toString(36)}`;
}

function decodeCursor(cursor: string): Position | null {
  const m = CURSOR_PATTERN.exec(cursor);
  if (!m) return null;
  const [, mailboxEpoch = '', mailboxSeq = '', roomEpoch = '', roomSeq = ''] = m;
  return { mailboxEpoch, mailboxSeq: parseInt(mailboxSeq, 36), roomEpoch, roomSeq: parseInt(roomSeq, 36) };
}

/**
 * The embedded broker: one process, no dependencies. Rosters, room logs and mailboxes live in maps;
 * delivery is synchronous, so replay-then-live needs no deduplication window.
 */
export class MemoryBroker implements Broker {
  private readonly rooms = new Map<string, Room>();
  private readonly mailboxes = new Map<string, Mailbox>();
  private readonly claims = new Map<string, number>();
  private readonly boot = randomBytes(4).readUInt32BE(0).toString(36);
  private epochs = 0;
  private order = 0;
  private closed = false;
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly options: MemoryBrokerOptions) {
    this.now = options.now ?? Date.now;
    this.sweeper = setInterval(() => this.sweep(), Math.min(SWEEP_INTERVAL_MS, options.retentionMs));
    this.sweeper.unref();
  }

  async send(roomId: string, signal: DirectSignal, sender: SendOptions): Promise<SendResult> {
    // A repeated key finds the first send in the recipient's mailbox, for as long as it is retained there.
    const key = sender.idempotencyKey === null ? null : `${signal.from}\n${sender.idempotencyKey}`;
    const earlier = key === null ? undefined : this.mailboxes.get(`${roomId}/${signal.to}`)?.log;
    const first = key === null ? undefined : earlier?.withKey(key);
    if (earlier && first) return this.receipt(earlier, first);
    const room = this.rooms.get(roomId);
    if (!room?.roster.has(signal.from)) return 'sender-not-joined';
    const owner = this.mailboxes.get(`${roomId}/${signal.from}`)?.session;
    if (owner && owner.id !== sender.session.id) {
      if (isNewerSession(sender.session, owner)) return 'sender-not-joined';
      throw new SessionSupersededError('a newer session holds your peer id');
    }
    if (!room.roster.has(signal.to)) return 'recipient-not-found';
    const mailbox = this.mailbox(roomId, signal.to);
    const entry = mailbox.log.append(signal, ++this.order, this.now(), this.options.mailboxEvents, key, sender.traceparent);
    for (const sub of mailbox.subscribers) {
      sub.mailboxSeq = entry.seq;
      sub.feed.push(this.stamp(sub, entry));
    }
    return this.receipt(mailbox.log, entry);
  }

  private receipt(log: Log<DirectSignal>, entry: Stored<DirectSignal>): Delivery {
    return { id: `${log.epoch}.${entry.seq.toString(36)}`, at: entry.at };
  }

  async join(roomId: string, peer: PeerInfo, session: PeerSession): Promise<boolean> {
    const room = this.room(roomId);
    this.ownMailbox(roomId, peer.id, session);
    if (room.roster.has(peer.id)) {
      room.roster.set(peer.id, peer);
      return false;
    }
    room.roster.set(peer.id, peer);
    this.claims.delete(`${roomId}/${peer.id}`);
    this.announce(room, { kind: SignalKind.PeerConnected, peer });
    return true;
  }

  async leave(roomId: string, peerId: string, reason: LeaveReason, _scope: LeaveScope): Promise<boolean> {
    const room = this.rooms.get(roomId);
    const peer = room?.roster.get(peerId);
    if (!room || !peer) return false;
    room.roster.delete(peerId);
    const mailbox = this.mailboxes.get(`${roomId}/${peerId}`);
    if (mailbox) mailbox.leftAt = this.now();
    this.announce(room, { kind: SignalKind.PeerDisconnected, peer, reason });
    return true;
  }

  async roster(roomId: string): Promise<PeerInfo[]> {
    return [...(this.rooms.get(roomId)?.roster.values() ?? [])];
  }

  async claim(address: PeerAddress, ttlMs: number): Promise<boolean> {
    const key = `${address.room}/${address.peer}`;
    const now = this.now();
    if (this.rooms.get(address.room)?.roster.has(address.peer)) return false;
    if ((this.claims.get(key) ?? 0) > now) return false;
    this.claims.set(key, now + ttlMs);
    return true;
  }

  async open(self: SessionPeer, after: string | null, presence: PresenceMode = PresenceMode.Each): Promise<Feed> {
    const room = this.room(self.room);
    const mailbox = this.ownMailbox(self.room, self.id, self.session);
    const from = after === null ? null : decodeCursor(after);
    const resumed =
      from !== null && mailbox.log.covers(from.mailboxEpoch, from.mailboxSeq) && room.log.covers(from.roomEpoch, from.roomSeq);
    const feed = new Feed(this.options.feedLimits, presence);
    const sub: Subscriber = {
      self: self.id,
      feed,
      mailbox: mailbox.log,
      room,
      mailboxSeq: resumed ? from.mailboxSeq : mailbox.log.seq,
      roomSeq: resumed ? from.roomSeq : room.log.seq,
    };
    feed.preload({
      kind: SignalKind.Welcome,
      self: { id: self.id, name: self.name },
      room: self.room,
      peers: [...room.roster.values()].filter((p) => p.id !== self.id),
      resumed,
      cursor: encodeCursor(this.position(sub)),
      at: this.now(),
    });
    if (resumed) this.replay(sub);
    mailbox.subscribers.add(sub);
    room.subscribers.add(sub);
    feed.onClose(() => {
      mailbox.subscribers.delete(sub);
      room.subscribers.delete(sub);
    });
    return feed;
  }

  onPeerMoved(): void {
    // One process: a peer can only move between connections of this instance, which the gateway handles.
  }

  ready(): boolean {
    return !this.closed;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.sweeper);
    for (const room of this.rooms.values()) for (const sub of room.subscribers) sub.feed.end();
  }

  private replay(sub: Subscriber): void {
    const direct = sub.mailbox.after(sub.mailboxSeq).map((e) => ({ e, mailbox: true }));
    const presence = sub.room.log.after(sub.roomSeq).map((e) => ({ e, mailbox: false }));
    const merged = [...direct, ...presence].sort((a, b) => a.e.order - b.e.order);
    for (const { e, mailbox } of merged) {
      if (mailbox) sub.mailboxSeq = e.seq;
      else sub.roomSeq = e.seq;
      if (mailbox || !this.isAbout(sub, e.body as PresenceSignal)) sub.feed.preload(this.stamp(sub, e));
    }
  }

  private announce(room: Room, body: PresenceSignal): void {
    const entry = room.log.append(body, ++this.order, this.now(), this.options.roomLogEvents);
    for (const sub of room.subscribers) {
      sub.roomSeq = entry.seq;
      if (!this.isAbout(sub, body)) sub.feed.push(this.stamp(sub, entry));
    }
  }

  private isAbout(sub: Subscriber, body: PresenceSignal): boolean {
    return body.peer.id === sub.self;
  }

  private stamp(sub: Subscriber, entry: Stored<DirectSignal | PresenceSignal>): SignalEvent {
    const cursor = encodeCursor(this.position(sub));
    const body = entry.body;
    // A join storm stamps every presence event once per member: built field by field, not spread (measured: a spread was the gateway's top function).
    if (body.kind === SignalKind.PeerConnected) return { kind: body.kind, peer: body.peer, cursor, at: entry.at };
    if (body.kind === SignalKind.PeerDisconnected) return { kind: body.kind, peer: body.peer, reason: body.reason, cursor, at: entry.at };
    const event: SignalEvent = { ...body, cursor, at: entry.at };
    if (entry.trace !== null) event.traceparent = entry.trace;
    return event;
  }

  private position(sub: Subscriber): Position {
    return { mailboxEpoch: sub.mailbox.epoch, mailboxSeq: sub.mailboxSeq, roomEpoch: sub.room.log.epoch, roomSeq: sub.roomSeq };
  }

  private newEpoch(): string {
    return `${this.boot}-${(++this.epochs).toString(36)}`;
  }

  private room(roomId: string): Room {
    let room = this.rooms.get(roomId);
    if (!room) {
      room = { roster: new Map(), log: new Log(this.newEpoch()), subscribers: new Set() };
      this.rooms.set(roomId, room);
    }
    return room;
  }

  private mailbox(roomId: string, peerId: string): Mailbox {
    const key = `${roomId}/${peerId}`;
    let mailbox = this.mailboxes.get(key);
    if (!mailbox) {
      mailbox = { log: new Log(this.newEpoch()), subscribers: new Set(), session: null, leftAt: 0 };
      this.mailboxes.set(key, mailbox);
    }
    return mailbox;
  }

  /**
   * The peer's mailbox for `session`: the one it owns; a new, empty one when `session` is newer than
   * the owner (the old session's subscribers end: its events are not the new one's to read); refused
   * when an older or equally old other session asks.
   */
  private ownMailbox(roomId: string, peerId: string, session: PeerSession): Mailbox {
    const mailbox = this.mailbox(roomId, peerId);
    const owner = mailbox.session;
    if (owner === null || owner.id === session.id) {
      mailbox.session = owner ?? session;
      return mailbox;
    }
    if (!isNewerSession(session, owner)) throw new SessionSupersededError('a newer session holds this peer id');
    const fresh: Mailbox = { log: new Log(this.newEpoch()), subscribers: new Set(), session, leftAt: 0 };
    this.mailboxes.set(`${roomId}/${peerId}`, fresh);
    for (const sub of mailbox.subscribers) sub.feed.fail(new SessionSupersededError('a newer session holds this peer id'));
    return fresh;
  }

  /** Drops expired events, then forgets mailboxes, rooms and claims nobody can use any more. */
  private sweep(): void {
    const now = this.now();
    const before = now - this.options.retentionMs;
    for (const [key, mailbox] of this.mailboxes) {
      mailbox.log.expire(before);
      const [roomId = '', peerId = ''] = key.split('/');
      const member = this.rooms.get(roomId)?.roster.has(peerId) ?? false;
      const kept = member || mailbox.subscribers.size > 0 || mailbox.log.entries.length > 0 || mailbox.leftAt > before;
      if (!kept) this.mailboxes.delete(key);
    }
    for (const [roomId, room] of this.rooms) {
      room.log.expire(before);
      if (room.roster.size === 0 && room.log.entries.length === 0 && room.subscribers.size === 0) this.rooms.delete(roomId);
    }
    for (const [key, expiresAt] of this.claims) if (expiresAt <= now) this.claims.delete(key);
  }
}
