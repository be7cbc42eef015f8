/**
 * A peer session drives one `RTCPeerConnection` to one remote peer through a {@link SignalingClient}:
 * perfect negotiation (either side may renegotiate at any time; on glare the polite side rolls back),
 * trickle ICE in order, end-of-candidates, ICE restarts, and clean-up. The connection implementation
 * is injected, so the same code runs on the browser's `RTCPeerConnection` and on werift in Node.
 */
import { TypedEmitter } from './emitter';
import { SignalingError, transportError } from './errors';
import { ClientErrorCode, ErrorCode, ICE_CONNECT_TIMEOUT_MS, ICE_DISCONNECTED_RESTART_MS, ICE_MAX_RESTARTS } from './protocol';
import type { PeerSignal, SignalingClient } from './signaling-client';
import { type ConnectionState, ConnectionStateMachine, type StateChange } from './state';
import type { IceCandidateSend, SignalOf } from './types';

/** A session description as both implementations expose it. */
export interface DescriptionLike {
  readonly type: string;
  readonly sdp?: string | undefined;
}

/** An ICE candidate as both implementations hand it out (a browser `RTCIceCandidate` or werift's JSON). */
export interface CandidateLike {
  readonly candidate?: string | undefined;
  readonly sdpMid?: string | null | undefined;
  readonly sdpMLineIndex?: number | null | undefined;
  readonly usernameFragment?: string | null | undefined;
}

/** A remote candidate as the session hands it to `addIceCandidate` (`candidate: ""` is end-of-candidates). */
export interface RemoteCandidate {
  readonly candidate: string;
  readonly sdpMid: string | null;
  readonly sdpMLineIndex: number | null;
  readonly usernameFragment?: string;
}

/**
 * The part of `RTCPeerConnection` a session uses. The browser's and werift's both fit; listeners are
 * declared loosely because the two type their events differently, and the session reads them defensively.
 */
export interface PeerConnectionLike {
  readonly signalingState: string;
  readonly connectionState: string;
  readonly iceConnectionState: string;
  readonly localDescription: DescriptionLike | null | undefined;
  readonly remoteDescription: DescriptionLike | null | undefined;
  setLocalDescription(description?: { type: 'rollback' }): Promise<unknown>;
  setRemoteDescription(description: { type: 'offer' | 'answer'; sdp: string }): Promise<unknown>;
  addIceCandidate(candidate: RemoteCandidate): Promise<unknown>;
  restartIce(): void;
  close(): unknown;
  addEventListener(type: string, listener: (event: Event) => void): void;
  removeEventListener(type: string, listener: (event: Event) => void): void;
}

/** Options of {@link createPeerSession}. */
export interface PeerSessionOptions<PC extends PeerConnectionLike> {
  /** The connection to the remote peer; build it with your `iceServers` (see `client.iceServers()`). */
  readonly peerConnection: PC;
  /**
   * On glare the polite side gives way. Default: the peer whose id sorts first is polite, so two
   * sessions always disagree.
   */
  readonly polite?: boolean;
}

/** The events of a {@link PeerSession}. */
export interface PeerSessionEvents {
  /** The session moved along the connection state machine. */
  state: StateChange;
  /** A step of negotiation failed (the session keeps going; a lasting failure ends in `failed`). */
  error: SignalingError;
  /**
   * The session closed: `left` (the remote peer left the room), `closed` (you called close), `failed`,
   * or `replaced` (the remote peer answered or offered from a new connection, e.g. after it lost its
   * session: this connection is stale; a new session for that peer gets the signals from there on).
   */
  closed: { readonly reason: CloseReason };
}

/** Why a {@link PeerSession} closed (see {@link PeerSessionEvents.closed}). */
export type CloseReason = 'left' | 'closed' | 'failed' | 'replaced';

/** Remote candidates held until the remote description they belong to is set. */
const MAX_QUEUED_REMOTE_CANDIDATES = 256;

