/**
 * `node --import tsx bench/redis-cost.ts [--cluster]`: what one gateway costs its Redis, counted by
 * Redis itself (INFO commandstats, and the bytes in INFO stats) rather than timed: commands and
 * bytes per join/leave, per signal, and per idle peer per minute, with the rate limits off and on.
 * One gateway process on a private redis-server (or a private 3+3 cluster: the sums over its
 * primaries). Prints a markdown table for docs/scaling.md. Bounded: about 40 s.
 */
import Redis from 'ioredis';
import { LEAVE_ROOM, SEND_ICE_CANDIDATE } from '../client/operations';
import { ChildGateway } from '../test/helpers/child-gateway';
import { createSession, wsPeer, type WsPeer } from '../test/helpers/clients';
import { TestRedis } from '../test/helpers/redis';
import { TestRedisCluster } from '../test/helpers/redis-cluster';
import { HOST_CANDIDATE } from '../test/helpers/sdp';
import { commandStats } from './processes';

const CLUSTER = process.argv.includes('--cluster');
const PAIRS = 25;
const SIGNALS_PER_SIDE = 40;
const IDLE_MS = 15_000;

interface Counts {
  /** Every command Redis ran, those inside scripts included. */
  calls: number;
  /** Script calls (EVALSHA, EVAL): each one round trip that runs many of `calls`. */
  scripts: number;
  /** Bytes Redis read from and wrote to its clients (pub/sub deliveries included). */
  bytesIn: number;
  bytesOut: number;
  /** Redis's own CPU (user + system), µs: what caps one shard. */
  cpuUs: number;
  byCommand: Map<string, number>;
}

async function counts(nodes: Redis[]): Promise<Counts> {
  const total: Counts = { calls: 0, scripts: 0, bytesIn: 0, bytesOut: 0, cpuUs: 0, byCommand: new Map() };
  for (const node of nodes) {
    const stats = await node.info('commandstats');
    for (const [name, { calls }] of commandStats(stats)) {
      if (name === 'info' || name === 'config|resetstat') continue;
      total.calls += calls;
      if (name === 'evalsha' || name === 'eval') total.scripts += calls;
      total.byCommand.set(name, (total.byCommand.get(name) ?? 0) + calls);
    }
    const net = await node.info('stats');
    total.bytesIn += Number(/total_net_input_bytes:(\d+)/.exec(net)?.[1] ?? 0);
    total.bytesOut += Number(/total_net_output_bytes:(\d+)/.exec(net)?.[1] ?? 0);
  }
  total.cpuUs = await cpuUs(nodes);
  return total;
}

async function cpuUs(nodes: Redis[]): Promise<number> {
  let sum = 0;
  for (const node of nodes) {
    const cpu = await node.info('cpu');
    sum += (Number(/used_cpu_user:([\d.]+)/.exec(cpu)?.[1] ?? 0) + Number(/used_cpu_sys:([\d.]+)/.exec(cpu)?.[1] ?? 0)) * 1e6;
  }
  return sum;
}

async function measure(nodes: Redis[], action: () => Promise<void>): Promise<Counts> {
  await Promise.all(nodes.map((n) => n.config('RESETSTAT')));
  const cpuBefore = await cpuUs(nodes);
  await action();
  const after = await counts(nodes);
  return { ...after, cpuUs: after.cpuUs - cpuBefore };
}

const top = (c: Counts, per: number): string =>
  [...c.byCommand.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 6)
    .map(([name, calls]) => `${name} ${(calls / per).toFixed(2)}`)
    .join(', ');

