// Pushing metrics over OTLP/HTTP: OpenTelemetry's OTLP metric exporter (protobuf or JSON) behind
// a PeriodicExportingMetricReader, to add to a MeterProvider's `readers`. The collector's metrics
// reach it through their MetricProducer (`metricProducers: [collector.metricProducer]`).
// OpenTelemetry's exporter resolves URL and headers from the OTEL_EXPORTER_OTLP_* variables and
// retries 429/502/503/504 and network errors itself, honouring Retry-After; a small decorator
// counts what finally got through for `stats()`.
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter as JsonMetricExporter,
} from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtobufMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import {
  type AggregationTemporality,
  type InstrumentType,
  type MetricProducer,
  PeriodicExportingMetricReader,
  type PushMetricExporter,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { ExporterConfigError } from '../export/types.js';
import { deadlineAgentFactory } from './deadline-agent.js';
import {
  checkEndpoint,
  checkExporterTimeout,
  checkHeaders,
  checkMillis,
  collectSecrets,
  type ExportResult,
  ExportStatsRecorder,
  envMillis,
  envValue,
  type OtlpCompression,
  type OtlpExportStats,
  type OtlpProtocol,
  resolveCompression,
  resolveProtocol,
} from './options.js';

/** Which temporality OpenTelemetry instruments report in; see {@link OtlpMetricExportOptions.temporality}. */
export type OtlpTemporality = 'cumulative' | 'delta' | 'lowmemory';

export interface OtlpMetricExportOptions {
  /**
   * The OTLP/HTTP metrics endpoint, used as is.
   * @default OTEL_EXPORTER_OTLP_METRICS_ENDPOINT, else OTEL_EXPORTER_OTLP_ENDPOINT + '/v1/metrics', else http://localhost:4318/v1/metrics
   * @example 'https://otlp.example.com/v1/metrics'
   */
  url?: string;
  /**
   * The encoding. `grpc` is not supported and throws at setup.
   * @default OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL, else 'http/protobuf' (the OTLP exporter spec's default)
   */
  protocol?: OtlpProtocol;
  /**
   * Extra HTTP headers, over those of OTEL_EXPORTER_OTLP_HEADERS and
   * OTEL_EXPORTER_OTLP_METRICS_HEADERS (which win over the former). Their values never appear in
   * `stats()` or diagnostics.
   * @default {}
   * @example { 'x-api-key': process.env.OTLP_API_KEY ?? '' }
   */
  headers?: Readonly<Record<string, string>>;
  /**
   * Compression of request bodies.
   * @default OTEL_EXPORTER_OTLP_METRICS_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION, else 'none'
   */
  compression?: OtlpCompression;
  /**
   * Milliseconds between exports.
   * @default OTEL_METRIC_EXPORT_INTERVAL, else 60000
   */
  exportIntervalMillis?: number;
  /**
   * Time limit of one collect-and-export, retries included; at most `exportIntervalMillis`. Each
   * HTTP request is also cut at its limit, connecting, sending and the whole answer together, so a
   * backend that drips its answer cannot stretch it; the export then counts as failed.
   * @default OTEL_METRIC_EXPORT_TIMEOUT, else 10000 (cut to the interval when that is shorter). The HTTP request itself: OTEL_EXPORTER_OTLP_METRICS_TIMEOUT or OTEL_EXPORTER_OTLP_TIMEOUT when set.
   */
  timeoutMillis?: number;
  /**
   * Temporality preference for OpenTelemetry instruments on the MeterProvider (`delta`: counters
   * and histograms report the change since the last export). The collector's own metrics come
   * from its MetricProducer and are always cumulative.
   * @default OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE, else 'cumulative'
   */
  temporality?: OtlpTemporality;
  /**
   * Where metrics come from besides the MeterProvider's instruments: pass the collector's.
   * @default []
   * @example [monitoring.metricsCollector.metricProducer]
   */
  metricProducers?: MetricProducer[];
}

const DEFAULT_INTERVAL_MS = 60_000;
const DEFAULT_TIMEOUT_MS = 10_000;

type ExporterConfig = NonNullable<ConstructorParameters<typeof ProtobufMetricExporter>[0]>;
const TEMPORALITY_VARIABLE = 'OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE';
const TEMPORALITIES: Readonly<Record<OtlpTemporality, AggregationTemporalityPreference>> = {
  cumulative: AggregationTemporalityPreference.CUMULATIVE,
  delta: AggregationTemporalityPreference.DELTA,
  lowmemory: AggregationTemporalityPreference.LOWMEMORY,
};

function resolveTemporality(option: unknown, env: NodeJS.ProcessEnv): AggregationTemporalityPreference {
  const raw = option ?? envValue(env, TEMPORALITY_VARIABLE)?.toLowerCase() ?? 'cumulative';
  if (typeof raw === 'string' && Object.hasOwn(TEMPORALITIES, raw)) {
    return TEMPORALITIES[raw as OtlpTemporality];
  }
  throw new ExporterConfigError(
    'otlp',
    option === undefined ? TEMPORALITY_VARIABLE : 'temporality',
    `${JSON.stringify(raw)} is not a temporality: use 'cumulative', 'delta' or 'lowmemory'`,
  );
}

/** Interval and reader time limit; an explicit limit longer than the interval is an error. */
function resolveTiming(options: OtlpMetricExportOptions, env: NodeJS.ProcessEnv) {
  const interval =
    checkMillis(options.exportIntervalMillis, 'exportIntervalMillis') ??
    envMillis(env, 'OTEL_METRIC_EXPORT_INTERVAL') ??
    DEFAULT_INTERVAL_MS;
  const timeoutKey = options.timeoutMillis === undefined ? 'OTEL_METRIC_EXPORT_TIMEOUT' : 'timeoutMillis';
  const explicit =
    checkMillis(options.timeoutMillis, 'timeoutMillis') ?? envMillis(env, 'OTEL_METRIC_EXPORT_TIMEOUT');
  if (explicit !== undefined && explicit > interval) {
    throw new ExporterConfigError(
      'otlp',
      timeoutKey,
      `${explicit} ms is longer than the export interval (${interval} ms): exports would overlap`,
    );
  }
  return { interval, timeout: explicit ?? Math.min(DEFAULT_TIMEOUT_MS, interval) };
}

function dataPointCount(metrics: ResourceMetrics): number {
  let count = 0;
  for (const scope of metrics.scopeMetrics)
    for (const metric of scope.metrics) count += metric.dataPoints.length;
  return count;
}

/** The OTLP exporter with its outcomes counted; everything else passes through. */
class CountingMetricExporter implements PushMetricExporter {
  constructor(
    private readonly inner: PushMetricExporter,
    private readonly recorder: ExportStatsRecorder,
  ) {}

  export(metrics: ResourceMetrics, resultCallback: (result: ExportResult) => void): void {
    const items = dataPointCount(metrics);
    let settled = false;
    const done = (result: ExportResult) => {
      if (settled) return;
      settled = true;
      resultCallback(this.recorder.settle(result, items));
    };
    try {
      this.inner.export(metrics, done);
    } catch (error) {
      // A serializer that throws must cost this export only, counted like any failure.
      done({ code: 1, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  selectAggregationTemporality(instrumentType: InstrumentType): AggregationTemporality {
    // Both OTLP exporters implement it: the temporality preference lives there.
    return this.inner.selectAggregationTemporality!(instrumentType);
  }
}

/**
 * A PeriodicExportingMetricReader that pushes over OTLP/HTTP and counts the outcome of every
 * export in {@link OtlpMetricReader.stats}. Options are checked at construction: a bad option
 * or OTEL_* variable throws an ExporterConfigError naming it. Exports never throw into the
 * application; `forceFlush()` resolves even when the export failed (see `stats()`).
 *
 * @example
 * const reader = new OtlpMetricReader({ metricProducers: [collector.metricProducer] });
 * const meterProvider = new MeterProvider({ resource, readers: [reader] });
 * // …
 * reader.stats(); // { exported: 12, failed: 0, … }
 */
export class OtlpMetricReader extends PeriodicExportingMetricReader {
  readonly #recorder: ExportStatsRecorder;

  constructor(options: OtlpMetricExportOptions = {}) {
    // OpenTelemetry's exporter reads process.env itself, so that is the environment checked.
    const env = process.env;
    const protocol = resolveProtocol(options.protocol, 'METRICS', env, 'http/protobuf');
    const url = checkEndpoint(options.url, 'METRICS', env);
    const headers = checkHeaders(options.headers);
    const compression = resolveCompression(options.compression, 'METRICS', env);
    const { interval, timeout } = resolveTiming(options, env);
    const requestTimeout = checkExporterTimeout(options.timeoutMillis, 'METRICS', env) ?? timeout;
    const temporalityPreference = resolveTemporality(options.temporality, env);
    if (options.metricProducers !== undefined && !Array.isArray(options.metricProducers)) {
      throw new ExporterConfigError('otlp', 'metricProducers', 'must be an array of MetricProducers');
    }

    const config: ExporterConfig = {
      ...(options.url === undefined ? {} : { url: options.url }),
      ...(headers === undefined ? {} : { headers: { ...headers } }),
      // The exporter types compression as an enum it does not export; its values are these strings.
      ...(compression === undefined ? {} : { compression: compression as ExporterConfig['compression'] }),
      timeoutMillis: requestTimeout,
      // OpenTelemetry's own limit is an idle timeout that a dripping backend resets byte by byte.
      httpAgentOptions: deadlineAgentFactory(requestTimeout),
      temporalityPreference,
    };
    const exporter =
      protocol === 'http/json' ? new JsonMetricExporter(config) : new ProtobufMetricExporter(config);
    const recorder = new ExportStatsRecorder('metrics', collectSecrets(headers, url, 'METRICS', env));
    super({
      exporter: new CountingMetricExporter(exporter, recorder),
      exportIntervalMillis: interval,
      exportTimeoutMillis: timeout,
      ...(options.metricProducers === undefined ? {} : { metricProducers: [...options.metricProducers] }),
    });
    this.#recorder = recorder;
  }

  /**
   * What the exporter did so far: requests accepted and failed (after OpenTelemetry's retries),
   * their data points, the last error (credentials masked) and the last success time.
   */
  stats(): OtlpExportStats {
    return this.#recorder.snapshot();
  }
}

/**
 * The reader to add to a MeterProvider: `new MeterProvider({ readers: [createOtlpMetricReader(…)] })`.
 * @example
 * const reader = createOtlpMetricReader({
 *   url: 'http://collector:4318/v1/metrics',
 *   headers: { 'x-api-key': key },
 *   metricProducers: [collector.metricProducer],
 * });
 */
export function createOtlpMetricReader(options: OtlpMetricExportOptions = {}): OtlpMetricReader {
  return new OtlpMetricReader(options);
}
