/**
 * The GraphQL documents of the signaling flow, shared by the SDK, the tests and anyone who wants to
 * copy them into another GraphQL client.
 */

export const SIGNAL_FIELDS = `
  __typename
  cursor
  at
  ... on Welcome { self { id name } room peers { id name } resumed }
  ... on PeerConnected { peer { id name } }
  ... on PeerDisconnected { peer { id name } reason }
  ... on Offer { from to sdp }
  ... on Answer { from to sdp }
  ... on IceCandidate { from to candidate { candidate sdpMid sdpMLineIndex usernameFragment } }
`;

export const SIGNALS_SUBSCRIPTION = `subscription Signals($after: ID) { signals(after: $after) { ${SIGNAL_FIELDS} } }`;

export const POLL_SIGNALS = `query PollSignals($after: ID, $waitMs: Int) {
  pollSignals(after: $after, waitMs: $waitMs) { cursor events { ${SIGNAL_FIELDS} } }
}`;

export const CREATE_SESSION = `mutation CreateSession($room: ID!, $peerId: ID, $name: String) {
  createSession(room: $room, peerId: $peerId, name: $name) { token peerId room expiresAt }
}`;

export const REFRESH_SESSION = `mutation RefreshSession { refreshSession { token peerId room expiresAt } }`;

export const SEND_OFFER = `mutation SendOffer($to: ID!, $sdp: String!) { sendOffer(to: $to, sdp: $sdp) { id at } }`;

export const SEND_ANSWER = `mutation SendAnswer($to: ID!, $sdp: String!) { sendAnswer(to: $to, sdp: $sdp) { id at } }`;

export const SEND_ICE_CANDIDATE = `mutation SendIceCandidate($to: ID!, $candidate: IceCandidateInput!) {
  sendIceCandidate(to: $to, candidate: $candidate) { id at }
}`;

export const LEAVE_ROOM = `mutation LeaveRoom { leaveRoom }`;

export const ME = `query Me { me { id name } }`;

export const PEERS = `query Peers { peers { id name } }`;

export const ICE_SERVERS = `query IceServers { iceServers { urls username credential } }`;
