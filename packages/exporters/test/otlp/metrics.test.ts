// OTLP metric export end to end: the collector's metrics → MeterProvider → OtlpMetricReader →
// OpenTelemetry's OTLP exporter → a local server implementing the OTLP/HTTP contract
// (test/support/otlp-server.ts), which decodes protobuf and JSON, gzip or not.
import { type DiagSink, diagnostics, MetricsCollector } from '@datalineage/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type OtlpServer,
  type ReceivedMetric,
  startOtlpServer,
} from '../../../../test/support/otlp-server.js';
import { freePort } from '../../../../test/support/processes.js';
import { ExporterConfigError } from '../../src/export/types.js';
import {
  createOtlpMetricReader,
  type OtlpMetricExportOptions,
  type OtlpMetricReader,
} from '../../src/otlp/metrics.js';

let server: OtlpServer;
const providers: MeterProvider[] = [];

beforeAll(async () => {
  server = await startOtlpServer();
});

beforeEach(() => {
  // Whatever OTEL_* the machine has set, each test starts from none.
  for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  await Promise.all(providers.splice(0).map((provider) => provider.shutdown().catch(() => {})));
  vi.unstubAllEnvs();
  server.reset();
  diagnostics.setLevel('error');
  diagnostics.setSink(console);
});

afterAll(async () => {
  await server.close();
});

/** A collector with one metric of each kind, and a MeterProvider reading it through OTLP. */
function setup(options: OtlpMetricExportOptions = {}) {
  const collector = new MetricsCollector();
  collector.increment('operations.total', { type: 'lineage' }, 3);
  collector.increment('operations.total', { type: 'quality' });
  collector.setGauge('queue.size', 42, { queue: 'ingest' });
  const latency = collector.histogram('response.time', { buckets: [0.1, 0.5, 1] });
  for (const value of [0.05, 0.3, 0.4, 2]) latency.observe(value);
  for (const value of [10, 20, 30, 40]) collector.recordSummary('lineage.latency', value);
  const reader = createOtlpMetricReader({
    url: server.metricsUrl,
    headers: { 'x-api-key': 'key-0123456789' },
    metricProducers: [collector.metricProducer],
    ...options,
  });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'otlp-metrics-test' }),
    readers: [reader],
  });
  providers.push(provider);
  return { collector, reader, provider };
}

function metric(name: string): ReceivedMetric {
  const found = server.metrics.filter((m) => m.name === name);
  expect(found, `metric ${name} among ${server.metrics.map((m) => m.name).join(', ')}`).toHaveLength(1);
  return found[0] as ReceivedMetric;
}

/** Data points the server accepted, all metrics together. */
function receivedPoints(): number {
  return server.metrics.reduce((sum, m) => sum + m.dataPoints.length, 0);
}

function expectCollectorMetrics() {
  expect(metric('operations.total')).toMatchObject({
    serviceName: 'otlp-metrics-test',
    type: 'sum',
    isMonotonic: true,
    aggregationTemporality: 2,
  });
  expect(
    metric('operations.total')
      .dataPoints.map((p) => [p.attributes.type, p.value])
      .sort(),
  ).toEqual([
    ['lineage', 3],
    ['quality', 1],
  ]);
  expect(metric('queue.size')).toMatchObject({
    type: 'gauge',
    dataPoints: [{ attributes: { queue: 'ingest' }, value: 42 }],
  });
  expect(metric('response.time')).toMatchObject({
    type: 'histogram',
    aggregationTemporality: 2,
    dataPoints: [{ count: 4, explicitBounds: [0.1, 0.5, 1], bucketCounts: [1, 2, 0, 1], min: 0.05, max: 2 }],
  });
  expect(metric('response.time').dataPoints[0]?.sum).toBeCloseTo(2.75, 10);
  // Summaries travel as a gauge of quantiles plus _sum and _count (OpenTelemetry JS has no summary point).
  const quantiles = metric('lineage.latency').dataPoints;
  expect(quantiles.map((p) => p.attributes.quantile)).toEqual(['0.5', '0.9', '0.95', '0.99']);
  expect(quantiles[0]?.value).toBeGreaterThanOrEqual(19);
  expect(quantiles[0]?.value).toBeLessThanOrEqual(21);
  expect(metric('lineage.latency_count').dataPoints[0]?.value).toBe(4);
  expect(metric('lineage.latency_sum').dataPoints[0]?.value).toBe(100);
  for (const m of server.metrics) {
    for (const p of m.dataPoints) expect(BigInt(p.timeUnixNano ?? '0')).toBeGreaterThan(0n);
  }
}

