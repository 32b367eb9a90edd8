// Alert rules end to end with a fake clock: validation, the sample history, every aggregation,
// every condition, evaluation over series (matchers, unknown metrics, vanished series, ABSENT),
// the guide's high_error_rate rule, and testRule.
import { describe, expect, it } from 'vitest';
import { aggregate, bucketQuantile, defaultAggregation } from '../../src/alerts/aggregate.js';
import { compare, evaluateRule, testRule } from '../../src/alerts/evaluate.js';
import type { AlertLifecycle } from '../../src/alerts/lifecycle.js';
import { AlertRule, AlertRuleError, type AlertRuleOptions, parseQuantile } from '../../src/alerts/rule.js';
import { formatSeriesKey, SampleHistory, type SeriesSample } from '../../src/alerts/samples.js';
import { AlertCondition, AlertSeverity } from '../../src/alerts/types.js';

const S = 1000;

function rule(options: Partial<AlertRuleOptions> = {}): AlertRule {
  return new AlertRule({ name: 'r', metricName: 'queue.depth', threshold: 10, minDuration: 0, ...options });
}

function gauge(time: number, value: number, labels: Record<string, string> = {}): SeriesSample {
  return { metric: 'queue.depth', kind: 'gauge', labels, time: time * S, value };
}

function counter(time: number, value: number, labels: Record<string, string> = {}): SeriesSample {
  return { metric: 'errors.total', kind: 'counter', labels, time: time * S, value };
}

/** A histogram snapshot with boundaries [0.1, 0.5, 1] and per-bucket (non-cumulative) counts. */
function histogram(time: number, counts: number[]): SeriesSample {
  return {
    metric: 'request.duration',
    kind: 'histogram',
    labels: {},
    time: time * S,
    value: counts.reduce((a, b) => a + b, 0),
    buckets: { boundaries: [0.1, 0.5, 1], counts },
  };
}

function summary(time: number, quantiles: Record<string, number>): SeriesSample {
  return { metric: 'request.latency', kind: 'summary', labels: {}, time: time * S, value: 1, quantiles };
}

const history = (samples: SeriesSample[] = []) => {
  const h = new SampleHistory({ retainMs: 600 * S });
  h.add(samples);
  return h;
};

