import { createClient as createSseClient } from 'graphql-sse';
import { SEND_OFFER } from '../client/operations';
import { createSession } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { rawSocket } from './helpers/raw-ws';
import { fakeSdp } from './helpers/sdp';

/** Documents a client writes itself (aliases, fragments, `__typename`), and protocol misuse, on every transport. */
describe('a client’s own documents', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(() => gw.close());

  const ALIASED = 'subscription { s: signals { __typename } }';
  const ALIASED_IN_FRAGMENT = 'subscription Mine { ...Events } fragment Events on Subscription { mine: signals { __typename cursor } }';

  it.each([ALIASED, ALIASED_IN_FRAGMENT])('subscribe with an aliased root field over WebSocket: %s', async (query) => {
    const { token } = await createSession(gw.httpUrl, 'alias-ws', undefined);
    const raw = await rawSocket(gw.wsUrl);
    await raw.init(token);
    raw.send({ id: '1', type: 'subscribe', payload: { query } });
    const first = await raw.next('next', '1');
    const key = query === ALIASED ? 's' : 'mine';
    expect(first.payload).toEqual({ data: { [key]: expect.objectContaining({ __typename: 'Welcome' }) } });
    raw.socket.close(1000);
    await expect(raw.closed()).resolves.toMatchObject({ code: 1000 });
  });

  it('subscribe with an aliased root field over SSE', async () => {
    const { token } = await createSession(gw.httpUrl, 'alias-sse', undefined);
    const client = createSseClient({ url: gw.httpUrl, headers: { authorization: `Bearer ${token}` }, retryAttempts: 0 });
    try {
      const first = await new Promise<unknown>((resolve, reject) => {
        const stop = client.subscribe({ query: ALIASED }, {
          next: (value) => {
            stop();
            resolve(value);
          },
          error: reject,
          complete: () => reject(new Error('completed before an event')),
        });
      });
      expect(first).toEqual({ data: { s: { __typename: 'Welcome' } } });
    } finally {
      client.dispose();
    }
  });

  it.each(['next', 'connection_ack', 'error'])('a client that sends %s breaks the protocol: 4400', async (type) => {
    const { token } = await createSession(gw.httpUrl, 'misuse', undefined);
    const raw = await rawSocket(gw.wsUrl);
    await raw.init(token);
    raw.send(type === 'connection_ack' ? { type } : { id: '1', type, payload: type === 'error' ? [{ message: 'x' }] : { data: null } });
    await expect(raw.closed()).resolves.toMatchObject({ code: 4400 });
  });

  it.each([
    ['the SDK’s spelling', SEND_OFFER],
    ['another spelling', 'mutation { sendOffer(to: "nobody", sdp: "v=0") { __typename id } }'],
  ])('a subscribe with invalid extensions closes 4400 whatever the document: %s', async (_what, query) => {
    const { token } = await createSession(gw.httpUrl, 'extensions', undefined);
    const raw = await rawSocket(gw.wsUrl);
    await raw.init(token);
    raw.send({ id: '1', type: 'subscribe', payload: { query, variables: { to: 'nobody', sdp: fakeSdp('x') }, extensions: 'not an object' } });
    await expect(raw.closed()).resolves.toMatchObject({ code: 4400 });
  });
});
