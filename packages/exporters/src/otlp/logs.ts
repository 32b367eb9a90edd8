// Shipping logs over OTLP/HTTP: OpenTelemetry's exporter behind its batch processor, configured
// from `logs.otlp`. The standard OTEL_EXPORTER_OTLP_* variables apply when no URL is given.
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { BatchLogRecordProcessor, type LogRecordProcessor } from '@opentelemetry/sdk-logs';

export interface OtlpLogExportOptions {
  /**
   * The OTLP/HTTP logs endpoint (`…/v1/logs`).
   * @default OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/logs', else http://localhost:4318/v1/logs
   */
  url?: string;
  /** Extra HTTP headers (an API key, say). @default {} */
  headers?: Readonly<Record<string, string>>;
  /** Milliseconds between batch exports. @default 1000 */
  exportIntervalMillis?: number;
  /** Records waiting for export; more are dropped (OpenTelemetry counts them). @default 10000 */
  maxQueueSize?: number;
  /** @default 512 */
  maxExportBatchSize?: number;
  /** Time limit of one export request. @default 10000 */
  timeoutMillis?: number;
}

/** A processor to hand to the log aggregator's `exportProcessors`. */
export function createOtlpLogProcessor(options: OtlpLogExportOptions = {}): LogRecordProcessor {
  const exporter = new OTLPLogExporter({
    ...(options.url === undefined ? {} : { url: options.url }),
    headers: { ...options.headers },
    timeoutMillis: options.timeoutMillis ?? 10_000,
  });
  const maxQueueSize = options.maxQueueSize ?? 10_000;
  return new BatchLogRecordProcessor({
    exporter,
    maxQueueSize,
    maxExportBatchSize: Math.min(options.maxExportBatchSize ?? 512, maxQueueSize),
    scheduledDelayMillis: options.exportIntervalMillis ?? 1000,
    exportTimeoutMillis: options.timeoutMillis ?? 10_000,
  });
}
