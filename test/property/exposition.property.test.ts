// Property: whatever names, label names, label values and numbers an application records through
// the by-name API, nothing throws, every bad measurement is dropped and counted, the Prometheus
// exposition passes `promtool check metrics` (no parse error; lint remarks about the user's own
// naming allowed), and a real Pushgateway — Prometheus' own Go parser — reads back exactly the
// series, label values (unicode, quotes, backslashes, newlines, control characters), help texts
// and values that were recorded.
import { isValidMetricName, MetricsCollector, prometheusLabelName, prometheusNames } from '@datalineage/core';
import { PrometheusReader } from '@datalineage/exporters';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../support/prometheus.js';
import { type PushedGroup, type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';
import { propertyRuns, propertyTimeout } from './runs.js';

type Kind = 'counter' | 'gauge' | 'histogram';
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Plan {
  name: string;
  kind: Kind;
  labelNames: string[];
  samples: Array<{ values: string[]; value: number }>;
}

/** Names: mostly ones the SDK accepts (dots, dashes, slashes, colons), some it must refuse. */
const metricName = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:.\-/]{0,24}$/) },
  { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
);
/** Label names the SDK accepts, minus the grouping labels the Pushgateway keeps for itself. */
const labelName = fc
  .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_.]{0,12}$/)
  .filter(
    (name) =>
      !name.startsWith('__') &&
      !['job', 'run', 'le', 'otel_metric_overflow'].includes(prometheusLabelName(name)),
  );
/** Any text: unicode beyond the BMP, lone surrogates, quotes, backslashes, newlines, NUL. */
const labelValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 16 }),
  fc.constantFrom('', '"', '\\', '\n', '\\n', 'a"b\\c\nd', '\u0000', '\u{1F600}', '\uD800', '{}'),
);
/** Numbers including every kind the SDK must drop: NaN, ±Infinity, negative increments. */
const value = fc.oneof(
  { weight: 6, arbitrary: fc.double({ min: -1e12, max: 1e12, noNaN: true }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, 0, -0),
  },
  { weight: 1, arbitrary: fc.double({ min: 1e-300, max: 1e300, noNaN: true }) },
);

const plan: fc.Arbitrary<Plan> = fc
  .tuple(
    metricName,
    fc.constantFrom<Kind>('counter', 'gauge', 'histogram'),
    fc.uniqueArray(labelName, { maxLength: 3, selector: prometheusLabelName }),
  )
  .chain(([name, kind, labelNames]) =>
    fc.record({
      name: fc.constant(name),
      kind: fc.constant(kind),
      labelNames: fc.constant(labelNames),
      samples: fc.array(
        fc.record({
          values: fc.array(labelValue, { minLength: labelNames.length, maxLength: labelNames.length }),
          value,
        }),
        { minLength: 1, maxLength: 6 },
      ),
    }),
  );

/** Every name a family occupies in the text format and OpenMetrics (their specifications). */
function occupied(name: string, kind: Kind): string[] {
  const { familyName: base, sampleName } = prometheusNames(name, kind);
  if (kind === 'counter') return [base, sampleName, `${base}_created`];
  if (kind === 'gauge') return [base];
  return [base, `${base}_bucket`, `${base}_sum`, `${base}_count`, `${base}_created`];
}

/** Metrics that cannot clash with each other: an application's metrics have distinct names. */
const plans = fc.array(plan, { minLength: 1, maxLength: 6 }).filter((list) => {
  const names = list.flatMap((p) => occupied(p.name, p.kind));
  return new Set(names).size === names.length;
});

interface ExpectedSeries {
  labels: Record<string, string>;
  value: number;
  count: number;
  buckets: number[];
}
interface Expected {
  kind: Kind;
  help: string;
  series: Map<string, ExpectedSeries>;
}

/** What the exposition must hold, worked out from the plans alone, and how many drops. */
function expectations(list: Plan[]): { families: Map<string, Expected>; drops: number } {
  const families = new Map<string, Expected>();
  let drops = 0;
  for (const { name, kind, labelNames, samples } of list) {
    const { familyName, sampleName } = prometheusNames(name, kind);
    const family: Expected = { kind, help: `${kind} ${name}`, series: new Map() };
    for (const { values, value: v } of samples) {
      if (!isValidMetricName(name) || !Number.isFinite(v) || (kind === 'counter' && v < 0)) {
        drops++;
        continue;
      }
      // Series are told apart by the values as recorded, lone surrogates and all.
      const key = JSON.stringify(values.map((text) => [...text].map((c) => c.codePointAt(0))));
      const series = family.series.get(key) ?? {
        labels: Object.fromEntries(
          labelNames.map((label, i) => [prometheusLabelName(label), (values[i] as string).toWellFormed()]),
        ),
        value: 0,
        count: 0,
        buckets: DEFAULT_BUCKETS.map(() => 0),
      };
      series.value = kind === 'gauge' ? v : series.value + v;
      series.count++;
      DEFAULT_BUCKETS.forEach((bound, i) => {
        if (v <= bound) series.buckets[i] = (series.buckets[i] as number) + 1;
      });
      family.series.set(key, series);
    }
    if (family.series.size > 0) families.set(kind === 'counter' ? sampleName : familyName, family);
  }
  return { families, drops };
}

