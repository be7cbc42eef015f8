/**
 * The signaling client: one peer's connection to the gateway. It keeps the `signals` stream alive
 * (reconnecting with jittered backoff and resuming from the last cursor), refreshes the token before
 * it expires, retries sends that the gateway could not take yet, and reports everything as typed events.
 */
import type { AnyVariables, TypedDocumentNode } from '@urql/core';
import { TypedEmitter } from './emitter';
import { closedError, SignalingError, transportError } from './errors';
import { idempotencyKey } from './idempotency';
import {
  IceServersDocument,
  LeaveRoomDocument,
  RefreshSessionDocument,
  SendAnswerDocument,
  SendIceCandidateDocument,
  SendOfferDocument,
} from './generated/graphql';
import { type Link, type LinkEnd, openLink, type Transport, type WebSocketConstructor } from './links';
import {
  ATTEMPTS_BEFORE_FALLBACK,
  ClientErrorCode,
  CLOSE_WAIT_MS,
  CloseCode,
  ErrorCode,
  FINAL_CLOSE_CODES,
  KEEP_ALIVE_MS,
  POLL_WAIT_MS,
  PONG_TIMEOUT_MS,
  RECONNECT_BASE_DELAY_MS,
  RECONNECT_MAX_ATTEMPTS,
  RECONNECT_MAX_DELAY_MS,
  SEND_MAX_RETRIES,
  SEND_MAX_RETRY_DELAY_MS,
  SEND_WAIT_MS,
  TOKEN_REFRESH_MIN_MARGIN_MS,
} from './protocol';
import { type ConnectionState, ConnectionStateMachine, type StateChange } from './state';
import { readToken, refreshDelayMs, type TokenClaims } from './token';
import type { Delivery, IceCandidateSend, IceServer, Peer, Signal, SignalOf } from './types';
import { PresenceMode } from './wire';

/** The states of the gateway connection (the peer-to-peer ones belong to a {@link PeerSession}). */
export type ClientState = Extract<ConnectionState, 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'failed'>;

/** Options of {@link createSignalingClient}. */
export interface SignalingClientOptions {
  /** The gateway's GraphQL endpoint: `https://host/graphql` (or `wss://host/graphql`). */
  readonly url: string;
  /** A session token (from `createSession`, {@link createGuestSession} or your backend). */
  readonly token: string;
  /**
   * Returns a fresh token before the current one expires. Default: the gateway's `refreshSession`.
   * Give your own when your backend mints tokens.
   */
  readonly refreshToken?: (current: string) => Promise<string>;
  /** `auto` (default) tries WebSocket, then Server-Sent Events, then HTTP long polling, as each fails to get through. */
  readonly transport?: Transport | 'auto';
  /** The WebSocket constructor; default `globalThis.WebSocket` (pass `ws`'s in Node 20). */
  readonly webSocketImpl?: WebSocketConstructor;
  /** The fetch function; default `globalThis.fetch`. */
  readonly fetchImpl?: typeof fetch;
  /** Reconnect backoff: first delay, longest delay, attempts in a row before `failed`. */
  readonly reconnect?: { readonly baseDelayMs?: number; readonly maxDelayMs?: number; readonly maxAttempts?: number };
  /** Random numbers in [0, 1) for the backoff jitter (tests make it deterministic). */
  readonly random?: () => number;
  /**
   * How the gateway sends joins and leaves: `BATCHED` (default) groups those of a short window into one
   * event, which rooms of hundreds of peers need; `EACH` sends one event apiece. The client emits
   * `peer-connected` and `peer-disconnected` per peer either way.
   */
  readonly presence?: PresenceMode;
}

/** The events of a {@link SignalingClient} and their payloads. */
export interface SignalingEvents {
  /** The gateway took this connection: who is in the room. `resumed: false` after a reconnect means signals were lost. */
  welcome: SignalOf<'Welcome'>;
  /** A peer joined the room (or came back after its grace ended). */
  'peer-connected': SignalOf<'PeerConnected'>;
  /** A peer left the room: `reason` is `left`, `timeout` or `replaced`. */
  'peer-disconnected': SignalOf<'PeerDisconnected'>;
  offer: SignalOf<'Offer'>;
  answer: SignalOf<'Answer'>;
  'ice-candidate': SignalOf<'IceCandidate'>;
  /** The gateway connection moved to another state. */
  state: StateChange<ClientState>;
  /** The token was refreshed: store it if you keep tokens across page loads. */
  token: string;
  /** Something went wrong that the client could not hide: a lost link, a failed refresh, the reason for `failed`. */
  error: SignalingError;
}

