// The metrics benchmark: this SDK against prom-client and the raw OpenTelemetry SDK, in one
// process, on 100 label sets of 3 labels. Run with `npm run bench`.
import { MetricsCollector } from '@datalineage/core';
import { PrometheusReader } from '@datalineage/exporters';
import { type Attributes, ValueType } from '@opentelemetry/api';
import { PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import promClient from 'prom-client';
import { type CaseResult, type Implementation, latency, throughput } from './harness.js';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const QUANTILES = [0.5, 0.9, 0.95, 0.99];
const LABEL_NAMES = ['method', 'route', 'status'] as const;

/** 100 label sets of 3 labels, built once (callers reuse label objects in hot loops too). */
export const LABEL_SETS: ReadonlyArray<Record<(typeof LABEL_NAMES)[number], string>> = Array.from(
  { length: 100 },
  (_, i) => ({
    method: ['GET', 'POST', 'PUT', 'DELETE'][i % 4] as string,
    route: `/api/v1/resource${Math.floor(i / 4)}`,
    status: ['200', '201', '404', '500'][Math.floor(i / 25)] as string,
  }),
);
const VALUES = Float64Array.from({ length: 4096 }, (_, i) => ((i * 7919) % 4096) / 1000); // 0 .. 4.1 s

/** A reader that only collects: what an exporter would do, with no I/O. */
class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

function ours() {
  const collector = new MetricsCollector({ histogramBuckets: BUCKETS });
  const reader = new PrometheusReader({ collector });
  new MeterProvider({ readers: [reader] });
  return { collector, reader };
}

function otel() {
  const reader = new CollectingReader();
  const provider = new MeterProvider({ readers: [reader] });
  return { reader, meter: provider.getMeter('bench') };
}

export async function recordCases(scale: number): Promise<CaseResult[]> {
  const settings = { ops: 1_000_000 * scale, rounds: 7, warmup: 300_000 };
  const results: CaseResult[] = [];
  const labels = LABEL_SETS;

  {
    const { collector } = ours();
    collector.counter('requests', { labelNames: [...LABEL_NAMES] });
    const prom = new promClient.Counter({
      name: 'requests_total',
      help: 'h',
      labelNames: LABEL_NAMES,
      registers: [],
    });
    const counter = otel().meter.createCounter('requests');
    results.push(
      await throughput(
        'counter by name, 3 labels',
        [
          {
            name: 'datalineage',
            run: (n) => {
              for (let i = 0; i < n; i++) collector.increment('requests', labels[i % 100]);
            },
          },
          {
            name: 'prom-client',
            run: (n) => {
              for (let i = 0; i < n; i++) prom.inc(labels[i % 100] as promClient.LabelValues<string>);
            },
          },
          {
            name: 'otel',
            run: (n) => {
              for (let i = 0; i < n; i++) counter.add(1, labels[i % 100] as Attributes);
            },
          },
        ],
        settings,
      ),
    );
  }

  {
    const { collector } = ours();
    const handles = labels.map((l) => collector.counter('bound', { labelNames: [...LABEL_NAMES] }).bind(l));
    const prom = new promClient.Counter({
      name: 'bound_total',
      help: 'h',
      labelNames: LABEL_NAMES,
      registers: [],
    });
    const children = labels.map((l) => prom.labels(l));
    results.push(
      await throughput(
        'counter, bound handle',
        [
          {
            name: 'datalineage',
            run: (n) => {
              for (let i = 0; i < n; i++) (handles[i % 100] as (typeof handles)[0]).inc();
            },
          },
          {
            name: 'prom-client',
            run: (n) => {
              for (let i = 0; i < n; i++) (children[i % 100] as (typeof children)[0]).inc();
            },
          },
        ],
        settings,
      ),
    );
  }

  {
    const { collector } = ours();
    const prom = new promClient.Gauge({ name: 'gauge', help: 'h', labelNames: LABEL_NAMES, registers: [] });
    const gauge = otel().meter.createGauge('gauge');
    results.push(
      await throughput(
        'gauge set, 3 labels',
        [
          {
            name: 'datalineage',
            run: (n) => {
              for (let i = 0; i < n; i++)
                collector.setGauge('gauge', VALUES[i & 4095] as number, labels[i % 100]);
            },
          },
          {
            name: 'prom-client',
            run: (n) => {
              for (let i = 0; i < n; i++)
                prom.set(labels[i % 100] as promClient.LabelValues<string>, VALUES[i & 4095] as number);
            },
          },
          {
            name: 'otel',
            run: (n) => {
              for (let i = 0; i < n; i++)
                gauge.record(VALUES[i & 4095] as number, labels[i % 100] as Attributes);
            },
          },
        ],
        settings,
      ),
    );
  }

  {
    const { collector } = ours();
    const prom = new promClient.Histogram({
      name: 'hist',
      help: 'h',
      labelNames: LABEL_NAMES,
      buckets: BUCKETS,
      registers: [],
    });
    const histogram = otel().meter.createHistogram('hist', {
      valueType: ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: BUCKETS },
    });
    results.push(
      await throughput(
        'histogram observe, 3 labels',
        [
          {
            name: 'datalineage',
            run: (n) => {
              for (let i = 0; i < n; i++)
                collector.recordHistogram('hist', VALUES[i & 4095] as number, labels[i % 100]);
            },
          },
          {
            name: 'prom-client',
            run: (n) => {
              for (let i = 0; i < n; i++)
                prom.observe(labels[i % 100] as promClient.LabelValues<string>, VALUES[i & 4095] as number);
            },
          },
          {
            name: 'otel',
            run: (n) => {
              for (let i = 0; i < n; i++)
                histogram.record(VALUES[i & 4095] as number, labels[i % 100] as Attributes);
            },
          },
        ],
        settings,
      ),
    );
  }

  {
    const { collector } = ours();
    collector.summary('summ', { quantiles: QUANTILES, maxAgeSeconds: 600, ageBuckets: 5 });
    const prom = new promClient.Summary({
      name: 'summ',
      help: 'h',
      labelNames: LABEL_NAMES,
      percentiles: QUANTILES,
      maxAgeSeconds: 600,
      ageBuckets: 5,
      registers: [],
    });
    results.push(
      await throughput(
        'summary observe, 3 labels',
        [
          {
            name: 'datalineage',
            run: (n) => {
              for (let i = 0; i < n; i++)
                collector.recordSummary('summ', VALUES[i & 4095] as number, labels[i % 100]);
            },
          },
          {
            name: 'prom-client',
            run: (n) => {
              for (let i = 0; i < n; i++)
                prom.observe(labels[i % 100] as promClient.LabelValues<string>, VALUES[i & 4095] as number);
            },
          },
        ],
        { ...settings, ops: Math.max(200_000, settings.ops / 4) },
      ),
    );
  }
  return results;
}

