import { DataPointType } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../src/index.js';
import { collect, metric, value } from './support.js';

describe('MetricsCollector by-name API', () => {
  it('counts the guide examples, with and without labels', async () => {
    const collector = new MetricsCollector();
    collector.increment('operations.total');
    collector.increment('operations.total', { type: 'lineage' });
    collector.increment('operations.total', { type: 'lineage' }, 2.5);
    expect(await value(collector, 'operations.total')).toBe(1);
    expect(await value(collector, 'operations.total', { type: 'lineage' })).toBe(3.5);
  });

  it('treats label sets in any key order as one series', async () => {
    const collector = new MetricsCollector();
    collector.increment('requests.total', { method: 'POST', status: '200' });
    collector.increment('requests.total', { status: '200', method: 'POST' });
    const data = await metric(collector, 'requests.total');
    expect(data?.dataPoints).toHaveLength(1);
    expect(await value(collector, 'requests.total', { method: 'POST', status: '200' })).toBe(2);
  });

  it('keeps label values containing the key separator apart from look-alike label sets', async () => {
    const collector = new MetricsCollector();
    collector.increment('sep.total', { a: 'x', b: 'y' });
    collector.increment('sep.total', { a: 'x\0b\0y' });
    collector.increment('sep.total', { a: 'x\0b\0y' });
    expect(await value(collector, 'sep.total', { a: 'x', b: 'y' })).toBe(1);
    expect(await value(collector, 'sep.total', { a: 'x\0b\0y' })).toBe(2);
  });

  it('sets gauges, last value wins, per label set', async () => {
    const collector = new MetricsCollector();
    collector.setGauge('memory.usage', 75.5);
    collector.setGauge('queue.size', 42, { queue: 'a' });
    collector.setGauge('queue.size', 7, { queue: 'a' });
    expect(await value(collector, 'memory.usage')).toBe(75.5);
    expect(await value(collector, 'queue.size', { queue: 'a' })).toBe(7);
    const data = await metric(collector, 'queue.size');
    expect(data?.dataPointType).toBe(DataPointType.GAUGE);
  });

  it('buckets histogram observations with inclusive upper bounds (le)', async () => {
    const collector = new MetricsCollector();
    collector.histogram('request.size', { buckets: [1, 10, 100] });
    for (const v of [0.5, 1, 5, 10, 50, 1000]) collector.recordHistogram('request.size', v);
    const data = await metric(collector, 'request.size');
    expect(data?.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = data?.dataPoints[0]?.value as {
      buckets: { counts: number[] };
      sum: number;
      count: number;
      min: number;
      max: number;
    };
    expect(point.buckets.counts).toEqual([2, 2, 1, 1]);
    expect(point.count).toBe(6);
    expect(point.sum).toBe(1066.5);
    expect([point.min, point.max]).toEqual([0.5, 1000]);
  });

  it('uses prom-client default buckets in seconds for histograms and timers', async () => {
    const collector = new MetricsCollector();
    collector.recordHistogram('response.time', 0.25);
    const data = await metric(collector, 'response.time');
    const point = data?.dataPoints[0]?.value as { buckets: { boundaries: number[] } };
    expect(point.buckets.boundaries).toEqual([0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]);
  });

  it('reports summary quantiles, sum and count', async () => {
    const collector = new MetricsCollector();
    for (let i = 1; i <= 10_000; i++) collector.recordSummary('latency', i);
    const { metrics } = await collect(collector);
    const quantiles = metrics.find((m) => m.descriptor.name === 'latency');
    const byQuantile = new Map(quantiles?.dataPoints.map((p) => [p.attributes.quantile, p.value as number]));
    for (const [q, exact] of [
      ['0.5', 5000],
      ['0.9', 9000],
      ['0.99', 9900],
    ] as const) {
      expect(Math.abs((byQuantile.get(q) as number) - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(await value(collector, 'latency_sum')).toBe(50_005_000);
    expect(await value(collector, 'latency_count')).toBe(10_000);
  });
});

describe('explicit definitions', () => {
  it('returns typed handles whose bound series skip label resolution', async () => {
    const collector = new MetricsCollector();
    const counter = collector.counter('jobs.total', { labelNames: ['queue'] });
    const bound = counter.bind({ queue: 'default' });
    for (let i = 0; i < 1000; i++) bound.inc();
    counter.inc({ queue: 'default' }, 5);
    expect(await value(collector, 'jobs.total', { queue: 'default' })).toBe(1005);

    const gauge = collector.gauge('workers').bind({ pool: 'a' });
    gauge.set(3);
    gauge.inc();
    gauge.dec(2);
    expect(await value(collector, 'workers', { pool: 'a' })).toBe(2);
  });

  it('returns the same metric when defined twice alike, and refuses a different type or options', () => {
    const collector = new MetricsCollector();
    const a = collector.counter('x.total', { labelNames: ['a'] });
    expect(collector.counter('x.total', { labelNames: ['a'] }).name).toBe(a.name);
    expect(() => collector.gauge('x.total')).toThrow(/already defined as a counter/);
    expect(() => collector.counter('x.total', { labelNames: ['b'] })).toThrow(/different labelNames/);
  });

  it('refuses names that collide once translated for Prometheus', () => {
    const collector = new MetricsCollector();
    collector.counter('http.requests');
    expect(() => collector.counter('http_requests_total')).toThrow(/http_requests_total.*already uses/);
    collector.histogram('payload');
    expect(() => collector.gauge('payload_count')).toThrow(/payload_count/);
  });

  it('fails fast on a bad name, bad buckets or a reserved label', () => {
    const collector = new MetricsCollector();
    expect(() => collector.counter('9lives')).toThrow(/Invalid metric name/);
    expect(() => collector.histogram('h', { buckets: [1, 1] })).toThrow(/strictly increasing/);
    expect(() => collector.histogram('h2', { labelNames: ['le'] })).toThrow(/reserved/);
    expect(() => collector.summary('s', { quantiles: [1.5] })).toThrow(/\(0, 1\)/);
  });

  it('runs collect callbacks before each collection', async () => {
    const collector = new MetricsCollector();
    let calls = 0;
    collector.gauge('calls', {
      collect: () => {
        calls++;
        collector.setGauge('calls', calls);
      },
    });
    expect(await value(collector, 'calls')).toBe(1);
    expect(await value(collector, 'calls')).toBe(2);
  });
});

describe('bounds', () => {
  it('sends label sets past the cardinality limit to one overflow series, losing no count', async () => {
    const collector = new MetricsCollector({ cardinalityLimit: 10 });
    for (let i = 0; i < 25; i++) collector.increment('users.total', { user: `u${i}` });
    const data = await metric(collector, 'users.total');
    expect(data?.dataPoints).toHaveLength(11);
    expect(await value(collector, 'users.total', { otel_metric_overflow: 'true' })).toBe(15);
    const total = data?.dataPoints.reduce((sum, p) => sum + (p.value as number), 0);
    expect(total).toBe(25);
  });

  it('caps series across all metrics with maxSeries, whatever their names', async () => {
    const collector = new MetricsCollector({ maxSeries: 10 });
    // Each metric takes one slot for its overflow series and one per series: five fit.
    for (let i = 0; i < 20; i++) collector.setGauge(`g${i}`, i, { k: 'v' });
    collector.setGauge('g0', 1, { k: 'w' }); // no room for a series: the metric's overflow series
    const { metrics } = await collect(collector);
    const gauges = metrics.filter((m) => /^g\d+$/.test(m.descriptor.name));
    expect(gauges.map((m) => m.descriptor.name)).toEqual(['g0', 'g1', 'g2', 'g3', 'g4']);
    expect(gauges.flatMap((m) => m.dataPoints.map((p) => p.attributes))).toHaveLength(6);
    expect(gauges[0]?.dataPoints.map((p) => p.attributes)).toEqual([
      { k: 'v' },
      { otel_metric_overflow: 'true' },
    ]);
    expect(collector.stats().droppedByReason).toEqual({ series_limit: 15 });
  });

  it('expires series idle for longer than idleSeriesExpiry, and bound handles come back', async () => {
    let now = 1_000_000;
    const collector = new MetricsCollector({ idleSeriesExpiry: 60, now: () => now });
    const busy = collector.counter('busy.total').bind({ k: 'busy' });
    collector.increment('idle.total', { k: 'idle' });
    busy.inc();
    for (let minute = 1; minute <= 3; minute++) {
      now += 30_000;
      busy.inc();
      collector.sweepIdleSeries();
      now += 30_000;
      busy.inc();
      collector.sweepIdleSeries();
    }
    expect(await value(collector, 'idle.total', { k: 'idle' })).toBeUndefined();
    expect(await value(collector, 'busy.total', { k: 'busy' })).toBe(7);
    expect(collector.stats().expiredSeries).toBe(1);

    // the busy handle's series expires too once idle, then a new inc recreates it
    now += 200_000;
    collector.sweepIdleSeries();
    now += 200_000;
    collector.sweepIdleSeries();
    expect(await value(collector, 'busy.total', { k: 'busy' })).toBeUndefined();
    busy.inc();
    expect(await value(collector, 'busy.total', { k: 'busy' })).toBe(1);
  });
});
