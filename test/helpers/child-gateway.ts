import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LIMITS_OFF, TEST_SECRET } from './gateway';

const ROOT = join(__dirname, '..', '..');
const START_TIMEOUT_MS = 20_000;

/** A gateway in its own process (as `npm start` runs it), for multi-instance and crash tests. */
export class ChildGateway {
  readonly logs: string[] = [];

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

  static start(env: Record<string, string>): Promise<ChildGateway> {
    // One process (no tsx CLI wrapper), so a signal reaches the gateway itself: SIGKILL is a real crash.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src', 'main.ts')], {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', SIGNALING_SECRET: TEST_SECRET, LOG_LEVEL: 'info', ...LIMITS_OFF, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const logs: string[] = [];
    child.stderr?.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`gateway did not start: ${logs.join('')}`));
      }, START_TIMEOUT_MS);
      const lines = createInterface({ input: child.stdout! });
      let gateway: ChildGateway | null = null;
      lines.on('line', (line) => {
        if (gateway) {
          gateway.logs.push(line);
          return;
        }
        logs.push(line);
        if (!line.includes('"switchboard listening"')) return;
        const { http } = JSON.parse(line) as { http: string };
        clearTimeout(timer);
        gateway = new ChildGateway(child, http.replace(/\/graphql$/, ''));
        gateway.logs.push(...logs);
        resolve(gateway);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        if (!gateway) reject(new Error(`gateway exited with ${code}: ${logs.join('\n')}`));
      });
    });
  }

  /** The gateway's process id (for /proc: memory of the gateway alone). */
  get pid(): number {
    if (this.child.pid === undefined) throw new Error('gateway has no pid');
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and resolves with the exit code (or signal) once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | string | null> {
    if (!this.running) return Promise.resolve(this.child.exitCode ?? this.child.signalCode);
    return new Promise((resolve) => {
      this.child.once('exit', (code, sig) => resolve(code ?? sig));
      this.child.kill(signal);
    });
  }
}
