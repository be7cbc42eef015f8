/**
 * A load generator process (forked by bench/run.ts, driven over IPC). It connects pairs of peers to a
 * server and relays ~300-byte ICE candidates from each pair's first peer to its second, timing every
 * message one way (both ends live in this process, so one clock). Commands:
 * `connect` → `mark` (start counting) → `stop` (report) for load; `sequential`; `idle` → `close`; `werift`.
 */
import { performance } from 'node:perf_hooks';
import { RTCPeerConnection } from 'werift';
import { connect, type Endpoint, type Target } from './endpoints';

/** Latencies kept per generator for percentiles (uniform reservoir). */
const RESERVOIR = 50_000;
/** Connections opened at once while connecting many peers. */
const CONNECT_CONCURRENCY = 100;
/** Bound for one werift pair to open its data channel. */
const WERIFT_TIMEOUT_MS = 20_000;

export type Command =
  | { cmd: 'connect'; targets: Target[]; pairs: Array<[string, string, string]> }
  | { cmd: 'saturate'; inFlight: number }
  | { cmd: 'rate'; perSecond: number }
  | { cmd: 'mark' }
  | { cmd: 'stop' }
  | { cmd: 'sequential'; count: number }
  | { cmd: 'idle'; targets: Target[]; peers: Array<[string, string]> }
  | { cmd: 'close' }
  | { cmd: 'werift'; targets: Target[]; iterations: number; room: string };

export interface LoadReport {
  received: number;
  seconds: number;
  latenciesMs: number[];
  errors: number;
  generatorCpuShare: number;
}

/** A candidate line of the usual size; the foundation carries the message's sequence number. */
function candidateLine(seq: number): string {
  return `candidate:${seq} 1 udp 2122260223 127.0.0.1 ${50_000 + (seq % 10_000)} typ host generation 0 ufrag Bnch network-id 1 network-cost 10`;
}

const sentAt = new Map<number, number>();
let seq = 0;
let counting = false;
let received = 0;
let seen = 0;
const reservoir: number[] = [];
let markedAt = 0;
let markedCpu = process.cpuUsage();
let pairs: Array<{ a: Endpoint; b: Endpoint }> = [];
let idle: Endpoint[] = [];
let pump: (a: Endpoint, b: Endpoint) => void = () => undefined;
let rateTimer: ReturnType<typeof setInterval> | undefined;

function record(latencyMs: number): void {
  if (!counting) return;
  received += 1;
  seen += 1;
  if (reservoir.length < RESERVOIR) reservoir.push(latencyMs);
  else {
    const slot = Math.floor(Math.random() * seen);
    if (slot < RESERVOIR) reservoir[slot] = latencyMs;
  }
}

function sendOne(a: Endpoint, b: Endpoint): void {
  seq += 1;
  sentAt.set(seq, performance.now());
  a.send(b.id, 'candidate', candidateLine(seq));
}

/** Wires `b` to time what `a` sends it, then call `onArrival`. */
function listen(a: Endpoint, b: Endpoint): void {
  b.onMessage = (_from, _type, payload) => {
    const number = Number(payload.slice(10, payload.indexOf(' ')));
    const started = sentAt.get(number);
    if (started !== undefined) {
      sentAt.delete(number);
      record(performance.now() - started);
    }
    pump(a, b);
  };
}

async function connectAll<T>(items: T[], open: (item: T) => Promise<Endpoint>): Promise<{ endpoints: Endpoint[]; failed: number; ms: number }> {
  const started = performance.now();
  const endpoints: Endpoint[] = [];
  let failed = 0;
  let index = 0;
  const worker = async (): Promise<void> => {
    for (let item = items[index++]; item !== undefined; item = items[index++]) {
      try {
        endpoints.push(await open(item));
      } catch {
        failed += 1;
      }
    }
  };
  await Promise.all(Array.from({ length: CONNECT_CONCURRENCY }, worker));
  return { endpoints, failed, ms: performance.now() - started };
}