/** A description or candidate from one remote peer, for the {@link PeerSession} that handles that peer. */
export type PeerSignal = SignalOf<'Offer'> | SignalOf<'Answer'> | SignalOf<'IceCandidate'>;

/** Signals kept for a remote peer no session has claimed yet (the offer that starts a call, its candidates). */
const MAX_UNCLAIMED_SIGNALS_PER_PEER = 128;

interface Waiter {
  resolve(): void;
  reject(error: SignalingError): void;
}

/**
 * One peer's connection to the gateway. Create it with {@link createSignalingClient}; it starts
 * connecting at once. Listen with `on(event, listener)`; send with `sendOffer`, `sendAnswer` and
 * `sendIceCandidate`; end with `close()`.
 */
export class SignalingClient extends TypedEmitter<SignalingEvents> {
  /** This peer's id (the token's `sub`). */
  readonly peerId: string;
  /** This peer's room. */
  readonly room: string;

  private readonly machine: ConnectionStateMachine;
  private readonly httpUrl: string;
  private token: string;
  private claims: TokenClaims;
  private link: Link | null = null;
  private cursor: string | null = null;
  private readonly roster = new Map<string, Peer>();
  private welcomed = false;
  private failuresInRow = 0;
  /** Attempts per transport without a Welcome, for `transport: 'auto'`. */
  private readonly unwelcomed = { websocket: 0, sse: 0 };
  private closing: Promise<void> | null = null;
  private readonly timers = new Set<ReturnType<typeof setTimeout>>();
  private readonly waiters = new Set<Waiter>();
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly handlers = new Map<string, (signal: PeerSignal) => void>();
  private readonly unclaimed = new Map<string, PeerSignal[]>();

  /** @param options - see {@link SignalingClientOptions} */
  constructor(private readonly options: SignalingClientOptions) {
    super();
    this.claims = readToken(options.token);
    this.token = options.token;
    this.peerId = this.claims.peerId;
    this.room = this.claims.room;
    this.httpUrl = options.url.replace(/^ws/, 'http');
    this.machine = new ConnectionStateMachine('disconnected', (change) => this.emit('state', change as StateChange<ClientState>));
    this.machine.transition('disconnected', 'connecting');
    this.open();
    this.scheduleRefresh();
  }

  /** The gateway connection's state now. */
  get state(): ClientState {
    return this.machine.state as ClientState;
  }

  /** Every state the connection went through, in order. */
  get history(): readonly ConnectionState[] {
    return this.machine.history;
  }

  /** The transport of the live (or last) connection. */
  get transport(): Transport | null {
    return this.link?.transport ?? null;
  }

  /** The other peers connected in the room, as of the latest events. */
  get peers(): Peer[] {
    return [...this.roster.values()];
  }

  /** The token in use now (it changes when refreshed). */
  get currentToken(): string {
    return this.token;
  }

