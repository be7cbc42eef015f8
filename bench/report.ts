/** The benchmark's results: their shape, a markdown table with ratios, and a hand-drawn SVG chart. */
import type { ServerKind } from './endpoints';
import type { StormResult } from './join-storm';

export interface Latency {
  p50: number;
  p99: number;
  p999: number;
  samples: number;
}

export interface ServerResult {
  kind: ServerKind;
  idle: Array<{ peers: number; connected: number; failed: number; bytesPerPeer: number; connectsPerS: number }>;
  sequential?: Latency;
  fixedRate?: Latency & { perSecond: number };
  saturated?: Latency;
  throughput?: number;
  cpuUsPerMessage?: number;
  /** CPU of the Redis behind the instances per relayed message at saturation (Redis rows only). */
  redisCpuUsPerMessage?: number;
  /** Commands Redis ran per relayed message at saturation, by name (scripts' own calls included). */
  redisCommandsPerMessage?: Record<string, number>;
  /** Write syscalls of the server per relayed message at saturation. */
  writesPerMessage?: number;
  generatorCpuShare?: number;
  weriftMsToOpen?: number;
  /** The join-storm phase: one entry per room size and presence mode. */
  joinStorm?: StormResult[];
  errors: number;
}

export interface Results {
  date: string;
  mode: 'quick' | 'full';
  machine: { cpus: number; model: string; node: string };
  plan: Record<string, unknown>;
  servers: ServerResult[];
}

const LABELS: Record<ServerKind, string> = {
  switchboard: 'Switchboard (memory)',
  'switchboard-own': 'Switchboard, a client’s own documents',
  'switchboard-socketio': 'Switchboard over Socket.IO',
  'switchboard-peerjs': 'Switchboard over the PeerJS protocol',
  'switchboard-redis': 'Switchboard (2 × + Redis)',
  'switchboard-redis3': 'Switchboard (3 × + one Redis)',
  'switchboard-cluster': 'Switchboard (3 × + Redis Cluster, 3 shards)',
  peerjs: 'PeerJS server',
  raw: 'raw ws relay',
};

interface Row {
  label: string;
  value: (server: ServerResult) => number | undefined;
  format: (value: number) => string;
  /** Whether more is better (for the ratio's reading). */
  higherIsBetter: boolean;
}

const ms = (value: number): string => `${value.toFixed(3)} ms`;

function rows(results: Results): Row[] {
  const idleRows = [...new Set(results.servers.flatMap((s) => s.idle.map((i) => i.peers)))].flatMap((peers): Row[] => [
    {
      label: `idle memory per peer @ ${peers.toLocaleString('en')}`,
      value: (s) => s.idle.find((i) => i.peers === peers)?.bytesPerPeer,
      format: (v) => `${(v / 1024).toFixed(1)} KiB`,
      higherIsBetter: false,
    },
    {
      label: `connection setup @ ${peers.toLocaleString('en')}`,
      value: (s) => s.idle.find((i) => i.peers === peers)?.connectsPerS,
      format: (v) => `${v.toFixed(0)} /s`,
      higherIsBetter: true,
    },
    {
      label: `failed connects @ ${peers.toLocaleString('en')}`,
      value: (s) => {
        const idle = s.idle.find((i) => i.peers === peers);
        return idle ? (100 * idle.failed) / idle.peers : undefined;
      },
      format: (v) => `${v.toFixed(2)} %`,
      higherIsBetter: false,
    },
  ]);
  return [
    { label: 'throughput (msg/s)', value: (s) => s.throughput, format: (v) => v.toFixed(0), higherIsBetter: true },
    { label: 'server CPU per message', value: (s) => s.cpuUsPerMessage, format: (v) => `${v.toFixed(1)} µs`, higherIsBetter: false },
    { label: 'Redis CPU per message', value: (s) => s.redisCpuUsPerMessage, format: (v) => `${v.toFixed(1)} µs`, higherIsBetter: false },
    { label: 'server write syscalls per message', value: (s) => s.writesPerMessage, format: (v) => v.toFixed(2), higherIsBetter: false },
    { label: 'sequential one-way p50', value: (s) => s.sequential?.p50, format: ms, higherIsBetter: false },
    { label: 'sequential one-way p99', value: (s) => s.sequential?.p99, format: ms, higherIsBetter: false },
    { label: `p50 @ ${String(results.plan['fixedRatePerS'])} msg/s`, value: (s) => s.fixedRate?.p50, format: ms, higherIsBetter: false },
    { label: `p99 @ ${String(results.plan['fixedRatePerS'])} msg/s`, value: (s) => s.fixedRate?.p99, format: ms, higherIsBetter: false },
    { label: `p999 @ ${String(results.plan['fixedRatePerS'])} msg/s`, value: (s) => s.fixedRate?.p999, format: ms, higherIsBetter: false },
    { label: 'p50 at saturation', value: (s) => s.saturated?.p50, format: ms, higherIsBetter: false },
    { label: 'p99 at saturation', value: (s) => s.saturated?.p99, format: ms, higherIsBetter: false },
    { label: 'p999 at saturation', value: (s) => s.saturated?.p999, format: ms, higherIsBetter: false },
    ...idleRows,
    { label: 'werift: start → data channel open (median)', value: (s) => s.weriftMsToOpen, format: (v) => `${v.toFixed(0)} ms`, higherIsBetter: false },
    { label: 'busiest generator CPU (saturation)', value: (s) => s.generatorCpuShare, format: (v) => `${(v * 100).toFixed(0)} %`, higherIsBetter: false },
  ];
}

