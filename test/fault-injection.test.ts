import { SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import type { Signal } from '../client/types';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { TestRedis } from './helpers/redis';
import type { Inbox } from './helpers/inbox';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

const RUNS = 100;
const CANDIDATES_PER_SIDE = 4;

/** mulberry32: a small seeded PRNG, so a failing run can be replayed with FAULT_SEED. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Side = 'a' | 'b';
const other = (s: Side): Side => (s === 'a' ? 'b' : 'a');

interface Step {
  from: Side;
  label: string;
  query: string;
  variables: Record<string, unknown>;
}

/** One negotiation: offer, answer, each side's candidates interleaved at random, end-of-candidates. */
function script(random: () => number): Step[] {
  const candidates = (side: Side): Step[] => [
    ...Array.from({ length: CANDIDATES_PER_SIDE }, (_, k) => ({
      from: side,
      label: `ice:${side}${k}`,
      query: SEND_ICE_CANDIDATE,
      variables: { to: other(side), candidate: { candidate: HOST_CANDIDATE, sdpMid: `${side}${k}`, sdpMLineIndex: 0 } },
    })),
    { from: side, label: 'ice:end', query: SEND_ICE_CANDIDATE, variables: { to: other(side), candidate: { candidate: '' } } },
  ];
  const a = candidates('a');
  const b = candidates('b');
  const mixed: Step[] = [];
  while (a.length + b.length > 0) {
    const pick = b.length === 0 || (a.length > 0 && random() < 0.5) ? a : b;
    const step = pick.shift();
    if (step) mixed.push(step);
  }
  return [
    { from: 'a', label: 'Offer', query: SEND_OFFER, variables: { to: 'b', sdp: fakeSdp('offer') } },
    { from: 'b', label: 'Answer', query: SEND_ANSWER, variables: { to: 'a', sdp: fakeSdp('answer') } },
    ...mixed,
  ];
}

const label = (e: Signal): string | null =>
  e.__typename === 'Offer' || e.__typename === 'Answer'
    ? e.__typename
    : e.__typename === 'IceCandidate'
      ? e.candidate.candidate === ''
        ? 'ice:end'
        : `ice:${e.candidate.sdpMid ?? ''}`
      : null;

describe('fault injection: sockets cut at random points of a negotiation', () => {
  let redis: TestRedis;
  let gateways: TestGateway[];
  const seed = Number(process.env['FAULT_SEED'] ?? Date.now() % 1_000_000);

  beforeAll(async () => {
    redis = await TestRedis.start();
    gateways = await Promise.all([0, 1].map(() => startGateway({ REDIS_URL: redis.url, GRACE_MS: '60000', RATE_LIMIT_SDP_PER_S: '0', RATE_LIMIT_ICE_PER_S: '0' })));
  });
  afterAll(async () => {
    await Promise.all(gateways.map((g) => g.close()));
    await redis.stop();
  });

  it(`delivers every signal exactly once, in order, across ${RUNS} randomized runs (seed printed)`, async () => {
    console.log(`fault injection seed: ${seed} (replay with FAULT_SEED=${seed})`);
    const random = prng(seed);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
    let cuts = 0;
    let crossInstanceResumes = 0;

    for (let run = 0; run < RUNS; run++) {
      const room = `fault-${seed}-${run}`;
      const steps = script(random);
      const tokens = {
        a: (await createSession(pick(gateways).httpUrl, room, 'a')).token,
        b: (await createSession(pick(gateways).httpUrl, room, 'b')).token,
      };
      const peers: WsPeer[] = [];
      const streams: Record<Side, Array<Inbox<Signal>>> = { a: [], b: [] };
      const live: Partial<Record<Side, WsPeer>> = {};
      const connect = async (side: Side, gw: TestGateway, after?: string): Promise<void> => {
        const peer = wsPeer(gw.wsUrl, tokens[side]);
        peers.push(peer);
        const sub = peer.signals(after);
        const welcome = await sub.events.next();
        if (welcome.__typename !== 'Welcome') throw new Error(`run ${run}: expected Welcome`);
        if (after !== undefined && !welcome.resumed) throw new Error(`run ${run}: ${side} was not resumed`);
        streams[side].push(sub.events);
        live[side] = peer;
      };
      const lastCursor = (side: Side): string => {
        const events = streams[side][streams[side].length - 1]?.all ?? [];
        return events[events.length - 1]?.cursor ?? '';
      };

      const firstGw = { a: pick(gateways), b: pick(gateways) };
      await connect('a', firstGw.a);
      await connect('b', firstGw.b);
      // Each side may lose its socket once, at a random step, and come back some steps later.
      const plan = (['a', 'b'] as const).map((side) => ({
        side,
        cutAt: random() < 0.85 ? Math.floor(random() * (steps.length + 1)) : -1,
        backAfter: Math.floor(random() * 4),
        abrupt: random() < 0.5,
        gw: pick(gateways),
      }));

      const reconnect = async (p: (typeof plan)[number]): Promise<void> => {
        await connect(p.side, p.gw, lastCursor(p.side));
        if (p.gw !== firstGw[p.side]) crossInstanceResumes++;
      };
      for (let i = 0; i <= steps.length; i++) {
        for (const p of plan) {
          if (p.cutAt === i) {
            const peer = live[p.side];
            delete live[p.side];
            if (!peer) continue;
            cuts++;
            // Abrupt: the TCP connection just dies. Clean: the client closes (graphql-ws would reconnect
            // by itself after a plain 1000 close in non-lazy mode, so a clean cut is a dispose).
            if (p.abrupt) peer.socket().terminate();
            else void peer.dispose();
            await peer.closes.next();
          }
          if (p.cutAt >= 0 && p.cutAt + p.backAfter === i) await reconnect(p);
        }
        const step = steps[i];
        if (!step) break;
        const res = await http(pick(gateways).httpUrl, step.query, step.variables, { token: tokens[step.from] });
        if (codeOf(res) !== 'OK') throw new Error(`run ${run} step ${i}: ${JSON.stringify(res.errors)}`);
      }
      for (const p of plan) if (!live[p.side]) await reconnect(p);

      for (const side of ['a', 'b'] as const) {
        const expected = steps.filter((s) => s.from === other(side)).map((s) => s.label);
        // Wait for the last expected signal on the live subscription, then compare everything received.
        const inbox = streams[side][streams[side].length - 1];
        const done = () => streams[side].some((received) => received.all.some((e) => label(e) === 'ice:end'));
        if (!done()) await inbox?.nextWhere((e) => label(e) === 'ice:end');
        const all = streams[side].flatMap((inbox) => inbox.all);
        const got = all.map(label).filter((l): l is string => l !== null);
        if (JSON.stringify(got) !== JSON.stringify(expected)) {
          throw new Error(`seed ${seed} run ${run} side ${side}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(got)}; plan ${JSON.stringify(plan.map(({ gw: _gw, ...rest }) => rest))}`);
        }
        expect(all.filter((e) => e.__typename === 'PeerDisconnected')).toEqual([]);
      }
      await Promise.all(peers.map((p) => p.dispose()));
    }
    console.log(`fault injection: ${RUNS} runs, ${cuts} sockets cut, ${crossInstanceResumes} resumed on the other instance; every signal once, in order`);
  }, 120_000);
});
