/**
 * A room: everyone in it connected to everyone else (a full mesh of {@link PeerSession}s over one
 * {@link SignalingClient}), with data to one peer or to all over peer-to-peer data channels and media
 * published to every current and future peer. `joinRoom` resolves once the gateway welcomed this peer
 * and a connection to each peer already there is under way, so the roster is state (`room.peers`), and
 * a listener attached after the `await` has missed nothing.
 */
import { TypedEmitter } from './emitter';
import { SignalingError, transportError } from './errors';
import { createGuestSession } from './guest';
import type { WebSocketConstructor, Transport } from './links';
import { createPeerSession, type PeerConnectionLike, type PeerSession } from './peer-session';
import {
  ClientErrorCode,
  CloseCode,
  ErrorCode,
  MAX_QUEUED_ROOM_MESSAGES,
  MAX_ROOM_MESSAGE_BYTES,
  RECONNECT_BASE_DELAY_MS,
  RECONNECT_MAX_DELAY_MS,
  ROOM_DATA_CHANNEL,
  ROOM_OFFER_WAIT_MS,
  ROOM_REJOIN_MAX_ATTEMPTS,
} from './protocol';
import { createSignalingClient, type ClientState, type SignalingClient } from './signaling-client';
import { type ConnectionState, ConnectionStateMachine, type StateChange } from './state';
import type { Delivery, IceServer, Peer } from './types';

/**
 * What `broadcast` and `send` carry: any JSON value (a string is the simplest). It crosses as its JSON
 * text and arrives parsed, so `{ x: 1 }` arrives as `{ x: 1 }` and `'hi'` as `'hi'`.
 */
export type RoomData = string | number | boolean | null | readonly RoomData[] | { readonly [key: string]: RoomData };

/** A media track, as both the browser's and werift's look. */
export interface TrackLike {
  readonly kind: string;
}

/** A media stream: a set of tracks. */
export interface StreamLike {
  readonly id: string;
  getTracks(): readonly TrackLike[];
}

/** What `addTrack` returns, for `removeTrack`. */
export interface SenderLike {
  readonly track?: TrackLike | null | undefined;
}

/** The part of `RTCDataChannel` a room uses. */
export interface DataChannelLike {
  readonly readyState: string;
  send(data: string): void;
  close(): void;
  addEventListener(type: string, listener: (event: Event) => void): void;
}

/** The connection a room drives: the browser's `RTCPeerConnection` and werift's both fit. */
export interface RoomConnection extends PeerConnectionLike {
  createDataChannel(label: string, options: { negotiated: boolean; id: number }): DataChannelLike;
  addTrack(track: TrackLike, ...streams: StreamLike[]): SenderLike;
  removeTrack(sender: SenderLike): void;
}

/** The track type of a connection (the browser's `MediaStreamTrack`, or werift's). */
export type TrackOf<PC extends RoomConnection> = Parameters<PC['addTrack']>[0] & TrackLike;

/** The stream type of a connection (the browser's `MediaStream`, or werift's). */
export type StreamOf<PC extends RoomConnection> = Parameters<PC['addTrack']>[1] & StreamLike;

/** The global `RTCPeerConnection` when the DOM types are there, else the structural shape. */
export type DefaultPeerConnection = typeof globalThis extends { RTCPeerConnection: { prototype: infer P } } ? (P extends RoomConnection ? P : RoomConnection) : RoomConnection;

/** This peer, as the gateway knows it. */
export interface RoomSelf {
  readonly id: string;
  readonly name: string | null;
  readonly room: string;
}

/** Another peer in the room and this peer's connection to it. */
export interface RoomPeer<PC extends RoomConnection = DefaultPeerConnection> {
  readonly id: string;
  readonly name: string | null;
  /** The session that drives the connection (its `state` events follow the connection state machine). */
  readonly session: PeerSession<PC>;
  readonly peerConnection: PC;
  /** Where the connection is now; `p2p-connected` when media and data flow. */
  readonly state: ConnectionState;
  /** The streams this peer sends, as they arrived in `track` events. */
  readonly streams: ReadonlyArray<StreamOf<PC>>;
}

/** The room's own state: its gateway connection's, with `reconnecting` also while it rejoins with a fresh session. */
export type RoomState = ClientState;

