import type { Histogram as HistogramValue } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import { MetricsCollector } from '../../src/index.js';
import { metric } from './support.js';

async function observations(collector: MetricsCollector, name: string) {
  const data = await metric(collector, name);
  return (data?.dataPoints ?? []).map((p) => ({
    attributes: p.attributes,
    count: (p.value as HistogramValue).count,
    sum: (p.value as HistogramValue).sum ?? 0,
  }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('timers', () => {
  it('records a `using` block in seconds, once', async () => {
    const collector = new MetricsCollector();
    {
      using timer = collector.timer('block.duration', { step: 'a' });
      await sleep(20);
      void timer;
    }
    const [series] = await observations(collector, 'block.duration');
    expect(series?.attributes).toEqual({ step: 'a' });
    expect(series?.count).toBe(1);
    expect(series?.sum).toBeGreaterThanOrEqual(0.015);
    expect(series?.sum).toBeLessThan(1);
  });

  it('stop() returns the seconds recorded and records only once', async () => {
    const collector = new MetricsCollector();
    const timer = collector.timer('stop.duration');
    await sleep(10);
    const seconds = timer.stop();
    expect(timer.stop()).toBe(seconds);
    const [series] = await observations(collector, 'stop.duration');
    expect(series?.count).toBe(1);
    expect(series?.sum).toBe(seconds);
  });

  it('time() returns sync results and labels the outcome', async () => {
    const collector = new MetricsCollector();
    expect(collector.time('sync.duration', () => 41 + 1)).toBe(42);
    const [series] = await observations(collector, 'sync.duration');
    expect(series?.attributes).toEqual({ outcome: 'success' });
  });

  it('time() rethrows the very error a sync function throws, after recording it', async () => {
    const collector = new MetricsCollector();
    const boom = new RangeError('boom');
    let caught: unknown;
    try {
      collector.time(
        'failing.duration',
        () => {
          throw boom;
        },
        { job: 'x' },
      );
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    const [series] = await observations(collector, 'failing.duration');
    expect(series?.attributes).toEqual({ job: 'x', outcome: 'error' });
    expect(series?.count).toBe(1);
  });

  it('time() returns the same promise for async functions and records when it settles', async () => {
    const collector = new MetricsCollector();
    const promise = Promise.resolve(7);
    expect(collector.time('async.duration', () => promise)).toBe(promise);
    await promise;
    await sleep(0);
    const boom = new Error('async boom');
    await expect(
      collector.time('async.duration', async () => {
        await sleep(5);
        throw boom;
      }),
    ).rejects.toBe(boom);
    const series = await observations(collector, 'async.duration');
    expect(series.map((s) => [s.attributes.outcome, s.count]).sort()).toEqual([
      ['error', 1],
      ['success', 1],
    ]);
  });

  it('awaits a foreign thenable once', async () => {
    const collector = new MetricsCollector();
    let subscriptions = 0;
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a thenable is what this test is about
      then(resolve: (v: string) => void) {
        subscriptions++;
        resolve('done');
      },
    };
    const result = await collector.time('thenable.duration', () => thenable);
    expect(result).toBe('done');
    expect(subscriptions).toBe(1);
  });

  it('timed() works as a standard method decorator, keeping this and rethrowing errors', async () => {
    const collector = new MetricsCollector();
    class Service {
      factor = 3;
      @collector.timed('service.run', { service: 'svc' })
      run(x: number): number {
        if (x < 0) throw new TypeError('negative');
        return x * this.factor;
      }
      @collector.timed('service.load')
      async load(): Promise<string> {
        await sleep(1);
        return 'loaded';
      }
    }
    const service = new Service();
    expect(service.run(2)).toBe(6);
    expect(() => service.run(-1)).toThrow(TypeError);
    expect(await service.load()).toBe('loaded');
    expect(service.run.name).toBe('run');
    const run = await observations(collector, 'service.run');
    expect(run.map((s) => [s.attributes.outcome, s.attributes.service, s.count]).sort()).toEqual([
      ['error', 'svc', 1],
      ['success', 'svc', 1],
    ]);
    expect((await observations(collector, 'service.load'))[0]?.count).toBe(1);
  });

  it('timed() wraps plain functions, keeping name and length', async () => {
    const collector = new MetricsCollector();
    function add(a: number, b: number): number {
      return a + b;
    }
    const timedAdd = collector.timed('add.duration')(add);
    expect(timedAdd(1, 2)).toBe(3);
    expect(timedAdd.name).toBe('add');
    expect(timedAdd.length).toBe(2);
    expect((await observations(collector, 'add.duration'))[0]?.count).toBe(1);
  });

  it('names timer histograms in seconds for Prometheus', () => {
    const collector = new MetricsCollector();
    collector.timer('operation.duration').stop();
    expect(collector.listMetrics().find((m) => m.name === 'operation.duration')?.prometheusName).toBe(
      'operation_duration_seconds',
    );
  });
});
