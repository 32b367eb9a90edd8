// OTLP log export end to end: a real LogAggregator → OtlpLogProcessor → OpenTelemetry's OTLP log
// exporter → a local server implementing the OTLP/HTTP contract (test/support/otlp-server.ts),
// which decodes protobuf and JSON, gzip or not.
import { LogAggregator, LogLevel, LogSource } from '@datalineage/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { type OtlpServer, startOtlpServer } from '../../../../test/support/otlp-server.js';
import { freePort } from '../../../../test/support/processes.js';
import { ExporterConfigError } from '../../src/export/types.js';
import { createOtlpLogProcessor, type OtlpLogExportOptions } from '../../src/otlp/logs.js';

let server: OtlpServer;
const aggregators: LogAggregator[] = [];

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

beforeAll(async () => {
  server = await startOtlpServer();
});

beforeEach(() => {
  // Whatever OTEL_* the machine has set, each test starts from none.
  for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) vi.stubEnv(name, undefined);
});

afterEach(async () => {
  await Promise.all(aggregators.splice(0).map((aggregator) => aggregator.shutdown().catch(() => {})));
  vi.unstubAllEnvs();
  server.reset();
});

afterAll(async () => {
  await server.close();
});

/** A real aggregator exporting through the OTLP processor; the batch waits for flush(). */
function setup(options: OtlpLogExportOptions = {}) {
  const processor = createOtlpLogProcessor({
    url: server.logsUrl,
    headers: { 'x-api-key': 'key-0123456789' },
    exportIntervalMillis: 60_000,
    ...options,
  });
  const aggregator = new LogAggregator({
    resource: resourceFromAttributes({ 'service.name': 'otlp-logs-test' }),
    exportProcessors: [processor],
  });
  aggregators.push(aggregator);
  return { processor, aggregator };
}

function addLogs(aggregator: LogAggregator) {
  aggregator.addLog({
    level: LogLevel.ERROR,
    message: 'payment failed',
    loggerName: 'payments',
    source: LogSource.AUDIT,
    extraData: { order: 'o-17', amount: 12.5, retried: true, attempt: 3 },
    traceId: TRACE_ID,
    spanId: SPAN_ID,
  });
  aggregator.addLog({ level: LogLevel.WARNING, message: 'slow request', loggerName: 'http' });
  aggregator.addLog({ message: 'started', loggerName: 'app' });
}

function expectLogs() {
  expect(server.logs).toHaveLength(3);
  const payment = server.logs.find((log) => log.scope === 'payments');
  expect(payment).toMatchObject({
    serviceName: 'otlp-logs-test',
    body: 'payment failed',
    severityNumber: LogLevel.ERROR,
    severityText: 'ERROR',
    attributes: { order: 'o-17', amount: 12.5, retried: true, attempt: 3, 'log.source': 'audit' },
    traceId: TRACE_ID,
    spanId: SPAN_ID,
  });
  expect(BigInt(payment?.timeUnixNano ?? '0')).toBeGreaterThan(0n);
  expect(server.logs.find((log) => log.scope === 'http')).toMatchObject({
    body: 'slow request',
    severityNumber: LogLevel.WARNING,
    severityText: 'WARNING',
  });
  expect(server.logs.find((log) => log.scope === 'app')).toMatchObject({
    body: 'started',
    severityNumber: LogLevel.INFO,
    traceId: undefined,
  });
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
    it('delivers body, severity, attributes, trace ids, the resource and the headers', async () => {
      const { processor, aggregator } = setup({ protocol, compression });
      addLogs(aggregator);
      expect(server.requests).toHaveLength(0); // batched for a minute…
      await aggregator.flush(); // …but flush() sends
      expect(server.requests).toHaveLength(1);
      const [request] = server.requests;
      expect(request).toMatchObject({
        signal: 'logs',
        path: '/v1/logs',
        encoding,
        gzip: compression === 'gzip',
      });
      expect(request?.headers['content-type']).toBe(contentType);
      expect(request?.headers['content-encoding']).toBe(compression === 'gzip' ? 'gzip' : undefined);
      expect(request?.headers['x-api-key']).toBe('key-0123456789');
      expectLogs();
      expect(processor.stats()).toMatchObject({ exported: 1, failed: 0, exportedItems: 3 });
    });
  },
);