/** 50 counters + 50 histograms × 100 label sets = 10,000 series, in each implementation. */
function populate() {
  const mine = ours();
  const registry = new promClient.Registry();
  const o = otel();
  const serializer = new PrometheusSerializer();
  for (let m = 0; m < 50; m++) {
    const promCounter = new promClient.Counter({
      name: `c${m}_total`,
      help: 'h',
      labelNames: LABEL_NAMES,
      registers: [registry],
    });
    const promHistogram = new promClient.Histogram({
      name: `h${m}`,
      help: 'h',
      labelNames: LABEL_NAMES,
      buckets: BUCKETS,
      registers: [registry],
    });
    const otelCounter = o.meter.createCounter(`c${m}`);
    const otelHistogram = o.meter.createHistogram(`h${m}`, { advice: { explicitBucketBoundaries: BUCKETS } });
    mine.collector.counter(`c${m}`, { labelNames: [...LABEL_NAMES], description: 'h' });
    mine.collector.histogram(`h${m}`, { labelNames: [...LABEL_NAMES], description: 'h' });
    LABEL_SETS.forEach((labels, i) => {
      const v = VALUES[i] as number;
      mine.collector.increment(`c${m}`, labels, i + 1);
      mine.collector.recordHistogram(`h${m}`, v, labels);
      promCounter.inc(labels, i + 1);
      promHistogram.observe(labels, v);
      otelCounter.add(i + 1, labels);
      otelHistogram.record(v, labels);
    });
  }
  return { mine, registry, otel: o, serializer };
}

