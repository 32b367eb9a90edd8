import { MetricsCollector } from '@datalineage/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../../../test/support/prometheus.js';
import { negotiateFormat, PrometheusReader } from '../../src/index.js';

function setup(options?: ConstructorParameters<typeof MetricsCollector>[0]) {
  const collector = new MetricsCollector(options);
  const reader = new PrometheusReader({ collector });
  const meterProvider = new MeterProvider({ readers: [reader] });
  return { collector, reader, meterProvider };
}

/** A collector with every metric type, labels included, as an app would have. */
function everyType() {
  const env = setup();
  const { collector } = env;
  collector.increment('operations.total');
  collector.increment('operations.total', { type: 'lineage' }, 3);
  collector.counter('http.requests', { description: 'HTTP requests.', labelNames: ['method', 'status'] });
  collector.increment('http.requests', { method: 'GET', status: '200' });
  collector.setGauge('memory.usage', 75.5);
  collector.gauge('heap.ratio', { unit: '1' }).set(0.25);
  collector.histogram('request.size', { unit: 'By', buckets: [100, 1000, 10000] }).observe(512);
  collector.recordHistogram('response.time', 0.25, { route: '/api/lineage' });
  collector.timer('operation.duration').stop();
  for (let i = 1; i <= 100; i++) collector.recordSummary('lineage.latency', i / 100, { stage: 'load' });
  env.meterProvider
    .getMeter('app')
    .createCounter('otel.native.calls', { description: 'From the OTel API.' })
    .add(2, { via: 'otel' });
  return env;
}

describe('Prometheus text exposition', () => {
  it('translates the guide names and units to Prometheus conventions', async () => {
    const { reader } = everyType();
    const { body, contentType, status } = await reader.scrape();
    expect(status).toBe(200);
    expect(contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(body).toContain(
      '# TYPE operations_total counter\noperations_total 1\noperations_total{type="lineage"} 3\n',
    );
    expect(body).toContain('http_requests_total{method="GET",status="200"} 1');
    expect(body).toContain('# TYPE memory_usage gauge\nmemory_usage 75.5\n');
    expect(body).toContain('heap_ratio 0.25');
    expect(body).toContain('request_size_bytes_bucket{le="1000"} 1');
    expect(body).toContain('request_size_bytes_bucket{le="+Inf"} 1');
    expect(body).toContain('response_time_bucket{route="/api/lineage",le="0.25"} 1');
    expect(body).toContain('# TYPE operation_duration_seconds histogram');
    expect(body).toContain('otel_native_calls_total{via="otel"} 2');
    expect(body).not.toContain('operations_total_total');
  });

  it('renders summaries as real Prometheus summaries', async () => {
    const { reader } = everyType();
    const { body } = await reader.scrape();
    expect(body).toContain('# TYPE lineage_latency summary\n');
    const q99 = body.match(/lineage_latency\{stage="load",quantile="0.99"\} (\S+)/);
    expect(Math.abs(Number(q99?.[1]) - 0.99) / 0.99).toBeLessThanOrEqual(0.01);
    expect(body).toContain('lineage_latency_sum{stage="load"} 50.5');
    expect(body).toContain('lineage_latency_count{stage="load"} 100');
    // the OpenTelemetry companions of the summary are not rendered a second time
    expect(body.match(/# TYPE lineage_latency/g)).toHaveLength(1);
  });

  it('passes promtool check metrics with no error and no lint warning', async () => {
    const { reader } = everyType();
    const { body } = await reader.scrape();
    const result = await promtoolCheckMetrics(body);
    expect(result.output).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('escapes label values and help text', async () => {
    const { collector, reader } = setup();
    collector.counter('escapes', { description: 'back\\slash and\nnewline' });
    collector.increment('escapes', { path: 'C:\\dir "quoted"\nnext', unicode: 'ünï😀' });
    const { body } = await reader.scrape();
    expect(body).toContain('# HELP escapes_total back\\\\slash and\\nnewline\n');
    expect(body).toContain('escapes_total{path="C:\\\\dir \\"quoted\\"\\nnext",unicode="ünï😀"} 1');
    const result = await promtoolCheckMetrics(body);
    expect(result.output).toBe('');
  });

  it('serves the rest and counts the failure when a collect callback throws or rejects', async () => {
    const { collector, reader, meterProvider } = setup();
    collector.setGauge('healthy', 1);
    collector.gauge('throws', {
      collect: () => {
        throw new Error('sync failure');
      },
    });
    collector.gauge('rejects', { collect: () => Promise.reject(new Error('async failure')) });
    meterProvider
      .getMeter('app')
      .createObservableGauge('otel.broken')
      .addCallback(() => {
        throw new Error('otel callback failure');
      });
    const first = await reader.scrape();
    expect(first.status).toBe(200);
    expect(first.body).toContain('healthy 1');
    expect(first.body).not.toContain('# TYPE throws');
    expect(first.body).not.toContain('# TYPE rejects');
    expect(first.errors).toHaveLength(3);
    const second = await reader.scrape();
    expect(second.body).toContain('datalineage_monitoring_collection_errors_total{reader="prometheus"} 3');
    expect(collector.stats().collectionErrors).toBe(6);
  });

  it('times out a collect callback that never settles, serving the rest', async () => {
    const collector = new MetricsCollector({ collectTimeoutMillis: 50 });
    const reader = new PrometheusReader({ collector });
    new MeterProvider({ readers: [reader] });
    collector.setGauge('healthy', 1);
    collector.gauge('hangs', { collect: () => new Promise<void>(() => {}) });
    const started = performance.now();
    const scrape = await reader.scrape();
    expect(performance.now() - started).toBeLessThan(2000);
    expect(scrape.body).toContain('healthy 1');
    expect(scrape.body).not.toContain('# TYPE hangs');
    expect(String(scrape.errors[0])).toMatch(/timed out/);
  });

  it('answers 503 instead of throwing when the reader is not attached to a MeterProvider', async () => {
    const reader = new PrometheusReader({ collector: new MetricsCollector() });
    const scrape = await reader.scrape();
    expect(scrape.status).toBe(503);
    expect(scrape.body).toMatch(/collection failed/);
  });
});

describe('OpenMetrics', () => {
  it('is served when the scraper prefers it, as Prometheus does', async () => {
    const { reader } = everyType();
    const prometheusAccept =
      'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const { body, contentType } = await reader.scrape(prometheusAccept);
    expect(contentType).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(body.endsWith('# EOF\n')).toBe(true);
    expect(body).toContain('# TYPE operations counter\noperations_total 1\n');
    expect(body).toContain('# TYPE request_size_bytes histogram\n# UNIT request_size_bytes bytes\n');
    expect(body).toContain('# TYPE lineage_latency summary\n');
  });

  it('negotiates by quality', () => {
    expect(negotiateFormat(undefined)).toBe('text');
    expect(negotiateFormat('text/plain')).toBe('text');
    expect(negotiateFormat('application/openmetrics-text; version=1.0.0')).toBe('openmetrics');
    expect(negotiateFormat('application/openmetrics-text;q=0.2,text/plain;q=0.9')).toBe('text');
  });
});