function ratio(value: number | undefined, base: number | undefined): string {
  if (value === undefined || base === undefined || base === 0 || !Number.isFinite(value) || !Number.isFinite(base)) return '–';
  return `${(value / base).toFixed(2)}×`;
}

/** The join storms: a row per server, size and mode. */
function stormTable(servers: ServerResult[]): string[] {
  const rows = servers.flatMap((s) => (s.joinStorm ?? []).map((r) => ({ label: LABELS[s.kind], r })));
  if (rows.length === 0) return [];
  const seconds = (ms: number | null): string => (ms === null ? '–' : `${(ms / 1000).toFixed(2)} s`);
  return [
    'Join storm: N peers open `signals` in one room at once; time until every peer knows every other (Welcome ∪ joins).',
    '',
    '| server | peers | presence | all know all | complete | presence frames | gateway CPU | generator CPU | peak RSS | direct signal p99 |',
    '|---|---:|---|---:|---:|---:|---:|---:|---:|---:|',
    ...rows.map(
      ({ label, r }) =>
        `| ${label} | ${r.peers.toLocaleString('en')} | ${r.presence} | ${seconds(r.allKnownMs)} | ${r.completed.toLocaleString('en')} | ${r.presenceFrames.toLocaleString('en')} | ` +
        `${r.gatewayCpuS.toFixed(1)} s | ${r.generatorCpuS.toFixed(1)} s | ${(r.peakRssBytes / 2 ** 20).toFixed(0)} MB | ${r.probe.p99.toFixed(1)} ms |`,
    ),
    '',
  ];
}

