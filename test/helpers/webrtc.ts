import { RTCPeerConnection, type RTCDataChannel, type RTCIceCandidate } from 'werift';
import type { IceCandidateData, Signal } from '../../client/types';
import { EVENT_TIMEOUT_MS, type Inbox } from './inbox';

/** werift on loopback only: no STUN, host candidates on 127.0.0.1. */
export const LOOPBACK_ONLY = { iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] };

/** How one side talks to the gateway, whatever the transport. */
export interface SignalingPort {
  peerId: string;
  /** Inbound signals (after Welcome). */
  events: Inbox<Signal>;
  sendOffer(to: string, sdp: string): Promise<unknown>;
  sendAnswer(to: string, sdp: string): Promise<unknown>;
  sendIceCandidate(to: string, candidate: Partial<IceCandidateData> & { candidate: string }): Promise<unknown>;
}

function toInput(candidate: RTCIceCandidate | undefined): Partial<IceCandidateData> & { candidate: string } {
  if (!candidate) return { candidate: '' };
  const json = candidate.toJSON();
  return {
    candidate: json.candidate,
    sdpMid: json.sdpMid ?? null,
    sdpMLineIndex: json.sdpMLineIndex ?? null,
    usernameFragment: json.usernameFragment ?? null,
  };
}

/**
 * A werift peer connection driven by signals from one port, handled one at a time so a candidate
 * never races the description it belongs to. The port can be swapped after a reconnect.
 */
export class WeriftPeer {
  readonly pc = new RTCPeerConnection(LOOPBACK_ONLY);
  readonly errors: Error[] = [];
  private chain = Promise.resolve();
  /** Outgoing signals in order: a description is queued before the candidates its setLocalDescription starts. */
  private sends = Promise.resolve();

  constructor(
    public port: SignalingPort,
    private readonly remote: string,
  ) {
    this.pc.onIceCandidate.subscribe((candidate) => {
      void this.send(() => this.port.sendIceCandidate(this.remote, toInput(candidate)));
    });
    this.listen(port);
  }

  /** Takes signals from a (new) port from now on. */
  listen(port: SignalingPort): void {
    this.port = port;
    port.events.listen((signal) => {
      this.chain = this.chain.then(() => this.handle(signal)).catch((e: Error) => void this.errors.push(e));
    });
  }

  async offer(options: { iceRestart?: boolean } = {}): Promise<void> {
    const offer = await this.pc.createOffer(options);
    const sent = this.send(() => this.port.sendOffer(this.remote, offer.sdp));
    await this.pc.setLocalDescription(offer);
    await sent;
  }

  close(): Promise<void> {
    return this.pc.close();
  }

  private send(operation: () => Promise<unknown>): Promise<void> {
    this.sends = this.sends.then(operation).then(
      () => undefined,
      (e: Error) => void this.errors.push(e),
    );
    return this.sends;
  }

  private async handle(signal: Signal): Promise<void> {
    if (signal.__typename === 'Offer' && signal.from === this.remote) {
      await this.pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
      const answer = await this.pc.createAnswer();
      const sent = this.send(() => this.port.sendAnswer(this.remote, answer.sdp));
      await this.pc.setLocalDescription(answer);
      await sent;
    } else if (signal.__typename === 'Answer' && signal.from === this.remote) {
      await this.pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
    } else if (signal.__typename === 'IceCandidate' && signal.from === this.remote && signal.candidate.candidate !== '') {
      const { candidate, sdpMid, sdpMLineIndex, usernameFragment } = signal.candidate;
      await this.pc.addIceCandidate({ candidate, sdpMid, sdpMLineIndex, usernameFragment });
    }
  }
}

/** Resolves with the next message on `channel`, or fails after `timeoutMs`. */
export function nextMessage(channel: RTCDataChannel, timeoutMs = EVENT_TIMEOUT_MS): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no data-channel message within ${timeoutMs} ms`)), timeoutMs);
    const { unSubscribe } = channel.onMessage.subscribe((data) => {
      clearTimeout(timer);
      unSubscribe();
      resolve(data.toString());
    });
  });
}

export interface DataChannelResult {
  /** From the first createOffer to the answerer receiving the offerer's message. */
  elapsedMs: number;
  received: string;
  offerer: WeriftPeer;
  answerer: WeriftPeer;
  /** The offerer's end and the answerer's end of the channel. */
  channels: { offerer: RTCDataChannel; answerer: RTCDataChannel };
  close(): Promise<void>;
}

/** Two real werift peers negotiate through the gateway and exchange one data-channel message. */
export async function openDataChannel(offererPort: SignalingPort, answererPort: SignalingPort, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<DataChannelResult> {
  const started = performance.now();
  const offerer = new WeriftPeer(offererPort, answererPort.peerId);
  const answerer = new WeriftPeer(answererPort, offererPort.peerId);
  const close = async (): Promise<void> => {
    await Promise.all([offerer.close(), answerer.close()]);
  };
  const message = `hello from ${offererPort.peerId}`;
  const received = new Promise<{ text: string; channel: RTCDataChannel }>((resolve) => {
    answerer.pc.onDataChannel.subscribe((channel) => {
      channel.onMessage.subscribe((data) => resolve({ text: data.toString(), channel }));
    });
  });
  const channel = offerer.pc.createDataChannel('switchboard');
  channel.stateChanged.subscribe((state) => {
    if (state === 'open') channel.send(message);
  });
  await offerer.offer();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const errors = [...offerer.errors, ...answerer.errors].map(String).join('; ');
      reject(new Error(`data channel not open within ${timeoutMs} ms; errors: ${errors}`));
    }, timeoutMs);
  });
  try {
    const got = await Promise.race([received, timeout]);
    const errors = [...offerer.errors, ...answerer.errors];
    if (errors.length > 0) throw new Error(`signaling errors: ${errors.map(String).join('; ')}`);
    return { elapsedMs: performance.now() - started, received: got.text, offerer, answerer, channels: { offerer: channel, answerer: got.channel }, close };
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