describe('AlertRule', () => {
  it("accepts the guide's rule with its snake_case keys", () => {
    const r = new AlertRule({
      name: 'high_error_rate',
      condition: AlertCondition.GREATER_THAN,
      threshold: 10.0,
      metric_name: 'errors.total',
      severity: AlertSeverity.CRITICAL,
      description: 'Error rate is too high',
      evaluation_period: 300,
      min_duration: 60,
      keep_firing_for: 30,
    });
    expect(r).toMatchObject({
      name: 'high_error_rate',
      metricName: 'errors.total',
      condition: 'gt',
      threshold: 10,
      severity: 'critical',
      description: 'Error rate is too high',
      evaluationPeriod: 300,
      minDuration: 60,
      keepFiringFor: 30,
      aggregation: undefined,
    });
    expect(Object.isFrozen(r)).toBe(true);
  });

  it('has the documented defaults', () => {
    const r = new AlertRule({ name: 'x', metricName: 'm', threshold: 1 });
    expect(r).toMatchObject({
      condition: 'gt',
      severity: 'medium',
      description: '',
      evaluationPeriod: 300,
      minDuration: 60,
      keepFiringFor: 0,
      labels: {},
      annotations: {},
      matchers: {},
      aggregation: undefined,
      channels: undefined,
    });
  });

  it('accepts conditions and severities by constant name, in any case, as configuration files write them', () => {
    const r = new AlertRule({
      name: 'x',
      metricName: 'm',
      threshold: 1,
      condition: 'LESS_EQUAL',
      severity: 'HIGH',
    });
    expect(r.condition).toBe('le');
    expect(r.severity).toBe('high');
  });

  it('lets ABSENT rules go without a threshold', () => {
    expect(new AlertRule({ name: 'x', metricName: 'm', condition: 'absent' }).threshold).toBe(0);
  });

  it.each<[string, Partial<AlertRuleOptions>, RegExp]>([
    ['an empty name', { name: '' }, /option name: "" is not valid/],
    ['a name with surrounding spaces', { name: ' x ' }, /option name/],
    ['a name that is not a string', { name: 5 as unknown as string }, /option name/],
    ['no metric', { metricName: undefined }, /"x" option metricName: expected the name of the metric/],
    [
      'metricName and metric_name that disagree',
      { metric_name: 'other' },
      /metricName \(m\) and metric_name \(other\) disagree/,
    ],
    [
      'an unknown condition',
      { condition: 'bigger' },
      /option condition: "bigger" is not a condition; use one of gt, ge, lt, le, eq, ne, absent/,
    ],
    ['a NaN threshold', { threshold: Number.NaN }, /option threshold: expected a finite number, got NaN/],
    ['an infinite threshold', { threshold: Number.POSITIVE_INFINITY }, /option threshold/],
    ['no threshold', { threshold: undefined }, /option threshold: expected a finite number, got undefined/],
    [
      'a negative evaluation period',
      { evaluationPeriod: -1 },
      /option evaluationPeriod: expected a finite number of seconds, 0 or more, got -1/,
    ],
    ['an evaluation period of 0', { evaluation_period: 0 }, /option evaluationPeriod: must be more than 0/],
    ['a negative min duration', { min_duration: -5 }, /option minDuration: .*got -5/],
    ['a NaN min duration', { minDuration: Number.NaN }, /option minDuration/],
    ['a negative keepFiringFor', { keep_firing_for: -1 }, /option keepFiringFor/],
    [
      'an unknown severity',
      { severity: 'urgent' },
      /option severity: "urgent" is not a severity; use one of critical, high, medium, low, info/,
    ],
    [
      'an unknown aggregation',
      { aggregation: 'median' as 'avg' },
      /option aggregation: "median" is not an aggregation; use one of last, avg, min, max, sum, count, rate, increase or a quantile/,
    ],
    ['a quantile above 100', { aggregation: 'p101' }, /option aggregation: "p101"/],
    ['a negative quantile', { aggregation: 'p-1' }, /option aggregation/],
    [
      'a matcher that is neither string nor RegExp',
      { matchers: { a: 5 as unknown as string } },
      /option matchers: "a" must be a string or a RegExp/,
    ],
    [
      'a label that the rule sets itself',
      { labels: { alertname: 'y' } },
      /option labels: "alertname" is set from the rule/,
    ],
    [
      'a label value that is not a string',
      { labels: { team: 1 as unknown as string } },
      /option labels: "team" must be a string/,
    ],
    ['an empty channel name', { channels: [''] }, /option channels/],
  ])('rejects %s, naming the field', (_, options, message) => {
    const build = () => new AlertRule({ name: 'x', metricName: 'm', threshold: 1, ...options });
    expect(build).toThrow(AlertRuleError);
    expect(build).toThrow(message);
    try {
      build();
    } catch (error) {
      expect((error as AlertRuleError).code).toBe('DLM_ALERT_RULE');
    }
  });

  it('parses quantile aggregations, p99.9 as exactly 0.999', () => {
    expect(parseQuantile('p99')).toBe(0.99);
    expect(parseQuantile('p99.9')).toBe(0.999);
    expect(parseQuantile('p0')).toBe(0);
    expect(parseQuantile('p100')).toBe(1);
    expect(parseQuantile('p100.5')).toBeUndefined();
    expect(parseQuantile('avg')).toBeUndefined();
  });

  it('selects series by equality and RegExp matchers; a missing label reads as ""', () => {
    const r = rule({ matchers: { method: 'GET', status: /^5\d\d$/g, zone: '' } });
    expect(r.selects({ method: 'GET', status: '503' })).toBe(true);
    // A `g` RegExp keeps lastIndex between calls; the rule must not inherit that.
    expect(r.selects({ method: 'GET', status: '503' })).toBe(true);
    expect(r.selects({ method: 'GET', status: '200' })).toBe(false);
    expect(r.selects({ method: 'POST', status: '500' })).toBe(false);
    expect(r.selects({ method: 'GET', status: '500', zone: 'eu' })).toBe(false);
  });

  it('names instances by rule and sorted series labels', () => {
    expect(rule().instanceId({ b: '2', a: 'say "hi"' })).toBe('r{a="say \\"hi\\"",b="2"}');
    expect(rule().instanceId({})).toBe('r');
    expect(formatSeriesKey('m', { z: '1', a: '2' })).toBe('m{a="2",z="1"}');
  });
});

