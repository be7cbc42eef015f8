/**
 * `npm run bench [-- --quick]`: Switchboard (memory broker), Switchboard (two instances + a private
 * Redis), the PeerJS server and a raw ws relay, each in its own process, driven by the same load
 * generators in other processes. Writes bench/results/latest.{json,md,svg}. Every phase is bounded.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { buildServer, SERVER_ENTRY } from '../scripts/build-server';
import { freePort } from '../test/helpers/redis';
import { TestRedisCluster } from '../test/helpers/redis-cluster';
import type { ServerKind, Target } from './endpoints';
import type { Command, LoadReport } from './generator';
import { joinStormPhase, type PresenceMode, type StormPlan } from './join-storm';
import { commandStats, cpuSeconds, Generator as Forked, rssBytes, type Running, START_TIMEOUT_MS, stopProcess, track, writeSyscalls } from './processes';
import { renderMarkdown, renderSvg, type Results, type ServerResult } from './report';

const ROOT = join(__dirname, '..');
const runFile = promisify(execFile);
const QUICK = process.argv.includes('--quick');
const PHASES = process.argv.find((arg) => arg.startsWith('--phases='))?.slice('--phases='.length).split(',');
/** Whether a phase runs (`--phases=idle,sequential,fixed,saturate,werift,join-storm`; default all). */
const runs = (phase: string): boolean => !PHASES || PHASES.includes(phase);
const ONLY = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
/** `--profile`: Switchboard runs with --cpu-prof into bench/results/tmp/ (stopped with SIGTERM so the profile is written). */
const PROFILE = process.argv.includes('--profile');
/** `--gateway-logs`: each Switchboard's log (LOG_LEVEL warn) goes to bench/results/tmp/gateway-<port>.log instead of nowhere. */
const GATEWAY_LOGS = process.argv.includes('--gateway-logs');
const SECRET = 'bench-secret-that-is-long-enough-for-hs256-0123456789';

/** The load: pairs, messages in flight per pair, phase lengths. */
const PLAN = {
  generators: 2,
  pairs: 100,
  inFlight: 4,
  warmupMs: QUICK ? 1_000 : 2_000,
  measureMs: QUICK ? 3_000 : 8_000,
  fixedRatePerS: 2_000,
  sequential: QUICK ? 500 : 3_000,
  idlePeers: QUICK ? [1_000] : [1_000, 10_000],
  weriftIterations: QUICK ? 3 : 10,
};

const LIMITS_OFF = { RATE_LIMIT_SDP_PER_S: '0', RATE_LIMIT_ICE_PER_S: '0', RATE_LIMIT_SESSIONS_PER_MIN: '0', MAX_CONNECTIONS_PER_IP: '0' };

const listFlag = (name: string): string[] | undefined => process.argv.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3).split(',');
/** The join-storm phase (`--storm-sizes=500,1000`, `--storm-modes=EACH`): both brokers, both modes. */
const STORM_PLAN: StormPlan = {
  sizes: listFlag('storm-sizes')?.map(Number) ?? (QUICK ? [500] : [500, 1_000, 2_000]),
  modes: (listFlag('storm-modes') ?? ['EACH', 'BATCHED']).filter((m): m is PresenceMode => m === 'EACH' || m === 'BATCHED'),
  generators: 3,
  timeoutMs: QUICK ? 20_000 : 30_000,
};

