// Review findings turned into regression tests: label resolution at its edges, definitions,
// handles after sweeps, and the SDK's own metrics.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MetricsCollector } from '../../src/index.js';
import { collect, dropped, metric, value } from './support.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('label resolution at the edges', () => {
  it('treats null labels as no labels, and never throws', async () => {
    const collector = new MetricsCollector();
    const nothing = null as unknown as undefined;
    expect(() => {
      collector.increment('nulls', nothing);
      collector.setGauge('nulls.gauge', 2, nothing);
      collector.recordHistogram('nulls.hist', 1, nothing);
    }).not.toThrow();
    expect(await value(collector, 'nulls')).toBe(1);
    expect(await value(collector, 'nulls.gauge')).toBe(2);
  });

  it('drops a labels object whose getter throws', async () => {
    const collector = new MetricsCollector();
    const hostile = Object.defineProperty({}, 'route', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    expect(() => collector.increment('hostile', hostile)).not.toThrow();
    expect(await dropped(collector, 'invalid_label_value')).toBe(1);
  });

  it('drops a non-object labels argument', async () => {
    const collector = new MetricsCollector();
    collector.increment('odd', 42 as unknown as undefined);
    expect(await dropped(collector, 'invalid_label_value')).toBe(1);
    expect(await value(collector, 'odd')).toBeUndefined();
  });

  it('reserves the overflow label, so no series can pose as the overflow series', async () => {
    const collector = new MetricsCollector({ cardinalityLimit: 1 });
    collector.increment('ov', { otel_metric_overflow: 'true' });
    collector.increment('ov', { a: '1' });
    collector.increment('ov', { a: '2' });
    expect(await dropped(collector, 'reserved_label')).toBe(1);
    const data = await metric(collector, 'ov');
    expect(data?.dataPoints.map((p) => [p.attributes, p.value])).toEqual([
      [{ a: '1' }, 1],
      [{ otel_metric_overflow: 'true' }, 1],
    ]);
  });

  it('stays correct when alias paths for many key orders force rebuilds', async () => {
    const collector = new MetricsCollector({ cardinalityLimit: 3 });
    const orders = [
      (i: number) => ({ a: `${i}`, b: 'x', c: 'y' }),
      (i: number) => ({ c: 'y', b: 'x', a: `${i}` }),
      (i: number) => ({ b: 'x', a: `${i}`, c: 'y' }),
      (i: number) => ({ c: 'y', a: `${i}`, b: 'x' }),
    ];
    for (let round = 0; round < 50; round++) {
      for (const order of orders) for (let i = 0; i < 3; i++) collector.increment('orders', order(i));
    }
    for (let i = 0; i < 3; i++)
      expect(await value(collector, 'orders', { a: `${i}`, b: 'x', c: 'y' })).toBe(200);
    expect((await metric(collector, 'orders'))?.dataPoints).toHaveLength(3);
  });
});

describe('definitions', () => {
  it('lets an explicit definition adopt a metric first used by name: help text, callback, limit', async () => {
    const collector = new MetricsCollector();
    collector.setGauge('queue.size', 0);
    let calls = 0;
    collector.gauge('queue.size', {
      description: 'Jobs waiting.',
      cardinalityLimit: 7,
      collect: () => {
        calls++;
        collector.setGauge('queue.size', 5);
      },
    });
    const data = await metric(collector, 'queue.size');
    expect(calls).toBe(1);
    expect(data?.descriptor.description).toBe('Jobs waiting.');
    expect(data?.dataPoints[0]?.value).toBe(5);
    expect(collector.listMetrics().find((m) => m.name === 'queue.size')?.description).toBe('Jobs waiting.');
  });

  it('refuses to change the shape of a metric already used by name', () => {
    const collector = new MetricsCollector();
    collector.recordHistogram('size', 3);
    expect(() => collector.histogram('size', { buckets: [1, 2] })).toThrow(/already used by name.*buckets/);
  });

  it('refuses a second explicit definition with other help text or callback', () => {
    const collector = new MetricsCollector();
    collector.counter('jobs', { description: 'Jobs.' });
    expect(collector.counter('jobs', { description: 'Jobs.' }).name).toBe('jobs');
    expect(() => collector.counter('jobs', { description: 'Other.' })).toThrow(/different description/);
    expect(() => collector.counter('jobs', { collect: () => {} })).toThrow(/different collect callback/);
  });

  it('refuses summary settings the sketch cannot honour, at definition', () => {
    const collector = new MetricsCollector();
    expect(() => collector.summary('s1', { relativeAccuracy: 1e-7 })).toThrow(RangeError);
    expect(() => collector.summary('s2', { ageBuckets: 5000 })).toThrow(/ageBuckets/);
    expect(() => new MetricsCollector({ summary: { ageBuckets: 5000 } })).toThrow(/ageBuckets/);
    expect(() => collector.recordSummary('s3', 1)).not.toThrow();
  });

  it('refuses declared label names that collide once translated', () => {
    const collector = new MetricsCollector();
    expect(() => collector.counter('c', { labelNames: ['a.b', 'a_b'] })).toThrow(/both "a_b"/);
    expect(() => collector.counter('c2', { labelNames: ['otel_metric_overflow'] })).toThrow(/reserved/);
  });

  it("reserves a counter's OpenMetrics family name", () => {
    const collector = new MetricsCollector();
    collector.counter('queue.size');
    expect(() => collector.gauge('queue_size')).toThrow(/queue_size/);
  });

  it('refuses names that would translate to nothing', () => {
    const collector = new MetricsCollector();
    expect(() => collector.gauge('_')).toThrow(/Invalid metric name/);
    expect(() => collector.gauge('__')).toThrow(/Invalid metric name/);
  });
});

