/**
 * GraphiQL's example tabs: the signaling flow in the order a client runs it. The documents are the
 * SDK's own (`@switchboard/client/wire`). Every tab runs as shipped: while guest sessions are on, the
 * page mints a guest session for itself when it is served (the same `createSession` a client sends,
 * through the same pipeline, rate limit and claim), and tabs 2–6 carry that token in their Headers
 * pane; tab 1 shows how to mint one of your own.
 */
import type { GraphiQLOptions } from 'graphql-yoga';
import { CREATE_SESSION, LEAVE_ROOM, PEERS, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '@switchboard/client/wire';

/** One GraphiQL tab. */
export interface GraphiQLTab {
  query: string;
  variables?: string;
  headers?: string;
}

/** The guest session the page minted for its tabs (null when guest sessions are off or refused). */
export interface PageSession {
  token: string;
  peerId: string;
}

/** The room the example tabs use. */
export const GRAPHIQL_ROOM = 'demo';

const json = (value: unknown): string => JSON.stringify(value, null, 2);
const EXAMPLE_SDP = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r\n';

/** The tabs, one per step: create a session, subscribe, send an offer and a candidate, list peers, leave. */
export function graphiqlTabs(session: PageSession | null): GraphiQLTab[] {
  const headers = json({ Authorization: `Bearer ${session?.token ?? '<token from createSession>'}` });
  const to = session?.peerId ?? '<peer id>';
  const toNote = session ? ` (here: to yourself, ${session.peerId}, so it arrives in tab 2 while that runs)` : '';
  const tokenNote = session
    ? `#    The Headers pane holds a guest token this page minted for peer ${session.peerId} in room ${GRAPHIQL_ROOM}.`
    : '#    Put the token from tab 1 in the Headers pane.';
  return [
    { query: `# 1. Get a session token (guest sessions are on in development)\n${CREATE_SESSION}`, variables: json({ room: GRAPHIQL_ROOM, name: 'alice' }) },
    {
      query: `# 2. Subscribe to your signals: Welcome first, then offers, answers, candidates, joins and leaves.\n${tokenNote}\n#    Resume after a drop with { "after": "<last cursor>" }.\n${SIGNALS_SUBSCRIPTION}`,
      variables: json({ after: null }),
      headers,
    },
    {
      query: `# 3. Offer to a peer in your room${toNote}; you must be connected (tab 2 running)\n${SEND_OFFER}`,
      variables: json({ to, sdp: EXAMPLE_SDP }),
      headers,
    },
    {
      query: `# 4. Trickle an ICE candidate ("" means end-of-candidates)\n${SEND_ICE_CANDIDATE}`,
      variables: json({ to, candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.1 54321 typ host', sdpMid: '0', sdpMLineIndex: 0 } }),
      headers,
    },
    { query: `# 5. Who is in the room\n${PEERS}`, variables: '{}', headers },
    { query: `# 6. Leave: the others get PeerDisconnected at once\n${LEAVE_ROOM}`, variables: '{}', headers },
  ];
}

/**
 * GraphiQL's options for one page load. GraphiQL fills the editors of the tab that opens first from
 * its `variables` and `headers` options, not from the tab (an empty Variables pane otherwise), so the
 * first tab's panes are passed again as those.
 */
export function graphiqlOptions(session: PageSession | null): GraphiQLOptions {
  const tabs = graphiqlTabs(session);
  const first = tabs[0];
  const options: GraphiQLOptions & { variables?: string } = {
    title: 'Switchboard',
    defaultTabs: tabs,
    ...(first?.variables === undefined ? {} : { variables: first.variables }),
    ...(first?.headers === undefined ? {} : { headers: first.headers }),
  };
  return options;
}
