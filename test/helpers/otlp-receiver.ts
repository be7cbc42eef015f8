import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Inbox } from './inbox';

/** One span as an OTLP/HTTP JSON export carries it, with its resource's service.name. */
export interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  /** OTLP SpanKind: 4 PRODUCER, 5 CONSUMER. */
  kind: number;
  attributes: Record<string, string>;
}

export const SPAN_KIND_PRODUCER = 4;
export const SPAN_KIND_CONSUMER = 5;

interface KeyValue {
  key: string;
  value: { stringValue?: string };
}
interface ExportBody {
  resourceSpans?: Array<{
    resource?: { attributes?: KeyValue[] };
    scopeSpans?: Array<{ spans?: Array<{ traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number; attributes?: KeyValue[] }> }>;
  }>;
}

const flat = (attributes: KeyValue[] = []): Record<string, string> =>
  Object.fromEntries(attributes.map((a) => [a.key, a.value.stringValue ?? JSON.stringify(a.value)]));

/** A local OTLP/HTTP (JSON) traces receiver on a loopback port: what a collector would get. */
export class OtlpReceiver {
  /** Every export request, as raw text. */
  readonly requests: string[] = [];
  readonly spans = new Inbox<ReceivedSpan>('spans');

  private constructor(private readonly server: Server) {}

  /** Base URL (as OTEL_EXPORTER_OTLP_ENDPOINT takes it). */
  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Full traces URL (as OTEL_EXPORTER_OTLP_TRACES_ENDPOINT takes it). */
  get tracesUrl(): string {
    return `${this.url}/v1/traces`;
  }

  static async start(): Promise<OtlpReceiver> {
    const server = createServer();
    const receiver = new OtlpReceiver(server);
    server.on('request', (req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (body += chunk));
      req.on('end', () => {
        receiver.receive(req.url ?? '', body);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  private receive(path: string, body: string): void {
    this.requests.push(body);
    if (path !== '/v1/traces') return;
    for (const rs of (JSON.parse(body) as ExportBody).resourceSpans ?? []) {
      const service = flat(rs.resource?.attributes)['service.name'] ?? '';
      for (const scope of rs.scopeSpans ?? []) {
        for (const s of scope.spans ?? []) {
          this.spans.push({ service, traceId: s.traceId, spanId: s.spanId, parentSpanId: s.parentSpanId ?? '', name: s.name, kind: s.kind, attributes: flat(s.attributes) });
        }
      }
    }
  }

  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
