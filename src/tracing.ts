import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace as traceApi, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { version } from '../package.json';
import type { TracingConfig } from './config';
import { LogSpanExporter } from './tracing-log-exporter';
import { TRACE_EXPORT_INTERVAL_MS, TRACE_EXPORT_TIMEOUT_MS, type SignalKind } from './protocol';

const TRACER_NAME = 'switchboard';
const TRACEPARENT = 'traceparent';

/** Span attributes: the room and the signal type, never an SDP body, a candidate or a token. */
const ROOM_ATTRIBUTE = 'switchboard.room';
const SIGNAL_TYPE_ATTRIBUTE = 'switchboard.signal.type';

/** A carrier of exactly one header, so a traceparent travels as a plain string with the stored event. */
const getter = { get: (carrier: { traceparent?: string }, key: string) => (key === TRACEPARENT ? carrier.traceparent : undefined), keys: () => [TRACEPARENT] };
const setter = { set: (carrier: { traceparent?: string }, key: string, value: string) => { if (key === TRACEPARENT) carrier.traceparent = value; } };

/** The acceptance span of one signal, open while the broker stores it. */
export class AcceptanceSpan {
  constructor(
    private readonly span: Span,
    /** W3C traceparent of this span, stored with the event so the delivery continues the trace. */
    readonly traceparent: string | null,
  ) {}

  end(): void {
    this.span.end();
  }

  /** Ends the span as refused or failed; the error's name only, its message may quote input. */
  fail(error: unknown): void {
    this.span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
    this.span.end();
  }
}

/**
 * OpenTelemetry tracing of signals, when the OTEL_* variables turn it on (docs/architecture.md,
 * "Tracing"): a PRODUCER span where a signal is accepted and a CONSUMER span, its child, where it is
 * handed to the recipient's transport — on whichever instance that is. The gateway holds `null`
 * instead of this when tracing is off, so the hot path makes no tracer call at all.
 */
export class SignalTracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;
  private readonly propagator = new W3CTraceContextPropagator();

  constructor(config: TracingConfig, log: Logger) {
    const exporter = exporterFor(config, log);
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName, [ATTR_SERVICE_VERSION]: version }),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: TRACE_EXPORT_INTERVAL_MS, exportTimeoutMillis: TRACE_EXPORT_TIMEOUT_MS })],
    });
    this.tracer = this.provider.getTracer(TRACER_NAME, version);
  }

  /** Opens the span of a signal being accepted (a child of the operation's span, if one is active). */
  accept(room: string, kind: SignalKind): AcceptanceSpan {
    const span = this.tracer.startSpan(`send ${kind}`, { kind: SpanKind.PRODUCER, attributes: { [ROOM_ATTRIBUTE]: room, [SIGNAL_TYPE_ATTRIBUTE]: kind } }, context.active());
    const carrier: { traceparent?: string } = {};
    this.propagator.inject(traceApi.setSpan(ROOT_CONTEXT, span), carrier, setter);
    return new AcceptanceSpan(span, carrier.traceparent ?? null);
  }

  /** Records the hand-off of a signal to the recipient's transport, as a child of its acceptance. */
  delivered(room: string, kind: SignalKind, traceparent: string): void {
    const parent = this.propagator.extract(ROOT_CONTEXT, { traceparent }, getter);
    this.tracer.startSpan(`deliver ${kind}`, { kind: SpanKind.CONSUMER, attributes: { [ROOM_ATTRIBUTE]: room, [SIGNAL_TYPE_ATTRIBUTE]: kind } }, parent).end();
  }

  /** Exports what is still buffered, then stops. */
  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

function exporterFor(config: TracingConfig, log: Logger): SpanExporter {
  if (config.exporter.kind === 'console') return new LogSpanExporter(log);
  return new OTLPTraceExporter({ url: config.exporter.url, timeoutMillis: TRACE_EXPORT_TIMEOUT_MS });
}