/** A load generator (bench/generator.ts). */
class Generator extends Forked<Command> {
  constructor() {
    super('generator.ts');
  }
}
/** A node process printing `{"listening": port}` on stdout when ready. */
function startListening(script: string): Promise<{ child: ChildProcess; port: number }> {
  const child = track(spawn(process.execPath, ['--import', 'tsx', join(ROOT, script), '0'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] }));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not start`)), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const port = (JSON.parse(line) as { listening?: number }).listening;
      if (port === undefined) return;
      clearTimeout(timer);
      resolve({ child, port });
    });
  });
}

async function startSwitchboard(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const port = await freePort();
  const logDir = join(__dirname, 'results', 'tmp');
  if (GATEWAY_LOGS) await mkdir(logDir, { recursive: true });
  const stdout = GATEWAY_LOGS ? openSync(join(logDir, `gateway-${port}.log`), 'w') : 'ignore';
  const child = track(
    spawn(process.execPath, [...(PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${join(__dirname, 'results', 'tmp')}`] : []), '--enable-source-maps', SERVER_ENTRY], {
      cwd: ROOT,
      env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', SIGNALING_SECRET: SECRET, LOG_LEVEL: 'warn', NODE_ENV: 'production', ...LIMITS_OFF, ...env },
      stdio: ['ignore', stdout, 'inherit'],
    }),
  );
  if (typeof stdout === 'number') closeSync(stdout);
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    const ready = await fetch(`${url}/readyz`).then((res) => res.ok, () => false);
    if (ready) return { child, url };
    if (Date.now() > deadline || child.exitCode !== null) throw new Error('switchboard did not start');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Commands Redis has run so far, by name (`INFO commandstats`; a script's own calls count too). */
async function redisCommandCalls(port: number): Promise<Map<string, number>> {
  const { stdout } = await runFile('redis-cli', ['-p', String(port), 'INFO', 'commandstats']);
  return new Map([...commandStats(stdout)].map(([name, { calls }]) => [name, calls]));
}

/** CPU seconds and commands run so far, summed over the Redis servers (a Cluster's replicas included). */
async function redisUsage(servers: Array<{ pid: number; port: number }>): Promise<{ cpuS: number; calls: Map<string, number> }> {
  const calls = new Map<string, number>();
  for (const { port } of servers) for (const [name, n] of await redisCommandCalls(port)) calls.set(name, (calls.get(name) ?? 0) + n);
  return { cpuS: servers.reduce((sum, { pid }) => sum + cpuSeconds(pid), 0), calls };
}

/** `after - before` per command, largest first, without the commands the generators' waiting makes none of. */
function commandDelta(before: Map<string, number>, after: Map<string, number>): Array<[string, number]> {
  return [...after]
    .map(([name, calls]): [string, number] => [name, calls - (before.get(name) ?? 0)])
    .filter(([name, calls]) => calls > 0 && name !== 'info')
    .sort((a, b) => b[1] - a[1]);
}

async function startRedis(): Promise<{ child: ChildProcess; url: string; port: number }> {
  const port = await freePort();
  const child = track(spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'inherit'] }));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis did not start')), START_TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (!line.includes('Ready to accept connections')) return;
      clearTimeout(timer);
      resolve();
    });
  });
  return { child, url: `redis://127.0.0.1:${port}`, port };
}

/** The rows with instances behind a load balancer's worth of URLs and Redis: their idle-memory phase is the memory row's. */
const isRedisKind = (kind: ServerKind): boolean => kind === 'switchboard-redis' || kind === 'switchboard-redis3' || kind === 'switchboard-cluster';