describe.each([
  {
    protocol: 'http/protobuf',
    compression: 'none',
    encoding: 'protobuf',
    contentType: 'application/x-protobuf',
  },
  {
    protocol: 'http/protobuf',
    compression: 'gzip',
    encoding: 'protobuf',
    contentType: 'application/x-protobuf',
  },
  { protocol: 'http/json', compression: 'none', encoding: 'json', contentType: 'application/json' },
  { protocol: 'http/json', compression: 'gzip', encoding: 'json', contentType: 'application/json' },
] as const)(
  'over $protocol, compression $compression',
  ({ protocol, compression, encoding, contentType }) => {
    it('delivers counters, gauges, histograms and summaries with the resource and the headers', async () => {
      const { reader } = setup({ protocol, compression });
      await reader.forceFlush();
      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request).toMatchObject({
        signal: 'metrics',
        path: '/v1/metrics',
        encoding,
        gzip: compression === 'gzip',
      });
      expect(request?.headers['content-type']).toBe(contentType);
      expect(request?.headers['content-encoding']).toBe(compression === 'gzip' ? 'gzip' : undefined);
      expect(request?.headers['x-api-key']).toBe('key-0123456789');
      expectCollectorMetrics();
      expect(reader.stats()).toMatchObject({ exported: 1, failed: 0, exportedItems: receivedPoints() });
      expect(reader.stats().lastSuccess).toMatch(/^\d{4}-\d\d-\d\dT/);
    });
  },
);

describe('defaults and the OTEL_* variables', () => {
  it('sends protobuf by default, as the OTLP exporter spec says', async () => {
    const { reader } = setup();
    await reader.forceFlush();
    expect(server.requests.map((r) => [r.encoding, r.gzip])).toEqual([['protobuf', false]]);
  });

  it('takes its endpoint (appending /v1/metrics), protocol and headers from OTEL_EXPORTER_OTLP_*', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', server.baseUrl);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=abc,x-tenant=t%201');
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip');
    const { reader } = setup({ url: undefined, headers: undefined });
    await reader.forceFlush();
    expect(server.requests).toHaveLength(1);
    const [request] = server.requests;
    expect(request).toMatchObject({ path: '/v1/metrics', encoding: 'json', gzip: true });
    expect(request?.headers).toMatchObject({ 'x-api-key': 'abc', 'x-tenant': 't 1' });
    expectCollectorMetrics();
  });

  it('lets the METRICS variables win over the generic ones, and options over both', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:9/never');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', server.metricsUrl);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/protobuf');
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-a=generic,x-b=generic');
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_HEADERS', 'x-b=metrics,x-c=metrics');
    const { reader } = setup({ url: undefined, headers: { 'x-c': 'option' } });
    await reader.forceFlush();
    const [request] = server.requests;
    expect(request?.encoding).toBe('protobuf');
    expect(request?.headers).toMatchObject({ 'x-a': 'generic', 'x-b': 'metrics', 'x-c': 'option' });

    server.reset();
    const { reader: json } = setup({ protocol: 'http/json' });
    await json.forceFlush();
    expect(server.requests.map((r) => r.encoding)).toEqual(['json']);
  });

  it('exports on its own every exportIntervalMillis (OTEL_METRIC_EXPORT_INTERVAL)', async () => {
    vi.stubEnv('OTEL_METRIC_EXPORT_INTERVAL', '100');
    const { reader } = setup();
    await server.waitFor(() => reader.stats().exported >= 2, 5_000);
    expect(server.requests.length).toBeGreaterThanOrEqual(2);
  });

  it('asks delta temporality of OpenTelemetry instruments; the collector stays cumulative', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'delta');
    const { reader, provider, collector } = setup();
    const requests = provider.getMeter('app').createCounter('app.requests');
    requests.add(5);
    await reader.forceFlush();
    requests.add(2);
    collector.increment('operations.total', { type: 'lineage' });
    server.metrics.length = 0;
    await reader.forceFlush();
    expect(metric('app.requests')).toMatchObject({ aggregationTemporality: 1, dataPoints: [{ value: 2 }] });
    expect(metric('operations.total').aggregationTemporality).toBe(2);
    expect(metric('operations.total').dataPoints.find((p) => p.attributes.type === 'lineage')?.value).toBe(4);
  });
});

