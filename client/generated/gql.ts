/* eslint-disable */
import * as types from './graphql';
import type { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "query Me {\n  me {\n    id\n    name\n  }\n}\n\nquery Peers {\n  peers {\n    id\n    name\n  }\n}\n\nquery IceServers {\n  iceServers {\n    urls\n    username\n    credential\n  }\n}": typeof types.MeDocument,
    "mutation SendOffer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendOffer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendAnswer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendAnswer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendIceCandidate($to: ID!, $candidate: IceCandidateInput!, $idempotencyKey: ID) {\n  sendIceCandidate(\n    to: $to\n    candidate: $candidate\n    idempotencyKey: $idempotencyKey\n  ) {\n    id\n    at\n  }\n}": typeof types.SendOfferDocument,
    "mutation CreateSession($room: ID!, $peerId: ID, $name: String) {\n  createSession(room: $room, peerId: $peerId, name: $name) {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation RefreshSession {\n  refreshSession {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation LeaveRoom {\n  leaveRoom\n}": typeof types.CreateSessionDocument,
    "fragment SignalFields on Signal {\n  __typename\n  cursor\n  at\n  ... on Welcome {\n    self {\n      id\n      name\n    }\n    room\n    peers {\n      id\n      name\n    }\n    resumed\n  }\n  ... on PeerConnected {\n    peer {\n      id\n      name\n    }\n  }\n  ... on PeerDisconnected {\n    peer {\n      id\n      name\n    }\n    reason\n  }\n  ... on PresenceBatch {\n    joined {\n      id\n      name\n    }\n    left {\n      peer {\n        id\n        name\n      }\n      reason\n    }\n  }\n  ... on Offer {\n    from\n    to\n    sdp\n  }\n  ... on Answer {\n    from\n    to\n    sdp\n  }\n  ... on IceCandidate {\n    from\n    to\n    candidate {\n      candidate\n      sdpMid\n      sdpMLineIndex\n      usernameFragment\n    }\n  }\n}\n\nsubscription Signals($after: ID, $presence: PresenceMode) {\n  signals(after: $after, presence: $presence) {\n    ...SignalFields\n  }\n}\n\nquery PollSignals($after: ID, $waitMs: Int, $presence: PresenceMode) {\n  pollSignals(after: $after, waitMs: $waitMs, presence: $presence) {\n    cursor\n    events {\n      ...SignalFields\n    }\n  }\n}": typeof types.SignalFieldsFragmentDoc,
};
const documents: Documents = {
    "query Me {\n  me {\n    id\n    name\n  }\n}\n\nquery Peers {\n  peers {\n    id\n    name\n  }\n}\n\nquery IceServers {\n  iceServers {\n    urls\n    username\n    credential\n  }\n}": types.MeDocument,
    "mutation SendOffer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendOffer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendAnswer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendAnswer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendIceCandidate($to: ID!, $candidate: IceCandidateInput!, $idempotencyKey: ID) {\n  sendIceCandidate(\n    to: $to\n    candidate: $candidate\n    idempotencyKey: $idempotencyKey\n  ) {\n    id\n    at\n  }\n}": types.SendOfferDocument,
    "mutation CreateSession($room: ID!, $peerId: ID, $name: String) {\n  createSession(room: $room, peerId: $peerId, name: $name) {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation RefreshSession {\n  refreshSession {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation LeaveRoom {\n  leaveRoom\n}": types.CreateSessionDocument,
    "fragment SignalFields on Signal {\n  __typename\n  cursor\n  at\n  ... on Welcome {\n    self {\n      id\n      name\n    }\n    room\n    peers {\n      id\n      name\n    }\n    resumed\n  }\n  ... on PeerConnected {\n    peer {\n      id\n      name\n    }\n  }\n  ... on PeerDisconnected {\n    peer {\n      id\n      name\n    }\n    reason\n  }\n  ... on PresenceBatch {\n    joined {\n      id\n      name\n    }\n    left {\n      peer {\n        id\n        name\n      }\n      reason\n    }\n  }\n  ... on Offer {\n    from\n    to\n    sdp\n  }\n  ... on Answer {\n    from\n    to\n    sdp\n  }\n  ... on IceCandidate {\n    from\n    to\n    candidate {\n      candidate\n      sdpMid\n      sdpMLineIndex\n      usernameFragment\n    }\n  }\n}\n\nsubscription Signals($after: ID, $presence: PresenceMode) {\n  signals(after: $after, presence: $presence) {\n    ...SignalFields\n  }\n}\n\nquery PollSignals($after: ID, $waitMs: Int, $presence: PresenceMode) {\n  pollSignals(after: $after, waitMs: $waitMs, presence: $presence) {\n    cursor\n    events {\n      ...SignalFields\n    }\n  }\n}": types.SignalFieldsFragmentDoc,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "query Me {\n  me {\n    id\n    name\n  }\n}\n\nquery Peers {\n  peers {\n    id\n    name\n  }\n}\n\nquery IceServers {\n  iceServers {\n    urls\n    username\n    credential\n  }\n}"): (typeof documents)["query Me {\n  me {\n    id\n    name\n  }\n}\n\nquery Peers {\n  peers {\n    id\n    name\n  }\n}\n\nquery IceServers {\n  iceServers {\n    urls\n    username\n    credential\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation SendOffer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendOffer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendAnswer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendAnswer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendIceCandidate($to: ID!, $candidate: IceCandidateInput!, $idempotencyKey: ID) {\n  sendIceCandidate(\n    to: $to\n    candidate: $candidate\n    idempotencyKey: $idempotencyKey\n  ) {\n    id\n    at\n  }\n}"): (typeof documents)["mutation SendOffer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendOffer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendAnswer($to: ID!, $sdp: String!, $idempotencyKey: ID) {\n  sendAnswer(to: $to, sdp: $sdp, idempotencyKey: $idempotencyKey) {\n    id\n    at\n  }\n}\n\nmutation SendIceCandidate($to: ID!, $candidate: IceCandidateInput!, $idempotencyKey: ID) {\n  sendIceCandidate(\n    to: $to\n    candidate: $candidate\n    idempotencyKey: $idempotencyKey\n  ) {\n    id\n    at\n  }\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "mutation CreateSession($room: ID!, $peerId: ID, $name: String) {\n  createSession(room: $room, peerId: $peerId, name: $name) {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation RefreshSession {\n  refreshSession {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation LeaveRoom {\n  leaveRoom\n}"): (typeof documents)["mutation CreateSession($room: ID!, $peerId: ID, $name: String) {\n  createSession(room: $room, peerId: $peerId, name: $name) {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation RefreshSession {\n  refreshSession {\n    token\n    peerId\n    room\n    expiresAt\n  }\n}\n\nmutation LeaveRoom {\n  leaveRoom\n}"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "fragment SignalFields on Signal {\n  __typename\n  cursor\n  at\n  ... on Welcome {\n    self {\n      id\n      name\n    }\n    room\n    peers {\n      id\n      name\n    }\n    resumed\n  }\n  ... on PeerConnected {\n    peer {\n      id\n      name\n    }\n  }\n  ... on PeerDisconnected {\n    peer {\n      id\n      name\n    }\n    reason\n  }\n  ... on PresenceBatch {\n    joined {\n      id\n      name\n    }\n    left {\n      peer {\n        id\n        name\n      }\n      reason\n    }\n  }\n  ... on Offer {\n    from\n    to\n    sdp\n  }\n  ... on Answer {\n    from\n    to\n    sdp\n  }\n  ... on IceCandidate {\n    from\n    to\n    candidate {\n      candidate\n      sdpMid\n      sdpMLineIndex\n      usernameFragment\n    }\n  }\n}\n\nsubscription Signals($after: ID, $presence: PresenceMode) {\n  signals(after: $after, presence: $presence) {\n    ...SignalFields\n  }\n}\n\nquery PollSignals($after: ID, $waitMs: Int, $presence: PresenceMode) {\n  pollSignals(after: $after, waitMs: $waitMs, presence: $presence) {\n    cursor\n    events {\n      ...SignalFields\n    }\n  }\n}"): (typeof documents)["fragment SignalFields on Signal {\n  __typename\n  cursor\n  at\n  ... on Welcome {\n    self {\n      id\n      name\n    }\n    room\n    peers {\n      id\n      name\n    }\n    resumed\n  }\n  ... on PeerConnected {\n    peer {\n      id\n      name\n    }\n  }\n  ... on PeerDisconnected {\n    peer {\n      id\n      name\n    }\n    reason\n  }\n  ... on PresenceBatch {\n    joined {\n      id\n      name\n    }\n    left {\n      peer {\n        id\n        name\n      }\n      reason\n    }\n  }\n  ... on Offer {\n    from\n    to\n    sdp\n  }\n  ... on Answer {\n    from\n    to\n    sdp\n  }\n  ... on IceCandidate {\n    from\n    to\n    candidate {\n      candidate\n      sdpMid\n      sdpMLineIndex\n      usernameFragment\n    }\n  }\n}\n\nsubscription Signals($after: ID, $presence: PresenceMode) {\n  signals(after: $after, presence: $presence) {\n    ...SignalFields\n  }\n}\n\nquery PollSignals($after: ID, $waitMs: Int, $presence: PresenceMode) {\n  pollSignals(after: $after, waitMs: $waitMs, presence: $presence) {\n    cursor\n    events {\n      ...SignalFields\n    }\n  }\n}"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;