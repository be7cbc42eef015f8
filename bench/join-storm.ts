/**
 * The join-storm phase: N peers open `signals` in one room at once, spread over several generator
 * processes (so the generator is not the limit) and, with Redis, over both instances; measured until
 * every peer knows every other. Reports wall time, gateway and generator CPU-seconds (from /proc and
 * process.cpuUsage: on a shared machine they say more than wall time), peak gateway RSS, the latency of
 * a direct signal relayed during the storm, and with Redis the commands Redis ran (INFO commandstats)
 * and its slowest (SLOWLOG).
 */
import Redis from 'ioredis';
import { commandStats, cpuSeconds, Generator, rssBytes, type Running, writeSyscalls } from './processes';
import type { StormCommand, StormFinish, StormReport } from './storm-generator';

export type PresenceMode = 'EACH' | 'BATCHED';

export interface StormResult {
  presence: PresenceMode;
  peers: number;
  /** ms from the start until the last peer knew every other; null when some never did within the timeout. */
  allKnownMs: number | null;
  /** Peers that knew every other within the timeout, and when the median one did. */
  completed: number;
  medianKnownMs: number | null;
  /** Peers welcomed by the end (the rest were still connecting), and when (ms from the start) the median and the last one were. */
  welcomed: number;
  welcomedMs: { p50: number; max: number };
  failedToConnect: number;
  firstError: string | null;
  /** Failed connections by reason. */
  failures: Record<string, number>;
  /** Sockets the gateway closed during the storm, by close code (4102: slow consumer). */
  closes: Record<string, number>;
  presenceFrames: number;
  presenceEntries: number;
  duplicates: number;
  gatewayCpuS: number;
  /** Write syscalls of the gateway processes over the storm (`syscw`): one per socket per batch of frames. */
  gatewayWrites: number;
  generatorCpuS: number;
  peakRssBytes: number;
  /** One-way latency of candidates relayed between two peers of the room during the storm. */
  probe: { p50: number; p99: number; samples: number };
  /** With Redis: calls and µs per command over the storm, and the slowest entries of SLOWLOG. */
  redis?: { commands: Record<string, { calls: number; usec: number }>; slowest: Array<{ command: string; usec: number }> };
}

export interface StormPlan {
  sizes: number[];
  modes: PresenceMode[];
  /** Generator processes sharing the room (one more holds the two probe peers). */
  generators: number;
  timeoutMs: number;
}

/** Peers of the room in the probe's own generator process. */
const PROBE_PEERS = 2;
/** Time given to every generator to receive its command before the agreed start. */
const START_MARGIN_MS = 1_500;
const RSS_SAMPLE_MS = 200;
/** Between storms: the previous room's sockets are closed and the gateways settle. */
const SETTLE_MS = 1_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Sums counts by key. */
function tally(counts: Array<Record<string, number>>): Record<string, number> {
  const all: Record<string, number> = {};
  for (const one of counts) for (const [key, n] of Object.entries(one)) all[key] = (all[key] ?? 0) + n;
  return all;
}

