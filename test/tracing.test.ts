import pino from 'pino';
import { SEND_OFFER } from '../client/operations';
import { printedSchema } from '../src/api/printed';
import { ChildGateway } from './helpers/child-gateway';
import { createSession, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway } from './helpers/gateway';
import { OtlpReceiver, SPAN_KIND_CONSUMER, SPAN_KIND_PRODUCER } from './helpers/otlp-receiver';
import { TestRedis } from './helpers/redis';
import { fakeSdp } from './helpers/sdp';

/** Alice (on `a`) offers to Bob (on `b`); resolves once Bob has the offer. */
async function offerAcross(a: { httpUrl: string; wsUrl: string }, b: { httpUrl: string; wsUrl: string }, room: string, sdp: string, sockets: WsPeer[]): Promise<void> {
  const alice = await createSession(a.httpUrl, room, 'alice');
  const bob = await createSession(b.httpUrl, room, 'bob');
  const wa = wsPeer(a.wsUrl, alice.token);
  const wb = wsPeer(b.wsUrl, bob.token);
  sockets.push(wa, wb);
  const aliceSignals = wa.signals();
  await aliceSignals.events.nextWhere((e) => e.__typename === 'Welcome');
  const bobSignals = wb.signals();
  await bobSignals.events.nextWhere((e) => e.__typename === 'Welcome');
  await aliceSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');
  const sent = await wa.request(SEND_OFFER, { to: 'bob', sdp });
  expect(sent.errors).toBeUndefined();
  expect(await bobSignals.events.nextWhere((e) => e.__typename === 'Offer')).toMatchObject({ from: 'alice', sdp });
}

/*
 * The gateways run as processes: the OTLP/HTTP exporter loads `http` with a dynamic import(), which
 * jest's module sandbox refuses, and a process also proves that the OTEL_* environment turns it on.
 */
describe('tracing: one trace per signal, across instances', () => {
  let redis: TestRedis;
  let receiver: OtlpReceiver;
  let accepting: ChildGateway;
  let delivering: ChildGateway;
  const sockets: WsPeer[] = [];

  beforeAll(async () => {
    redis = await TestRedis.start();
    receiver = await OtlpReceiver.start();
    [accepting, delivering] = await Promise.all([
      ChildGateway.start({ REDIS_URL: redis.url, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl, OTEL_SERVICE_NAME: 'switchboard-a' }),
      ChildGateway.start({ REDIS_URL: redis.url, OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'switchboard-b' }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await Promise.all([accepting.stop('SIGKILL'), delivering.stop('SIGKILL')]);
    await receiver.stop();
    await redis.stop();
  });

  it('holds the acceptance on instance A and the delivery on instance B, the delivery a child of the acceptance', async () => {
    const sdp = fakeSdp('traced-offer');
    await offerAcross(accepting, delivering, 'traced', sdp, sockets);
    const delivery = await receiver.spans.nextWhere((s) => s.kind === SPAN_KIND_CONSUMER, 15_000, 'delivery span');
    const acceptance = await receiver.spans.nextWhere((s) => s.kind === SPAN_KIND_PRODUCER, 15_000, 'acceptance span');
    expect(acceptance).toMatchObject({ service: 'switchboard-a', name: 'send Offer', attributes: { 'switchboard.room': 'traced', 'switchboard.signal.type': 'Offer' } });
    expect(delivery).toMatchObject({ service: 'switchboard-b', name: 'deliver Offer', attributes: { 'switchboard.room': 'traced', 'switchboard.signal.type': 'Offer' } });
    expect(delivery.traceId).toBe(acceptance.traceId);
    expect(delivery.parentSpanId).toBe(acceptance.spanId);
    // Never the SDP (nor a token) in what is exported.
    for (const body of receiver.requests) expect(body).not.toContain('traced-offer');
  });

  it('keeps the trace context internal: not in the schema', () => {
    expect(printedSchema()).not.toMatch(/trace/i);
  });
});

describe('tracing off', () => {
  let receiver: OtlpReceiver;
  const sockets: WsPeer[] = [];

  beforeEach(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    await receiver.stop();
  });

  /** One gateway process relays an offer, then stops gracefully: a stop exports what its tracer still holds. */
  async function relayAndStop(env: Record<string, string>): Promise<void> {
    const gateway = await ChildGateway.start({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: receiver.tracesUrl, ...env });
    try {
      await offerAcross(gateway, gateway, 'one', fakeSdp('one'), sockets);
      await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    } finally {
      expect(await gateway.stop('SIGTERM')).toBe(0);
    }
  }

  it('makes no exporter request (OTEL_SDK_DISABLED=true wins over an endpoint)', async () => {
    await relayAndStop({ OTEL_SDK_DISABLED: 'true' });
    expect(receiver.requests).toEqual([]);
  }, 30_000);

  it('the same gateway with tracing on does export (so the check above can fail)', async () => {
    await relayAndStop({});
    expect(receiver.requests.length).toBeGreaterThan(0);
    expect(receiver.spans.all.map((s) => s.name).sort()).toEqual(['deliver Offer', 'send Offer']);
  }, 30_000);
});

describe('tracing to the console (OTEL_TRACES_EXPORTER=console)', () => {
  it('writes each span as one pino line (stdout stays JSON), the delivery a child of the acceptance', async () => {
    const lines: Array<{ msg: string; component?: string; traceId?: string; spanId?: string; parentSpanId?: string | null; kind?: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as (typeof lines)[number]) });
    const gateway = await startGateway({ OTEL_TRACES_EXPORTER: 'console' }, { log });
    const sockets: WsPeer[] = [];
    try {
      await offerAcross(gateway, gateway, 'console', fakeSdp('console-offer'), sockets);
      await Promise.all(sockets.splice(0).map((s) => s.dispose()));
    } finally {
      await gateway.close();
    }
    const spans = lines.filter((l) => l.component === 'tracing');
    const send = spans.find((l) => l.msg === 'send Offer');
    const deliver = spans.find((l) => l.msg === 'deliver Offer');
    expect(send).toMatchObject({ kind: 'PRODUCER', parentSpanId: null });
    expect(deliver).toMatchObject({ kind: 'CONSUMER', traceId: send?.traceId, parentSpanId: send?.spanId });
    expect(JSON.stringify(spans)).not.toContain('console-offer');
  });
});
