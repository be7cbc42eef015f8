import { ApolloClient, ApolloLink, gql, HttpLink, InMemoryCache } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { cacheExchange, createClient as createUrqlClient, subscriptionExchange } from '@urql/core';
import { getOperationAST, type DocumentNode } from 'graphql';
import { createClient as createSseClient } from 'graphql-sse';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { LEAVE_ROOM } from '../client/operations';
import { createSession, http } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { Inbox } from './helpers/inbox';
import { OWN_DOCUMENTS } from './helpers/own-documents';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

type Data = Record<string, unknown>;
type Signal = { __typename: string; [field: string]: unknown };

/** What the flow needs of a GraphQL client: its own subscribe and its own request. */
interface Driver {
  signals(): Inbox<Signal>;
  mutate(query: string, variables: Data): Promise<Data>;
  dispose(): void | Promise<void>;
}

const SIGNAL_TYPES = ['Welcome', 'PeerConnected', 'PeerDisconnected', 'Offer', 'Answer', 'IceCandidate', 'Message', 'PresenceBatch'];

function graphqlWs(gw: TestGateway, token: string): WsClient {
  return createWsClient({ url: gw.wsUrl, webSocketImpl: WebSocket, connectionParams: { authToken: token }, retryAttempts: 0 });
}

/** Apollo Client 4 as an app sets it up: mutations over HttpLink, subscriptions over GraphQLWsLink. */
function apollo(gw: TestGateway, token: string): Driver {
  const ws = graphqlWs(gw, token);
  const isSubscription = ({ query }: { query: DocumentNode }): boolean => getOperationAST(query)?.operation === 'subscription';
  const client = new ApolloClient({
    link: ApolloLink.split(isSubscription, new GraphQLWsLink(ws), new HttpLink({ uri: gw.httpUrl, headers: { authorization: `Bearer ${token}` } })),
    cache: new InMemoryCache({ possibleTypes: { Signal: SIGNAL_TYPES } }),
  });
  return {
    signals: () => {
      const events = new Inbox<Signal>('apollo signals');
      client.subscribe<{ signals: Signal }>({ query: gql(OWN_DOCUMENTS.signals) }).subscribe({
        next: (result) => (result.data ? events.push(result.data.signals) : events.fail(new Error(JSON.stringify(result.error)))),
        error: (error: unknown) => events.fail(error instanceof Error ? error : new Error(String(error))),
      });
      return events;
    },
    mutate: async (query, variables) => {
      const result = await client.mutate<Data>({ mutation: gql(query), variables });
      if (!result.data) throw new Error(`apollo mutation failed: ${String(result.error)}`);
      return result.data;
    },
    dispose: async () => {
      client.stop();
      await ws.dispose();
    },
  };
}

/** urql with every operation over graphql-ws (subscriptionExchange with enableAllOperations). */
function urql(gw: TestGateway, token: string): Driver {
  const ws = graphqlWs(gw, token);
  const client = createUrqlClient({
    url: gw.httpUrl,
    exchanges: [
      cacheExchange,
      subscriptionExchange({
        enableAllOperations: true,
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: ws.subscribe(
              { ...request, query: request.query ?? '' },
              // graphql-ws hands formatted results; urql's sink takes them as they come.
              { next: (value) => sink.next(value as Parameters<typeof sink.next>[0]), error: (error) => sink.error(error), complete: () => sink.complete() },
            ),
          }),
        }),
      }),
    ],
  });
  return {
    signals: () => {
      const events = new Inbox<Signal>('urql signals');
      client.subscription<{ signals: Signal }>(OWN_DOCUMENTS.signals, {}).subscribe((result) => {
        if (result.data) events.push(result.data.signals);
        else if (result.error) events.fail(result.error);
      });
      return events;
    },
    mutate: async (query, variables) => {
      const result = await client.mutation<Data>(query, variables).toPromise();
      if (!result.data) throw new Error(`urql mutation failed: ${String(result.error)}`);
      return result.data;
    },
    dispose: () => ws.dispose(),
  };
}

/** graphql-sse's client in distinct-connections mode for signals; mutations by plain HTTP. */
function sse(gw: TestGateway, token: string): Driver {
  const client = createSseClient({ url: gw.httpUrl, headers: { authorization: `Bearer ${token}` }, singleConnection: false, retryAttempts: 0 });
  return {
    signals: () => {
      const events = new Inbox<Signal>('graphql-sse signals');
      client.subscribe<{ signals: Signal }>(
        { query: OWN_DOCUMENTS.signals },
        {
          next: (result) => (result.data ? events.push(result.data.signals) : events.fail(new Error(JSON.stringify(result.errors)))),
          error: (error: unknown) => events.fail(error instanceof Error ? error : new Error(String(error))),
          complete: () => undefined,
        },
      );
      return events;
    },
    mutate: async (query, variables) => {
      const result = await http(gw.httpUrl, query, variables, { token });
      if (!result.data) throw new Error(`mutation failed: ${JSON.stringify(result.errors)}`);
      return result.data;
    },
    dispose: () => client.dispose(),
  };
}

/**
 * The seed's flow between two peers, each through a third-party client with its own documents:
 * join, see each other, offer, answer, candidates (end-of-candidates included), leave.
 */
describe.each([
  ['Apollo Client 4 (HttpLink + GraphQLWsLink)', apollo],
  ['urql (subscriptionExchange over graphql-ws)', urql],
  ['graphql-sse (distinct connections)', sse],
])('%s', (_name, make) => {
  let gw: TestGateway;
  const drivers: Driver[] = [];
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await Promise.all(drivers.map((d) => d.dispose()));
    await gw.close();
  });

  it('carries the whole flow between two peers', async () => {
    const room = `third-party-${make.name}`;
    const [aliceSession, bobSession] = [await createSession(gw.httpUrl, room, 'alice'), await createSession(gw.httpUrl, room, 'bob')];
    const alice = make(gw, aliceSession.token);
    const bob = make(gw, bobSession.token);
    drivers.push(alice, bob);

    const aliceEvents = alice.signals();
    expect(await aliceEvents.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'alice' }, peers: [], resumed: false });
    const bobEvents = bob.signals();
    expect(await bobEvents.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'bob' }, peers: [{ id: 'alice' }] });
    expect(await aliceEvents.next()).toMatchObject({ __typename: 'PeerConnected', peer: { id: 'bob' } });

    const offer = fakeSdp('third-party-offer');
    const delivery = await alice.mutate(OWN_DOCUMENTS.offer, { to: 'bob', sdp: offer });
    expect(delivery).toMatchObject({ sendOffer: { __typename: 'Delivery', id: expect.any(String), at: expect.any(String) } });
    expect(await bobEvents.next()).toMatchObject({ __typename: 'Offer', from: 'alice', to: 'bob', sdp: offer });

    const answer = fakeSdp('third-party-answer');
    await bob.mutate(OWN_DOCUMENTS.answer, { to: 'alice', sdp: answer });
    expect(await aliceEvents.next()).toMatchObject({ __typename: 'Answer', from: 'bob', sdp: answer });

    for (const candidate of [HOST_CANDIDATE, '']) {
      await alice.mutate(OWN_DOCUMENTS.candidate, { to: 'bob', candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
      expect(await bobEvents.next()).toMatchObject({ __typename: 'IceCandidate', from: 'alice', candidate: { candidate, sdpMid: '0', sdpMLineIndex: 0 } });
    }

    await bob.mutate(LEAVE_ROOM, {});
    expect(await aliceEvents.next()).toMatchObject({ __typename: 'PeerDisconnected', peer: { id: 'bob' }, reason: 'left' });
  });
});
