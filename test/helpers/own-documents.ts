/**
 * The SDK's signalling operations as a client writes them itself — what Apollo Client sends (a
 * `__typename` in every selection set), in another field and argument order, other operation names,
 * inline fragments instead of a named one. The benchmark's "client's own documents" row and the
 * conformance tests use them; answers must match the SDK's documents field for field.
 */
export const OWN_DOCUMENTS = {
  offer: 'mutation Offer($sdp: String!, $to: ID!) { sendOffer(sdp: $sdp, to: $to) { at id __typename } }',
  answer: 'mutation Answer($sdp: String!, $to: ID!) { sendAnswer(sdp: $sdp, to: $to) { at id __typename } }',
  candidate:
    'mutation Candidate($candidate: IceCandidateInput!, $to: ID!) { sendIceCandidate(candidate: $candidate, to: $to) { at id __typename } }',
  signals: `subscription Events($after: ID) {
  signals(after: $after) {
    __typename
    cursor
    ... on Offer { sdp from to __typename }
    ... on Answer { sdp from to __typename }
    ... on IceCandidate { from to candidate { sdpMLineIndex sdpMid candidate usernameFragment __typename } __typename }
    ... on Welcome { resumed room self { name id __typename } peers { name id __typename } __typename }
    ... on PeerConnected { peer { name id __typename } __typename }
    ... on PeerDisconnected { reason peer { name id __typename } __typename }
    at
  }
}`,
} as const;