/** Runs one storm of `peers` in a fresh room. */
async function storm(kind: string, running: Running, generators: Array<Generator<StormCommand>>, peers: number, presence: PresenceMode, timeoutMs: number): Promise<StormResult> {
  const room = `storm-${kind}-${presence}-${peers}-${Date.now().toString(36)}`;
  // The storm runs on one Redis (the switchboard-redis row): its first and only server.
  const server = running.redis?.[0];
  const redis = server ? new Redis(server.port, '127.0.0.1') : null;
  await redis?.config('RESETSTAT');
  await redis?.slowlog('RESET');
  const goAt = Date.now() + START_MARGIN_MS;
  const cpuBefore = running.pids.map(cpuSeconds);
  const writesBefore = running.pids.map(writeSyscalls);
  let peakRssBytes = 0;
  const sampler = setInterval(() => {
    peakRssBytes = Math.max(peakRssBytes, ...running.pids.map(rssBytes));
  }, RSS_SAMPLE_MS);
  // The last generator holds only the two probe peers: its latencies are the gateway's, not those of
  // a generator busy reading the storm's presence. The others share the rest of the room.
  const stormers = generators.length - 1;
  const share = Math.ceil((peers - PROBE_PEERS) / stormers);
  const reports = await Promise.all(
    generators.map((g, gi) => {
      const probe = gi === stormers;
      const count = probe ? PROBE_PEERS : Math.max(0, Math.min(share, peers - PROBE_PEERS - gi * share));
      return g.ask<StormReport>({
        cmd: 'storm',
        targets: running.targets,
        room,
        ids: Array.from({ length: count }, (_, i) => (probe ? `probe-${i}` : `p${gi}-${i}`)),
        total: peers,
        presence,
        goAt,
        timeoutMs,
        probe,
      });
    }),
  );
  clearInterval(sampler);
  const gatewayCpuS = running.pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - (cpuBefore[i] ?? 0), 0);
  const gatewayWrites = running.pids.reduce((sum, pid, i) => sum + writeSyscalls(pid) - (writesBefore[i] ?? 0), 0);
  const finished = await Promise.all(generators.map((g) => g.ask<StormFinish>({ cmd: 'finish' })));
  const commands = redis ? Object.fromEntries(commandStats(await redis.info('commandstats'))) : {};
  const slowlog = redis ? ((await redis.slowlog('GET', 5)) as Array<[number, number, number, string[]]>) : [];
  await redis?.quit();
  const completeMs = reports.flatMap((r) => r.completeMs).sort((a, b) => a - b);
  const welcomedMs = reports.flatMap((r) => r.welcomedMs).sort((a, b) => a - b);
  const sum = (pick: (r: StormReport) => number): number => reports.reduce((total, r) => total + pick(r), 0);
  const probe = finished.flatMap((f) => f.probeLatenciesMs).sort((a, b) => a - b);
  const result: StormResult = {
    presence,
    peers,
    allKnownMs: completeMs.length === peers ? (completeMs[completeMs.length - 1] ?? null) : null,
    completed: completeMs.length,
    medianKnownMs: completeMs.length > 0 ? percentile(completeMs, 50) : null,
    welcomed: sum((r) => r.welcomed),
    welcomedMs: { p50: percentile(welcomedMs, 50), max: welcomedMs[welcomedMs.length - 1] ?? Number.NaN },
    failedToConnect: sum((r) => r.failedToConnect),
    firstError: reports.find((r) => r.firstError !== null)?.firstError ?? null,
    failures: tally(reports.map((r) => r.failures)),
    closes: tally(reports.map((r) => r.closes)),
    presenceFrames: sum((r) => r.presenceFrames),
    presenceEntries: sum((r) => r.presenceEntries),
    duplicates: sum((r) => r.duplicates),
    gatewayCpuS,
    gatewayWrites,
    generatorCpuS: finished.reduce((total, f) => total + f.cpuS, 0),
    peakRssBytes,
    probe: { p50: percentile(probe, 50), p99: percentile(probe, 99), samples: probe.length },
  };
  if (redis) {
    result.redis = {
      commands,
      slowest: slowlog.map(([, , usec, args]) => ({ command: args.slice(0, 2).join(' ').slice(0, 60), usec })),
    };
  }
  await sleep(SETTLE_MS);
  return result;
}

export function describeStorm(kind: string, r: StormResult): string {
  const known = r.allKnownMs === null ? `${r.completed}/${r.peers} complete (median ${r.medianKnownMs ?? '-'} ms, ${r.welcomed} welcomed)` : `all know all in ${(r.allKnownMs / 1000).toFixed(2)} s`;
  const redis = r.redis ? `, redis ${Object.entries(r.redis.commands).map(([c, s]) => `${c} ${s.calls}× ${(s.usec / 1e6).toFixed(2)} s`).join(', ')}` : '';
  return (
    `${kind} join-storm ${r.presence} ${r.peers}: ${known} (welcomed: median ${(r.welcomedMs.p50 / 1000).toFixed(2)} s, last ${(r.welcomedMs.max / 1000).toFixed(2)} s); ${r.presenceFrames} presence frames (${r.presenceEntries} entries, ${r.duplicates} duplicates, ${r.failedToConnect} failed${r.failedToConnect > 0 ? ` ${JSON.stringify(r.failures)}` : ''}, closed ${JSON.stringify(r.closes)}), ` +
    `gateway ${r.gatewayCpuS.toFixed(1)} CPU-s (${((r.gatewayCpuS * 1e6) / Math.max(1, r.presenceEntries)).toFixed(1)} µs per delivered entry, ${r.gatewayWrites} write syscalls), generators ${r.generatorCpuS.toFixed(1)} CPU-s, peak RSS ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB, ` +
    `direct signal p50 ${r.probe.p50.toFixed(1)} ms p99 ${r.probe.p99.toFixed(1)} ms (${r.probe.samples})${redis}`
  );
}

/** Every size in every mode against one running server. */
export async function joinStormPhase(kind: string, running: Running, plan: StormPlan): Promise<StormResult[]> {
  const generators = Array.from({ length: plan.generators + 1 }, () => new Generator<StormCommand>('storm-generator.ts'));
  try {
    // Loading a generator takes seconds on a busy machine: the first storm's clock starts once all answer.
    await Promise.all(generators.map((g) => g.ask<StormFinish>({ cmd: 'finish' })));
    const results: StormResult[] = [];
    for (const peers of plan.sizes) {
      for (const presence of plan.modes) {
        const result = await storm(kind, running, generators, peers, presence, plan.timeoutMs);
        console.log(describeStorm(kind, result));
        results.push(result);
      }
    }
    return results;
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
  }
}
