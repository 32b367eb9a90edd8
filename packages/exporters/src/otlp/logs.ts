// Shipping logs over OTLP/HTTP: OpenTelemetry's log exporter (protobuf or JSON) behind its batch
// processor, for the log aggregator's `exportProcessors`, configured from `logs.otlp`.
// OpenTelemetry's exporter resolves URL and headers from the OTEL_EXPORTER_OTLP_* variables and
// retries 429/502/503/504 and network errors itself, honouring Retry-After; a small decorator
// counts what finally got through for `stats()`.
//
// Default protocol: http/protobuf, the OTLP exporter spec's default. This processor used to send
// JSON only; every OTLP/HTTP receiver (the Collector included) must accept both encodings, and the
// test receiver decodes both, so existing setups and tests keep working. `protocol: 'http/json'`
// or OTEL_EXPORTER_OTLP_LOGS_PROTOCOL=http/json brings JSON back.
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtobufLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import {
  BatchLogRecordProcessor,
  type LogRecordExporter,
  type ReadableLogRecord,
} from '@opentelemetry/sdk-logs';
import { deadlineAgentFactory } from './deadline-agent.js';
import {
  checkCount,
  checkEndpoint,
  checkExporterTimeout,
  checkHeaders,
  checkMillis,
  collectSecrets,
  type ExportResult,
  ExportStatsRecorder,
  type OtlpCompression,
  type OtlpExportStats,
  type OtlpProtocol,
  resolveCompression,
  resolveProtocol,
} from './options.js';

export interface OtlpLogExportOptions {
  /**
   * The OTLP/HTTP logs endpoint (`…/v1/logs`), used as is.
   * @default OTEL_EXPORTER_OTLP_LOGS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/logs', else http://localhost:4318/v1/logs
   * @example 'https://otlp.example.com/v1/logs'
   */
  url?: string;
  /**
   * The encoding. `grpc` is not supported and throws at setup.
   * @default OTEL_EXPORTER_OTLP_LOGS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else 'http/protobuf' (the OTLP exporter spec's default; before, this processor always sent JSON)
   */
  protocol?: OtlpProtocol;
  /**
   * Extra HTTP headers (an API key, say), over those of OTEL_EXPORTER_OTLP_HEADERS and
   * OTEL_EXPORTER_OTLP_LOGS_HEADERS. Their values never appear in `stats()` or diagnostics.
   * @default {}
   * @example { authorization: `Bearer ${token}` }
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Compression of request bodies.
   * @default OTEL_EXPORTER_OTLP_LOGS_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else 'none'
   */
  compression?: OtlpCompression;
  /** Milliseconds between batch exports. @default 1000 */
  exportIntervalMillis?: number;
  /** Records waiting for export; more are dropped (OpenTelemetry counts them). @default 10000 */
  maxQueueSize?: number;
  /** Records per request, at most `maxQueueSize`. @default 512 */
  maxExportBatchSize?: number;
  /**
   * Time limit of one export, retries included. Each HTTP request is also cut at its limit,
   * connecting, sending and the whole answer together, so a backend that drips its answer cannot
   * stretch it; the export then counts as failed (`timed out` in `stats().lastError`).
   * @default 10000; the HTTP request itself: OTEL_EXPORTER_OTLP_LOGS_TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT when set
   */
  timeoutMillis?: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtobufLogExporter>[0]>;

/** The OTLP exporter with its outcomes counted; everything else passes through. */
class CountingLogExporter implements LogRecordExporter {
  constructor(
    private readonly inner: LogRecordExporter,
    private readonly recorder: ExportStatsRecorder,
  ) {}

