// Every bad input on the record path: no throw, a counted drop with its reason, one diagnostic.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { diagnostics, MetricsCollector } from '../../src/index.js';
import { collect, dropped, value } from './support.js';

let warnings: string[];

beforeEach(() => {
  warnings = [];
  diagnostics.setLevel('warn');
  diagnostics.setSink({
    error: (m) => warnings.push(m),
    warn: (m) => warnings.push(m),
    info() {},
    debug() {},
  });
});

afterEach(() => {
  diagnostics.setLevel('error');
  diagnostics.setSink(console);
});

const asAny = <T>(v: unknown): T => v as T;

const cases: Array<{ name: string; reason: string; record: (c: MetricsCollector, metric: string) => void }> =
  [
    { name: 'NaN counter increment', reason: 'nan', record: (c, m) => c.increment(m, undefined, Number.NaN) },
    {
      name: 'infinite counter increment',
      reason: 'infinite',
      record: (c, m) => c.increment(m, undefined, Infinity),
    },
    {
      name: 'negative counter increment',
      reason: 'negative_increment',
      record: (c, m) => c.increment(m, undefined, -1),
    },
    {
      name: 'string counter increment',
      reason: 'not_a_number',
      record: (c, m) => c.increment(m, undefined, asAny('1')),
    },
    { name: 'NaN gauge', reason: 'nan', record: (c, m) => c.setGauge(m, Number.NaN) },
    { name: '-Infinity gauge', reason: 'infinite', record: (c, m) => c.setGauge(m, -Infinity) },
    { name: 'NaN histogram observation', reason: 'nan', record: (c, m) => c.recordHistogram(m, Number.NaN) },
    {
      name: 'infinite summary observation',
      reason: 'infinite',
      record: (c, m) => c.recordSummary(m, Infinity),
    },
    {
      name: 'undefined summary observation',
      reason: 'not_a_number',
      record: (c, m) => c.recordSummary(m, asAny(undefined)),
    },
    {
      name: 'numeric label value',
      reason: 'invalid_label_value',
      record: (c, m) => c.increment(m, asAny({ status: 200 })),
    },
    {
      name: 'object label value',
      reason: 'invalid_label_value',
      record: (c, m) => c.setGauge(m, 1, asAny({ user: { id: 1 } })),
    },
    {
      name: 'label name with a space',
      reason: 'invalid_label_name',
      record: (c, m) => c.increment(m, { 'bad name': 'x' }),
    },
    {
      name: 'reserved le label on a histogram',
      reason: 'reserved_label',
      record: (c, m) => c.recordHistogram(m, 1, { le: '1' }),
    },
    { name: 'invalid metric name', reason: 'invalid_metric_name', record: (c) => c.increment('9 lives') },
  ];

describe('bad input on the record path', () => {
  for (const [index, { name, reason, record }] of cases.entries()) {
    it(`drops a ${name}, counts it as reason="${reason}" and warns once`, async () => {
      const collector = new MetricsCollector();
      const metric = `bad_input_${index}`;
      expect(() => {
        for (let i = 0; i < 5; i++) record(collector, metric);
      }).not.toThrow();
      expect(await dropped(collector, reason)).toBe(5);
      expect(collector.stats().droppedByReason[reason]).toBe(5);
      const mine = warnings.filter((w) => w.includes(`DLM_DROPPED_${reason.toUpperCase()}`));
      expect(mine).toHaveLength(1);
      // the metric holds no series for the dropped measurements
      const data = (await collect(collector)).metrics.find((m) => m.descriptor.name === metric);
      expect(data?.dataPoints ?? []).toHaveLength(0);
    });
  }

  it('drops labels not declared in labelNames', async () => {
    const collector = new MetricsCollector();
    const counter = collector.counter('http.requests', { labelNames: ['method'] });
    counter.inc({ method: 'GET' });
    expect(() => counter.inc({ method: 'GET', user: 'alice' })).not.toThrow();
    collector.increment('http.requests', { path: '/x' });
    expect(await dropped(collector, 'undeclared_label')).toBe(2);
    expect(await value(collector, 'http.requests', { method: 'GET' })).toBe(1);
    expect(warnings.filter((w) => w.includes('DLM_DROPPED_UNDECLARED_LABEL'))).toHaveLength(1);
  });

  it('drops a by-name call that uses an existing metric as another type', async () => {
    const collector = new MetricsCollector();
    collector.increment('jobs');
    expect(() => collector.setGauge('jobs', 3)).not.toThrow();
    expect(() => collector.recordHistogram('jobs', 3)).not.toThrow();
    expect(await dropped(collector, 'type_conflict')).toBe(2);
    expect(await value(collector, 'jobs')).toBe(1);
  });

  it('drops bad values through bound handles too, and bound handles on bad labels', async () => {
    const collector = new MetricsCollector();
    const counter = collector.counter('bound.total', { labelNames: ['a'] });
    const good = counter.bind({ a: 'x' });
    good.inc(-3);
    good.inc(Number.NaN);
    const bad = counter.bind({ b: 'y' }); // undeclared: each use is a counted drop
    bad.inc();
    bad.inc();
    const gauge = collector.gauge('bound.gauge').bind();
    gauge.set(Number.POSITIVE_INFINITY);
    const histogram = collector.histogram('bound.hist').bind();
    histogram.observe(Number.NaN);
    expect(await dropped(collector, 'negative_increment')).toBe(1);
    expect(await dropped(collector, 'nan')).toBe(2);
    expect(await dropped(collector, 'infinite')).toBe(1);
    // bind() itself resolved once (1 drop) and each inc re-resolves (2 drops)
    expect(await dropped(collector, 'undeclared_label')).toBe(3);
  });
});
