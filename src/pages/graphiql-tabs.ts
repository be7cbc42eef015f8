/**
 * GraphiQL's example tabs: the signaling flow in the order a client runs it, with variables and the
 * header to paste the token into. The documents are the SDK's own (client/operations.ts).
 */
import { CREATE_SESSION, LEAVE_ROOM, PEERS, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '@switchboard/client/wire';

/** One GraphiQL tab. */
export interface GraphiQLTab {
  query: string;
  variables?: string;
  headers?: string;
}

const AUTH_HEADERS = JSON.stringify({ Authorization: 'Bearer <token from createSession>' }, null, 2);
const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** The tabs, one per step: create a session, subscribe, send an offer and a candidate, list peers, leave. */
export const GRAPHIQL_TABS: readonly GraphiQLTab[] = [
  { query: `# 1. Get a session token (guest sessions are on in development)\n${CREATE_SESSION}`, variables: json({ room: 'demo', name: 'alice' }) },
  {
    query: `# 2. Subscribe to your signals: Welcome first, then offers, answers, candidates, joins and leaves.\n#    Put the token in the Headers pane. Resume after a drop with { "after": "<last cursor>" }.\n${SIGNALS_SUBSCRIPTION}`,
    variables: json({ after: null }),
    headers: AUTH_HEADERS,
  },
  {
    query: `# 3. Offer to another peer in your room (from a second tab with its own token)\n${SEND_OFFER}`,
    variables: json({ to: '<peer id>', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n' }),
    headers: AUTH_HEADERS,
  },
  {
    query: `# 4. Trickle an ICE candidate ("" means end-of-candidates)\n${SEND_ICE_CANDIDATE}`,
    variables: json({ to: '<peer id>', candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 } }),
    headers: AUTH_HEADERS,
  },
  { query: `# 5. Who is in the room\n${PEERS}`, headers: AUTH_HEADERS },
  { query: `# 6. Leave: the others get PeerDisconnected at once\n${LEAVE_ROOM}`, headers: AUTH_HEADERS },
];