describe('bounds and the SDK’s own metrics', () => {
  it('moves a bound handle off the overflow series once a sweep makes room', async () => {
    let now = 0;
    const collector = new MetricsCollector({ cardinalityLimit: 1, idleSeriesExpiry: 10, now: () => now });
    collector.increment('h', { k: 'a' });
    const handle = collector.counter('h').bind({ k: 'b' });
    handle.inc();
    expect(await value(collector, 'h', { otel_metric_overflow: 'true' })).toBe(1);
    // {k:"a"} goes idle; the handle keeps writing (to the overflow series) until the sweep.
    for (let step = 0; step < 3; step++) {
      now += 6000;
      handle.inc();
      collector.sweepIdleSeries();
    }
    handle.inc();
    expect(await value(collector, 'h', { k: 'a' })).toBeUndefined();
    expect(await value(collector, 'h', { k: 'b' })).toBe(1);
  });

  it('keeps counting drops by reason when the series budget is exhausted', async () => {
    const collector = new MetricsCollector({ maxSeries: 2 });
    collector.counter('c');
    collector.gauge('d'); // two metrics: each holds its overflow slot, and the budget is spent
    collector.setGauge('a', 1, { k: '1' });
    collector.increment('c', undefined, -1);
    collector.setGauge('d', Number.NaN);
    expect(await dropped(collector, 'series_limit')).toBe(1);
    expect(await dropped(collector, 'negative_increment')).toBe(1);
    expect(await dropped(collector, 'nan')).toBe(1);
  });

  it('slides summary windows without start(), so recent observations are not lost', async () => {
    vi.useFakeTimers();
    let now = 1_000_000;
    const collector = new MetricsCollector({ now: () => now, summary: { maxAgeSeconds: 60, ageBuckets: 3 } });
    collector.recordSummary('lat', 1);
    now += 10 * 60_000;
    vi.advanceTimersByTime(10 * 60_000);
    collector.recordSummary('lat', 2);
    const data = (await collect(collector)).metrics.find((m) => m.descriptor.name === 'lat');
    const median = data?.dataPoints.find((p) => p.attributes.quantile === '0.5')?.value as number;
    expect(Math.abs(median - 2) / 2).toBeLessThanOrEqual(0.01);
    collector.stop();
  });
});

describe('collect callbacks', () => {
  it('awaits a non-native thenable', async () => {
    const collector = new MetricsCollector();
    collector.gauge('thenable', {
      collect: () =>
        ({
          // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
          then(resolve: () => void) {
            collector.setGauge('thenable', 9);
            resolve();
          },
        }) as unknown as Promise<void>,
    });
    expect(await value(collector, 'thenable')).toBe(9);
  });

  it('does not start a callback again while the last call still runs', async () => {
    const collector = new MetricsCollector({ collectTimeoutMillis: 20 });
    let calls = 0;
    collector.gauge('slow', {
      collect: () => {
        calls++;
        return new Promise<void>(() => {});
      },
    });
    const first = await collect(collector);
    const second = await collect(collector);
    expect(calls).toBe(1);
    expect(String(first.errors[0])).toMatch(/timed out/);
    expect(String(second.errors[0])).toMatch(/still running/);
  });

  it('times callbacks out below Prometheus’ default 10 s scrape timeout', async () => {
    vi.useFakeTimers();
    const collector = new MetricsCollector();
    collector.gauge('hangs', { collect: () => new Promise<void>(() => {}) });
    const pending = collect(collector);
    await vi.advanceTimersByTimeAsync(5000);
    const { errors } = await pending;
    expect(String(errors[0])).toMatch(/timed out after 5000 ms/);
  });
});
