// What the dashboard's charts draw: a sample of every series every `sampleInterval`, taken through
// an in-memory MetricReader on the SDK's MeterProvider (so OpenTelemetry instruments are charted
// too), kept in a bounded ring per series (`maxDataPoints`), and read back as chart series:
// values, per-second rates for counters, quantiles over each interval for histograms, the
// reported quantiles for summaries.
import { bucketQuantile, diagnostics, SampleHistory, type SeriesSample, toSamples } from '@datalineage/core';
import { type CollectionResult, MetricReader } from '@opentelemetry/sdk-metrics';

/** A reader that only collects when asked: hand it to the MeterProvider's `readers`. */
export class HistoryReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

export type ChartKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/** One metric as the metrics list shows it. */
export interface MetricListing {
  readonly name: string;
  readonly kind: ChartKind;
  readonly unit: string;
  readonly description: string;
  /** Label names seen on its series, sorted. */
  readonly labelNames: string[];
  /** Series held in the history. */
  readonly series: number;
}

/** `[epoch ms, value]`; the value is null where there is none (a histogram interval without observations). */
export type ChartPoint = [number, number | null];

export interface ChartSeries {
  readonly labels: Readonly<Record<string, string>>;
  /** Counters and gauges: the value; histograms and summaries: the count of observations. */
  readonly points: ChartPoint[];
  /** Counters: the increase per second since the previous point (resets read as a restart from 0). */
  readonly rates?: ChartPoint[];
  /** Histograms (over each interval's observations) and summaries (as reported), by quantile. */
  readonly quantiles?: Record<string, ChartPoint[]>;
}

export interface MetricHistoryOptions {
  /** Where samples come from: the HistoryReader, or anything with `collect()`. */
  readonly reader: { collect(): Promise<CollectionResult> };
  /** Milliseconds between samples. */
  readonly intervalMs: number;
  /** Points kept per series. */
  readonly maxDataPoints: number;
  /** Series kept at most; further ones are not charted (and counted in `stats`). @default 5000 */
  readonly maxSeries?: number;
  /**
   * Milliseconds of history kept at most, besides `maxDataPoints` per series (the configuration's
   * `metrics.retention_period`). @default no bound but the points
   */
  readonly retainMs?: number;
  /** Clock (epoch ms), for tests. @default Date.now */
  readonly now?: () => number;
}

/** Quantiles drawn for histograms. */
const HISTOGRAM_QUANTILES = [0.5, 0.9, 0.99] as const;

/**
 * The charts' history. `start()` samples on a timer (unref'd; samples never overlap), `sample()`
 * samples now.
 */
export class MetricHistory {
  readonly intervalMs: number;
  readonly maxDataPoints: number;
  private readonly reader: { collect(): Promise<CollectionResult> };
  private readonly history: SampleHistory;
  private readonly now: () => number;
  /** Name → what the metric's descriptor said, from the latest sample that had it. */
  private readonly described = new Map<string, { kind: ChartKind; unit: string; description: string }>();
  private timer: NodeJS.Timeout | undefined;
  private sampling: Promise<void> | undefined;
  private readonly listeners = new Set<(at: number) => void>();
  private lastSampleAt: number | undefined;
  private failures = 0;

  constructor(options: MetricHistoryOptions) {
    this.reader = options.reader;
    this.intervalMs = options.intervalMs;
    this.maxDataPoints = options.maxDataPoints;
    this.now = options.now ?? Date.now;
    // One interval more than the points kept, so pruning never takes a point the ring still holds.
    const span = options.intervalMs * (options.maxDataPoints + 1);
    this.history = new SampleHistory({
      retainMs:
        options.retainMs !== undefined && options.retainMs > 0 ? Math.min(span, options.retainMs) : span,
      maxSamplesPerSeries: options.maxDataPoints,
      maxSeries: options.maxSeries ?? 5000,
    });
  }