describe('setup errors name the option or variable', () => {
  it('refuses grpc, saying what to use instead', () => {
    expect(() => setup({ protocol: 'grpc' as never })).toThrow(
      /protocol: 'grpc' is not supported.*http\/protobuf.*Collector/,
    );
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'grpc');
    expect(() => setup()).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' is not supported/);
    vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'grpc');
    expect(() => setup({ protocol: undefined })).toThrow(/OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'grpc'/);
  });

  it.each([
    [{ url: 'localhost:4318' }, 'url'],
    [{ url: 'ftp://collector/v1/metrics' }, 'url'],
    [{ protocol: 'http/xml' }, 'protocol'],
    [{ compression: 'brotli' }, 'compression'],
    [{ exportIntervalMillis: 0 }, 'exportIntervalMillis'],
    [{ timeoutMillis: Number.NaN }, 'timeoutMillis'],
    [{ exportIntervalMillis: 1000, timeoutMillis: 5000 }, 'timeoutMillis'],
    [{ temporality: 'weekly' }, 'temporality'],
    [{ headers: { 'bad header': 'x' } }, 'headers.bad header'],
    [{ headers: { 'x-key': 42 } }, 'headers.x-key'],
    [{ metricProducers: {} }, 'metricProducers'],
  ])('%j → %s', (options, key) => {
    let error: unknown;
    try {
      setup(options as OtlpMetricExportOptions);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ExporterConfigError);
    expect((error as ExporterConfigError).key).toBe(key);
    expect((error as ExporterConfigError).message).toContain(key);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'not a url'],
    ['OTEL_EXPORTER_OTLP_METRICS_ENDPOINT', '127.0.0.1:4318'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'thrift'],
    ['OTEL_EXPORTER_OTLP_COMPRESSION', 'zstd'],
    ['OTEL_EXPORTER_OTLP_TIMEOUT', '-5'],
    ['OTEL_METRIC_EXPORT_INTERVAL', 'soon'],
    ['OTEL_METRIC_EXPORT_TIMEOUT', '0'],
    ['OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE', 'weekly'],
  ])('%s=%j', (name, value) => {
    vi.stubEnv(name, value);
    expect(() => setup({ url: undefined })).toThrow(
      expect.objectContaining({ key: name, code: 'DLM_EXPORTER_CONFIG' }),
    );
  });
});

describe('when the backend fails', () => {
  it('retries a 503 after its Retry-After, and counts one success', async () => {
    server.failNext(1, 503, { retryAfterSeconds: 1 });
    const { reader } = setup();
    const started = Date.now();
    await reader.forceFlush();
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.requests.map((r) => r.status)).toEqual([503, 200]);
    expectCollectorMetrics();
    expect(reader.stats()).toMatchObject({ exported: 1, failed: 0 });
  });

  it('counts a refused export without repeating the API key, and succeeds on the next one', async () => {
    const lines: string[] = [];
    const sink: DiagSink = {
      error: (m) => lines.push(m),
      warn: (m) => lines.push(m),
      info: () => {},
      debug: () => {},
    };
    diagnostics.setSink(sink);
    diagnostics.setLevel('warn');
    server.failNext(2, 400, { message: 'invalid api key key-0123456789' });
    const { reader } = setup({ protocol: 'http/json' });
    await reader.forceFlush();
    await reader.forceFlush();
    expect(server.requests.map((r) => r.status)).toEqual([400, 400]); // 400 is not retried
    const stats = reader.stats();
    expect(stats).toMatchObject({ exported: 0, failed: 2 });
    expect(stats.lastError).toContain('HTTP 400');
    expect(stats.lastError).toContain('invalid api key [REDACTED]');
    expect(stats.lastFailure).toMatch(/^\d{4}-/);
    expect(JSON.stringify(stats)).not.toContain('key-0123456789');
    const warnings = lines.filter((line) => line.includes('DLM_OTLP_EXPORT_FAILED'));
    expect(warnings).toHaveLength(1); // once per cause
    expect(warnings.join('')).not.toContain('key-0123456789');

    await reader.forceFlush();
    expectCollectorMetrics();
    expect(reader.stats()).toMatchObject({ exported: 1, failed: 2, failedItems: 2 * receivedPoints() });
  });

  it('counts an unreachable backend as a failure and never throws into the app', async () => {
    const port = await freePort();
    const { reader, collector } = setup({ url: `http://127.0.0.1:${port}/v1/metrics`, timeoutMillis: 500 });
    await expect(reader.forceFlush()).resolves.toBeUndefined();
    expect(() => collector.increment('operations.total', { type: 'lineage' })).not.toThrow();
    expect(reader.stats()).toMatchObject({ exported: 0, failed: 1 });
    expect(reader.stats().lastError).toContain('ECONNREFUSED');
  });

  it('gives up on a backend that never answers after timeoutMillis', async () => {
    server.hangNext(1);
    const { reader } = setup({ exportIntervalMillis: 60_000, timeoutMillis: 300 });
    const started = Date.now();
    await reader.forceFlush();
    await server.waitFor(() => reader.stats().failed === 1, 5_000);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(reader.stats().lastError).toMatch(/timed out/i);
    expect(server.requests.map((r) => r.status)).toEqual([0]);
  });
});

describe('the reader', () => {
  it('starts with nothing counted', () => {
    const { reader } = setup();
    expect(reader.stats()).toEqual({ exported: 0, failed: 0, exportedItems: 0, failedItems: 0 });
  });

  it('sends what is left when the MeterProvider shuts down', async () => {
    const { provider } = setup();
    await provider.shutdown();
    expect(server.requests).toHaveLength(1);
    expectCollectorMetrics();
  });

  it('is a PeriodicExportingMetricReader to hand to any MeterProvider', () => {
    const reader: OtlpMetricReader = createOtlpMetricReader({ url: server.metricsUrl });
    expect(reader).toBeInstanceOf(PeriodicExportingMetricReader);
  });
});
