import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** Resident memory of a process in MiB, from /proc (the gateway's own, when it runs as a child). */
export function rssMiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (!match) throw new Error(`no VmRSS for process ${pid}`);
  return Number(match[1]) / 1024;
}

/**
 * A full garbage collection in this process (V8's `gc`, exposed at run time), so that heap figures
 * show what is retained rather than garbage not yet collected.
 */
export function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc: unknown = runInNewContext('gc');
  if (typeof gc !== 'function') throw new Error('gc could not be exposed');
  gc();
}

/** This process's memory after a full collection, in MiB: resident, JS heap, and Buffers outside the heap. */
export function settledMemoryMiB(): { rss: number; heap: number; buffers: number } {
  collectGarbage();
  const { rss, heapUsed, arrayBuffers } = process.memoryUsage();
  const mib = (bytes: number): number => bytes / 1024 / 1024;
  return { rss: mib(rss), heap: mib(heapUsed), buffers: mib(arrayBuffers) };
}
