import { SpanKind } from '@opentelemetry/api';
import { type ExportResult, ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { Logger } from 'pino';

/**
 * `OTEL_TRACES_EXPORTER=console`: each finished span as one pino line. The SDK's console exporter
 * prints inspected objects to stdout, which must carry JSON only.
 */
export class LogSpanExporter implements SpanExporter {
  constructor(private readonly log: Logger) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    for (const span of spans) {
      const { traceId, spanId } = span.spanContext();
      this.log.info(
        {
          traceId,
          spanId,
          parentSpanId: span.parentSpanContext?.spanId ?? null,
          kind: SpanKind[span.kind],
          durationMs: hrTimeToMilliseconds(span.duration),
          attributes: span.attributes,
        },
        span.name,
      );
    }
    done({ code: ExportResultCode.SUCCESS });
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