export async function expositionCase(): Promise<{ result: CaseResult; bytes: Record<string, number> }> {
  const { mine, registry, otel: o, serializer } = populate();
  const bytes: Record<string, number> = {};
  const impls: Implementation[] = [
    {
      name: 'datalineage',
      run: async () => {
        bytes.datalineage = (await mine.reader.scrape()).body.length;
      },
    },
    {
      name: 'prom-client',
      run: async () => {
        bytes['prom-client'] = (await registry.metrics()).length;
      },
    },
    {
      name: 'otel',
      run: async () => {
        const { resourceMetrics } = await o.reader.collect();
        bytes.otel = serializer.serialize(resourceMetrics).length;
      },
    },
  ];
  return {
    result: await latency('/metrics exposition, 10k series', impls, { rounds: 15, warmup: 3 }),
    bytes,
  };
}

function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc (npm run bench does)');
  for (let i = 0; i < 3; i++) gc();
  const { heapUsed, arrayBuffers } = process.memoryUsage();
  return heapUsed + arrayBuffers; // typed arrays keep their bytes outside the heap
}

/**
 * Heap (plus array-buffer) bytes per series for the 10k-series population, per implementation,
 * built one at a time; the median of five interleaved rounds, since a single GC-based reading
 * moves by ±10%.
 */
export function heapPerSeries(rounds = 5): Record<string, number> {
  const keep: unknown[] = [];
  const build: Record<string, () => unknown> = {
    datalineage: () => {
      const { collector, reader } = ours();
      for (let m = 0; m < 50; m++) {
        collector.counter(`c${m}`, { labelNames: [...LABEL_NAMES] });
        collector.histogram(`h${m}`, { labelNames: [...LABEL_NAMES] });
        for (const labels of LABEL_SETS) {
          collector.increment(`c${m}`, { ...labels });
          collector.recordHistogram(`h${m}`, 0.1, { ...labels });
        }
      }
      return { collector, reader };
    },
    'prom-client': () => {
      const registry = new promClient.Registry();
      for (let m = 0; m < 50; m++) {
        const c = new promClient.Counter({
          name: `c${m}_total`,
          help: 'h',
          labelNames: LABEL_NAMES,
          registers: [registry],
        });
        const h = new promClient.Histogram({
          name: `h${m}`,
          help: 'h',
          labelNames: LABEL_NAMES,
          buckets: BUCKETS,
          registers: [registry],
        });
        for (const labels of LABEL_SETS) {
          c.inc({ ...labels });
          h.observe({ ...labels }, 0.1);
        }
      }
      return registry;
    },
    otel: () => {
      const o = otel();
      for (let m = 0; m < 50; m++) {
        const c = o.meter.createCounter(`c${m}`);
        const h = o.meter.createHistogram(`h${m}`, { advice: { explicitBucketBoundaries: BUCKETS } });
        for (const labels of LABEL_SETS) {
          c.add(1, { ...labels });
          h.record(0.1, { ...labels });
        }
      }
      return o;
    },
  };
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(build).map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const [name, make] of Object.entries(build)) {
      const before = heapUsed();
      keep.push(make());
      samples[name]?.push((heapUsed() - before) / 10_000);
      keep.length = 0;
    }
  }
  return Object.fromEntries(
    Object.entries(samples).map(([name, values]) => [
      name,
      [...values].sort((a, b) => a - b)[values.length >> 1] as number,
    ]),
  );
}