describe('SampleHistory', () => {
  it('keys a series by metric and labels, whatever the order of the labels', () => {
    const h = history([
      gauge(1, 1, { a: '1', b: '2' }),
      gauge(2, 2, { b: '2', a: '1' }),
      gauge(3, 3, { a: '9' }),
    ]);
    const series = [...h.series('queue.depth')];
    expect(series).toHaveLength(2);
    expect([...(series[0]?.samples ?? [])].map((s) => s.value)).toEqual([1, 2]);
    expect(h.has('queue.depth')).toBe(true);
    expect(h.has('nope')).toBe(false);
  });

  it('selects series with matchers, equality or RegExp', () => {
    const h = history([
      gauge(1, 1, { q: 'orders' }),
      gauge(1, 2, { q: 'orders-dlq' }),
      gauge(1, 3, { q: 'mail' }),
    ]);
    expect([...h.series('queue.depth', { q: /^orders/ })].map((s) => s.labels.q)).toEqual([
      'orders',
      'orders-dlq',
    ]);
    expect([...h.series('queue.depth', { q: 'mail' })].map((s) => s.labels.q)).toEqual(['mail']);
    expect([...h.series('queue.depth', (labels) => labels.q === 'x')]).toEqual([]);
  });

  it('keeps at most maxSamplesPerSeries samples, overwriting the oldest, in time order through pruning', () => {
    const h = new SampleHistory({ retainMs: 10 * S, maxSamplesPerSeries: 4 });
    h.add([1, 2, 3, 4].map((t) => gauge(t, t)));
    h.prune(12 * S); // drops times ≤ 2 s
    h.add([5, 6, 7].map((t) => gauge(t, t)));
    const [series] = [...h.series('queue.depth')];
    expect([...(series?.samples ?? [])].map((s) => s.value)).toEqual([4, 5, 6, 7]);
    expect(series?.samples.between(4 * S, 6 * S).map((s) => s.value)).toEqual([5, 6]);
    expect(series?.samples.at(0)?.value).toBe(4);
    expect(series?.samples.at(4)).toBeUndefined();
    expect(h.stats.overwritten).toBe(1);
  });

  it('reads the same samples by index, range and aggregate after thousands of appends and drops', () => {
    // Enough turnover to cut off the dropped prefix many times, by capacity and by pruning.
    const h = new SampleHistory({ retainMs: 100 * S, maxSamplesPerSeries: 50 });
    const kept: number[] = [];
    for (let t = 1; t <= 5000; t++) {
      h.add([gauge(t, t * 2)]);
      kept.push(t);
      if (kept.length > 50) kept.shift();
      if (t % 37 === 0) {
        h.prune(t * S); // drops times ≤ t − 100 s: none while capacity keeps 50
        while (kept.length > 0 && (kept[0] as number) <= t - 100) kept.shift();
      }
    }
    const [series] = [...h.series('queue.depth')];
    const samples = series?.samples;
    expect(samples?.length).toBe(kept.length);
    expect([...(samples ?? [])].map((s) => s.time / S)).toEqual(kept);
    expect(samples?.at(-1)).toBeUndefined();
    expect(samples?.at(kept.length - 1)?.value).toBe(10_000);
    expect(samples?.between(4960 * S, 4970 * S).map((s) => s.time / S)).toEqual([
      4961, 4962, 4963, 4964, 4965, 4966, 4967, 4968, 4969, 4970,
    ]);
    // In place over the ring, as over an array of the same samples.
    const copy = [...(samples ?? [])];
    for (const aggregation of ['last', 'avg', 'min', 'max', 'sum', 'count'] as const) {
      expect(aggregate(samples ?? [], aggregation, 'gauge', 4960 * S, 4990 * S)).toEqual(
        aggregate(copy, aggregation, 'gauge', 4960 * S, 4990 * S),
      );
    }
    expect(aggregate(samples ?? [], 'sum', 'gauge', 4960 * S, 4962 * S).value).toBe(4961 * 2 + 4962 * 2);
    h.prune(6000 * S);
    expect(h.stats).toMatchObject({ series: 0, samples: 0 });
  });

  it('forgets samples older than retainMs, and series left empty', () => {
    const h = new SampleHistory({ retainMs: 60 * S });
    h.add([gauge(0, 1, { a: '1' }), gauge(50, 2, { a: '1' }), gauge(10, 3, { a: '2' })]);
    h.prune(100 * S);
    expect([...h.series('queue.depth')].map((s) => s.labels.a)).toEqual(['1']);
    expect(h.stats).toMatchObject({ series: 1, samples: 1 });
    h.prune(200 * S);
    expect(h.has('queue.depth')).toBe(false);
    expect(h.stats).toMatchObject({ series: 0, samples: 0 });
  });

  it('drops and counts invalid, out-of-order, kind-conflicting and over-limit samples; the same time replaces', () => {
    const h = new SampleHistory({ retainMs: 60 * S, maxSeries: 2 });
    h.add([
      gauge(10, 1),
      gauge(5, 2), // older than the latest
      gauge(10, 3), // same collection again: replaces
      { ...gauge(11, 1), value: Number.NaN },
      { ...gauge(12, 1), kind: 'counter' },
      gauge(12, 1, { a: 'x' }),
      gauge(12, 1, { a: 'y' }), // a third series
      { ...histogram(1, [1, 2]) }, // counts do not fit the boundaries
    ]);
    const [series] = [...h.series('queue.depth', { a: '' })];
    expect([...(series?.samples ?? [])].map((s) => s.value)).toEqual([3]);
    expect(h.stats.dropped).toEqual({ invalid: 2, out_of_order: 1, kind_conflict: 1, series_limit: 1 });
  });

  it('rejects options that cannot work', () => {
    expect(() => new SampleHistory({ retainMs: 0 })).toThrow(RangeError);
    expect(() => new SampleHistory({ retainMs: 1, maxSamplesPerSeries: 1 })).toThrow(/maxSamplesPerSeries/);
  });
});