/** The events of a {@link Room} and their payloads. */
export interface RoomEvents<PC extends RoomConnection = DefaultPeerConnection> {
  /** A peer joined after `joinRoom` resolved (the ones there before are in `room.peers` at once). */
  'peer-joined': RoomPeer<PC>;
  /**
   * A peer left `room.peers`: `left` or `timeout` as the gateway tells it; `failed` when no connection
   * could be made; `closed` when this side left; `rejoining` when this side lost its session and joins
   * again; `replaced` when the peer came back on a new connection (a `peer-joined` with it follows).
   */
  'peer-left': { readonly peer: RoomPeer<PC>; readonly reason: string };
  /** A track from a peer (also kept in `peer.streams`). */
  track: { readonly peer: RoomPeer<PC>; readonly track: TrackOf<PC>; readonly streams: ReadonlyArray<StreamOf<PC>> };
  /** A message from a peer, parsed (see {@link RoomData}). */
  data: { readonly from: string; readonly data: RoomData };
  /** An app message from a peer through the gateway ({@link Room.message}): `broadcast` when it went to the whole room. */
  message: { readonly from: string; readonly data: string; readonly broadcast: boolean };
  /** The room's state changed. */
  state: StateChange<RoomState>;
  /** Something went wrong that the room could not hide; it keeps going unless `state` says `failed`. */
  error: SignalingError;
}

/** Guest credentials: the room asks the gateway for a session (`createSession`) now and on every rejoin. */
export interface RoomGuest {
  readonly room: string;
  readonly name?: string;
  /** Ask for this peer id (default: the gateway picks one). */
  readonly peerId?: string;
  /** Your API key, when the gateway has guest sessions off. */
  readonly apiKey?: string;
}

interface RoomOptionsBase<PC extends RoomConnection> {
  /** The gateway's GraphQL endpoint: `https://host/graphql`. */
  readonly url: string;
  /** Published to every peer, now and later (like `publish(media)`); the room never stops its tracks. */
  readonly media?: StreamOf<PC>;
  /** Builds each connection; default `new RTCPeerConnection(config)`. In Node pass werift's. */
  readonly createPeerConnection?: (config: { iceServers: IceServer[] }) => PC;
  /** The WebSocket constructor; default the global one (pass `ws`'s in Node 20). */
  readonly webSocketImpl?: WebSocketConstructor;
  readonly fetchImpl?: typeof fetch;
  /** `auto` (default): WebSocket, then Server-Sent Events, then long polling. */
  readonly transport?: Transport | 'auto';
  /**
   * A fresh token for this peer: used to refresh before expiry (default: the gateway's
   * `refreshSession`) and, for `token` users, to rejoin after the gateway refused the token (a
   * restarted gateway with a new secret, an expired session). Without it a refused token ends in `failed`.
   */
  readonly refreshToken?: (current: string) => Promise<string>;
}

/** Options of {@link joinRoom}: a `token` from your backend, or `guest` to ask the gateway for one. */
export type JoinRoomOptions<PC extends RoomConnection = DefaultPeerConnection> = RoomOptionsBase<PC> &
  ({ readonly token: string; readonly guest?: never } | { readonly guest: RoomGuest; readonly token?: never });

/** One remote peer's connection, with what the room keeps for it. */
interface PeerLink<PC extends RoomConnection> {
  readonly peer: RoomPeer<PC>;
  readonly streams: Array<StreamOf<PC>>;
  /** Senders per published stream, to take them off again. */
  readonly senders: Map<StreamOf<PC>, SenderLike[]>;
  channel: DataChannelLike | null;
  readonly outbox: string[];
  offerTimer: ReturnType<typeof setTimeout> | undefined;
}

/** A peer is the caller when this side found it in its Welcome; else it waits for that peer's offer first. */
type Role = 'call' | 'answer';

/**
 * A room this peer is in. Get one with {@link joinRoom}; it keeps a connection to every other peer
 * until {@link Room.leave}.
 */
export class Room<PC extends RoomConnection = DefaultPeerConnection> extends TypedEmitter<RoomEvents<PC>> {
  private client: SignalingClient | null = null;
  private me: RoomSelf;
  private readonly links = new Map<string, PeerLink<PC>>();
  private readonly roster = new Map<string, RoomPeer<PC>>();
  /** Connections being made (waiting for `iceServers`), so a peer gets one. */
  private readonly pending = new Set<string>();
  private readonly published = new Set<StreamOf<PC>>();
  private readonly machine: ConnectionStateMachine;
  private rejoining = false;
  private leaving: Promise<void> | null = null;
  private lastError: SignalingError | null = null;
  private started = false;
  /** The pause between two rejoin attempts, cut short by `leave()`. */
  private rejoinWait: { readonly timer: ReturnType<typeof setTimeout>; readonly resolve: () => void } | null = null;