  /** Resolves when the gateway has welcomed this connection (at once if it has); rejects on `failed` or `close()`. */
  ready(timeoutMs = SEND_WAIT_MS): Promise<void> {
    if (this.state === 'connected') return Promise.resolve();
    if (this.closing || this.state === 'failed') return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new SignalingError(ClientErrorCode.Timeout, `not connected to the gateway within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter = {
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.waiters.add(waiter);
    });
  }

  /** Sends an SDP offer to `to`; resolves with the gateway's receipt. */
  sendOffer(to: string, sdp: string): Promise<Delivery> {
    return this.send(SendOfferDocument, { to, sdp, idempotencyKey: idempotencyKey() }).then((data) => data.sendOffer);
  }

  /** Sends an SDP answer to `to`. */
  sendAnswer(to: string, sdp: string): Promise<Delivery> {
    return this.send(SendAnswerDocument, { to, sdp, idempotencyKey: idempotencyKey() }).then((data) => data.sendAnswer);
  }

  /** Sends an ICE candidate to `to` (`candidate: ""` is end-of-candidates). */
  sendIceCandidate(to: string, candidate: IceCandidateSend): Promise<Delivery> {
    return this.send(SendIceCandidateDocument, { to, candidate, idempotencyKey: idempotencyKey() }).then((data) => data.sendIceCandidate);
  }

  /** STUN/TURN servers, ready for `new RTCPeerConnection({ iceServers })` (TURN credentials are short-lived: ask per call). */
  iceServers(): Promise<IceServer[]> {
    return this.send(IceServersDocument, {}).then((data) =>
      data.iceServers.map(({ urls, username, credential }) => ({ urls, ...(username ? { username } : {}), ...(credential ? { credential } : {}) })),
    );
  }

  /**
   * Routes the descriptions and candidates of `remotePeerId` to `handler` (and only there) from now
   * on, starting with those that arrived before anyone claimed them. Used by {@link PeerSession}.
   * @returns a function that releases the claim
   */
  claimPeer(remotePeerId: string, handler: (signal: PeerSignal) => void): () => void {
    if (this.handlers.has(remotePeerId)) throw new SignalingError(ErrorCode.BadUserInput, `peer ${remotePeerId} already has a session`);
    this.handlers.set(remotePeerId, handler);
    const waiting = this.unclaimed.get(remotePeerId) ?? [];
    this.unclaimed.delete(remotePeerId);
    for (const signal of waiting) handler(signal);
    return () => {
      if (this.handlers.get(remotePeerId) === handler) this.handlers.delete(remotePeerId);
    };
  }

  /**
   * Routes `signal` again, as if it had just arrived: to the session that claims its peer now, or kept
   * for the next one. For a session that ends on a signal it cannot take (a description from a new
   * connection of its peer), so that the session after it gets that signal and those behind it.
   */
  requeue(signal: PeerSignal): void {
    if (!this.closing) this.route(signal);
  }

  /**
   * Leaves the room (others see `PeerDisconnected` at once), closes the connection and releases every
   * timer; waits at most {@link CLOSE_WAIT_MS} for the gateway. Safe to call more than once.
   */
  close(): Promise<void> {
    this.closing ??= this.shutDown();
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    clearTimeout(this.refreshTimer);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const waiter of [...this.waiters]) waiter.reject(closedError());
    this.waiters.clear();
    const link = this.link;
    this.link = null;
    if (link && this.state === 'connected') {
      await withTimeout(link.execute(LeaveRoomDocument, {}), CLOSE_WAIT_MS).catch(() => undefined);
    }
    await link?.close();
    this.unclaimed.clear();
    this.machine.walkTo('disconnected');
  }

  private open(): void {
    const transport = this.pickTransport();
    this.welcomed = false;
    const link: Link = openLink(transport, {
      httpUrl: this.httpUrl,
      token: () => this.token,
      after: this.cursor,
      presence: this.options.presence ?? PresenceMode.Batched,
      handlers: {
        onSignal: (signal) => {
          if (this.link === link) this.receive(signal);
        },
        onEnd: (end) => {
          if (this.link === link) this.linkEnded(end);
        },
      },
      webSocketImpl: this.options.webSocketImpl,
      fetchImpl: this.options.fetchImpl,
      keepAliveMs: KEEP_ALIVE_MS,
      pongTimeoutMs: PONG_TIMEOUT_MS,
      pollWaitMs: POLL_WAIT_MS,
      closeWaitMs: CLOSE_WAIT_MS,
    });
    this.link = link;
  }

  private pickTransport(): Transport {
    const wanted = this.options.transport ?? 'auto';
    if (wanted !== 'auto') return wanted;
    if (this.unwelcomed.websocket < ATTEMPTS_BEFORE_FALLBACK.websocket) return 'websocket';
    return this.unwelcomed.sse < ATTEMPTS_BEFORE_FALLBACK.sse ? 'sse' : 'long-polling';
  }

  private receive(signal: Signal): void {
    this.cursor = signal.cursor;
    switch (signal.__typename) {
      case 'Welcome':
        return this.welcome(signal);
      case 'PeerConnected':
        return this.connected(signal);
      case 'PeerDisconnected':
        return this.disconnected(signal);
      case 'PresenceBatch':
        // The batch's joins, then its leaves (the gateway never puts a rejoin after a leave in one batch).
        for (const peer of signal.joined) this.connected({ __typename: 'PeerConnected', cursor: signal.cursor, at: signal.at, peer });
        for (const { peer, reason } of signal.left) this.disconnected({ __typename: 'PeerDisconnected', cursor: signal.cursor, at: signal.at, peer, reason });
        return;
      case 'Offer':
        this.route(signal);
        return this.emit('offer', signal);
      case 'Answer':
        this.route(signal);
        return this.emit('answer', signal);
      case 'IceCandidate':
        this.route(signal);
        return this.emit('ice-candidate', signal);
    }
  }

  private connected(signal: SignalOf<'PeerConnected'>): void {
    this.roster.set(signal.peer.id, signal.peer);
    this.emit('peer-connected', signal);
  }

  private disconnected(signal: SignalOf<'PeerDisconnected'>): void {
    this.roster.delete(signal.peer.id);
    this.unclaimed.delete(signal.peer.id);
    this.emit('peer-disconnected', signal);
  }

  private welcome(signal: SignalOf<'Welcome'>): void {
    const before = new Map(this.roster);
    this.roster.clear();
    for (const peer of signal.peers) this.roster.set(peer.id, peer);
    this.welcomed = true;
    this.failuresInRow = 0;
    const transport = this.link?.transport;
    if (transport === 'websocket' || transport === 'sse') this.unwelcomed[transport] = 0;
    if (this.state === 'connecting') this.machine.transition('connecting', 'connected');
    else if (this.state === 'reconnecting') this.machine.transition('reconnecting', 'connected');
    for (const waiter of [...this.waiters]) waiter.resolve();
    this.waiters.clear();
    this.emit('welcome', signal);
    // Without a replay, the joins and leaves missed while away are told here, from the roster's difference.
    if (signal.resumed) return;
    for (const [id, peer] of before) {
      if (this.roster.has(id)) continue;
      this.unclaimed.delete(id);
      this.emit('peer-disconnected', { __typename: 'PeerDisconnected', cursor: signal.cursor, at: signal.at, peer, reason: 'timeout' });
    }
    for (const [id, peer] of this.roster) {
      if (!before.has(id)) this.emit('peer-connected', { __typename: 'PeerConnected', cursor: signal.cursor, at: signal.at, peer });
    }
  }

  private route(signal: PeerSignal): void {
    const handler = this.handlers.get(signal.from);
    if (handler) return handler(signal);
    const waiting = this.unclaimed.get(signal.from) ?? [];
    if (waiting.length >= MAX_UNCLAIMED_SIGNALS_PER_PEER) waiting.shift();
    waiting.push(signal);
    this.unclaimed.set(signal.from, waiting);
  }

  private linkEnded(end: LinkEnd): void {
    const transport = this.link?.transport;
    this.link = null;
    if (this.closing) return;
    // The gateway answering "unavailable" (broker or token key source down) says nothing about the transport: no fallback for it.
    if ((transport === 'websocket' || transport === 'sse') && !this.welcomed && !isUnavailable(end)) this.unwelcomed[transport] += 1;
    if (isFinal(end)) {
      const { closeCode } = end;
      if (closeCode === undefined) return this.fail(end.error);
      return this.fail(new SignalingError(ClientErrorCode.ConnectionRefused, `the gateway ended the connection for good: ${end.error.message}`, { closeCode }));
    }
    this.failuresInRow = this.welcomed ? 1 : this.failuresInRow + 1;
    const { baseDelayMs = RECONNECT_BASE_DELAY_MS, maxDelayMs = RECONNECT_MAX_DELAY_MS, maxAttempts = RECONNECT_MAX_ATTEMPTS } = this.options.reconnect ?? {};
    if (this.failuresInRow > maxAttempts) return this.fail(end.error);
    if (this.state === 'connected') this.machine.transition('connected', 'reconnecting');
    else if (this.state === 'connecting') this.machine.transition('connecting', 'reconnecting');
    // Full jitter: a room whose instance restarted does not come back as one thundering herd.
    const delayMs = (this.options.random ?? Math.random)() * Math.min(maxDelayMs, baseDelayMs * 2 ** (this.failuresInRow - 1));
    this.later(delayMs, () => this.open());
  }

  private fail(error: SignalingError): void {
    this.emit('error', error);
    this.machine.walkTo('failed');
    for (const waiter of [...this.waiters]) waiter.reject(error);
    this.waiters.clear();
  }

  private later(delayMs: number, run: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      run();
    }, delayMs);
    this.timers.add(timer);
  }

  private sleep(delayMs: number): Promise<void> {
    return new Promise((resolve) => this.later(delayMs, resolve));
  }

  /**
   * Runs an operation on the live link, waiting for one and retrying what can be retried. Retries
   * repeat `variables` as they are: a send's idempotency key with them, so the gateway recognises a
   * retry of a signal it already stored.
   */
  private async send<Data, Variables extends AnyVariables>(document: TypedDocumentNode<Data, Variables>, variables: Variables): Promise<Data> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.closing) throw closedError();
      await this.ready();
      try {
        if (!this.link) throw new SignalingError(ClientErrorCode.Transport, 'the connection dropped');
        return await this.link.execute(document, variables);
      } catch (caught) {
        const error = caught instanceof SignalingError ? caught : transportError(caught);
        if (!error.retryable || attempt >= SEND_MAX_RETRIES || this.closing) throw error;
        const backoffMs = RECONNECT_BASE_DELAY_MS * 2 ** attempt;
        await this.sleep(Math.min(SEND_MAX_RETRY_DELAY_MS, error.details.retryAfterMs ?? backoffMs));
      }
    }
  }

  private scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), refreshDelayMs(this.claims, Date.now()));
  }

  private async refresh(): Promise<void> {
    try {
      const token = this.options.refreshToken
        ? await this.options.refreshToken(this.token)
        : (await this.send(RefreshSessionDocument, {})).refreshSession.token;
      const claims = readToken(token);
      if (claims.peerId !== this.peerId || claims.room !== this.room) {
        throw new SignalingError(ErrorCode.Forbidden, 'the refreshed token is for another peer or room');
      }
      this.token = token;
      this.claims = claims;
      this.emit('token', token);
    } catch (caught) {
      if (this.closing) return;
      this.emit('error', caught instanceof SignalingError ? caught : transportError(caught));
      // Try again while the token is still good, then let the next connect report the expiry.
      const leftMs = this.claims.expiresAtMs - Date.now();
      if (leftMs > TOKEN_REFRESH_MIN_MARGIN_MS) this.refreshTimer = setTimeout(() => void this.refresh(), leftMs / 2);
      return;
    }
    if (!this.closing) this.scheduleRefresh();
  }

  protected override onListenerError(error: unknown, event: string): void {
    if (event === 'error') return super.onListenerError(error, event);
    this.emit('error', error instanceof SignalingError ? error : new SignalingError(ClientErrorCode.BadResponse, `a ${event} listener threw: ${String(error)}`));
  }
}

/** The gateway could not serve for now (`UNAVAILABLE`, or close `4103`): retried with backoff, never final. */
function isUnavailable(end: LinkEnd): boolean {
  return end.closeCode === CloseCode.Unavailable || end.error.code === ErrorCode.Unavailable;
}

/** Close codes and refusals after which reconnecting cannot help. */
function isFinal(end: LinkEnd): boolean {
  if (end.closeCode !== undefined && FINAL_CLOSE_CODES.has(end.closeCode)) return true;
  return end.error.code === ErrorCode.Unauthenticated || end.error.code === ErrorCode.Forbidden;
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SignalingError(ClientErrorCode.Timeout, `no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Starts a {@link SignalingClient}: it connects at once; `await client.ready()` to wait for the `welcome`. */
export function createSignalingClient(options: SignalingClientOptions): SignalingClient {
  return new SignalingClient(options);
}