describe('aggregate', () => {
  // Window (0, 30 s]: the sample at 0 is outside (the window's start is exclusive), the one at 40 after now.
  const samples = [gauge(0, 100), gauge(10, 1), gauge(20, 5), gauge(30, 3), gauge(40, 50)];
  it.each([
    ['last', 3],
    ['avg', 3],
    ['min', 1],
    ['max', 5],
    ['sum', 9],
    ['count', 3],
  ] as const)('%s over the samples in (now − period, now]', (aggregation, value) => {
    expect(aggregate(samples, aggregation, 'gauge', 0, 30 * S)).toEqual({ value, hasData: true });
  });

  it('has no data when the window is empty', () => {
    for (const aggregation of ['last', 'avg', 'min', 'max', 'sum', 'count', 'increase', 'rate'] as const) {
      const result = aggregate(samples, aggregation, 'counter', 100 * S, 200 * S);
      expect(result.hasData).toBe(false);
      expect(result.value).toBeNaN();
    }
  });

  it('increase is last − first; rate divides by the seconds between them', () => {
    const c = [counter(60, 10), counter(120, 20), counter(180, 30), counter(240, 40), counter(300, 50)];
    expect(aggregate(c, 'increase', 'counter', 0, 300 * S)).toEqual({ value: 40, hasData: true });
    expect(aggregate(c, 'rate', 'counter', 0, 300 * S)).toEqual({ value: 40 / 240, hasData: true });
  });

  it('treats a counter going down as a reset, as Prometheus does', () => {
    // 10 → 20 (+10), restart, 5 (+5 since the restart), → 15 (+10)
    const c = [counter(0, 10), counter(10, 20), counter(20, 5), counter(30, 15)];
    expect(aggregate(c, 'increase', 'counter', -1, 30 * S)).toEqual({ value: 25, hasData: true });
    expect(aggregate(c, 'rate', 'counter', -1, 30 * S)).toEqual({ value: 25 / 30, hasData: true });
  });

  it('needs two samples for increase and rate', () => {
    expect(aggregate([counter(10, 7)], 'increase', 'counter', 0, 60 * S).hasData).toBe(false);
    expect(aggregate([counter(10, 7)], 'rate', 'counter', 0, 60 * S).hasData).toBe(false);
  });

  it('defaults to increase for counters, last otherwise', () => {
    expect(defaultAggregation('counter')).toBe('increase');
    expect(defaultAggregation('gauge')).toBe('last');
    expect(defaultAggregation('histogram')).toBe('last');
  });

  it('refuses aggregations that do not apply to the kind', () => {
    expect(() => aggregate(samples, 'p99', 'gauge', 0, 30 * S)).toThrow(
      /p99 needs a histogram or a summary, not a gauge/,
    );
    expect(() => aggregate(samples, 'rate', 'gauge', 0, 30 * S)).toThrow(/rate needs a counter/);
  });

  describe('histogram quantiles', () => {
    it('are taken over the buckets’ increase in the window, not over all time', () => {
      const h = [
        histogram(0, [50, 0, 0, 0]), // before the window: not counted
        histogram(60, [60, 0, 0, 0]),
        histogram(120, [60, 10, 80, 0]),
      ];
      // Increase: [0, 10, 80, 0]; rank 45 lies in (0.5, 1]: 0.5 + 0.5 × 35/80.
      expect(aggregate(h, 'p50', 'histogram', 30 * S, 120 * S)).toEqual({ value: 0.71875, hasData: true });
      // Over all three snapshots the fast observations would pull it down.
      expect(aggregate(h, 'p50', 'histogram', -1, 120 * S).value).toBeCloseTo(0.5 + 0.5 * (30 / 80));
    });

    it('handle a reset inside the window', () => {
      const h = [histogram(0, [5, 5, 0, 0]), histogram(10, [10, 10, 0, 0]), histogram(20, [0, 0, 3, 1])];
      // Increase: [5, 5, 0, 0] then, after the reset, [0, 0, 3, 1]: [5, 5, 3, 1]; rank 7 in (0.1, 0.5].
      expect(aggregate(h, 'p50', 'histogram', -1, 20 * S).value).toBeCloseTo(0.1 + 0.4 * (2 / 5));
    });

    it('give the highest finite bound for a rank in the +Inf bucket', () => {
      const h = [histogram(0, [0, 0, 0, 0]), histogram(10, [1, 0, 0, 9])];
      expect(aggregate(h, 'p99', 'histogram', -1, 10 * S).value).toBe(1);
    });

    it('are NaN, with data, when nothing was observed in the window', () => {
      const h = [histogram(0, [1, 1, 0, 0]), histogram(10, [1, 1, 0, 0])];
      const result = aggregate(h, 'p90', 'histogram', -1, 10 * S);
      expect(result.hasData).toBe(true);
      expect(result.value).toBeNaN();
    });

    it('need two snapshots', () => {
      expect(aggregate([histogram(0, [1, 1, 0, 0])], 'p90', 'histogram', -1, 10 * S).hasData).toBe(false);
    });

    it('interpolate in the lowest bucket from 0, like histogram_quantile', () => {
      expect(bucketQuantile(0.5, [1, 2], [10, 0, 0])).toBe(0.5);
      expect(bucketQuantile(0.5, [-1, 2], [10, 0, 0])).toBe(-1);
      expect(bucketQuantile(0.5, [1, 2], [0, 0, 0])).toBeNaN();
    });
  });

  describe('summary quantiles', () => {
    const s = [summary(10, { '0.5': 1, '0.99': 3 }), summary(20, { '0.5': 2, '0.990': 4, '0.999': 9 })];

    it('are the latest value reported for exactly that quantile', () => {
      expect(aggregate(s, 'p99', 'summary', 0, 30 * S)).toEqual({ value: 4, hasData: true });
      expect(aggregate(s, 'p50', 'summary', 0, 15 * S)).toEqual({ value: 1, hasData: true });
      expect(aggregate(s, 'p99.9', 'summary', 0, 30 * S)).toEqual({ value: 9, hasData: true });
    });

    it('have no data for a quantile the summary does not report', () => {
      const result = aggregate(s, 'p90', 'summary', 0, 30 * S);
      expect(result.hasData).toBe(false);
      expect(result.value).toBeNaN();
    });
  });
});