  /** @internal use {@link joinRoom} */
  constructor(private readonly options: JoinRoomOptions<PC>) {
    super();
    this.me = { id: options.guest?.peerId ?? '', name: options.guest?.name ?? null, room: options.guest?.room ?? '' };
    this.machine = new ConnectionStateMachine('disconnected', (change) => this.emit('state', change as StateChange<RoomState>));
    if (options.media) this.published.add(options.media);
  }

  /** This peer (its id may change when the room rejoins as a guest whose id was taken). */
  get self(): RoomSelf {
    return this.me;
  }

  /** The other peers in the room, by id, each with its connection. */
  get peers(): ReadonlyMap<string, RoomPeer<PC>> {
    return this.roster;
  }

  /** The room's state now. */
  get state(): RoomState {
    return this.machine.state as RoomState;
  }

  /** The signaling client of the current session (a new one after a rejoin), for the lower-level API. */
  get signaling(): SignalingClient | null {
    return this.client;
  }

  /**
   * Sends `data` to every peer in the room now (held per peer until its channel opens).
   * @returns how many peers it went to
   */
  broadcast(data: RoomData): number {
    const text = encode(data);
    for (const link of this.links.values()) this.deliver(link, text);
    return this.links.size;
  }

  /** Sends `data` to one peer; throws `PEER_NOT_FOUND` when it is not in the room. */
  send(peerId: string, data: RoomData): void {
    const link = this.links.get(peerId);
    if (!link) throw new SignalingError(ErrorCode.PeerNotFound, `${peerId} is not in the room`);
    this.deliver(link, encode(data));
  }

  /**
   * Sends an app message through the gateway, no data channel needed (so it works before one is
   * open): to the peer `to`, or without `to` to every other peer of the room, who get a `message`
   * event. Ordered and resumed like the signaling itself. `data` is text of at most 16 KiB without
   * control characters; the gateway rate-limits it per peer (`RATE_LIMITED`).
   * @returns the gateway's receipt
   */
  message(data: string, to?: string): Promise<Delivery> {
    const client = this.client;
    if (!client) return Promise.reject(new SignalingError(ClientErrorCode.Closed, 'the room is not connected to the gateway'));
    return client.sendMessage(data, to);
  }

  /** Sends `stream`'s tracks to every peer, now and to those who join later. */
  publish(stream: StreamOf<PC>): void {
    if (this.published.has(stream)) return;
    this.published.add(stream);
    for (const link of this.links.values()) if (link.channel) this.sendStream(link, stream);
  }

  /** Stops sending `stream` to anyone. Its tracks keep running: they are yours to stop. */
  unpublish(stream: StreamOf<PC>): void {
    if (!this.published.delete(stream)) return;
    for (const link of this.links.values()) {
      for (const sender of link.senders.get(stream) ?? []) link.peer.peerConnection.removeTrack(sender);
      link.senders.delete(stream);
    }
  }

  /** Leaves the room: the others see this peer leave at once; every connection closes. Safe to call twice. */
  leave(): Promise<void> {
    this.leaving ??= (async () => {
      if (this.rejoinWait) {
        clearTimeout(this.rejoinWait.timer);
        this.rejoinWait.resolve();
      }
      this.closeLinks('closed');
      await this.discardClient();
      this.machine.walkTo('disconnected');
    })();
    return this.leaving;
  }

  /** @internal the first join: a session, the gateway's Welcome, and a call to everyone already there */
  async start(): Promise<void> {
    this.machine.transition('disconnected', 'connecting');
    try {
      const token = this.options.token ?? (await this.guestToken());
      await this.connect(token);
      this.started = true;
    } catch (caught) {
      await this.leave();
      throw caught instanceof SignalingError ? caught : transportError(caught);
    }
  }

