import type { ExecutionResult } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { SEND_OFFER, SIGNALS_SUBSCRIPTION } from '../client/operations';
import { createSession, http } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { OWN_DOCUMENTS } from './helpers/own-documents';
import { rawSocket } from './helpers/raw-ws';
import { fakeSdp } from './helpers/sdp';

/** A plugin the gateway did not know of: it marks every result and every subscription event. */
function useMark(): Plugin {
  const mark = (result: ExecutionResult): ExecutionResult => ({ ...result, extensions: { ...result.extensions, marked: true } });
  return {
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        if (!(Symbol.asyncIterator in result)) setResult(mark(result));
      },
    }),
    onSubscribe: () => ({
      onSubscribeResult: () => ({ onNext: ({ result, setResult }) => setResult(mark(result)) }),
    }),
  };
}

/** A plugin added to yoga applies to every operation on every transport, the hot documents included: nothing runs beside envelop. */
describe('a plugin added later', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({}, { plugins: [useMark()] });
  });
  afterAll(() => gw.close());

  it.each([
    ['the SDK’s documents', SIGNALS_SUBSCRIPTION, SEND_OFFER],
    ['a client’s own documents', OWN_DOCUMENTS.signals, OWN_DOCUMENTS.offer],
  ])('marks WebSocket replies and events for %s, and HTTP replies', async (what, signals, offer) => {
    const room = `plugins-${what.length}`;
    const bob = await createSession(gw.httpUrl, room, 'bob');
    const alice = await createSession(gw.httpUrl, room, 'alice');
    const [bobSocket, aliceSocket] = [await rawSocket(gw.wsUrl), await rawSocket(gw.wsUrl)];
    await bobSocket.init(bob.token);
    await aliceSocket.init(alice.token);
    bobSocket.send({ id: 's', type: 'subscribe', payload: { query: signals } });
    expect(await bobSocket.next('next', 's')).toMatchObject({ payload: { extensions: { marked: true } } });
    aliceSocket.send({ id: 's', type: 'subscribe', payload: { query: signals } });
    await aliceSocket.next('next', 's');
    await bobSocket.next('next', 's'); // PeerConnected alice

    aliceSocket.send({ id: 'o', type: 'subscribe', payload: { query: offer, variables: { to: 'bob', sdp: fakeSdp('mark') } } });
    expect(await aliceSocket.next('next', 'o')).toMatchObject({ payload: { data: { sendOffer: {} }, extensions: { marked: true } } });
    expect(await bobSocket.next('next', 's')).toMatchObject({ payload: { data: { signals: { __typename: 'Offer' } }, extensions: { marked: true } } });

    const overHttp = await http(gw.httpUrl, offer, { to: 'bob', sdp: fakeSdp('mark') }, { token: alice.token });
    expect(overHttp).toMatchObject({ data: { sendOffer: {} }, extensions: { marked: true } });
    bobSocket.socket.close(1000);
    aliceSocket.socket.close(1000);
  });
});