/** The table: a column per server, then Switchboard's ratios to the raw relay and to PeerJS. */
export function renderMarkdown(results: Results): string {
  const servers = results.servers;
  const find = (kind: ServerKind): ServerResult | undefined => servers.find((s) => s.kind === kind);
  const [raw, peerjs, switchboard, own] = [find('raw'), find('peerjs'), find('switchboard'), find('switchboard-own')];
  const header = ['', ...servers.map((s) => LABELS[s.kind]), 'Switchboard ÷ raw', 'Switchboard ÷ PeerJS', ...(own ? ['own documents ÷ PeerJS'] : [])];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const row of rows(results)) {
    const cells = servers.map((s) => {
      const value = row.value(s);
      return value === undefined || !Number.isFinite(value) ? '–' : row.format(value);
    });
    const mine = switchboard ? row.value(switchboard) : undefined;
    const base = peerjs ? row.value(peerjs) : undefined;
    const ownRatio = own ? [ratio(row.value(own), base)] : [];
    lines.push(`| ${[row.label, ...cells, ratio(mine, raw ? row.value(raw) : undefined), ratio(mine, base), ...ownRatio].join(' | ')} |`);
  }
  const generatorBound = servers.filter((s) => (s.generatorCpuShare ?? 0) > 0.9).map((s) => LABELS[s.kind]);
  const errors = servers.filter((s) => s.errors > 0).map((s) => `${LABELS[s.kind]}: ${s.errors}`);
  return [
    `Benchmark (${results.mode}), ${results.date}, ${results.machine.cpus} × ${results.machine.model}, Node ${results.machine.node}.`,
    `Load: ${String(results.plan['pairs'])} pairs × ${String(results.plan['inFlight'])} in flight from ${String(results.plan['generators'])} generator processes, ~160-byte ICE candidates (≈ 300-byte frames).`,
    '',
    ...lines,
    '',
    generatorBound.length > 0 ? `Generator-bound (a generator above 90 % of a core): ${generatorBound.join(', ')}.` : 'No generator was above 90 % of a core.',
    errors.length > 0 ? `Refused or failed sends: ${errors.join(', ')}.` : 'No send was refused.',
    '',
    ...stormTable(servers),
  ].join('\n');
}

/** Four bar charts (throughput, sequential p50, CPU per message, idle memory per peer) in one SVG. */
export function renderSvg(results: Results): string {
  const charts: Array<{ title: string; value: (s: ServerResult) => number | undefined; unit: string }> = [
    { title: 'Throughput (msg/s, higher is better)', value: (s) => s.throughput, unit: '' },
    { title: 'Sequential one-way p50 (ms, lower is better)', value: (s) => s.sequential?.p50, unit: ' ms' },
    { title: 'Server CPU per message (µs, lower is better)', value: (s) => s.cpuUsPerMessage, unit: ' µs' },
    { title: 'Idle memory per peer @ 1,000 (KiB, lower is better)', value: (s) => (s.idle[0] ? s.idle[0].bytesPerPeer / 1024 : undefined), unit: ' KiB' },
  ];
  const colors: Record<ServerKind, string> = { switchboard: '#0a5bd8', 'switchboard-own': '#3aa37a', 'switchboard-socketio': '#8a4fd8', 'switchboard-peerjs': '#c44f8a', 'switchboard-redis': '#6a9be8', 'switchboard-redis3': '#4a7bc8', 'switchboard-cluster': '#2a5ba8', peerjs: '#d8730a', raw: '#777' };
  const width = 760;
  const chartHeight = 40 + results.servers.length * 26;
  const parts: string[] = [];
  charts.forEach((chart, index) => {
    const top = index * (chartHeight + 20);
    const values = results.servers.map((s) => chart.value(s) ?? 0);
    const max = Math.max(...values, 1e-9);
    parts.push(`<text x="10" y="${top + 20}" font-size="15" font-weight="600">${chart.title}</text>`);
    results.servers.forEach((server, row) => {
      const y = top + 34 + row * 26;
      const value = values[row] ?? 0;
      const bar = Math.max(1, (value / max) * 380);
      const shown = value >= 100 ? value.toFixed(0) : value.toFixed(value >= 10 ? 1 : 3);
      parts.push(
        `<text x="10" y="${y + 15}" font-size="13">${LABELS[server.kind]}</text>`,
        `<rect x="210" y="${y}" width="${bar.toFixed(1)}" height="20" fill="${colors[server.kind]}"/>`,
        `<text x="${(216 + bar).toFixed(1)}" y="${y + 15}" font-size="13">${shown}${chart.unit}</text>`,
      );
    });
  });
  const height = charts.length * (chartHeight + 20);
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif">
<rect width="100%" height="100%" fill="#fff"/>
${parts.join('\n')}
</svg>
`;
}