  export(logs: ReadableLogRecord[], resultCallback: (result: ExportResult) => void): void {
    const items = logs.length;
    let settled = false;
    const done = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      resultCallback(this.recorder.settle(result, items));
    };
    try {
      this.inner.export(logs, done);
    } catch (error) {
      // A serializer that throws must cost this batch only, counted like any failure.
      done({ code: 1, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }
}

/**
 * A BatchLogRecordProcessor that ships over OTLP/HTTP and counts the outcome of every export in
 * {@link OtlpLogProcessor.stats}. Options are checked at construction: a bad option or OTEL_*
 * variable throws an ExporterConfigError naming it. Exports never throw into the application.
 */
export class OtlpLogProcessor extends BatchLogRecordProcessor {
  readonly #recorder: ExportStatsRecorder;
  readonly #maxQueueSize: number;
  #dropped = 0;

  constructor(options: OtlpLogExportOptions = {}) {
    // OpenTelemetry's exporter reads process.env itself, so that is the environment checked.
    const env = process.env;
    const protocol = resolveProtocol(options.protocol, 'LOGS', env, 'http/protobuf');
    const url = checkEndpoint(options.url, 'LOGS', env);
    const headers = checkHeaders(options.headers);
    const compression = resolveCompression(options.compression, 'LOGS', env);
    const timeout = checkMillis(options.timeoutMillis, 'timeoutMillis') ?? DEFAULT_TIMEOUT_MS;
    const requestTimeout = checkExporterTimeout(options.timeoutMillis, 'LOGS', env) ?? timeout;
    const maxQueueSize = checkCount(options.maxQueueSize, 'maxQueueSize') ?? 10_000;
    const maxExportBatchSize = checkCount(options.maxExportBatchSize, 'maxExportBatchSize') ?? 512;
    const interval = checkMillis(options.exportIntervalMillis, 'exportIntervalMillis') ?? 1000;

    const config: ExporterConfig = {
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(headers === undefined ? {} : { headers: { ...headers } }),
      // The exporter types compression as an enum it does not export; its values are these strings.
      ...(compression === undefined ? {} : { compression: compression as ExporterConfig['compression'] }),
      timeoutMillis: requestTimeout,
      // OpenTelemetry's own limit is an idle timeout that a dripping backend resets byte by byte.
      httpAgentOptions: deadlineAgentFactory(requestTimeout),
    };
    const exporter = protocol === 'http/json' ? new JsonLogExporter(config) : new ProtobufLogExporter(config);
    const recorder = new ExportStatsRecorder('logs', collectSecrets(headers, url, 'LOGS', env));
    super({
      exporter: new CountingLogExporter(exporter, recorder),
      maxQueueSize,
      maxExportBatchSize: Math.min(maxExportBatchSize, maxQueueSize),
      scheduledDelayMillis: interval,
      exportTimeoutMillis: timeout,
    });
    this.#recorder = recorder;
    this.#maxQueueSize = maxQueueSize;
  }

  /**
   * Counts what OpenTelemetry's batch processor drops when its queue is full: it only reports
   * that to a self-observability MeterProvider, so without one the loss would go unseen. Reads
   * the processor's buffer (`_finishedLogRecords`, sdk-logs 0.223); a test fails if it moves.
   */
  override onEmit(logRecord: Parameters<BatchLogRecordProcessor['onEmit']>[0]): void {
    const buffered = (this as unknown as { _finishedLogRecords?: unknown[] })._finishedLogRecords;
    if (buffered !== undefined && buffered.length >= this.#maxQueueSize) this.#dropped++;
    super.onEmit(logRecord);
  }

  /**
   * What the exporter did so far: requests accepted and failed (after OpenTelemetry's retries),
   * their records, records dropped from a full queue, the last error (credentials masked) and the
   * last success time.
   */
  stats(): OtlpExportStats {
    return { ...this.#recorder.snapshot(), dropped: this.#dropped };
  }
}

/**
 * A processor to hand to the log aggregator's `exportProcessors`.
 * @example
 * const otlp = createOtlpLogProcessor({ url: 'http://collector:4318/v1/logs' });
 * const logs = new LogAggregator({ exportProcessors: [otlp] });
 * otlp.stats(); // { exported: 3, failed: 0, … }
 */
export function createOtlpLogProcessor(options: OtlpLogExportOptions = {}): OtlpLogProcessor {
  return new OtlpLogProcessor(options);
}