/** A Pushgateway value ("1e+06", "-Inf") as a number; -0 and 0 are one value in Prometheus. */
const number = (text: string | undefined) => Number(text?.replace(/Inf$/, 'Infinity')) + 0;

function compare(group: PushedGroup, families: Map<string, Expected>): void {
  expect(Object.keys(group.families).sort()).toEqual([...families.keys()].sort());
  for (const [name, expected] of families) {
    const family = group.families[name];
    expect(family?.type, name).toBe(expected.kind.toUpperCase());
    expect(family?.help, name).toBe(expected.help);
    const got = (family?.metrics ?? []).map((metric) => {
      const { job: _job, run: _run, ...labels } = metric.labels;
      return { labels: withoutEmpty(labels), metric };
    });
    const want = [...expected.series.values()].map((series) => ({
      ...series,
      labels: withoutEmpty(series.labels),
    }));
    const order = (labels: Record<string, string>) => JSON.stringify(Object.entries(labels).sort());
    got.sort((a, b) => order(a.labels).localeCompare(order(b.labels)));
    want.sort((a, b) => order(a.labels).localeCompare(order(b.labels)));
    expect(
      got.map((g) => g.labels),
      name,
    ).toEqual(want.map((w) => w.labels));
    want.forEach((series, i) => {
      const { metric } = got[i] as (typeof got)[number];
      if (expected.kind === 'histogram') {
        expect(number(metric.count), name).toBe(series.count);
        expect(number(metric.sum), name).toBe(series.value + 0);
        const cumulative = DEFAULT_BUCKETS.map((bound) => number(metric.buckets?.[String(bound)]));
        expect(cumulative, name).toEqual(series.buckets);
      } else {
        expect(number(metric.value), name).toBe(series.value + 0);
      }
    });
  }
}

/** Prometheus treats an empty label value as no label at all. */
function withoutEmpty(labels: Readonly<Record<string, string>>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).filter(([, v]) => v !== ''));
}

let gateway: PushgatewayServer;
beforeAll(async () => {
  gateway = await startPushgateway();
});
afterAll(() => gateway?.stop());

describe('the Prometheus exposition of random metrics', () => {
  it(
    'passes promtool and reads back exactly through a real Pushgateway; bad input is counted',
    async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(plans, async (list) => {
          run++;
          const collector = new MetricsCollector();
          const reader = new PrometheusReader({ collector });
          new MeterProvider({ readers: [reader] });
          for (const { name, kind, labelNames, samples } of list) {
            for (const { values, value: v } of samples) {
              const labels = Object.fromEntries(labelNames.map((label, i) => [label, values[i] as string]));
              if (kind === 'counter') collector.increment(name, labels, v);
              else if (kind === 'gauge') collector.setGauge(name, v, labels);
              else collector.recordHistogram(name, v, labels);
            }
          }
          const { families, drops } = expectations(list);
          expect(collector.stats().droppedMeasurements).toBe(drops);

          const { body } = await reader.scrape();
          const check = await promtoolCheckMetrics(body);
          expect([0, 3], check.output).toContain(check.exitCode);
          expect(check.output).not.toMatch(/error/i);

          // The SDK's own metrics (the drop counter among them) are there too, apart from the application's.
          const url = `${gateway.url}/metrics/job/property/run/${run}`;
          try {
            const put = await fetch(url, {
              method: 'PUT',
              body,
              headers: { 'content-type': 'text/plain; version=0.0.4' },
            });
            expect(put.status, `${await put.text()}\n${body}`).toBe(200);
            const group = (await gateway.groups()).find((g) => g.labels.run === String(run)) as PushedGroup;
            const dropped = group.families.datalineage_monitoring_dropped_measurements_total;
            const recordedDrops = (dropped?.metrics ?? []).reduce((n, m) => n + number(m.value), 0);
            expect(recordedDrops).toBe(drops);
            const own = Object.entries(group.families).filter(
              ([name]) => !name.startsWith('datalineage_monitoring_'),
            );
            compare({ ...group, families: Object.fromEntries(own) }, families);
          } finally {
            // The Pushgateway checks every push against all groups it holds: leave none behind.
            await fetch(url, { method: 'DELETE' });
          }
        }),
        { numRuns: propertyRuns(40) },
      );
    },
    propertyTimeout(30_000),
  );
});