async function run(env: Record<string, string>, nodes: Redis[], label: string): Promise<string[]> {
  const gateway = await ChildGateway.start({ GRACE_MS: '1000', ...env });
  const rows: string[] = [];
  const sockets: WsPeer[] = [];
  try {
    const sides: Array<{ a: WsPeer; b: WsPeer }> = [];
    const joins = await measure(nodes, async () => {
      for (let i = 0; i < PAIRS; i++) {
        const room = `cost-${label.replace(/[^A-Za-z0-9]+/g, "-")}-${i}`;
        const [sa, sb] = [await createSession(gateway.httpUrl, room, 'a'), await createSession(gateway.httpUrl, room, 'b')];
        const a = wsPeer(gateway.wsUrl, sa.token);
        const b = wsPeer(gateway.wsUrl, sb.token);
        sockets.push(a, b);
        const ea = a.signals().events;
        await ea.next();
        const eb = b.signals().events;
        await eb.next();
        await ea.nextWhere((e) => e.__typename === 'PeerConnected');
        sides.push({ a, b });
      }
    });
    const peers = PAIRS * 2;
    rows.push(`| ${label} | createSession + join (per peer) | ${(joins.calls / peers).toFixed(1)} (${(joins.scripts / peers).toFixed(1)} scripts) | ${(joins.bytesIn / peers).toFixed(0)} | ${(joins.bytesOut / peers).toFixed(0)} | ${(joins.cpuUs / peers).toFixed(0)} | ${top(joins, peers)} |`);

    const signals = await measure(nodes, async () => {
      await Promise.all(
        sides.flatMap(({ a, b }) =>
          [a, b].map(async (side, k) => {
            for (let n = 0; n < SIGNALS_PER_SIDE; n++) {
              const res = await side.request(SEND_ICE_CANDIDATE, { to: k === 0 ? 'b' : 'a', candidate: { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 } });
              if (res.errors) throw new Error(JSON.stringify(res.errors));
            }
          }),
        ),
      );
    });
    const sent = PAIRS * 2 * SIGNALS_PER_SIDE;
    rows.push(`| ${label} | signal (ICE candidate, delivered live) | ${(signals.calls / sent).toFixed(1)} (${(signals.scripts / sent).toFixed(1)} scripts) | ${(signals.bytesIn / sent).toFixed(0)} | ${(signals.bytesOut / sent).toFixed(0)} | ${(signals.cpuUs / sent).toFixed(0)} | ${top(signals, sent)} |`);

    const idle = await measure(nodes, () => new Promise((resolve) => setTimeout(resolve, IDLE_MS)));
    const perMinute = 60_000 / IDLE_MS;
    rows.push(
      `| ${label} | idle, per minute: the instance (${peers} peers connected) | ${(idle.calls * perMinute).toFixed(0)} (${(idle.scripts * perMinute).toFixed(0)} scripts) | ${(idle.bytesIn * perMinute).toFixed(0)} | ${(idle.bytesOut * perMinute).toFixed(0)} | ${(idle.cpuUs * perMinute).toFixed(0)} | ${top(idle, 1 / perMinute)} |`,
    );

    const leaves = await measure(nodes, async () => {
      await Promise.all(sides.map(({ b }) => b.request(LEAVE_ROOM)));
    });
    rows.push(`| ${label} | leaveRoom (per peer) | ${(leaves.calls / PAIRS).toFixed(1)} (${(leaves.scripts / PAIRS).toFixed(1)} scripts) | ${(leaves.bytesIn / PAIRS).toFixed(0)} | ${(leaves.bytesOut / PAIRS).toFixed(0)} | ${(leaves.cpuUs / PAIRS).toFixed(0)} | ${top(leaves, PAIRS)} |`);
  } finally {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gateway.stop('SIGKILL');
  }
  return rows;
}

async function main(): Promise<void> {
  const rows = ['| setup | per | Redis commands run (script calls) | bytes in | bytes out | Redis CPU µs | top commands (per unit) |', '| --- | --- | --- | --- | --- | --- | --- |'];
  if (CLUSTER) {
    const cluster = await TestRedisCluster.start();
    const primaries = (await cluster.primaries()).map(({ port }) => new Redis(port, '127.0.0.1'));
    try {
      rows.push(...(await run({ REDIS_CLUSTER_NODES: cluster.seeds }, primaries, 'cluster, limits off')));
    } finally {
      primaries.forEach((p) => p.disconnect());
      await cluster.stop();
    }
  } else {
    const limitsOn = { RATE_LIMIT_SDP_PER_S: '5', RATE_LIMIT_ICE_PER_S: '50', RATE_LIMIT_SESSIONS_PER_MIN: '1000' };
    // A fresh Redis each: the next gateway would otherwise reap the last one's peers while it measures.
    for (const [label, env] of [['one Redis, limits off', {}], ['one Redis, limits on', limitsOn]] as const) {
      const redis = await TestRedis.start();
      const node = new Redis(redis.port, '127.0.0.1');
      try {
        rows.push(...(await run({ REDIS_URL: redis.url, ...env }, [node], label)));
      } finally {
        node.disconnect();
        await redis.stop();
      }
    }
  }
  console.log(rows.join('\n'));
}

void main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