describe('compare', () => {
  it.each([
    ['gt', 10, 9, true],
    ['gt', 10, 10, false],
    ['ge', 10, 10, true],
    ['ge', 9, 10, false],
    ['lt', 9, 10, true],
    ['lt', 10, 10, false],
    ['le', 10, 10, true],
    ['le', 11, 10, false],
    ['eq', 0.1 + 0.2, 0.3, true],
    ['eq', 1e12 + 1, 1e12, true], // within 1e-9 relative
    ['eq', 10.1, 10, false],
    ['ne', 0.1 + 0.2, 0.3, false],
    ['ne', 10.1, 10, true],
    ['ne', Number.NaN, 10, false],
    ['gt', Number.NaN, 10, false],
  ] as const)('%s: %d against %d is %s', (condition, value, threshold, expected) => {
    expect(compare(value, condition, threshold)).toBe(expected);
  });
});

describe('evaluateRule', () => {
  it.each([
    [AlertCondition.GREATER_THAN, 9, 10, 'firing'],
    [AlertCondition.GREATER_THAN, 10, 10, 'inactive'],
    [AlertCondition.GREATER_EQUAL, 10, 10, 'firing'],
    [AlertCondition.GREATER_EQUAL, 11, 10, 'inactive'],
    [AlertCondition.LESS_THAN, 11, 10, 'firing'],
    [AlertCondition.LESS_THAN, 10, 10, 'inactive'],
    [AlertCondition.LESS_EQUAL, 10, 10, 'firing'],
    [AlertCondition.LESS_EQUAL, 9, 10, 'inactive'],
    [AlertCondition.EQUAL, 10, 10, 'firing'],
    [AlertCondition.EQUAL, 10, 11, 'inactive'],
    [AlertCondition.NOT_EQUAL, 10, 11, 'firing'],
    [AlertCondition.NOT_EQUAL, 10, 10, 'inactive'],
  ])('%s with threshold %d and value %d → %s', (condition, threshold, value, state) => {
    const r = rule({ condition, threshold });
    const instances = new Map<string, AlertLifecycle>();
    evaluateRule(r, history([gauge(50, value)]), instances, 60 * S);
    expect(instances.get('r')?.state).toBe(state);
  });

  it('aggregates over the evaluation period only', () => {
    const r = rule({ aggregation: 'max', evaluationPeriod: 60 });
    const instances = new Map<string, AlertLifecycle>();
    // The 50 at 30 s is older than 60 s at 100 s.
    evaluateRule(r, history([gauge(30, 50), gauge(60, 5), gauge(90, 6)]), instances, 100 * S);
    expect(instances.get('r')?.value).toBe(6);
    expect(instances.get('r')?.state).toBe('inactive');
  });

  it('keeps one instance per selected series, with RegExp matchers', () => {
    const r = rule({ matchers: { status: /^5/ } });
    const h = history([
      gauge(10, 20, { status: '500' }),
      gauge(10, 5, { status: '503' }),
      gauge(10, 99, { status: '200' }),
    ]);
    const instances = new Map<string, AlertLifecycle>();
    const transitions = evaluateRule(r, h, instances, 20 * S);
    expect([...instances.keys()].sort()).toEqual(['r{status="500"}', 'r{status="503"}']);
    expect(transitions).toEqual([
      expect.objectContaining({
        instanceId: 'r{status="500"}',
        rule: r,
        labels: { status: '500' },
        from: 'inactive',
        to: 'firing',
        at: 20 * S,
        value: 20,
      }),
    ]);
  });

  it('lets a rule watch a metric that does not exist yet: one nodata instance until it appears', () => {
    const r = rule({ metricName: 'jobs.failed' });
    const instances = new Map<string, AlertLifecycle>();
    const h = history();
    expect(evaluateRule(r, h, instances, 0, { kindOf: () => undefined })).toEqual([
      expect.objectContaining({ instanceId: 'r', labels: {}, from: 'inactive', to: 'nodata' }),
    ]);
    evaluateRule(r, h, instances, 30 * S);
    expect([...instances.keys()]).toEqual(['r']);
    expect(instances.get('r')?.snapshot(r).state).toBe('nodata');

    // The metric appears with labels: the series gets its instance, and the rule-level one goes.
    h.add([{ metric: 'jobs.failed', kind: 'gauge', labels: { job: 'etl' }, time: 50 * S, value: 20 }]);
    const transitions = evaluateRule(r, h, instances, 60 * S);
    expect(transitions.map((t) => `${t.instanceId} ${t.to}`)).toEqual(['r{job="etl"} firing']);
    expect([...instances.keys()]).toEqual(['r{job="etl"}']);
  });

  it('takes the unlabelled series as the rule-level instance once the metric appears', () => {
    const r = rule({ metricName: 'queue.depth' });
    const instances = new Map<string, AlertLifecycle>();
    const h = history();
    evaluateRule(r, h, instances, 0);
    h.add([gauge(10, 20)]);
    expect(evaluateRule(r, h, instances, 20 * S).map((t) => `${t.from}→${t.to}`)).toEqual(['nodata→firing']);
  });

  it('decides the default aggregation from the registered kind', () => {
    const r = rule({ metricName: 'errors.total' });
    // The samples say gauge; the registry knows better.
    const h = history([
      { ...counter(0, 100), kind: 'gauge' },
      { ...counter(30, 105), kind: 'gauge' },
    ]);
    const instances = new Map<string, AlertLifecycle>();
    evaluateRule(r, h, instances, 60 * S, {
      kindOf: (metric) => (metric === 'errors.total' ? 'counter' : undefined),
    });
    expect(instances.get('r')?.value).toBe(5); // the increase, not the counter's 105
    expect(instances.get('r')?.state).toBe('inactive');
  });

  it('puts an instance in error when its series cannot be aggregated as the rule asks', () => {
    const r = rule({ aggregation: 'p99' });
    const instances = new Map<string, AlertLifecycle>();
    const transitions = evaluateRule(r, history([gauge(10, 20)]), instances, 20 * S);
    expect(transitions.map((t) => t.to)).toEqual(['error']);
    expect(instances.get('r')?.snapshot(r).annotations.error).toMatch(/p99 needs a histogram or a summary/);
  });

  it('resolves an alert whose series stopped, then forgets the instance once its series is gone', () => {
    const r = rule({ evaluationPeriod: 60 });
    const h = new SampleHistory({ retainMs: 120 * S });
    const instances = new Map<string, AlertLifecycle>();
    const at = (seconds: number) => {
      h.prune(seconds * S);
      return evaluateRule(r, h, instances, seconds * S).map((t) => `${t.instanceId}: ${t.from}→${t.to}`);
    };
    h.add([gauge(0, 20, { q: 'a' }), gauge(0, 20, { q: 'b' })]);
    expect(at(0)).toEqual(['r{q="a"}: inactive→firing', 'r{q="b"}: inactive→firing']);
    h.add([gauge(50, 20, { q: 'b' })]);
    // a's last sample (0 s) is outside (10 s, 70 s]: no data, which resolves it.
    expect(at(70)).toEqual(['r{q="a"}: firing→resolved', 'r{q="a"}: resolved→nodata']);
    h.add([gauge(100, 20, { q: 'b' })]);
    // a has left the history (retained 120 s): stepped with no data it stays nodata, as it already
    // was, so it is forgotten.
    expect(at(130)).toEqual([]);
    expect([...instances.keys()]).toEqual(['r{q="b"}']);
  });

  it('steps an instance whose series vanished from the history with no data', () => {
    const r = rule();
    const h = history([gauge(0, 20, { q: 'a' })]);
    const instances = new Map<string, AlertLifecycle>();
    evaluateRule(r, h, instances, 10 * S);
    h.prune(10_000 * S); // the series is gone at once
    h.add([gauge(10_000, 1, { q: 'b' })]);
    const transitions = evaluateRule(r, h, instances, 10_000 * S);
    expect(transitions.map((t) => `${t.instanceId}: ${t.from}→${t.to}`)).toEqual([
      'r{q="a"}: firing→resolved',
      'r{q="a"}: resolved→nodata',
    ]);
    expect(instances.get('r{q="a"}')?.state).toBe('nodata');
    evaluateRule(r, h, instances, 10_030 * S);
    expect(instances.has('r{q="a"}')).toBe(false);
  });

  describe('ABSENT', () => {
    const r = rule({
      name: 'heartbeat_missing',
      metricName: 'heartbeat',
      condition: AlertCondition.ABSENT,
      threshold: undefined,
      matchers: { job: 'etl', zone: /eu/ },
      evaluationPeriod: 60,
      minDuration: 30,
    });
    const beat = (time: number): SeriesSample => ({
      metric: 'heartbeat',
      kind: 'gauge',
      labels: { job: 'etl', zone: 'eu-1' },
      time: time * S,
      value: 1,
    });

    it('fires when data stops for the period and resolves when it returns', () => {
      const h = history([beat(0)]);
      const instances = new Map<string, AlertLifecycle>();
      const state = (seconds: number) => {
        evaluateRule(r, h, instances, seconds * S);
        return [...instances.values()].map((i) => i.state);
      };
      expect(state(30)).toEqual(['inactive']);
      expect(state(60)).toEqual(['pending']); // the beat at 0 left the window (0, 60]
      expect(state(89)).toEqual(['pending']);
      expect(state(90)).toEqual(['firing']);
      h.add([beat(100)]);
      expect(state(100)).toEqual(['resolved']);
      expect(state(110)).toEqual(['inactive']);
      // One instance, labelled with what is missing (the equality matchers), as absent() does.
      expect([...instances.keys()]).toEqual(['heartbeat_missing{job="etl"}']);
      expect(instances.get('heartbeat_missing{job="etl"}')?.snapshot(r).labels).toMatchObject({ job: 'etl' });
    });

    it('fires for a metric that never existed, and ignores series the matchers exclude', () => {
      const h = history([{ ...beat(0), labels: { job: 'etl', zone: 'us-1' } }]);
      const instances = new Map<string, AlertLifecycle>();
      evaluateRule(r, h, instances, 0);
      evaluateRule(r, h, instances, 30 * S);
      expect([...instances.values()].map((i) => i.state)).toEqual(['firing']);
    });
  });

  it("fires the guide's high_error_rate after it has held for 60 s, not before", () => {
    const highErrorRate = new AlertRule({
      name: 'high_error_rate',
      condition: AlertCondition.GREATER_THAN,
      threshold: 10.0,
      metric_name: 'errors.total',
      severity: AlertSeverity.CRITICAL,
      description: 'Error rate is too high',
      evaluation_period: 300, // 5 minutes
      min_duration: 60, // must persist for 1 minute
    });
    const h = new SampleHistory({ retainMs: 360 * S });
    const instances = new Map<string, AlertLifecycle>();
    const states = new Map<number, string>();
    // One error every 20 s: 15 in 5 minutes. Collected and evaluated every 20 s.
    for (let t = 0; t <= 300; t += 20) {
      h.add([counter(t, t / 20)]);
      h.prune(t * S);
      evaluateRule(highErrorRate, h, instances, t * S, { kindOf: () => 'counter' });
      states.set(t, instances.get('high_error_rate')?.state ?? 'none');
    }
    const alert = instances.get('high_error_rate') as AlertLifecycle;
    expect(states.get(200)).toBe('inactive'); // an increase of exactly 10 is not > 10
    expect(states.get(220)).toBe('pending'); // 11 > 10
    expect(states.get(260)).toBe('pending'); // held 40 s
    expect(states.get(280)).toBe('firing'); // held 60 s
    expect(alert.history().find((t) => t.to === 'firing')?.at).toBe(280 * S);
    // At 300 s the window (0, 300] holds 20 s … 300 s: an increase of 14.
    expect(alert.snapshot(highErrorRate)).toMatchObject({ state: 'firing', value: 14, firingSince: 280 * S });
  });
});