describe('defaults and the OTEL_* variables', () => {
  it('sends protobuf by default, as the OTLP exporter spec says', async () => {
    const { aggregator } = setup();
    addLogs(aggregator);
    await aggregator.flush();
    expect(server.requests.map((r) => [r.encoding, r.gzip])).toEqual([['protobuf', false]]);
    expectLogs();
  });

  it('takes its endpoint (appending /v1/logs), protocol, compression and headers from OTEL_EXPORTER_OTLP_*', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', `${server.baseUrl}/`);
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
    vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip');
    vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-api-key=abc');
    const { aggregator } = setup({ url: undefined, headers: undefined });
    addLogs(aggregator);
    await aggregator.flush();
    const [request] = server.requests;
    expect(request).toMatchObject({ path: '/v1/logs', encoding: 'json', gzip: true });
    expect(request?.headers['x-api-key']).toBe('abc');
    expectLogs();
  });

  it('lets OTEL_EXPORTER_OTLP_LOGS_PROTOCOL win over OTEL_EXPORTER_OTLP_PROTOCOL, and the option over both', async () => {
    vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/protobuf');
    vi.stubEnv('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'http/json');
    const first = setup();
    first.aggregator.addLog({ message: 'env' });
    await first.aggregator.flush();
    const second = setup({ protocol: 'http/protobuf' });
    second.aggregator.addLog({ message: 'option' });
    await second.aggregator.flush();
    expect(server.requests.map((r) => r.encoding)).toEqual(['json', 'protobuf']);
    expect(server.logs.map((log) => log.body)).toEqual(['env', 'option']);
  });

  it('sends full batches at once and the rest on its interval', async () => {
    const { aggregator } = setup({ exportIntervalMillis: 50, maxExportBatchSize: 2 });
    addLogs(aggregator);
    await server.waitFor(() => server.logs.length === 3, 5_000);
    expect(server.requests.length).toBe(2);
  });

  it('is a BatchLogRecordProcessor', () => {
    expect(createOtlpLogProcessor({ url: server.logsUrl })).toBeInstanceOf(BatchLogRecordProcessor);
  });
});

describe('setup errors name the option or variable', () => {
  it('refuses grpc, saying what to use instead', () => {
    expect(() => setup({ protocol: 'grpc' as never })).toThrow(
      /protocol: 'grpc' is not supported.*http\/protobuf.*Collector/,
    );
    vi.stubEnv('OTEL_EXPORTER_OTLP_LOGS_PROTOCOL', 'grpc');
    expect(() => setup()).toThrow(/OTEL_EXPORTER_OTLP_LOGS_PROTOCOL: 'grpc' is not supported/);
  });

  it.each([
    [{ url: 'collector:4318' }, 'url'],
    [{ protocol: 'http/xml' }, 'protocol'],
    [{ compression: 'deflate' }, 'compression'],
    [{ exportIntervalMillis: -1 }, 'exportIntervalMillis'],
    [{ timeoutMillis: 0 }, 'timeoutMillis'],
    [{ maxQueueSize: 1.5 }, 'maxQueueSize'],
    [{ maxExportBatchSize: 0 }, 'maxExportBatchSize'],
    [{ headers: { 'x-key': ['a'] } }, 'headers.x-key'],
  ])('%j → %s', (options, key) => {
    expect(() => setup(options as OtlpLogExportOptions)).toThrow(
      expect.objectContaining({ key, code: 'DLM_EXPORTER_CONFIG' }),
    );
    expect(() => setup(options as OtlpLogExportOptions)).toThrow(ExporterConfigError);
  });

  it.each([
    ['OTEL_EXPORTER_OTLP_LOGS_ENDPOINT', 'nope'],
    ['OTEL_EXPORTER_OTLP_PROTOCOL', 'http'],
    ['OTEL_EXPORTER_OTLP_LOGS_COMPRESSION', 'lz4'],
    ['OTEL_EXPORTER_OTLP_LOGS_TIMEOUT', 'later'],
  ])('%s=%j', (name, value) => {
    vi.stubEnv(name, value);
    expect(() => setup({ url: undefined })).toThrow(expect.objectContaining({ key: name }));
  });
});

