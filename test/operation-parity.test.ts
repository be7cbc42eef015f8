import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws';
import { WebSocket } from 'ws';
import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, SIGNALS_SUBSCRIPTION } from '../client/operations';
import { createSession, type GraphQLResponse, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { fakeSdp } from './helpers/sdp';

/**
 * Every document takes one way, whoever wrote it: parsed and validated once per text
 * (src/transport/documents.ts), compiled once (src/api/compiled-execution.ts), run through yoga's
 * plugins. The SDK's documents and the same documents under another name must answer alike, and the
 * same as HTTP does.
 */
const general = (text: string): string => text.replace(/^(mutation|subscription) (\w+)/, '$1 $2General');

/** What a client can rely on in an answer: values that differ per call (ids, times) reduced to their type. */
function shape(response: GraphQLResponse<unknown>): unknown {
  const reduce = (value: unknown, key = ''): unknown => {
    if (Array.isArray(value)) return value.map((v) => reduce(v));
    if (typeof value === 'object' && value !== null) {
      return Object.fromEntries(Object.entries(value).filter(([k]) => k !== 'locations').map(([k, v]) => [k, reduce(v, k)]));
    }
    return ['id', 'at', 'cursor'].includes(key) ? typeof value : value;
  };
  return reduce(response);
}

/** WebSocket operations whose document text had (hit) or had not (miss) been parsed and validated before. */
async function documentLookups(gw: TestGateway): Promise<{ hit: number; miss: number }> {
  const text = await (await fetch(`${gw.url}/metrics`)).text();
  const count = (cache: string): number =>
    Number(text.split('\n').find((line) => line.startsWith(`switchboard_ws_documents_total{cache="${cache}"}`))?.split(' ').pop() ?? 0);
  return { hit: count('hit'), miss: count('miss') };
}

describe('one way for every document', () => {
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  let aliceToken = '';
  const connect = async (room: string, peer: string): Promise<WsPeer> => {
    const { token } = await createSession(gw.httpUrl, room, peer);
    if (peer === 'alice') aliceToken = token;
    const socket = wsPeer(gw.wsUrl, token);
    sockets.push(socket);
    return socket;
  };

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
  });

  it('answer every signal mutation, accepted or refused, alike in any spelling and over HTTP', async () => {
    const alice = await connect('parity', 'alice');
    const bob = await connect('parity', 'bob');
    const aliceSignals = alice.signals();
    await aliceSignals.events.next();
    const bobSignals = bob.signals();
    await bobSignals.events.next();

    const cases: Array<[string, string, Record<string, unknown>]> = [
      ['an offer', SEND_OFFER, { to: 'bob', sdp: fakeSdp('parity') }],
      ['an answer', SEND_ANSWER, { to: 'bob', sdp: fakeSdp('parity') }],
      ['a candidate', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } }],
      ['end-of-candidates', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: '' } }],
      ['a peer not in the room', SEND_OFFER, { to: 'nobody', sdp: fakeSdp('x') }],
      ['text that is not SDP', SEND_ANSWER, { to: 'bob', sdp: 'not sdp' }],
      ['a bad peer id', SEND_OFFER, { to: 'bad id!', sdp: fakeSdp('x') }],
      ['an Int out of range', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: '', sdpMLineIndex: 2 ** 40 } }],
      ['a missing variable', SEND_OFFER, { sdp: fakeSdp('x') }],
      ['a null for a non-null input', SEND_ICE_CANDIDATE, { to: 'bob', candidate: null }],
      ['a candidate over the size limit', SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: `candidate:${'x'.repeat(20_000)}` } }],
    ];
    const before = await documentLookups(gw);
    let delivered = 0;
    for (const [what, text, variables] of cases) {
      const fast = await alice.request(text, variables);
      const slow = await alice.request(general(text), variables);
      expect({ what, answer: shape(fast) }).toEqual({ what, answer: shape(slow) });
      if (!fast.data) {
        // Refusals are the same over HTTP, which runs the same compiled operation behind the same plugins.
        const overHttp = await http(gw.httpUrl, text, variables, { token: aliceToken });
        expect({ what, answer: shape(overHttp) }).toEqual({ what, answer: shape(fast) });
      }
      if (fast.data) delivered += 2;
    }
    expect(delivered).toBe(8);
    // Each distinct text was parsed and validated once: three SDK documents and their three renamings.
    const after = await documentLookups(gw);
    expect(after.miss - before.miss).toBeLessThanOrEqual(6);
    expect(after.hit - before.hit + after.miss - before.miss).toBe(2 * cases.length);

    // What Bob received is the same both ways too, pair by pair, and nothing else.
    for (let i = 0; i < delivered / 2; i++) {
      const [fast, slow] = [await bobSignals.events.next(), await bobSignals.events.next()];
      expect(shape({ data: fast })).toEqual(shape({ data: slow }));
    }
    const extra = await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('last') });
    expect(extra.data).toBeTruthy();
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'Offer', sdp: fakeSdp('last') });
  });

  it('open signals, or refuse to, alike in any spelling', async () => {
    const carol = await connect('parity-signals', 'carol');
    const dave = await connect('parity-signals', 'dave');
    const erin = await connect('parity-signals', 'erin');
    const refusedFast = await carol.request(SIGNALS_SUBSCRIPTION, { after: 'c'.repeat(10_000) });
    const refusedSlow = await carol.request(general(SIGNALS_SUBSCRIPTION), { after: 'c'.repeat(10_000) });
    expect(refusedFast.errors?.length).toBe(1);
    expect(shape(refusedFast)).toEqual(shape(refusedSlow));

    // Carol subscribes with the SDK's document, Dave with a renamed one; Erin sends both the same offer.
    const carolEvents = carol.signals();
    const carolWelcome = await carolEvents.events.next();
    const daveEvents = collect(dave, general(SIGNALS_SUBSCRIPTION));
    const daveWelcome = await daveEvents.next();
    expect(carolWelcome).toMatchObject({ __typename: 'Welcome', resumed: false });
    expect(Object.keys(daveWelcome).sort()).toEqual(Object.keys(carolWelcome).sort());
    await carolEvents.events.next(); // PeerConnected dave
    const erinSignals = erin.signals();
    await erinSignals.events.next();
    await carolEvents.events.next(); // PeerConnected erin
    await daveEvents.next();
    const sdp = fakeSdp('both');
    await erin.request(SEND_OFFER, { to: 'carol', sdp });
    await erin.request(SEND_OFFER, { to: 'dave', sdp });
    const [toCarol, toDave] = [await carolEvents.events.next(), await daveEvents.next()];
    expect(shape({ data: { ...toCarol, to: '' } })).toEqual(shape({ data: { ...toDave, to: '' } }));
    expect(toCarol).toMatchObject({ __typename: 'Offer', from: 'erin', to: 'carol', sdp });
  });

  it('keep graphql-ws’s rules for ids: a duplicate closes 4409, a completed id can be used again once it ended', async () => {
    const { token } = await createSession(gw.httpUrl, 'parity-ids', 'frank');
    const socket = new WebSocket(gw.wsUrl, GRAPHQL_TRANSPORT_WS_PROTOCOL);
    const frames: Array<{ id?: string; type: string; payload?: { data?: { signals?: { __typename: string } } } }> = [];
    const waiters: Array<() => void> = [];
    socket.on('message', (data) => {
      frames.push(JSON.parse(String(data)) as (typeof frames)[number]);
      waiters.splice(0).forEach((wake) => wake());
    });
    const frame = async (match: (f: (typeof frames)[number]) => boolean): Promise<(typeof frames)[number]> => {
      for (;;) {
        const found = frames.find(match);
        if (found) {
          frames.splice(frames.indexOf(found), 1);
          return found;
        }
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const welcome = (id: string) => frame((f) => f.id === id && f.payload?.data?.signals?.__typename === 'Welcome');
    await new Promise((resolve) => socket.once('open', resolve));
    socket.send(JSON.stringify({ type: 'connection_init', payload: { authToken: token } }));
    await frame((f) => f.type === 'connection_ack');
    const subscribe = (id: string) => socket.send(JSON.stringify({ id, type: 'subscribe', payload: { query: SIGNALS_SUBSCRIPTION } }));

    subscribe('s');
    await welcome('s');
    socket.send(JSON.stringify({ id: 's', type: 'complete' }));
    // The pong comes after the complete was handled; an id reused before its operation ended closes 4409.
    socket.send(JSON.stringify({ type: 'ping' }));
    await frame((f) => f.type === 'pong');
    subscribe('s');
    await welcome('s');
    const closed = new Promise<number>((resolve) => socket.once('close', (code) => resolve(code)));
    subscribe('s');
    await expect(closed).resolves.toBe(4409);
  });
});

/** The events of a subscription sent with any document text. */
function collect(peer: WsPeer, query: string): { next(): Promise<Record<string, unknown>> } {
  const queue: Array<Record<string, unknown>> = [];
  const waiting: Array<(event: Record<string, unknown>) => void> = [];
  peer.client.subscribe<{ signals: Record<string, unknown> }>(
    { query },
    {
      next: (value) => {
        const event = value.data?.signals ?? { errors: value.errors };
        const waiter = waiting.shift();
        if (waiter) waiter(event);
        else queue.push(event);
      },
      error: () => undefined,
      complete: () => undefined,
    },
  );
  return {
    next: () => {
      const ready = queue.shift();
      return ready ? Promise.resolve(ready) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}