  private async guestToken(): Promise<string> {
    const guest = this.options.guest;
    if (!guest) throw new SignalingError(ErrorCode.BadUserInput, 'joinRoom needs a token or guest: { room }');
    const { url, fetchImpl } = this.options;
    const peerId = this.me.id || guest.peerId;
    const ask = (id: string | undefined): ReturnType<typeof createGuestSession> =>
      createGuestSession({
        url,
        room: guest.room,
        ...(id ? { peerId: id } : {}),
        ...(guest.name ? { name: guest.name } : {}),
        ...(guest.apiKey ? { apiKey: guest.apiKey } : {}),
        ...(fetchImpl ? { fetchImpl } : {}),
      });
    try {
      return (await ask(peerId)).token;
    } catch (caught) {
      // A rejoin whose old id is still held (its grace runs): take a new one, unless the app fixed the id.
      if (caught instanceof SignalingError && caught.code === ErrorCode.PeerIdTaken && !guest.peerId && peerId) return (await ask(undefined)).token;
      throw caught;
    }
  }

  /** Opens a signaling client on `token`, waits for its Welcome, and starts a connection to each peer in it. */
  private async connect(token: string): Promise<void> {
    const { url, webSocketImpl, fetchImpl, transport, refreshToken } = this.options;
    const client = createSignalingClient({
      url,
      token,
      ...(webSocketImpl ? { webSocketImpl } : {}),
      ...(fetchImpl ? { fetchImpl } : {}),
      ...(transport ? { transport } : {}),
      ...(refreshToken ? { refreshToken } : {}),
    });
    this.client = client;
    const mine = (run: () => void): void => {
      if (this.client === client) run();
    };
    client.on('state', ({ state }) => mine(() => this.clientState(client, state)));
    client.on('error', (error) => mine(() => this.report(error)));
    let calls: Promise<unknown> = Promise.resolve();
    // Everyone in a Welcome is called from here (a newcomer calls; so does a peer back from a lost session).
    client.on('welcome', ({ self, room, peers }) =>
      mine(() => {
        this.me = { id: self.id, name: self.name ?? null, room };
        calls = Promise.all(peers.map((peer) => this.open(client, peer, 'call')));
      }),
    );
    client.on('peer-connected', ({ peer }) => mine(() => void this.open(client, peer, 'answer')));
    client.on('message', ({ from, data, broadcast }) => mine(() => this.emit('message', { from, data, broadcast })));
    client.on('offer', ({ from }) => mine(() => void this.open(client, client.peers.find((peer) => peer.id === from) ?? { id: from, name: null }, 'answer')));
    await client.ready();
    await calls;
  }

  /** Makes the connection to `peer` (once): fresh ICE servers, a session, the data channel and the published media. */
  private async open(client: SignalingClient, peer: Pick<Peer, 'id' | 'name'>, role: Role): Promise<void> {
    if (this.links.has(peer.id) || this.pending.has(peer.id)) return;
    this.pending.add(peer.id);
    try {
      // TURN credentials are short-lived and per peer: every connection asks, calling or answering.
      const iceServers = await client.iceServers();
      if (this.client !== client || !client.peers.some(({ id }) => id === peer.id)) return;
      const pc = this.createPeerConnection(iceServers);
      const session = createPeerSession(client, peer.id, { peerConnection: pc });
      const streams: Array<StreamOf<PC>> = [];
      const view: RoomPeer<PC> = {
        id: peer.id,
        name: peer.name ?? null,
        session,
        peerConnection: pc,
        get state() {
          return session.state;
        },
        get streams() {
          return streams;
        },
      };
      const link: PeerLink<PC> = { peer: view, streams, senders: new Map(), channel: null, outbox: [], offerTimer: undefined };
      this.links.set(peer.id, link);
      this.roster.set(peer.id, view);
      pc.addEventListener('track', (event) => this.track(link, event));
      session.on('error', (error) => this.report(error));
      session.on('closed', ({ reason }) => {
        this.drop(link, reason);
        // The peer started over on a new connection (its old one is gone): meet it there.
        if (reason === 'replaced') void this.open(client, peer, 'call');
      });
      if (role === 'call') this.attach(link);
      else this.awaitOffer(link);
      // The peers there when joinRoom resolves are state (room.peers), not news.
      if (this.started) this.emit('peer-joined', view);
    } catch (caught) {
      if (this.client === client) this.report(caught instanceof SignalingError ? caught : transportError(caught));
    } finally {
      this.pending.delete(peer.id);
    }
  }

