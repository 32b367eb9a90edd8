// The exposition stays valid whatever the OpenTelemetry instruments beside the collector do.
import { diagnostics, MetricsCollector } from '@datalineage/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../../../test/support/prometheus.js';
import { PrometheusReader } from '../../src/index.js';

afterEach(() => {
  diagnostics.setLevel('error');
  diagnostics.setSink(console);
});

function setup() {
  const collector = new MetricsCollector();
  const reader = new PrometheusReader({ collector });
  const meter = new MeterProvider({ readers: [reader] }).getMeter('app');
  return { collector, reader, meter };
}

describe('OpenTelemetry instruments beside the collector', () => {
  it('makes their attributes valid Prometheus labels', async () => {
    const { reader, meter } = setup();
    meter.createCounter('user.calls').add(1, { 'a.b': 'x', a_b: 'y', '': 'empty', ok: true, n: 3 });
    meter
      .createHistogram('user.size', { advice: { explicitBucketBoundaries: [1, 2] } })
      .record(1.5, { le: 'mine' });
    const { body } = await reader.scrape();
    expect(body).toContain('user_calls_total{a_b="x;y",n="3",ok="true"} 1');
    expect(body).toContain('user_size_bucket{exported_le="mine",le="2"} 1');
    const check = await promtoolCheckMetrics(body);
    expect(check.output).toBe('');
    expect(check.exitCode).toBe(0);
  });

  it('does not read unit words from Object.prototype', async () => {
    const { reader, meter } = setup();
    meter.createUpDownCounter('pool.usage', { unit: 'constructor' }).add(1);
    meter.createUpDownCounter('pool.other', { unit: '__proto__' }).add(1);
    const { body } = await reader.scrape();
    expect(body).toContain('pool_usage_constructor 1');
    expect(body).not.toContain('function');
    expect(body).not.toContain('[object');
    expect((await promtoolCheckMetrics(body)).exitCode).toBe(0);
  });

  it('leaves out, with one warning, an instrument whose name a metric of another kind already has', async () => {
    const warnings: string[] = [];
    diagnostics.setLevel('warn');
    diagnostics.setSink({ error() {}, warn: (m) => warnings.push(m), info() {}, debug() {} });
    const { collector, reader, meter } = setup();
    collector.setGauge('jobs.done', 3);
    meter.createCounter('jobs.done').add(1); // OpenMetrics family "jobs_done" too
    const text = (await reader.scrape()).body;
    expect(text).toContain('# TYPE jobs_done gauge\njobs_done 3\n');
    expect(text).toContain('# TYPE jobs_done_total counter\njobs_done_total 1\n');
    expect((await promtoolCheckMetrics(text)).exitCode).toBe(0);
    const openMetrics = (await reader.scrape('application/openmetrics-text;version=1.0.0')).body;
    expect(openMetrics.match(/# TYPE jobs_done /g)).toHaveLength(1);
    expect(openMetrics).not.toContain('jobs_done_total');
    expect(warnings.filter((w) => w.includes('DLM_EXPOSITION_NAME_CLASH'))).toHaveLength(1);
  });

  it('renders an instrument that repeats a collector metric of the same kind once', async () => {
    const { collector, reader, meter } = setup();
    collector.increment('jobs.total', { k: 'a' }, 5);
    meter.createCounter('jobs_total').add(1, { k: 'a' });
    meter.createCounter('jobs_total_other');
    const { body } = await reader.scrape();
    expect(body.match(/^jobs_total\{k="a"\}/gm)).toEqual(['jobs_total{k="a"}']);
    expect(body).toContain('jobs_total{k="a"} 5');
    expect((await promtoolCheckMetrics(body)).output).toBe('');
  });
});

describe('two producers on one reader', () => {
  it('renders each summary from its own data and each series once', async () => {
    const first = new MetricsCollector();
    const second = new MetricsCollector();
    const reader = new PrometheusReader({ collector: first, metricProducers: [second.metricProducer] });
    new MeterProvider({ readers: [reader] });
    first.recordSummary('latency', 1, { source: 'first' });
    second.recordSummary('latency', 2, { source: 'second' });
    const { body } = await reader.scrape();
    expect(body.match(/latency_count\{source="first"\} 1/g)).toHaveLength(1);
    expect(body.match(/latency_count\{source="second"\} 1/g)).toHaveLength(1);
    expect(body.match(/^datalineage_monitoring_series /gm)).toHaveLength(1);
    expect((await promtoolCheckMetrics(body)).output).toBe('');
  });
});

describe('OpenMetrics details', () => {
  const accept = 'application/openmetrics-text;version=1.0.0';

  it('escapes double quotes in HELP', async () => {
    const { collector, reader } = setup();
    collector.counter('quoted', { description: 'say "hi"' });
    const { body } = await reader.scrape(accept);
    expect(body).toContain('# HELP quoted say \\"hi\\"\n');
    expect((await reader.scrape()).body).toContain('# HELP quoted_total say "hi"\n');
  });

  it('omits _sum where observations were negative', async () => {
    const { collector, reader } = setup();
    collector.histogram('delta', { buckets: [0] }).observe(-1);
    collector.recordSummary('skew', -5);
    const { body } = await reader.scrape(accept);
    expect(body).not.toContain('delta_sum');
    expect(body).not.toContain('skew_sum');
    expect(body).toContain('delta_count 1');
    expect((await reader.scrape()).body).toContain('delta_sum -1');
  });
});