describe('testRule', () => {
  const backlog = new AlertRule({
    name: 'queue_backlog',
    metricName: 'queue.depth',
    threshold: 100,
    evaluationPeriod: 60,
    minDuration: 30,
  });

  it('evaluates a scenario step by step on a fake clock', () => {
    const steps = testRule(backlog, {
      series: [
        { time: 0, value: 50 },
        { time: 30, value: 150 },
        { time: 60, value: 160 },
        { time: 90, value: 40 },
      ],
      interval: 30,
      until: 120,
    });
    expect(steps.map(({ time, value, state }) => ({ time, value, state }))).toEqual([
      { time: 0, value: 50, state: 'inactive' },
      { time: 30, value: 150, state: 'pending' },
      { time: 60, value: 160, state: 'firing' },
      { time: 90, value: 40, state: 'resolved' },
      { time: 120, value: 40, state: 'inactive' },
    ]);
    expect(steps[2]?.transitions).toEqual([
      expect.objectContaining({
        instanceId: 'queue_backlog',
        from: 'pending',
        to: 'firing',
        at: 60 * S,
        value: 160,
      }),
    ]);
    expect(steps[3]?.transitions.map((t) => t.to)).toEqual(['resolved']);
  });

  it('takes a bare array, evaluating every smallest gap between samples, one entry per instance', () => {
    const steps = testRule(backlog, [
      { time: 0, value: 150, labels: { q: 'a' } },
      { time: 0, value: 1, labels: { q: 'b' } },
      { time: 15, value: 150, labels: { q: 'a' } },
      { time: 30, value: 150, labels: { q: 'a' } },
    ]);
    expect(steps.map((s) => `${s.time} ${s.instanceId} ${s.state}`)).toEqual([
      '0 queue_backlog{q="a"} pending',
      '0 queue_backlog{q="b"} inactive',
      '15 queue_backlog{q="a"} pending',
      '15 queue_backlog{q="b"} inactive',
      '30 queue_backlog{q="a"} firing',
      '30 queue_backlog{q="b"} inactive',
    ]);
  });

  it('treats a metric named ….total as a counter unless told otherwise', () => {
    const errors = new AlertRule({ name: 'e', metricName: 'errors.total', threshold: 10, minDuration: 0 });
    const series = [
      { time: 0, value: 100 },
      { time: 30, value: 105 },
    ];
    expect(testRule(errors, series).at(-1)).toMatchObject({ value: 5, state: 'inactive' });
    expect(testRule(errors, series, { kind: 'gauge' }).at(-1)).toMatchObject({ value: 105, state: 'firing' });
  });

  it('rejects an interval that is not positive', () => {
    expect(() => testRule(backlog, { series: [], interval: 0 })).toThrow(RangeError);
  });
});
