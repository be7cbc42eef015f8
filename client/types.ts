/** The events `signals` delivers, as the SIGNAL_FIELDS selection returns them. */

export interface Peer {
  id: string;
  name: string | null;
}

export interface IceCandidateData {
  candidate: string;
  sdpMid: string | null;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
}

interface Base {
  cursor: string;
  at: string;
}

export type Signal =
  | (Base & { __typename: 'Welcome'; self: Peer; room: string; peers: Peer[]; resumed: boolean })
  | (Base & { __typename: 'PeerConnected'; peer: Peer })
  | (Base & { __typename: 'PeerDisconnected'; peer: Peer; reason: string })
  | (Base & { __typename: 'Offer'; from: string; to: string; sdp: string })
  | (Base & { __typename: 'Answer'; from: string; to: string; sdp: string })
  | (Base & { __typename: 'IceCandidate'; from: string; to: string; candidate: IceCandidateData });

export type SignalOf<K extends Signal['__typename']> = Extract<Signal, { __typename: K }>;

export interface Session {
  token: string;
  peerId: string;
  room: string;
  expiresAt: string;
}

export interface Delivery {
  id: string;
  at: string;
}