  private createPeerConnection(iceServers: IceServer[]): PC {
    const config = { iceServers };
    if (this.options.createPeerConnection) return this.options.createPeerConnection(config);
    const global: unknown = Reflect.get(globalThis, 'RTCPeerConnection');
    if (typeof global !== 'function') throw new SignalingError(ErrorCode.BadUserInput, "no RTCPeerConnection here: pass createPeerConnection (in Node, werift's)");
    return new (global as new (config: { iceServers: IceServer[] }) => PC)(config);
  }

  /**
   * The answering side adds its channel and media once the caller's offer is in (so they ride on the
   * answer instead of crossing a second offer), or after {@link ROOM_OFFER_WAIT_MS} if no offer comes.
   */
  private awaitOffer(link: PeerLink<PC>): void {
    const pc = link.peer.peerConnection;
    const onChange = (): void => {
      if (pc.signalingState === 'have-remote-offer') this.attach(link);
    };
    pc.addEventListener('signalingstatechange', onChange);
    link.offerTimer = setTimeout(() => this.attach(link), ROOM_OFFER_WAIT_MS);
    onChange();
  }

  /** Opens the data channel and sends the published streams; negotiation follows by itself. */
  private attach(link: PeerLink<PC>): void {
    if (link.channel || this.links.get(link.peer.id) !== link) return;
    clearTimeout(link.offerTimer);
    const channel = link.peer.peerConnection.createDataChannel(ROOM_DATA_CHANNEL.label, { negotiated: true, id: ROOM_DATA_CHANNEL.id });
    link.channel = channel;
    channel.addEventListener('open', () => {
      for (const text of link.outbox.splice(0)) channel.send(text);
    });
    channel.addEventListener('message', (event) => this.channelMessage(link, event));
    for (const stream of this.published) this.sendStream(link, stream);
  }

  private sendStream(link: PeerLink<PC>, stream: StreamOf<PC>): void {
    const pc = link.peer.peerConnection;
    link.senders.set(
      stream,
      stream.getTracks().map((track) => pc.addTrack(track, stream)),
    );
  }

  private deliver(link: PeerLink<PC>, text: string): void {
    const channel = link.channel;
    if (channel?.readyState === 'open') return channel.send(text);
    if (channel && channel.readyState !== 'connecting') return; // closing: the peer is on its way out
    if (link.outbox.length >= MAX_QUEUED_ROOM_MESSAGES) {
      throw new SignalingError(ErrorCode.RateLimited, `${MAX_QUEUED_ROOM_MESSAGES} messages already wait for ${link.peer.id}'s data channel to open`);
    }
    link.outbox.push(text);
  }

  private channelMessage(link: PeerLink<PC>, event: unknown): void {
    const raw = typeof event === 'object' && event !== null && 'data' in event ? event.data : undefined;
    if (typeof raw !== 'string') return this.report(new SignalingError(ClientErrorCode.BadResponse, `${link.peer.id} sent a binary message; room messages are JSON text`));
    this.emit('data', { from: link.peer.id, data: decode(raw) });
  }

  private track(link: PeerLink<PC>, event: unknown): void {
    if (typeof event !== 'object' || event === null || !('track' in event)) return;
    const track = event.track as TrackOf<PC>;
    const streams = ('streams' in event && Array.isArray(event.streams) ? event.streams : []) as Array<StreamOf<PC>>;
    for (const stream of streams) if (!link.streams.includes(stream)) link.streams.push(stream);
    this.emit('track', { peer: link.peer, track, streams });
  }

  /** A session ended: the peer left, failed to connect, or the client under it closed. */
  private drop(link: PeerLink<PC>, reason: string): void {
    const { id } = link.peer;
    if (this.links.get(id) !== link) return;
    clearTimeout(link.offerTimer);
    this.links.delete(id);
    this.roster.delete(id);
    this.emit('peer-left', { peer: link.peer, reason });
  }

  private closeLinks(reason: string): void {
    for (const link of [...this.links.values()]) {
      this.drop(link, reason);
      void link.peer.session.close();
    }
  }

  private report(error: SignalingError): void {
    this.lastError = error;
    this.emit('error', error);
  }

