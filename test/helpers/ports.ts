import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../../client/operations';
import type { WsPeer } from './clients';
import type { SignalingPort } from './webrtc';

/** A signaling port over one graphql-ws socket, Welcome consumed. */
export async function wsPort(peer: WsPeer, peerId: string, after?: string): Promise<SignalingPort> {
  const { events } = peer.signals(after);
  const welcome = await events.next();
  if (welcome.__typename !== 'Welcome') throw new Error(`expected Welcome, got ${welcome.__typename}`);
  const must = async (query: string, variables: Record<string, unknown>): Promise<void> => {
    const res = await peer.request(query, variables);
    if (res.errors) throw new Error(JSON.stringify(res.errors));
  };
  return {
    peerId,
    events,
    sendOffer: (to, sdp) => must(SEND_OFFER, { to, sdp }),
    sendAnswer: (to, sdp) => must(SEND_ANSWER, { to, sdp }),
    sendIceCandidate: (to, candidate) => must(SEND_ICE_CANDIDATE, { to, candidate }),
  };
}