async function start(kind: ServerKind): Promise<Running> {
  if (kind === 'raw' || kind === 'peerjs') {
    const { child, port } = await startListening(kind === 'raw' ? 'bench/servers/raw-relay.ts' : 'bench/servers/peerjs.ts');
    return { targets: [{ kind, url: `http://127.0.0.1:${port}` }], pids: [child.pid ?? 0], stop: () => stopProcess(child) };
  }
  if (kind === 'switchboard' || kind === 'switchboard-own' || kind === 'switchboard-socketio' || kind === 'switchboard-peerjs') {
    const { child, url } = await startSwitchboard({});
    return { targets: [{ kind, url, secret: SECRET }], pids: [child.pid ?? 0], stop: () => stopProcess(child, PROFILE ? 'SIGTERM' : 'SIGKILL') };
  }
  if (kind === 'switchboard-cluster') {
    const cluster = await TestRedisCluster.start();
    const instances = await Promise.all([0, 1, 2].map(() => startSwitchboard({ REDIS_CLUSTER_NODES: cluster.seeds })));
    return {
      targets: instances.map(({ url }) => ({ kind, url, secret: SECRET })),
      pids: instances.map(({ child }) => child.pid ?? 0),
      redis: cluster.nodes.map((node) => ({ pid: node.pid ?? 0, port: node.port })),
      stop: async () => {
        await Promise.all(instances.map(({ child }) => stopProcess(child, PROFILE ? 'SIGTERM' : 'SIGKILL')));
        await cluster.stop();
      },
    };
  }
  const redis = await startRedis();
  const instances = await Promise.all(Array.from({ length: kind === 'switchboard-redis3' ? 3 : 2 }, () => startSwitchboard({ REDIS_URL: redis.url })));
  return {
    targets: instances.map(({ url }) => ({ kind, url, secret: SECRET })),
    pids: instances.map(({ child }) => child.pid ?? 0),
    redis: [{ pid: redis.child.pid ?? 0, port: redis.port }],
    stop: async () => {
      await Promise.all(instances.map(({ child }) => stopProcess(child, PROFILE ? 'SIGTERM' : 'SIGKILL')));
      await stopProcess(redis.child);
    },
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

function latencySummary(samples: number[]): { p50: number; p99: number; p999: number; samples: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), p999: percentile(sorted, 99.9), samples: sorted.length };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function pairsFor(kind: string, generator: number, count: number): Array<[string, string, string]> {
  return Array.from({ length: count }, (_, i) => [`${kind}-g${generator}-a${i}`, `${kind}-g${generator}-b${i}`, `bench-${generator}-${i}`]);
}

/** Load from every generator: warm up, count for the window, report; server CPU over the same window. */
async function load(
  kind: ServerKind,
  running: Running,
  generators: Generator[],
  mode: Command,
): Promise<{ reports: LoadReport[]; serverCpuS: number; serverWrites: number; seconds: number; redis?: { cpuS: number; calls: Array<[string, number]> } }> {
  const perGenerator = Math.ceil(PLAN.pairs / generators.length);
  await Promise.all(generators.map((g, i) => g.ask({ cmd: 'connect', targets: running.targets, pairs: pairsFor(`${kind}-${mode.cmd}`, i, perGenerator) })));
  await Promise.all(generators.map((g) => g.ask(mode)));
  await sleep(PLAN.warmupMs);
  const cpuBefore = running.pids.map(cpuSeconds);
  const writesBefore = running.pids.map(writeSyscalls);
  const redisBefore = running.redis && (await redisUsage(running.redis));
  const started = Date.now();
  await Promise.all(generators.map((g) => g.ask({ cmd: 'mark' })));
  await sleep(PLAN.measureMs);
  const reports = await Promise.all(generators.map((g) => g.ask<LoadReport>({ cmd: 'stop' })));
  const seconds = (Date.now() - started) / 1000;
  const serverCpuS = running.pids.reduce((sum, pid, i) => sum + cpuSeconds(pid) - (cpuBefore[i] ?? 0), 0);
  const serverWrites = running.pids.reduce((sum, pid, i) => sum + writeSyscalls(pid) - (writesBefore[i] ?? 0), 0);
  if (!running.redis || !redisBefore) return { reports, serverCpuS, serverWrites, seconds };
  const redisAfter = await redisUsage(running.redis);
  const redis = { cpuS: redisAfter.cpuS - redisBefore.cpuS, calls: commandDelta(redisBefore.calls, redisAfter.calls) };
  return { reports, serverCpuS, serverWrites, seconds, redis };
}

/** Idle peers: memory per connected peer and connection setup rate (memory of the first process). */
async function idlePhase(kind: ServerKind, running: Running, generators: Generator[], result: ServerResult): Promise<void> {
  const pid = running.pids[0] ?? 0;
  for (const total of PLAN.idlePeers) {
    await sleep(500);
    const before = rssBytes(pid);
    const per = Math.ceil(total / generators.length);
    const started = Date.now();
    const connects = await Promise.all(
      generators.map((g, gi) =>
        g.ask<{ connected: number; failed: number }>({
          cmd: 'idle',
          targets: running.targets,
          peers: Array.from({ length: per }, (_, i) => [`idle${total}-g${gi}-${i}`, `idle-${gi}-${Math.floor(i / 10)}`]),
        }),
      ),
    );
    const ms = Date.now() - started;
    await sleep(1_000);
    const grown = rssBytes(pid) - before;
    const connected = connects.reduce((sum, c) => sum + c.connected, 0);
    const failed = connects.reduce((sum, c) => sum + c.failed, 0);
    result.idle.push({ peers: total, connected, failed, bytesPerPeer: grown / Math.max(1, connected), connectsPerS: connected / (ms / 1000) });
    console.log(`${kind} idle ${total}: ${connected} connected, ${failed} failed, ${(grown / Math.max(1, connected) / 1024).toFixed(1)} KiB/peer, ${(connected / (ms / 1000)).toFixed(0)} connects/s`);
    await Promise.all(generators.map((g) => g.ask({ cmd: 'close' })));
  }
}

/** Sequential one-way latency: one message in flight on one pair (after a warm-up run). */
async function sequentialPhase(kind: ServerKind, running: Running, generator: Generator, result: ServerResult): Promise<void> {
  await generator.ask({ cmd: 'connect', targets: running.targets, pairs: [[`${kind}-seq-a`, `${kind}-seq-b`, 'bench-seq']] });
  await generator.ask({ cmd: 'sequential', count: Math.min(200, PLAN.sequential) });
  const sequential = await generator.ask<{ latenciesMs: number[] }>({ cmd: 'sequential', count: PLAN.sequential });
  await generator.ask({ cmd: 'stop' });
  result.sequential = latencySummary(sequential.latenciesMs);
  console.log(`${kind} sequential p50 ${result.sequential.p50.toFixed(3)} ms`);
}

/** Latency at a fixed rate well below every server's capacity. */
async function fixedRatePhase(kind: ServerKind, running: Running, generators: Generator[], result: ServerResult): Promise<void> {
  const fixed = await load(kind, running, generators, { cmd: 'rate', perSecond: PLAN.fixedRatePerS / generators.length });
  result.fixedRate = { perSecond: PLAN.fixedRatePerS, ...latencySummary(fixed.reports.flatMap((r) => r.latenciesMs)) };
  result.errors += fixed.reports.reduce((sum, r) => sum + r.errors, 0);
  console.log(`${kind} fixed ${PLAN.fixedRatePerS}/s p50 ${result.fixedRate.p50.toFixed(3)} ms p99 ${result.fixedRate.p99.toFixed(3)} ms`);
}

/** Saturation: every pair keeps `inFlight` messages in flight; server CPU over the same window. */
async function saturationPhase(kind: ServerKind, running: Running, generators: Generator[], result: ServerResult): Promise<void> {
  const saturated = await load(kind, running, generators, { cmd: 'saturate', inFlight: PLAN.inFlight });
  const received = saturated.reports.reduce((sum, r) => sum + r.received, 0);
  result.throughput = received / saturated.seconds;
  result.cpuUsPerMessage = (saturated.serverCpuS * 1e6) / Math.max(1, received);
  result.writesPerMessage = saturated.serverWrites / Math.max(1, received);
  result.saturated = latencySummary(saturated.reports.flatMap((r) => r.latenciesMs));
  result.generatorCpuShare = Math.max(...saturated.reports.map((r) => r.generatorCpuShare));
  result.errors += saturated.reports.reduce((sum, r) => sum + r.errors, 0);
  if (saturated.redis) {
    result.redisCpuUsPerMessage = (saturated.redis.cpuS * 1e6) / Math.max(1, received);
    result.redisCommandsPerMessage = Object.fromEntries(saturated.redis.calls.map(([name, calls]) => [name, calls / Math.max(1, received)]));
    const top = saturated.redis.calls.slice(0, 8).map(([name, calls]) => `${name} ${(calls / Math.max(1, received)).toFixed(2)}`);
    console.log(`${kind} redis ${result.redisCpuUsPerMessage.toFixed(1)} µs/msg; per message: ${top.join(', ')}`);
  }
  console.log(
    `${kind} saturated ${result.throughput.toFixed(0)} msg/s, server ${result.cpuUsPerMessage.toFixed(1)} µs/msg, ${result.writesPerMessage.toFixed(2)} writes/msg, p50 ${result.saturated.p50.toFixed(2)} ms, generator cpu ${(result.generatorCpuShare * 100).toFixed(0)} %`,
  );
}

/** werift peers: from connecting to the server to an open data channel. */
async function weriftPhase(kind: ServerKind, running: Running, generator: Generator, result: ServerResult): Promise<void> {
  const werift = await generator.ask<{ msToOpen: number[] }>({ cmd: 'werift', targets: running.targets, iterations: PLAN.weriftIterations, room: `${kind}-werift` });
  result.weriftMsToOpen = percentile([...werift.msToOpen].sort((a, b) => a - b), 50);
  console.log(`${kind} werift data channel open in ${result.weriftMsToOpen.toFixed(0)} ms (median of ${PLAN.weriftIterations})`);
}

async function measure(kind: ServerKind): Promise<ServerResult> {
  const running = await start(kind);
  const generators = Array.from({ length: PLAN.generators }, () => new Generator());
  const [first] = generators;
  if (!first) throw new Error('no generator');
  try {
    const result: ServerResult = { kind, idle: [], errors: 0 };
    // Idle memory does not depend on the documents: the own-documents row skips it.
    if (!isRedisKind(kind) && kind !== 'switchboard-own' && runs('idle')) await idlePhase(kind, running, generators, result);
    if (runs('sequential')) await sequentialPhase(kind, running, first, result);
    if (runs('fixed')) await fixedRatePhase(kind, running, generators, result);
    if (runs('saturate')) await saturationPhase(kind, running, generators, result);
    if (runs('werift')) await weriftPhase(kind, running, first, result);
    if ((kind === 'switchboard' || kind === 'switchboard-redis') && runs('join-storm')) result.joinStorm = await joinStormPhase(kind, running, STORM_PLAN);
    return result;
  } finally {
    await Promise.all(generators.map((g) => g.stop()));
    await running.stop();
  }
}

async function main(): Promise<void> {
  const kinds: ServerKind[] = (['raw', 'peerjs', 'switchboard', 'switchboard-own', 'switchboard-socketio', 'switchboard-peerjs', 'switchboard-redis', 'switchboard-redis3', 'switchboard-cluster'] as const).filter((kind) => !ONLY || ONLY.includes(kind));
  const results: Results = {
    date: new Date().toISOString(),
    mode: QUICK ? 'quick' : 'full',
    machine: { cpus: cpus().length, model: cpus()[0]?.model ?? 'unknown', node: process.version },
    plan: PLAN,
    servers: [],
  };
  // Switchboard runs as `npm start` runs it: the compiled dist/server/main.js, built from this checkout.
  if (kinds.some((kind) => kind.startsWith('switchboard'))) await buildServer({ declarations: false });
  for (const kind of kinds) results.servers.push(await measure(kind));
  const dir = join(__dirname, 'results');
  await mkdir(dir, { recursive: true });
  const name = QUICK ? 'quick' : 'latest';
  await writeFile(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(join(dir, `${name}.md`), renderMarkdown(results));
  await writeFile(join(dir, `${name}.svg`), renderSvg(results));
  console.log(`\n${renderMarkdown(results)}\nwritten to bench/results/${name}.{json,md,svg}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
