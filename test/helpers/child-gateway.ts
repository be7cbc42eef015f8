import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LIMITS_OFF, TEST_SECRET } from './gateway';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 20_000;

/** Polls an endpoint until it answers `status`, within a bound (a wait for a condition, not a sleep); resolves with the ms it took. */
export async function untilStatus(url: string, status: number, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const got = await fetch(url).then(
      (r) => r.status,
      () => 0,
    );
    if (got === status) return performance.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms`);
}

/** A gateway in its own process (as `npm start` runs it), for multi-instance and crash tests. */
export class ChildGateway {
  /** Lines the process wrote to stdout (pino's JSON). */
  readonly logs: string[] = [];
  /** What the process wrote to stderr, as it came. */
  stderr = '';

  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  get httpUrl(): string {
    return `${this.url}/graphql`;
  }

  get wsUrl(): string {
    return `${this.url.replace(/^http/, 'ws')}/graphql`;
  }

  /**
   * Starts a gateway process: by default the repository's `src/main.ts` in one process (no tsx CLI
   * wrapper), so a signal reaches the gateway itself and SIGKILL is a real crash; or `command` in `cwd`
   * (an installed package's `npx switchboard start`).
   */
  static start(env: Record<string, string>, command?: { file: string; args: string[]; cwd: string }): Promise<ChildGateway> {
    const { file, args, cwd } = command ?? { file: process.execPath, args: ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], cwd: ROOT };
    const child = spawn(file, args, {
      cwd,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SIGNALING_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ...LIMITS_OFF, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a signal reaches the gateway also when `command` is a wrapper (npx).
      detached: true,
    });
    const logs: string[] = [];
    let stderr = '';
    let gateway: ChildGateway | null = null;
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (gateway) gateway.stderr = stderr;
    });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
        reject(new Error(`gateway did not start: ${logs.join('\n')}${stderr}`));
      }, START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout! });
      lines.on('line', (line) => {
        if (gateway) {
          gateway.logs.push(line);
          return;
        }
        logs.push(line);
        if (!line.includes('"switchboard listening"')) return;
        const { url } = JSON.parse(line) as { url: string };
        clearTimeout(timer);
        gateway = new ChildGateway(child, url);
        gateway.logs.push(...logs);
        gateway.stderr = stderr;
        resolve(gateway);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!gateway) reject(new Error(`gateway exited with ${code}: ${logs.join('\n')}${stderr}`));
      });
    });
  }

  /** The gateway's process id (for /proc: memory of the gateway alone). */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error('gateway has no pid');
    return this.child.pid;
  }

  private signalGroup(signal: NodeJS.Signals): void {
    if (this.child.pid !== undefined) process.kill(-this.child.pid, signal);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /**
   * Sends `signal` and resolves with the exit code (or signal) once the process is gone and its output
   * has been read to the end (`close`, not `exit`: what it wrote last is in `logs` and `stderr`).
   */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    if (!this.running) return Promise.resolve(this.child.exitCode ?? this.child.signalCode);
    return new Promise((resolve) => {
      this.child.once('close', (code, sig) => resolve(code ?? sig));
      this.signalGroup(signal);
    });
  }
}
