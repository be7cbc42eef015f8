/**
 * The benchmark's child processes: servers and generators, what they cost (CPU, memory, writes, from
 * /proc), and a typed way to ask a forked generator things over IPC. Every child is killed when the
 * benchmark exits, however it exits.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Target } from './endpoints';

export const START_TIMEOUT_MS = 60_000;
const COMMAND_TIMEOUT_MS = 120_000;
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS_PER_S = 100;

/** A running server under test. */
export interface Running {
  targets: Target[];
  /** The server processes whose CPU and memory count (not Redis). */
  pids: number[];
  /** The Redis servers behind them (one, or every node of a Cluster), counted on their own: CPU and commands run. */
  redis?: Array<{ pid: number; port: number }>;
  stop(): Promise<void>;
}

const children: ChildProcess[] = [];
export function track(child: ChildProcess): ChildProcess {
  children.push(child);
  return child;
}
function killAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));

export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S;
}

/** Write syscalls the process made so far (`syscw` of /proc/<pid>/io): a socket write per batch of frames. */
export function writeSyscalls(pid: number): number {
  const line = readFileSync(`/proc/${pid}/io`, 'utf8').split('\n').find((l) => l.startsWith('syscw:'));
  return Number(line?.split(/\s+/)[1] ?? 0);
}

export function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? 0) * 1024;
}

export function stopProcess(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), START_TIMEOUT_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
  });
}

/** A forked generator process (`script` in bench/) taking commands of type `C`. */
export class Generator<C extends { cmd: string }> {
  private readonly child: ChildProcess;

  constructor(script: string) {
    this.child = track(fork(join(__dirname, script), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  ask<T>(command: C): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`generator: ${command.cmd} timed out`)), COMMAND_TIMEOUT_MS);
      this.child.once('message', (reply: { ok: boolean; result?: T; error?: string }) => {
        clearTimeout(timer);
        if (reply.ok) resolve(reply.result as T);
        else reject(new Error(`generator: ${command.cmd}: ${reply.error}`));
      });
      this.child.send(command);
    });
  }

  stop(): Promise<void> {
    this.child.disconnect();
    return stopProcess(this.child);
  }
}

/** Calls and µs per command name from `INFO commandstats` (a script's own calls included). */
export function commandStats(info: string): Map<string, { calls: number; usec: number }> {
  const stats = new Map<string, { calls: number; usec: number }>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(match[1] ?? '', { calls: Number(match[2]), usec: Number(match[3]) });
  }
  return stats;
}