/**
 * One remote peer's connection. Create it with {@link createPeerSession}, then add tracks or data
 * channels to `peerConnection` as usual: negotiation follows by itself.
 */
export class PeerSession<PC extends PeerConnectionLike = PeerConnectionLike> extends TypedEmitter<PeerSessionEvents> {
  /** The connection this session drives. */
  readonly peerConnection: PC;
  /** Whether this side gives way on glare. */
  readonly polite: boolean;

  private readonly machine: ConnectionStateMachine;
  private makingOffer = false;
  private ignoreOffer = false;
  private closed = false;
  private closing: Promise<void> | null = null;
  private restartsInRow = 0;
  private gaveUp = false;
  private glares = 0;
  /** An offer/answer exchange completed once: from then on, not yet connected means ICE is at work. */
  private negotiated = false;
  private disconnectedTimer: ReturnType<typeof setTimeout> | undefined;
  private connectTimer: ReturnType<typeof setTimeout> | undefined;
  /** Inbound signals are handled one at a time, so a candidate never races its description. */
  private inbound: Promise<void> = Promise.resolve();
  /** Outbound signals leave in order: a description before the candidates it started. */
  private outbound: Promise<void> = Promise.resolve();
  private describing = 0;
  private readonly heldLocalCandidates: IceCandidateSend[] = [];
  private readonly queuedRemoteCandidates: RemoteCandidate[] = [];
  private readonly cleanups: Array<() => void> = [];
  /** The cursor of a Welcome without the remote peer that this live call was kept through. */
  private keptThrough: string | null = null;
  /** Closed as `replaced`: signals still queued are routed to the next session. */
  private handedOver = false;

  /**
   * @param client - the signaling client of this peer
   * @param remotePeerId - the peer at the other end
   * @param options - the connection and the politeness
   */
  constructor(
    readonly client: SignalingClient,
    readonly remotePeerId: string,
    options: PeerSessionOptions<PC>,
  ) {
    super();
    this.peerConnection = options.peerConnection;
    this.polite = options.polite ?? client.peerId < remotePeerId;
    this.machine = new ConnectionStateMachine('disconnected', (change) => this.emit('state', change));
    const pc = this.peerConnection;
    this.listen(pc, 'negotiationneeded', () => void this.negotiate());
    this.listen(pc, 'icecandidate', (event) => this.localCandidate(candidateOf(event)));
    for (const type of ['signalingstatechange', 'connectionstatechange', 'iceconnectionstatechange']) this.listen(pc, type, () => this.connectionChanged());
    this.cleanups.push(
      client.on('state', ({ state }) => {
        if (state === 'disconnected') void this.close('closed');
        else this.update();
      }),
      client.on('welcome', (welcome) => this.welcomed(welcome)),
      client.on('peer-disconnected', ({ peer, cursor }) => {
        if (peer.id === remotePeerId && cursor !== this.keptThrough) void this.close('left');
      }),
      client.claimPeer(remotePeerId, (signal) => this.enqueue(signal)),
    );
    this.update();
  }

  /** Where this session is on the connection state machine. */
  get state(): ConnectionState {
    return this.machine.state;
  }

  /** Every state this session went through, in order. */
  get history(): readonly ConnectionState[] {
    return this.machine.history;
  }

  /** Offers from the remote peer that crossed one of this side's own (glare), so far. */
  get collisions(): number {
    return this.glares;
  }

  /** Restarts ICE (new candidates, same media): for a network change the app noticed first. */
  restartIce(): void {
    if (!this.closed) this.peerConnection.restartIce();
  }

  /**
   * Closes the connection (and its data channels), removes every listener and releases the remote
   * peer's signals. The client stays open for other sessions. The tracks you added are yours and keep
   * running: in a mesh the same camera track is sent to every peer, and one peer leaving must not freeze
   * it for the others (stop them yourself when you are done with them).
   */
  close(reason: CloseReason = 'closed'): Promise<void> {
    this.closing ??= this.shutDown(reason);
    return this.closing;
  }