async function handle(command: Command): Promise<unknown> {
  switch (command.cmd) {
    case 'connect': {
      const [first, second = first] = command.targets;
      if (!first || !second) throw new Error('no target');
      pairs = await Promise.all(
        command.pairs.map(async ([a, b, room]) => {
          const pair = { a: await connect(first, a, room), b: await connect(second, b, room) };
          listen(pair.a, pair.b);
          return pair;
        }),
      );
      return { connected: pairs.length * 2 };
    }
    case 'saturate':
      pump = sendOne;
      for (const { a, b } of pairs) for (let i = 0; i < command.inFlight; i += 1) sendOne(a, b);
      return { started: true };
    case 'rate': {
      // Fixed rate: every 10 ms, each pair gets its share of the rate (fractions carried over).
      pump = () => undefined;
      const tickMs = 10;
      let owed = 0;
      rateTimer = setInterval(() => {
        owed += (command.perSecond * tickMs) / 1000;
        while (owed >= 1) {
          const pair = pairs[seq % pairs.length];
          if (pair) sendOne(pair.a, pair.b);
          owed -= 1;
        }
      }, tickMs);
      return { started: true };
    }
    case 'mark':
      counting = true;
      received = 0;
      seen = 0;
      reservoir.length = 0;
      markedAt = performance.now();
      markedCpu = process.cpuUsage();
      return { marked: true };
    case 'stop': {
      counting = false;
      pump = () => undefined;
      clearInterval(rateTimer);
      const seconds = (performance.now() - markedAt) / 1000;
      const cpu = process.cpuUsage(markedCpu);
      const errors = pairs.reduce((sum, { a }) => sum + a.errors.length, 0);
      const report: LoadReport = { received, seconds, latenciesMs: [...reservoir], errors, generatorCpuShare: (cpu.user + cpu.system) / 1e6 / seconds };
      for (const { a, b } of pairs) {
        a.close();
        b.close();
      }
      pairs = [];
      sentAt.clear();
      return report;
    }
    case 'sequential': {
      const pair = pairs[0];
      if (!pair) throw new Error('connect a pair first');
      counting = true;
      reservoir.length = 0;
      seen = 0;
      await new Promise<void>((resolve) => {
        let left = command.count;
        pump = (a, b) => {
          left -= 1;
          if (left > 0) sendOne(a, b);
          else resolve();
        };
        sendOne(pair.a, pair.b);
      });
      counting = false;
      return { latenciesMs: [...reservoir] };
    }
    case 'idle': {
      const [target] = command.targets;
      if (!target) throw new Error('no target');
      const { endpoints, failed, ms } = await connectAll(command.peers, ([id, room]) => connect(target, id, room));
      idle = endpoints;
      return { connected: endpoints.length, failed, ms };
    }
    case 'close':
      for (const endpoint of idle) endpoint.close();
      idle = [];
      return { closed: true };
    case 'werift':
      return { msToOpen: await weriftTimes(command.targets, command.iterations, command.room) };
  }
}

/** Time from connecting two peers to the server to an open data channel between them, `iterations` times. */
async function weriftTimes(targets: Target[], iterations: number, room: string): Promise<number[]> {
  const [first, second = first] = targets;
  if (!first || !second) throw new Error('no target');
  const times: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const started = performance.now();
    const [a, b] = await Promise.all([connect(first, `${room}-a${i}`, `${room}${i}`), connect(second, `${room}-b${i}`, `${room}${i}`)]);
    const loopback = { iceServers: [], iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: ['127.0.0.1'] };
    const offerer = new RTCPeerConnection(loopback);
    const answerer = new RTCPeerConnection(loopback);
    offerer.onIceCandidate.subscribe((candidate) => candidate && a.send(b.id, 'candidate', candidate.candidate));
    answerer.onIceCandidate.subscribe((candidate) => candidate && b.send(a.id, 'candidate', candidate.candidate));
    b.onMessage = (_from, type, payload) => {
      if (type === 'offer') {
        void answerer
          .setRemoteDescription({ type: 'offer', sdp: payload })
          .then(() => answerer.createAnswer())
          .then(async (answer) => {
            b.send(a.id, 'answer', answer.sdp);
            await answerer.setLocalDescription(answer);
          });
      } else if (type === 'candidate') void answerer.addIceCandidate({ candidate: payload, sdpMid: '0', sdpMLineIndex: 0 });
    };
    a.onMessage = (_from, type, payload) => {
      if (type === 'answer') void offerer.setRemoteDescription({ type: 'answer', sdp: payload });
      else if (type === 'candidate') void offerer.addIceCandidate({ candidate: payload, sdpMid: '0', sdpMLineIndex: 0 });
    };
    const channel = offerer.createDataChannel('bench');
    const open = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('data channel did not open')), WERIFT_TIMEOUT_MS);
      channel.stateChanged.subscribe((state) => {
        if (state !== 'open') return;
        clearTimeout(timer);
        resolve();
      });
    });
    const offer = await offerer.createOffer();
    a.send(b.id, 'offer', offer.sdp);
    await offerer.setLocalDescription(offer);
    await open;
    times.push(performance.now() - started);
    await Promise.all([offerer.close(), answerer.close()]);
    a.close();
    b.close();
  }
  return times;
}

process.on('message', (command: Command) => {
  handle(command).then(
    (result) => process.send?.({ ok: true, result }),
    (error: unknown) => process.send?.({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));