describe('when the backend fails', () => {
  it('retries a 503 and counts one success', async () => {
    server.failNext(1, 503, { retryAfterSeconds: 1 });
    const { processor, aggregator } = setup();
    addLogs(aggregator);
    await aggregator.flush();
    expect(server.requests.map((r) => r.status)).toEqual([503, 200]);
    expectLogs();
    expect(processor.stats()).toMatchObject({ exported: 1, failed: 0, exportedItems: 3 });
  });

  it('counts a refused batch without repeating the API key', async () => {
    server.failNext(1, 401, { message: 'unknown key key-0123456789' });
    const { processor, aggregator } = setup({ protocol: 'http/json' });
    addLogs(aggregator);
    await aggregator.flush();
    expect(server.requests.map((r) => r.status)).toEqual([401]);
    const stats = processor.stats();
    expect(stats).toMatchObject({ exported: 0, failed: 1, failedItems: 3 });
    expect(stats.lastError).toContain('HTTP 401');
    expect(stats.lastError).toContain('unknown key [REDACTED]');
    expect(JSON.stringify(stats)).not.toContain('key-0123456789');
    // The batch is gone (OpenTelemetry does not keep refused batches); the next ones go through.
    aggregator.addLog({ message: 'after' });
    await aggregator.flush();
    expect(server.logs.map((log) => log.body)).toEqual(['after']);
    expect(processor.stats()).toMatchObject({ exported: 1, failed: 1 });
  });

  it('counts an unreachable backend as a failure and never throws into the app', async () => {
    const port = await freePort();
    const { processor, aggregator } = setup({ url: `http://127.0.0.1:${port}/v1/logs`, timeoutMillis: 500 });
    expect(() => addLogs(aggregator)).not.toThrow();
    await expect(aggregator.flush()).resolves.toBeUndefined();
    expect(processor.stats()).toMatchObject({ exported: 0, failed: 1, failedItems: 3 });
    expect(processor.stats().lastError).toContain('ECONNREFUSED');
    expect(aggregator.stats()).toMatchObject({ received: 3, stored: 3 });
  });

  it('gives up on a backend that never answers after timeoutMillis', async () => {
    server.hangNext(1);
    const { processor, aggregator } = setup({ timeoutMillis: 300 });
    addLogs(aggregator);
    await aggregator.flush();
    await server.waitFor(() => processor.stats().failed === 1, 5_000);
    expect(processor.stats().lastError).toMatch(/timed out/i);
  });

  it('counts records dropped from a full queue, so that every record is accounted for', async () => {
    server.hangNext(1);
    const { processor, aggregator } = setup({ timeoutMillis: 300, maxQueueSize: 5, maxExportBatchSize: 5 });
    for (let i = 0; i < 20; i++) aggregator.addLog({ message: `burst ${i}` });
    await aggregator.flush();
    await server.waitFor(() => processor.stats().failed >= 1, 5_000);
    await aggregator.flush();
    const stats = processor.stats();
    const received = server.logs.filter((log) => String(log.body).startsWith('burst')).length;
    expect(stats.dropped).toBeGreaterThan(0);
    // Delivered, failed for good, or dropped from the full queue: nothing else.
    expect(received + stats.failedItems + (stats.dropped ?? 0)).toBe(20);
    expect(received).toBe(stats.exportedItems);
  });

  it('a hung receiver fills the export queue: the store keeps every line, the export counts exactly what it dropped', async () => {
    server.hangNext(1000);
    const queue = 1000;
    const batch = 512;
    const { processor, aggregator } = setup({
      timeoutMillis: 1000,
      maxQueueSize: queue,
      maxExportBatchSize: batch,
    });
    const lines = 5000;
    for (let i = 0; i < lines; i++) {
      aggregator.addLog({ level: i % 50 === 0 ? LogLevel.ERROR : LogLevel.INFO, message: `hung ${i}` });
    }
    // The first full batch left for the receiver while the burst ran, and hangs there; the queue
    // then filled and the rest was dropped from this export, and from nothing else.
    expect(processor.stats().dropped).toBe(lines - queue - batch);
    expect(aggregator.stats()).toMatchObject({ received: lines, stored: lines, entries: lines, dropped: {} });
    const errors = aggregator.searchLogs({ minLevel: LogLevel.ERROR }, { limit: 1000 }).entries;
    expect(errors).toHaveLength(lines / 50);
    await server.waitFor(() => server.attempts >= 1, 5_000);
    await server.waitFor(() => processor.stats().failed >= 1, 5_000);
    expect(processor.stats()).toMatchObject({
      exported: 0,
      failedItems: batch,
      dropped: lines - queue - batch,
    });
    expect(server.logs).toHaveLength(0);
  });
});
