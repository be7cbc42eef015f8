import fc from 'fast-check';
import { CREATE_SESSION, POLL_SIGNALS, SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import { ErrorCode } from '../src/protocol';
import { createSession, http, wsPeer, type GraphQLResponse, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

const RUNS_PER_OPERATION = 150;
/** Every code a refusal may carry; anything else (or none) means an input reached an internal error. */
const KNOWN_CODES = new Set<string>([...Object.values(ErrorCode)]);

/** Strings that tend to break parsers: empty, huge, control characters, unicode, near-valid grammar. */
const nasty = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '../..', 'a'.repeat(129), '🦄'.repeat(50), 'v=0', 'candidate:', '__proto__', 'constructor'),
  fc.integer({ min: 1, max: 80_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ maxLength: 200 }).map((s) => `v=0\r\n${s}`),
  fc.string({ maxLength: 60 }).map((s) => `${HOST_CANDIDATE} ${s}`),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: null });

describe('property-based fuzzing of every input of every mutation', () => {
  let gw: TestGateway;
  let alice: WsPeer;
  let token: string;
  let bobEvents: ReturnType<WsPeer['signals']>['events'];
  const sockets: WsPeer[] = [];
  let checks = 0;

  beforeAll(async () => {
    gw = await startGateway();
    const a = await createSession(gw.httpUrl, 'fuzz', 'alice');
    const b = await createSession(gw.httpUrl, 'fuzz', 'bob');
    token = a.token;
    alice = wsPeer(gw.wsUrl, a.token);
    const bob = wsPeer(gw.wsUrl, b.token);
    sockets.push(alice, bob);
    await alice.signals().events.next();
    bobEvents = bob.signals().events;
    await bobEvents.next();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
  });

  /** The answer is data or a known code, and the live pair still relays. */
  async function holds(response: GraphQLResponse<unknown>): Promise<boolean> {
    const codes = (response.errors ?? []).map((e) => e.extensions?.code ?? 'NONE');
    if (codes.some((code) => !KNOWN_CODES.has(code))) throw new Error(`unexpected answer: ${JSON.stringify(response).slice(0, 400)}`);
    if (++checks % 30 === 0) {
      await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp(`alive${checks}`) });
      await bobEvents.nextWhere((e) => e.__typename === 'Offer' && e.sdp === fakeSdp(`alive${checks}`));
    }
    return true;
  }

  const property = (name: string, arb: fc.Arbitrary<[string, Record<string, unknown>]>) =>
    it(`${name}: a coded error or success, never a crash`, async () => {
      await fc.assert(
        fc.asyncProperty(arb, async ([query, variables]) => holds(await http(gw.httpUrl, query, variables, { token }))),
        { numRuns: RUNS_PER_OPERATION },
      );
    });

  property('createSession', fc.record({ room: nasty, peerId: maybe(nasty), name: maybe(nasty) }).map((v) => [CREATE_SESSION, v]));
  property('sendOffer', fc.record({ to: fc.oneof(nasty, fc.constant('bob')), sdp: nasty }).map((v) => [SEND_OFFER, v]));
  property('sendAnswer', fc.record({ to: fc.oneof(nasty, fc.constant('bob')), sdp: fc.oneof(nasty, fc.constant(fakeSdp('ok'))) }).map((v) => [SEND_ANSWER, v]));
  property(
    'sendIceCandidate',
    fc
      .record({
        to: fc.oneof(nasty, fc.constant('bob')),
        candidate: fc.record({
          candidate: fc.oneof(nasty, fc.constant(HOST_CANDIDATE), fc.constant('')),
          sdpMid: maybe(nasty),
          sdpMLineIndex: maybe(fc.oneof(fc.integer(), fc.double(), fc.constant(2 ** 40))),
          usernameFragment: maybe(nasty),
        }),
      })
      .map((v) => [SEND_ICE_CANDIDATE, v]),
  );
  property('pollSignals', fc.record({ after: maybe(nasty), waitMs: maybe(fc.oneof(fc.integer({ min: -5, max: 5 }), fc.integer())) }).map((v) => [POLL_SIGNALS, { ...v, waitMs: v.waitMs === null ? 0 : v.waitMs }]));

  afterAll(() => {
    console.log(`fuzz: ${checks} generated requests over 5 operations, all answered with success or a known code; the live pair kept relaying`);
  });
});