  /** Calls `listener(at)` after every sample (the live event stream); returns the unsubscribe. */
  onSample(listener: (at: number) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.sample().catch(() => {});
    this.timer = setInterval(() => {
      this.sample().catch(() => {});
    }, this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Take one sample now; concurrent calls share the one in flight. Never rejects. */
  sample(): Promise<void> {
    this.sampling ??= this.sampleNow().finally(() => {
      this.sampling = undefined;
    });
    return this.sampling;
  }

  private async sampleNow(): Promise<void> {
    const at = this.now();
    try {
      const { resourceMetrics } = await this.reader.collect();
      const metrics = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
      const samples = toSamples(metrics, at);
      for (const metric of metrics) {
        const name = metric.descriptor.name;
        if (this.described.has(name)) continue;
        const kind = samples.find((sample) => sample.metric === name)?.kind;
        if (kind !== undefined) {
          this.described.set(name, {
            kind,
            unit: metric.descriptor.unit,
            description: metric.descriptor.description,
          });
        }
      }
      this.history.add(samples);
    } catch (error) {
      this.failures++;
      diagnostics.warnOnce(
        'DLM_DASHBOARD_SAMPLE',
        String(error),
        `dashboard history could not sample metrics: ${String(error)}`,
      );
    }
    this.history.prune(at);
    this.lastSampleAt = at;
    for (const listener of this.listeners) {
      try {
        listener(at);
      } catch {
        // A listener (a live client) that fails must not stop the others.
      }
    }
  }

  /** Every metric that has series in the history, by name. */
  metrics(): MetricListing[] {
    const listings: MetricListing[] = [];
    for (const [name, meta] of [...this.described].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const labelNames = new Set<string>();
      let series = 0;
      for (const entry of this.history.series(name)) {
        series++;
        for (const label of Object.keys(entry.labels)) labelNames.add(label);
      }
      if (series === 0) continue;
      listings.push({ name, ...meta, labelNames: [...labelNames].sort(), series });
    }
    return listings;
  }

  /** What the metrics list says of one metric; undefined when it has no series. */
  describe(name: string): MetricListing | undefined {
    return this.metrics().find((metric) => metric.name === name);
  }

  /**
   * Chart series of `name` with samples in (from, to], those whose labels pass `filter`, at most
   * `limit`. `truncated` says whether more matched.
   */
  series(
    name: string,
    options: { from: number; to: number; filter: Readonly<Record<string, string>>; limit: number },
  ): { series: ChartSeries[]; truncated: boolean } {
    const { from, to, filter, limit } = options;
    const selected = [
      ...this.history.series(name, (labels) => Object.entries(filter).every(([k, v]) => labels[k] === v)),
    ];
    const out: ChartSeries[] = [];
    for (const entry of selected) {
      const window = entry.samples.between(from, to);
      if (window.length === 0) continue;
      if (out.length === limit) return { series: out, truncated: true };
      out.push(chartSeries(entry.kind, entry.labels, window));
    }
    return { series: out, truncated: false };
  }

  stats(): { series: number; samples: number; failures: number; lastSampleAt: number | undefined } {
    const { series, samples } = this.history.stats;
    return { series, samples, failures: this.failures, lastSampleAt: this.lastSampleAt };
  }
}

function chartSeries(
  kind: SeriesSample['kind'],
  labels: Readonly<Record<string, string>>,
  window: readonly SeriesSample[],
): ChartSeries {
  const points: ChartPoint[] = window.map((sample) => [sample.time, finite(sample.value)]);
  switch (kind) {
    case 'counter': {
      const rates: ChartPoint[] = [];
      for (let i = 1; i < window.length; i++) {
        const previous = window[i - 1] as SeriesSample;
        const current = window[i] as SeriesSample;
        const seconds = (current.time - previous.time) / 1000;
        const increase = current.value >= previous.value ? current.value - previous.value : current.value;
        rates.push([current.time, seconds > 0 ? finite(increase / seconds) : null]);
      }
      return { labels, points, rates };
    }
    case 'histogram': {
      const quantiles: Record<string, ChartPoint[]> = {};
      for (const q of HISTOGRAM_QUANTILES) quantiles[String(q)] = [];
      for (let i = 1; i < window.length; i++) {
        const before = (window[i - 1] as SeriesSample).buckets;
        const after = (window[i] as SeriesSample).buckets;
        if (before === undefined || after === undefined) continue;
        const reset = after.counts.some((count, b) => count < (before.counts[b] ?? 0));
        const counts = after.counts.map((count, b) => (reset ? count : count - (before.counts[b] ?? 0)));
        for (const q of HISTOGRAM_QUANTILES) {
          quantiles[String(q)]?.push([
            (window[i] as SeriesSample).time,
            finite(bucketQuantile(q, after.boundaries, counts)),
          ]);
        }
      }
      return { labels, points, quantiles };
    }
    case 'summary': {
      const quantiles: Record<string, ChartPoint[]> = {};
      for (const sample of window) {
        for (const [q, value] of Object.entries(sample.quantiles ?? {})) {
          const points = quantiles[q] ?? [];
          points.push([sample.time, finite(value)]);
          quantiles[q] = points;
        }
      }
      return { labels, points, quantiles };
    }
    case 'gauge':
      return { labels, points };
  }
}

function finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}
