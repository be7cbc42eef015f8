import { RTCPeerConnection, type RTCIceCandidate } from 'werift';
import type { IceCandidateData, Signal } from '../../client/types';
import { EVENT_TIMEOUT_MS, type Inbox } from './inbox';

/** werift on loopback only: no STUN, host candidates on 127.0.0.1. */
const LOOPBACK_ONLY = { iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] };

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
  return { candidate: json.candidate, sdpMid: json.sdpMid ?? null, sdpMLineIndex: json.sdpMLineIndex ?? null };
}

/**
 * Answers every offer, answer and candidate from the port on a werift connection, one at a time so a
 * candidate never races the description it belongs to.
 */
function wire(pc: RTCPeerConnection, port: SignalingPort, remote: string, errors: Error[]): void {
  let chain = Promise.resolve();
  pc.onIceCandidate.subscribe((candidate) => {
    port.sendIceCandidate(remote, toInput(candidate)).catch((e: Error) => errors.push(e));
  });
  port.events.listen((signal) => {
    chain = chain
      .then(async () => {
        if (signal.__typename === 'Offer' && signal.from === remote) {
          await pc.setRemoteDescription({ type: 'offer', sdp: signal.sdp });
          const answer = await pc.createAnswer();
          await pc.setLocalDescription(answer);
          await port.sendAnswer(remote, pc.localDescription?.sdp ?? '');
        } else if (signal.__typename === 'Answer' && signal.from === remote) {
          await pc.setRemoteDescription({ type: 'answer', sdp: signal.sdp });
        } else if (signal.__typename === 'IceCandidate' && signal.from === remote && signal.candidate.candidate !== '') {
          const { candidate, sdpMid, sdpMLineIndex } = signal.candidate;
          await pc.addIceCandidate({ candidate, sdpMid, sdpMLineIndex });
        }
      })
      .catch((e: Error) => {
        errors.push(e);
      });
  });
}

export interface DataChannelResult {
  /** From the first createOffer to the answerer receiving the offerer's message. */
  elapsedMs: number;
  received: string;
  close(): Promise<void>;
}

/** Two real werift peers negotiate through the gateway and exchange one data-channel message. */
export async function openDataChannel(offerer: SignalingPort, answerer: SignalingPort, timeoutMs = EVENT_TIMEOUT_MS * 2): Promise<DataChannelResult> {
  const started = performance.now();
  const errors: Error[] = [];
  const a = new RTCPeerConnection(LOOPBACK_ONLY);
  const b = new RTCPeerConnection(LOOPBACK_ONLY);
  const close = async (): Promise<void> => {
    await Promise.all([a.close(), b.close()]);
  };
  wire(a, offerer, answerer.peerId, errors);
  wire(b, answerer, offerer.peerId, errors);
  const message = `hello from ${offerer.peerId}`;
  const received = new Promise<string>((resolve) => {
    b.onDataChannel.subscribe((channel) => {
      channel.onMessage.subscribe((data) => resolve(data.toString()));
    });
  });
  const channel = a.createDataChannel('switchboard');
  channel.stateChanged.subscribe((state) => {
    if (state === 'open') channel.send(message);
  });
  const offer = await a.createOffer();
  await a.setLocalDescription(offer);
  await offerer.sendOffer(answerer.peerId, a.localDescription?.sdp ?? '');
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`data channel not open within ${timeoutMs} ms; errors: ${errors.map(String).join('; ')}`)), timeoutMs);
  });
  try {
    const text = await Promise.race([received, timeout]);
    if (errors.length > 0) throw new Error(`signaling errors: ${errors.map(String).join('; ')}`);
    return { elapsedMs: performance.now() - started, received: text, close };
  } catch (error) {
    await close();
    throw error;
  } finally {
    clearTimeout(timer);
  }
}
