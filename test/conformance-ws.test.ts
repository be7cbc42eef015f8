import { CONNECTION_INIT_TIMEOUT_MS } from '../src/protocol';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '../client/operations';
import { createSession } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { OWN_DOCUMENTS } from './helpers/own-documents';
import { type Frame, rawSocket, type RawSocket } from './helpers/raw-ws';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

/** The SDK's documents and a client's own spelling of them; every probe runs with both. */
const SPELLINGS = {
  sdk: { offer: SEND_OFFER, answer: SEND_ANSWER, candidate: SEND_ICE_CANDIDATE, signals: SIGNALS_SUBSCRIPTION },
  own: OWN_DOCUMENTS,
} as const;
type Spelling = keyof typeof SPELLINGS;

/** graphql-transport-ws by hand, frame by frame, against /graphql (the protocol's GRAPHQL_TRANSPORT_WS_PROTOCOL.md). */
describe('graphql-transport-ws conformance (raw frames)', () => {
  let gw: TestGateway;
  const open: RawSocket[] = [];
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    for (const raw of open) raw.socket.terminate();
    await gw.close();
  });

  const socket = async (): Promise<RawSocket> => {
    const raw = await rawSocket(gw.wsUrl);
    open.push(raw);
    return raw;
  };
  let peers = 0;
  /** An acknowledged socket for a fresh peer of `room`. */
  const peer = async (room: string): Promise<{ raw: RawSocket; id: string }> => {
    const id = `p${++peers}`;
    const raw = await socket();
    await raw.init((await createSession(gw.httpUrl, room, id)).token);
    return { raw, id };
  };

  describe('connection', () => {
    it('closes 4408 when connection_init does not come in time', async () => {
      const raw = await socket();
      const started = Date.now();
      await expect(raw.closed()).resolves.toMatchObject({ code: 4408 });
      expect(Date.now() - started).toBeGreaterThanOrEqual(CONNECTION_INIT_TIMEOUT_MS - 100);
    });

    it('closes 4429 on a second connection_init', async () => {
      const { raw } = await peer('probe-init');
      raw.send({ type: 'connection_init', payload: {} });
      await expect(raw.closed()).resolves.toMatchObject({ code: 4429 });
    });

    it('closes 4401 on a subscribe before connection_ack', async () => {
      const raw = await socket();
      raw.send({ id: '1', type: 'subscribe', payload: { query: '{ __typename }' } });
      await expect(raw.closed()).resolves.toMatchObject({ code: 4401 });
    });

    it('closes 4403 when the token is not valid', async () => {
      const raw = await socket();
      raw.send({ type: 'connection_init', payload: { authToken: 'not-a-token' } });
      await expect(raw.closed()).resolves.toMatchObject({ code: 4403 });
    });

    it('answers ping with pong (echoing the payload) and takes a pong without a reply', async () => {
      const { raw } = await peer('probe-ping');
      raw.send({ type: 'pong', payload: { unasked: true } });
      raw.send({ type: 'ping', payload: { n: 1 } });
      expect(await raw.next('pong')).toEqual({ type: 'pong', payload: { n: 1 } });
      raw.send({ type: 'ping' });
      expect(await raw.next('pong')).toEqual({ type: 'pong' });
      expect(raw.frames.all.filter((f) => f.type !== 'connection_ack' && f.type !== 'pong')).toEqual([]);
    });

    it.each([
      ['not JSON', 'not json'],
      ['an unknown type', { type: 'hello' }],
      ['a subscribe without an id', { type: 'subscribe', payload: { query: '{ __typename }' } }],
      ['a subscribe without a query', { id: '1', type: 'subscribe', payload: {} }],
      ['a subscribe with variables that are not a map', { id: '1', type: 'subscribe', payload: { query: '{ __typename }', variables: 'x' } }],
      ['a complete without an id', { type: 'complete' }],
      ['a next from the client', { id: '1', type: 'next', payload: { data: null } }],
    ])('closes 4400 on an invalid message: %s', async (_what, message) => {
      const { raw } = await peer('probe-invalid');
      raw.send(message);
      await expect(raw.closed()).resolves.toMatchObject({ code: 4400 });
    });
  });

  describe.each(Object.keys(SPELLINGS) as Spelling[])('operations in the %s spelling', (spelling) => {
    const documents = SPELLINGS[spelling];

    it('closes 4409 on a subscribe under an id in use', async () => {
      const { raw } = await peer(`probe-dup-${spelling}`);
      raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await raw.next('next', 's');
      raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await expect(raw.closed()).resolves.toMatchObject({ code: 4409 });
    });

    it('answers a mutation with next then complete, and a refused one with next carrying coded errors', async () => {
      const room = `probe-shapes-${spelling}`;
      const bob = await peer(room);
      bob.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await bob.raw.next('next', 's');
      const alice = await peer(room);
      alice.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await alice.raw.next('next', 's');

      alice.raw.send({ id: 'm1', type: 'subscribe', payload: { query: documents.offer, variables: { to: bob.id, sdp: fakeSdp('shape') } } });
      const next = await alice.raw.next('next', 'm1');
      expect(next).toEqual({ id: 'm1', type: 'next', payload: { data: { sendOffer: expect.objectContaining({ id: expect.any(String), at: expect.any(String) }) } } });
      expect(await alice.raw.next('complete', 'm1')).toEqual({ id: 'm1', type: 'complete' });

      alice.raw.send({ id: 'm2', type: 'subscribe', payload: { query: documents.offer, variables: { to: 'nobody', sdp: fakeSdp('shape') } } });
      const refused = await alice.raw.next('next', 'm2');
      expect(refused).toEqual({
        id: 'm2',
        type: 'next',
        payload: { data: null, errors: [expect.objectContaining({ message: expect.any(String), extensions: expect.objectContaining({ code: 'PEER_NOT_FOUND' }) })] },
      });
      await alice.raw.next('complete', 'm2');
    });

    it('answers a document that does not validate with one error message (an array of coded errors), and no complete', async () => {
      const { raw } = await peer(`probe-error-${spelling}`);
      raw.send({ id: 'bad', type: 'subscribe', payload: { query: documents.offer.replace('sendOffer(', 'sendOffer(nope: 1, ') } });
      const error = await raw.next('error', 'bad');
      expect(error).toEqual({ id: 'bad', type: 'error', payload: [expect.objectContaining({ message: expect.any(String), extensions: expect.objectContaining({ code: expect.any(String) }) })] });
      // The socket stays open and the id is free again.
      raw.send({ type: 'ping' });
      await raw.next('pong');
      expect(raw.frames.all.some((f) => f.type === 'complete' && f.id === 'bad')).toBe(false);
    });

    it('stops a subscription the client completes: no complete back, nothing more under its id', async () => {
      const room = `probe-complete-${spelling}`;
      const bob = await peer(room);
      bob.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await bob.raw.next('next', 's');
      bob.raw.send({ id: 's', type: 'complete' });
      // The ping's pong comes after the complete was handled.
      bob.raw.send({ type: 'ping' });
      await bob.raw.next('pong');
      const alice = await peer(room);
      alice.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await alice.raw.next('next', 's');
      alice.raw.send({ id: 'm', type: 'subscribe', payload: { query: documents.offer, variables: { to: bob.id, sdp: fakeSdp('gone') } } });
      // Bob stopped listening, so he is in grace, not connected: the offer waits in his mailbox.
      await alice.raw.next('complete', 'm');
      bob.raw.send({ type: 'ping' });
      await bob.raw.next('pong');
      expect(bob.raw.frames.all.filter((f) => f.id === 's').map((f) => f.type)).toEqual(['next']);
    });
  });

  it('relays the same signals whichever spelling sends and receives them: answers compared field by field', async () => {
    const flows: Record<Spelling, Frame[]> = { sdk: [], own: [] };
    for (const spelling of Object.keys(SPELLINGS) as Spelling[]) {
      const documents = SPELLINGS[spelling];
      const room = `probe-flow-${spelling}`;
      const bob = await peer(room);
      bob.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      const welcome = await bob.raw.next('next', 's');
      const alice = await peer(room);
      alice.raw.send({ id: 's', type: 'subscribe', payload: { query: documents.signals } });
      await alice.raw.next('next', 's');
      const connected = await bob.raw.next('next', 's');
      const sends: Array<[string, string, Record<string, unknown>]> = [
        ['o', documents.offer, { to: bob.id, sdp: fakeSdp('flow') }],
        ['a', documents.answer, { to: bob.id, sdp: fakeSdp('flow') }],
        ['c', documents.candidate, { to: bob.id, candidate: { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 } }],
        ['e', documents.candidate, { to: bob.id, candidate: { candidate: '' } }],
      ];
      const replies: Frame[] = [];
      for (const [id, query, variables] of sends) {
        alice.raw.send({ id, type: 'subscribe', payload: { query, variables } });
        replies.push(await alice.raw.next('next', id), await alice.raw.next('complete', id));
      }
      const received = await Promise.all(sends.map(() => bob.raw.next('next', 's')));
      flows[spelling] = [welcome, connected, ...replies, ...received];
    }
    // Compare what both spellings ask for; values that differ per run reduce to their type.
    const comparable = (frame: Frame): unknown => JSON.parse(JSON.stringify(frame), (key, value: unknown) => {
      if (key === '__typename' && typeof value === 'string' && !/^(Welcome|PeerConnected|Offer|Answer|IceCandidate)$/.test(value)) return undefined;
      if (['id', 'at', 'cursor', 'from', 'to', 'name', 'room'].includes(key) && typeof value === 'string') return typeof value;
      return value;
    }) as unknown;
    expect(flows.own.map(comparable)).toEqual(flows.sdk.map(comparable));
    expect(flows.sdk).toHaveLength(2 + 8 + 4);
  });
});
