import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A free TCP port on loopback, as the kernel hands it out. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const REDIS_START_TIMEOUT_MS = 10_000;

/** A private redis-server on a free port, with nothing on disk; kill and restart it for fault tests. */
export class TestRedis {
  private process: ChildProcess | null = null;
  /**
   * Its own working folder: a replica saves the RDB of its first sync there, and a server loads a
   * dump.rdb it finds at start — in a shared folder that would be another test's (or run's) data.
   */
  private readonly dir = mkdtempSync(join(tmpdir(), 'sb-redis-'));

  private constructor(
    readonly port: number,
    /** More redis-server options, used by every (re)start. */
    readonly extraArgs: string[],
  ) {}

  /** The redis-server process's id while it runs (the benchmarks count its CPU). */
  get pid(): number | undefined {
    return this.process?.pid;
  }

  /** True while the redis-server process lives. */
  get running(): boolean {
    return this.process !== null && this.process.exitCode === null && this.process.signalCode === null;
  }

  /** @param extraArgs more redis-server options, e.g. `['--enable-debug-command', 'yes']` for DEBUG SLEEP. */
  static async start(extraArgs: string[] = []): Promise<TestRedis> {
    const redis = new TestRedis(await freePort(), extraArgs);
    await redis.restart();
    return redis;
  }

  /** A free port and a redis-server not started yet (`restart()` starts it): for a gateway that starts first. */
  static async reserve(extraArgs: string[] = []): Promise<TestRedis> {
    return new TestRedis(await freePort(), extraArgs);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Starts (again) on the same port; resolves when it accepts connections. */
  restart(): Promise<void> {
    const child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir, ...this.extraArgs], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process = child;
    return new Promise((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), REDIS_START_TIMEOUT_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  }

  /** SIGKILL, as a crash would; resolves when the process is gone. */
  kill(): Promise<void> {
    const child = this.process;
    this.process = null;
    if (!child || child.exitCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGKILL');
    });
  }

  async stop(): Promise<void> {
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
