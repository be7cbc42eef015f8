import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestRedis } from './redis';

export const SENTINEL_MASTER = 'switchboard';
const SENTINELS = 3;
/** Sentinels call the primary down after this long without an answer. */
const DOWN_AFTER_MS = 1_000;
const READY_TIMEOUT_MS = 30_000;

/**
 * A private Sentinel set on loopback: one primary, one replica, and three `redis-server <conf>
 * --sentinel` watching them (quorum 2), config files in a temporary folder.
 */
export class TestRedisSentinel {
  private constructor(
    private primary: TestRedis,
    private replica: TestRedis,
    private readonly sentinels: Array<{ port: number; process: ChildProcess }>,
    private readonly dir: string,
  ) {}

  static async start(): Promise<TestRedisSentinel> {
    const dir = mkdtempSync(join(tmpdir(), 'sb-sentinel-'));
    const primary = await TestRedis.start(['--repl-diskless-sync-delay', '0']);
    const replica = await TestRedis.start(['--replicaof', '127.0.0.1', String(primary.port)]);
    const sentinels = await Promise.all(
      Array.from({ length: SENTINELS }, async (_, i) => {
        const port = await freePort();
        const conf = join(dir, `sentinel-${i}.conf`);
        writeFileSync(
          conf,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel monitor ${SENTINEL_MASTER} 127.0.0.1 ${primary.port} 2`,
            `sentinel down-after-milliseconds ${SENTINEL_MASTER} ${DOWN_AFTER_MS}`,
            `sentinel failover-timeout ${SENTINEL_MASTER} 10000`,
            `sentinel parallel-syncs ${SENTINEL_MASTER} 1`,
            '',
          ].join('\n'),
        );
        const process = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
        process.stdout?.resume();
        process.stderr?.resume();
        return { port, process };
      }),
    );
    const set = new TestRedisSentinel(primary, replica, sentinels, dir);
    await set.untilWatching();
    return set;
  }

  /** `host:port` of every Sentinel, the form REDIS_SENTINELS takes. */
  get seeds(): string {
    return this.sentinels.map((s) => `127.0.0.1:${s.port}`).join(',');
  }

  get hostPorts(): Array<{ host: string; port: number }> {
    return this.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port }));
  }

  private ask(port: number, ...args: string[]): string {
    return spawnSync('redis-cli', ['-p', String(port), ...args], { encoding: 'utf8' }).stdout;
  }

  /** Resolves once every Sentinel knows the primary, its replica (in sync) and the other two Sentinels: a failover can be elected. */
  async untilWatching(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const ready = this.sentinels.every(({ port }) => {
        const master = this.ask(port, 'sentinel', 'master', SENTINEL_MASTER);
        const replicas = Number(/num-slaves\n(\d+)/.exec(master)?.[1] ?? 0);
        const others = Number(/num-other-sentinels\n(\d+)/.exec(master)?.[1] ?? 0);
        return replicas >= 1 && others >= SENTINELS - 1;
      });
      const synced = this.ask(this.replica.port, 'info', 'replication').includes('master_link_status:up');
      if (ready && synced) return;
      if (Date.now() > deadline) throw new Error(`sentinels not watching within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /**
   * kill -9 of the primary; resolves once the Sentinels have promoted the replica, and the killed
   * server is back (empty, as a replacement node would be) as the new primary's replica.
   */
  async failPrimary(timeoutMs = READY_TIMEOUT_MS): Promise<void> {
    const [failed, promoted] = [this.primary, this.replica];
    await failed.kill();
    const deadline = Date.now() + timeoutMs;
    while (this.primaryPort() !== promoted.port) {
      if (Date.now() > deadline) throw new Error(`sentinels did not promote the replica within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    failed.extraArgs.push('--replicaof', '127.0.0.1', String(promoted.port));
    await failed.restart();
    [this.primary, this.replica] = [promoted, failed];
  }

  /** The port the Sentinels name primary now. */
  primaryPort(): number {
    const sentinel = this.sentinels[0];
    if (!sentinel) throw new Error('no sentinel');
    const [, port] = this.ask(sentinel.port, 'sentinel', 'get-master-addr-by-name', SENTINEL_MASTER).trim().split('\n');
    return Number(port);
  }

  async stop(): Promise<void> {
    for (const { process } of this.sentinels) process.kill('SIGKILL');
    await Promise.all([this.primary.stop(), this.replica.stop()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