  private clientState(client: SignalingClient, state: ClientState): void {
    if (state === 'failed') {
      void this.rejoin(client);
      return;
    }
    if (this.rejoining || state === 'disconnected') return;
    // A new session's first connect, after a rejoin, is still the room reconnecting.
    this.machine.walkTo(state === 'connecting' && this.machine.history.includes('connected') ? 'reconnecting' : state);
  }

  /**
   * The gateway gave up on this session: rejoin with a fresh one where that can help (a refused or
   * expired token, reconnects exhausted), not where it cannot (replaced by another tab, removed).
   */
  private async rejoin(failed: SignalingClient): Promise<void> {
    if (this.rejoining || this.leaving) return;
    const closeCode = this.lastError?.details.closeCode;
    const canRejoin = closeCode !== CloseCode.Replaced && closeCode !== CloseCode.SessionEnded && (this.options.guest !== undefined || this.options.refreshToken !== undefined);
    if (!canRejoin || !this.machine.history.includes('connected')) {
      this.machine.walkTo('failed');
      return;
    }
    this.rejoining = true;
    this.machine.walkTo('reconnecting');
    const oldToken = failed.currentToken;
    this.closeLinks('rejoining');
    await this.discardClient();
    for (let attempt = 1; attempt <= ROOM_REJOIN_MAX_ATTEMPTS && !this.leaving; attempt += 1) {
      try {
        const token = this.options.refreshToken && !this.options.guest ? await this.options.refreshToken(oldToken) : await this.guestToken();
        if (this.leaving) return;
        await this.connect(token);
        this.rejoining = false;
        this.machine.walkTo('connected');
        return;
      } catch (caught) {
        await this.discardClient();
        if (this.leaving) return;
        this.report(caught instanceof SignalingError ? caught : transportError(caught));
        const delayMs = Math.random() * Math.min(RECONNECT_MAX_DELAY_MS, RECONNECT_BASE_DELAY_MS * 2 ** (attempt - 1));
        await new Promise<void>((resolve) => (this.rejoinWait = { timer: setTimeout(resolve, delayMs), resolve }));
        this.rejoinWait = null;
      }
    }
    this.rejoining = false;
    if (!this.leaving) this.machine.walkTo('failed');
  }

  /** Closes the current client (its sessions close with it); its events no longer reach the room. */
  private async discardClient(): Promise<void> {
    const client = this.client;
    this.client = null;
    await client?.close();
  }

  protected override onListenerError(error: unknown, event: string): void {
    if (event === 'error') return super.onListenerError(error, event);
    this.emit('error', error instanceof SignalingError ? error : new SignalingError(ClientErrorCode.BadResponse, `a ${event} listener threw: ${String(error)}`));
  }
}

/** The JSON text of `data`, checked: a value JSON cannot carry, or one too large for a data channel, is refused. */
function encode(data: RoomData): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(data);
  } catch (caught) {
    throw new SignalingError(ErrorCode.BadUserInput, `room data must be JSON: ${caught instanceof Error ? caught.message : String(caught)}`);
  }
  if (text === undefined) throw new SignalingError(ErrorCode.BadUserInput, 'room data must be JSON (a string, number, boolean, null, array or object)');
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > MAX_ROOM_MESSAGE_BYTES) throw new SignalingError(ErrorCode.PayloadTooLarge, `room data is ${bytes} bytes as JSON; at most ${MAX_ROOM_MESSAGE_BYTES}`);
  return text;
}

/** A message's value; text that is not JSON (from a peer outside the SDK) arrives as that text. */
function decode(text: string): RoomData {
  try {
    return JSON.parse(text) as RoomData;
  } catch {
    return text;
  }
}

/**
 * Joins a room and connects to everyone in it; resolves once the gateway welcomed this peer (with
 * `room.peers` filled in), rejects with a coded {@link SignalingError} when it cannot join.
 *
 * ```ts
 * const room = await joinRoom({ url: 'https://host/graphql', guest: { room: 'standup', name: 'Ada' }, media: camera });
 * room.on('track', ({ peer, streams }) => show(peer.id, streams[0]));
 * room.on('data', ({ from, data }) => console.log(from, data));
 * room.broadcast('hello');
 * ```
 */
export async function joinRoom<PC extends RoomConnection = DefaultPeerConnection>(options: JoinRoomOptions<PC>): Promise<Room<PC>> {
  const room = new Room<PC>(options);
  await room.start();
  return room;
}
