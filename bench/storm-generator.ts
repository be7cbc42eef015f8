/**
 * A join-storm generator process (forked by bench/join-storm.ts, driven over IPC). At an agreed moment
 * every generator opens `signals` for its share of one room's peers at once; each peer counts whom it
 * knows (Welcome roster ∪ joins − leaves, from single events or batches) and the generator reports
 * when each of its peers knew every other. Two of the peers of the first generator keep relaying a
 * candidate every {@link PROBE_INTERVAL_MS} meanwhile: how long a direct signal takes during a storm.
 * Commands: `storm` (resolves when its peers all know everyone, or at the timeout) → `finish`.
 */
import { performance } from 'node:perf_hooks';
import { connect, type Endpoint, type SwitchboardSignal, type Target } from './endpoints';

export type StormCommand =
  | {
      cmd: 'storm';
      targets: Target[];
      room: string;
      /** This generator's peers, and the room's size (what each peer must come to know). */
      ids: string[];
      total: number;
      /** The `presence` argument; null leaves it out (servers without it). */
      presence: 'EACH' | 'BATCHED' | null;
      /** Epoch ms at which every generator starts connecting. */
      goAt: number;
      timeoutMs: number;
      probe: boolean;
    }
  | { cmd: 'finish' };

export interface StormReport {
  /** Per peer that got to know everyone: ms from `goAt`. */
  completeMs: number[];
  /** Per peer welcomed: ms from `goAt` to its Welcome. */
  welcomedMs: number[];
  /** Peers whose Welcome had arrived when the report was made (the others were still connecting). */
  welcomed: number;
  incomplete: number;
  failedToConnect: number;
  /** Presence frames (PeerConnected, PeerDisconnected or PresenceBatch) and the joins/leaves in them. */
  presenceFrames: number;
  presenceEntries: number;
  /** A join of a peer already known: must stay 0. */
  duplicates: number;
  /** Why the first failed connection failed, and how many failed for each reason (its first 100 characters). */
  firstError: string | null;
  failures: Record<string, number>;
  /** Sockets the server closed during the storm, by close code. */
  closes: Record<string, number>;
}

export interface StormFinish {
  probeLatenciesMs: number[];
  cpuS: number;
}

const PROBE_INTERVAL_MS = 20;

let endpoints: Endpoint[] = [];
let probeTimer: ReturnType<typeof setInterval> | undefined;
const probeSentAt = new Map<number, number>();
const probeLatencies: number[] = [];
let cpuAtGo = process.cpuUsage();

const sleepUntil = (epochMs: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, epochMs - Date.now())));

async function storm(command: Extract<StormCommand, { cmd: 'storm' }>): Promise<StormReport> {
  const report: StormReport = { completeMs: [], welcomedMs: [], welcomed: 0, incomplete: 0, failedToConnect: 0, presenceFrames: 0, presenceEntries: 0, duplicates: 0, firstError: null, failures: {}, closes: {} };
  const want = command.total - 1;
  let pending = command.ids.length;
  let allKnown: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    allKnown = resolve;
  });
  const track = (): ((signal: SwitchboardSignal) => void) => {
    const known = new Set<string>();
    let complete = false;
    const add = (id: string): void => {
      if (known.has(id)) report.duplicates += 1;
      known.add(id);
    };
    return (signal) => {
      if (signal.__typename === 'Welcome') for (const peer of signal.peers ?? []) add(peer.id);
      else if (signal.__typename === 'PeerConnected' && signal.peer) {
        report.presenceFrames += 1;
        report.presenceEntries += 1;
        add(signal.peer.id);
      } else if (signal.__typename === 'PeerDisconnected' && signal.peer) {
        report.presenceFrames += 1;
        report.presenceEntries += 1;
        known.delete(signal.peer.id);
      } else if (signal.__typename === 'PresenceBatch') {
        report.presenceFrames += 1;
        for (const peer of signal.joined ?? []) add(peer.id);
        for (const { peer } of signal.left ?? []) known.delete(peer.id);
        report.presenceEntries += (signal.joined?.length ?? 0) + (signal.left?.length ?? 0);
      }
      if (!complete && known.size >= want) {
        complete = true;
        report.completeMs.push(Date.now() - command.goAt);
        pending -= 1;
        if (pending === 0) allKnown();
      }
    };
  };
  const variables = command.presence === null ? {} : { presence: command.presence };
  await sleepUntil(command.goAt);
  cpuAtGo = process.cpuUsage();
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, command.goAt + command.timeoutMs - Date.now())));
  command.ids.forEach((id, i) => {
    const target = command.targets[i % command.targets.length];
    if (!target) throw new Error('no target');
    void connect(target, id, command.room, { variables, onSignal: track(), timeoutMs: command.timeoutMs, onClose: (code) => (report.closes[code] = (report.closes[code] ?? 0) + 1) }).then(
      (endpoint) => {
        endpoints.push(endpoint);
        report.welcomedMs.push(Date.now() - command.goAt);
        // The probe runs from the moment its two peers are in: during the storm, not after it.
        if (command.probe && endpoints.length === 2) startProbe();
      },
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        report.firstError ??= reason;
        report.failures[reason.slice(0, 100)] = (report.failures[reason.slice(0, 100)] ?? 0) + 1;
        report.failedToConnect += 1;
        pending -= 1;
        if (pending === 0) allKnown();
      },
    );
  });
  await Promise.race([done, timeout]);
  report.welcomed = endpoints.length;
  report.incomplete = command.ids.length - report.completeMs.length - report.failedToConnect;
  return report;
}

/** The first two peers (both in this process: one clock) relay a candidate every interval. */
function startProbe(): void {
  const [a, b] = endpoints;
  if (!a || !b) return;
  b.onMessage = (_from, _type, payload) => {
    const number = Number(payload.slice('candidate:'.length, payload.indexOf(' ')));
    const started = probeSentAt.get(number);
    if (started === undefined) return;
    probeSentAt.delete(number);
    probeLatencies.push(performance.now() - started);
  };
  let seq = 0;
  probeTimer = setInterval(() => {
    seq += 1;
    probeSentAt.set(seq, performance.now());
    a.send(b.id, 'candidate', `candidate:${seq} 1 udp 2122260223 127.0.0.1 50000 typ host generation 0`);
  }, PROBE_INTERVAL_MS);
}

function finish(): StormFinish {
  clearInterval(probeTimer);
  const cpu = process.cpuUsage(cpuAtGo);
  for (const endpoint of endpoints) endpoint.close();
  endpoints = [];
  const result = { probeLatenciesMs: [...probeLatencies], cpuS: (cpu.user + cpu.system) / 1e6 };
  probeLatencies.length = 0;
  probeSentAt.clear();
  return result;
}

process.on('message', (command: StormCommand) => {
  const run = command.cmd === 'storm' ? storm(command) : Promise.resolve(finish());
  run.then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
