import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';
import { TestRedis } from './redis';

const PRIMARIES = 3;
const CLUSTER_READY_TIMEOUT_MS = 20_000;
/** A failed primary is taken over by its replica after this (the cluster's node timeout). */
export const CLUSTER_NODE_TIMEOUT_MS = 1_000;

/**
 * A private Redis Cluster on loopback: 3 primaries and 3 replicas (six `redis-server
 * --cluster-enabled yes` on free ports, joined by `redis-cli --cluster create`), nothing on disk
 * but the node files in a temporary folder.
 */
export class TestRedisCluster {
  private constructor(
    readonly nodes: TestRedis[],
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestRedisCluster> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-cluster-'));
    const nodes = await Promise.all(
      Array.from({ length: PRIMARIES * 2 }, async () => {
        const node = await TestRedis.reserve();
        node.extraArgs.push(
          '--cluster-enabled', 'yes',
          '--cluster-config-file', join(dir, `nodes-${node.port}.conf`),
          '--cluster-node-timeout', String(CLUSTER_NODE_TIMEOUT_MS),
          // A replica that never finished its first sync is not eligible to take over: sync at once.
          '--repl-diskless-sync-delay', '0',
        );
        await node.restart();
        return node;
      }),
    );
    const cluster = new TestRedisCluster(nodes, dir);
    const create = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn('redis-cli', ['--cluster', 'create', ...nodes.map((n) => `127.0.0.1:${n.port}`), '--cluster-replicas', '1', '--cluster-yes'], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.once('close', (code) => resolve({ code, output }));
    });
    if (create.code !== 0) {
      await cluster.stop();
      throw new Error(`redis-cli --cluster create failed: ${create.output}`);
    }
    await cluster.untilHealthy();
    return cluster;
  }

  /** `host:port` of every node, the form REDIS_CLUSTER_NODES takes. */
  get seeds(): string {
    return this.nodes.map((n) => `127.0.0.1:${n.port}`).join(',');
  }

  get hostPorts(): Array<{ host: string; port: number }> {
    return this.nodes.map((n) => ({ host: '127.0.0.1', port: n.port }));
  }

  /** Resolves once every running node reports the cluster ok and every running replica is in sync with its primary. */
  async untilHealthy(timeoutMs = CLUSTER_READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ask = (port: number, ...args: string[]) => spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout;
    for (;;) {
      const running = this.nodes.filter((n) => n.running);
      const states = running.map((n) => ask(n.port, 'cluster', 'info'));
      const replication = running.map((n) => ask(n.port, 'info', 'replication'));
      const synced = replication.every((r) => r.includes('role:master') || r.includes('master_link_status:up'));
      if (states.length > 0 && states.every((s) => s.includes('cluster_state:ok')) && synced) return;
      if (Date.now() > deadline) throw new Error(`cluster not healthy within ${timeoutMs} ms: ${states.join('\n')}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** The running primaries, each with the slot ranges it serves (CLUSTER SHARDS). */
  async primaries(): Promise<Array<{ port: number; slots: Array<[number, number]> }>> {
    const admin = this.admin();
    try {
      const shards = (await admin.call('CLUSTER', 'SHARDS')) as unknown[];
      const result: Array<{ port: number; slots: Array<[number, number]> }> = [];
      for (const shard of shards as unknown[][]) {
        const fields = new Map<string, unknown>();
        for (let i = 0; i + 1 < shard.length; i += 2) fields.set(String(shard[i]), shard[i + 1]);
        const slots = (fields.get('slots') as number[] | undefined) ?? [];
        const nodes = (fields.get('nodes') as unknown[][] | undefined) ?? [];
        for (const node of nodes) {
          const info = new Map<string, unknown>();
          for (let i = 0; i + 1 < node.length; i += 2) info.set(String(node[i]), node[i + 1]);
          if (info.get('role') === 'master' && info.get('health') === 'online' && slots.length > 0) {
            const ranges: Array<[number, number]> = [];
            for (let i = 0; i + 1 < slots.length; i += 2) ranges.push([Number(slots[i]), Number(slots[i + 1])]);
            result.push({ port: Number(info.get('port')), slots: ranges });
          }
        }
      }
      return result;
    } finally {
      admin.disconnect();
    }
  }

  /** The port of the primary that serves `key`'s slot now. */
  async primaryOf(key: string): Promise<number> {
    const admin = this.admin();
    const slot = Number(await admin.cluster('KEYSLOT', key).finally(() => admin.disconnect()));
    const owner = (await this.primaries()).find(({ slots }) => slots.some(([from, to]) => slot >= from && slot <= to));
    if (!owner) throw new Error(`no primary serves slot ${slot}`);
    return owner.port;
  }

  /** Restarts every killed node (each rejoins from its node file, as its successor's replica) and waits until the cluster is healthy and in sync. */
  async recover(): Promise<void> {
    await Promise.all(this.nodes.filter((n) => !n.running).map((n) => n.restart()));
    await this.untilHealthy();
  }

  /** A plain connection to one running node (for CLUSTER commands; not slot-aware). */
  admin(): Redis {
    const node = this.nodes.find((n) => n.running);
    if (!node) throw new Error('no cluster node running');
    return new Redis(node.port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 });
  }

  node(port: number): TestRedis {
    const node = this.nodes.find((n) => n.port === port);
    if (!node) throw new Error(`no cluster node on ${port}`);
    return node;
  }

  async stop(): Promise<void> {
    await Promise.all(this.nodes.map((n) => n.stop()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