  private async shutDown(reason: CloseReason): Promise<void> {
    this.closed = true;
    clearTimeout(this.disconnectedTimer);
    clearTimeout(this.connectTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.update();
    this.emit('closed', { reason });
    this.removeAllListeners();
    await this.peerConnection.close();
  }

  private listen(pc: PeerConnectionLike, type: string, listener: (event: unknown) => void): void {
    const handler = (event: Event): void => {
      if (!this.closed) listener(event);
    };
    pc.addEventListener(type, handler);
    this.cleanups.push(() => pc.removeEventListener(type, handler));
  }

  /** Moves the machine to the state the connection and the client are in now. */
  private update(): void {
    this.machine.walkTo(this.derive());
    // A watchdog for ICE that never gets anywhere: armed once descriptions are agreed, cleared by success.
    if (this.state !== 'ice-gathering') {
      clearTimeout(this.connectTimer);
      this.connectTimer = undefined;
    } else {
      this.connectTimer ??= setTimeout(() => {
        this.connectTimer = undefined;
        if (this.state === 'ice-gathering') this.restart();
      }, ICE_CONNECT_TIMEOUT_MS);
    }
  }

  private derive(): ConnectionState {
    if (this.closed) return 'disconnected';
    const pc = this.peerConnection;
    if (this.gaveUp || this.client.state === 'failed') return 'failed';
    // The call does not need the gateway once it is up: a reconnecting gateway does not take it down.
    if (pc.connectionState === 'connected') return 'p2p-connected';
    if (this.client.state !== 'connected') return this.client.state;
    if (this.makingOffer || pc.signalingState !== 'stable') return 'signaling';
    // Stable again after signaling: the exchange is done (the descriptions may still be settling in).
    if (this.machine.state === 'signaling' || (pc.remoteDescription && pc.localDescription)) this.negotiated = true;
    return this.negotiated ? 'ice-gathering' : 'connected';
  }

  private fault(caught: unknown): void {
    if (this.closed) return;
    this.emit('error', caught instanceof SignalingError ? caught : new SignalingError(ClientErrorCode.Transport, caught instanceof Error ? caught.message : String(caught)));
  }

  private async negotiate(): Promise<void> {
    const pc = this.peerConnection;
    // Negotiation needed mid-exchange is taken up when the exchange ends (the connection fires again).
    if (pc.signalingState !== 'stable') return;
    try {
      this.makingOffer = true;
      this.update();
      const offer = await this.describe();
      if (offer?.type === 'offer' && this.peerConnection.signalingState === 'have-local-offer') this.sendLater(() => this.client.sendOffer(this.remotePeerId, offer.sdp));
    } catch (caught) {
      this.fault(caught);
    } finally {
      this.makingOffer = false;
      this.releaseCandidates();
      this.update();
    }
  }

  /** `setLocalDescription()`, holding the candidates it starts until its description is queued to go. */
  private async describe(): Promise<{ type: string; sdp: string } | null> {
    this.describing += 1;
    try {
      await this.peerConnection.setLocalDescription();
      const local = this.peerConnection.localDescription;
      return local?.sdp ? { type: local.type, sdp: local.sdp } : null;
    } finally {
      this.describing -= 1;
    }
  }

  private localCandidate(candidate: CandidateLike | null): void {
    // End-of-candidates names its ICE generation, so the far side can tell it from a stale one after glare.
    const usernameFragment = candidate?.usernameFragment ?? firstUfrag(this.peerConnection.localDescription?.sdp);
    const send: IceCandidateSend = {
      candidate: candidate?.candidate ?? '',
      sdpMid: candidate?.sdpMid ?? null,
      sdpMLineIndex: candidate?.sdpMLineIndex ?? null,
      usernameFragment: usernameFragment ?? null,
    };
    if (this.describing > 0 || this.makingOffer) this.heldLocalCandidates.push(send);
    else this.sendLater(() => this.client.sendIceCandidate(this.remotePeerId, send));
  }

  private releaseCandidates(): void {
    if (this.describing > 0 || this.makingOffer) return;
    for (const candidate of this.heldLocalCandidates.splice(0)) this.sendLater(() => this.client.sendIceCandidate(this.remotePeerId, candidate));
  }

  private sendLater(send: () => Promise<unknown>): void {
    this.outbound = this.outbound.then(send).then(
      () => undefined,
      (caught: unknown) => {
        // The peer left while this was on its way (its departure may still sit in a presence batch):
        // the session ends as it would on the departure, not with an error for the app.
        if (caught instanceof SignalingError && caught.code === ErrorCode.PeerNotFound) return void this.close('left');
        this.fault(caught instanceof SignalingError ? caught : transportError(caught));
      },
    );
  }

  private enqueue(signal: PeerSignal): void {
    this.inbound = this.inbound.then(() => this.handle(signal)).catch((caught: unknown) => this.fault(caught));
  }

  private async handle(signal: PeerSignal): Promise<void> {
    if (this.closed) {
      // Replaced: what was still queued here belongs to the next session.
      if (this.handedOver) this.client.requeue(signal);
      return;
    }
    if (signal.__typename === 'IceCandidate') return this.remoteCandidate(signal.candidate);
    const pc = this.peerConnection;
    if (isFromAnotherConnection(signal.sdp, pc.remoteDescription?.sdp)) {
      // The far side started over (it lost its session, say): its DTLS identity changed, so this connection cannot carry on.
      this.handedOver = true;
      void this.close('replaced');
      if (signal.__typename === 'Offer') this.client.requeue(signal);
      return;
    }
    const type = signal.__typename === 'Offer' ? 'offer' : 'answer';
    const collision = type === 'offer' && (this.makingOffer || pc.signalingState !== 'stable');
    if (collision) this.glares += 1;
    this.ignoreOffer = !this.polite && collision;
    if (this.ignoreOffer) return;
    if (collision) await pc.setLocalDescription({ type: 'rollback' });
    // An answer to an offer this side already rolled back is stale.
    if (type === 'answer' && pc.signalingState !== 'have-local-offer') return;
    await pc.setRemoteDescription({ type, sdp: signal.sdp });
    this.update();
    for (const candidate of this.queuedRemoteCandidates.splice(0)) await this.addRemoteCandidate(candidate);
    if (type !== 'offer') return;
    try {
      const answer = await this.describe();
      if (answer?.type === 'answer') this.sendLater(() => this.client.sendAnswer(this.remotePeerId, answer.sdp));
    } finally {
      this.releaseCandidates();
      this.update();
    }
  }

  private async remoteCandidate(data: SignalOf<'IceCandidate'>['candidate']): Promise<void> {
    const candidate: RemoteCandidate = {
      candidate: data.candidate,
      sdpMid: data.sdpMid,
      sdpMLineIndex: data.sdpMLineIndex,
      ...(data.usernameFragment ? { usernameFragment: data.usernameFragment } : {}),
    };
    if (this.peerConnection.remoteDescription) return this.addRemoteCandidate(candidate);
    // Ending candidates before there is a description to end them for means nothing (and would end the next one).
    if (candidate.candidate === '') return;
    if (this.queuedRemoteCandidates.length >= MAX_QUEUED_REMOTE_CANDIDATES) this.queuedRemoteCandidates.shift();
    this.queuedRemoteCandidates.push(candidate);
  }

  private async addRemoteCandidate(candidate: RemoteCandidate): Promise<void> {
    // A candidate of an ICE generation the remote description no longer has (glare, ICE restart) is stale.
    const { usernameFragment } = candidate;
    if (usernameFragment && !ufragsOf(this.peerConnection.remoteDescription?.sdp).has(usernameFragment)) return;
    try {
      await this.peerConnection.addIceCandidate(candidate);
    } catch (caught) {
      // Candidates of an offer this side ignored on glare are expected to fail.
      if (!this.ignoreOffer && candidate.candidate !== '') this.fault(caught);
    }
  }

  private welcomed(welcome: SignalOf<'Welcome'>): void {
    if (!welcome.peers.some((peer) => peer.id === this.remotePeerId)) {
      // After a gateway restart the remote peer may simply not be back yet: a call that is up does not
      // need the gateway, so it is kept (the roster's difference the client reports next is not a
      // departure). If the peer is really gone, the connection fails and the session ends by itself.
      if (!welcome.resumed && this.peerConnection.connectionState === 'connected') {
        this.keptThrough = welcome.cursor;
        return;
      }
      void this.close('left');
      return;
    }
    // Signals were lost while away: whatever was in flight must be redone with fresh candidates.
    if (!welcome.resumed && this.peerConnection.remoteDescription) this.restart();
  }

  private connectionChanged(): void {
    const pc = this.peerConnection;
    clearTimeout(this.disconnectedTimer);
    if (pc.connectionState === 'connected') this.restartsInRow = 0;
    if (pc.connectionState === 'failed' || pc.iceConnectionState === 'failed') this.restart();
    else if (pc.iceConnectionState === 'disconnected') {
      // It often comes back by itself within a few seconds; restart only if it does not.
      this.disconnectedTimer = setTimeout(() => {
        if (pc.iceConnectionState === 'disconnected') this.restart();
      }, ICE_DISCONNECTED_RESTART_MS);
    }
    this.update();
  }

  private restart(): void {
    if (this.closed || this.gaveUp) return;
    if (this.restartsInRow >= ICE_MAX_RESTARTS) {
      this.gaveUp = true;
      this.update();
      this.emit('error', new SignalingError(ClientErrorCode.Timeout, `no connection to ${this.remotePeerId} after ${ICE_MAX_RESTARTS} ICE restarts`));
      void this.close('failed');
      return;
    }
    this.restartsInRow += 1;
    this.peerConnection.restartIce();
  }
}

/** The first DTLS fingerprint of a description (`sha-256 AB:CD:…`), lower-cased; null without one. */
function fingerprintOf(sdp: string | undefined): string | null {
  return /^a=fingerprint:(.+)$/m.exec(sdp ?? '')?.[1]?.trim().toLowerCase() ?? null;
}

/** True when `incoming` comes from another connection than the remote description `current` (another DTLS identity). */
function isFromAnotherConnection(incoming: string, current: string | undefined): boolean {
  const known = fingerprintOf(current);
  const now = fingerprintOf(incoming);
  return known !== null && now !== null && known !== now;
}

/** The ICE username fragments a description announces. */
function ufragsOf(sdp: string | undefined): Set<string> {
  return new Set([...(sdp ?? '').matchAll(/^a=ice-ufrag:(\S+)/gm)].map((match) => match[1] ?? ''));
}

/** The first ICE username fragment of a description, if any. */
function firstUfrag(sdp: string | undefined): string | undefined {
  return ufragsOf(sdp).values().next().value;
}

/** The candidate of an `icecandidate` event (null at end-of-candidates), read from either implementation's event. */
function candidateOf(event: unknown): CandidateLike | null {
  if (typeof event !== 'object' || event === null || !('candidate' in event)) return null;
  const { candidate } = event;
  return typeof candidate === 'object' && candidate !== null ? candidate : null;
}

/**
 * Starts a session with `remotePeerId` on `peerConnection`. Create one when a peer connects (to call
 * it) or when its first offer arrives (to answer): offers that came before are kept for it.
 */
export function createPeerSession<PC extends PeerConnectionLike>(client: SignalingClient, remotePeerId: string, options: PeerSessionOptions<PC>): PeerSession<PC> {
  return new PeerSession(client, remotePeerId, options);
}
