// What alert rules are evaluated on: recent samples of every series (a metric and one label set),
// fed in by whoever collects the metrics, kept in a bounded ring per series covering only as much
// time as the longest evaluation period needs. Pure data: time is always passed in.
import { escapeLabelValue } from '../metrics/naming.js';
import type { Labels, MetricKind } from '../metrics/types.js';

/** Histogram buckets of one snapshot, as OpenTelemetry reports them. */
export interface HistogramBuckets {
  /** Upper bounds (`le`), strictly increasing; the last bucket (`+Inf`) has none. */
  readonly boundaries: readonly number[];
  /**
   * Observations per bucket, NOT cumulative (OpenTelemetry's layout, not Prometheus' `le`
   * series): `counts[i]` counts values in (boundaries[i-1], boundaries[i]], and the last entry
   * counts values above the last boundary, so `counts.length === boundaries.length + 1`. Each
   * count is itself cumulative over time, like a counter.
   */
  readonly counts: readonly number[];
}

/** One observation of one series at one time. */
export interface SeriesSample {
  readonly metric: string;
  readonly kind: MetricKind;
  readonly labels: Labels;
  /** Epoch milliseconds. */
  readonly time: number;
  /** The counter's or gauge's value; for histograms and summaries, the count of observations. */
  readonly value: number;
  /** Histograms and summaries: the sum of observations. */
  readonly sum?: number;
  /** Histograms. */
  readonly buckets?: HistogramBuckets;
  /** Summaries: quantile as text (`'0.99'`) → value. */
  readonly quantiles?: Readonly<Record<string, number>>;
}

/**
 * Select series by label: a string must equal the label's value, a RegExp must match it (`test`,
 * unanchored like any RegExp, so anchor it yourself). A missing label reads as '', as in Prometheus.
 * @example { method: 'GET', status: /^5\d\d$/ }
 */
export type LabelMatchers = Readonly<Record<string, string | RegExp>>;

/**
 * A predicate for label sets, compiled once.
 * @throws TypeError when a matcher is neither a string nor a RegExp
 */
export function compileLabelMatchers(matchers: LabelMatchers): (labels: Labels) => boolean {
  const tests: Array<readonly [string, (value: string) => boolean]> = [];
  for (const [name, matcher] of Object.entries(matchers)) {
    if (typeof matcher === 'string') {
      tests.push([name, (value) => value === matcher]);
    } else if (matcher instanceof RegExp) {
      // `g` and `y` make `test` remember lastIndex between calls: match with a copy without them.
      const regex = new RegExp(matcher.source, matcher.flags.replace(/[gy]/g, ''));
      tests.push([name, (value) => regex.test(value)]);
    } else {
      throw new TypeError(`label matcher "${name}" must be a string or a RegExp, got ${typeof matcher}`);
    }
  }
  if (tests.length === 0) return () => true;
  return (labels) => {
    for (const [name, test] of tests) if (!test(labels[name] ?? '')) return false;
    return true;
  };
}

/**
 * The identity of a series (or an alert instance): the name and the labels sorted by name, written
 * as Prometheus writes a series so that it reads well where it is shown.
 * @example formatSeriesKey('errors.total', { b: '2', a: '1' }) // 'errors.total{a="1",b="2"}'
 */
export function formatSeriesKey(name: string, labels: Labels): string {
  const names = Object.keys(labels);
  if (names.length === 0) return name;
  names.sort();
  return `${name}{${names.map((label) => `${label}="${escapeLabelValue(labels[label] ?? '')}"`).join(',')}}`;
}

/** The samples of one series, oldest first. */
export interface SeriesSamples extends Iterable<SeriesSample> {
  readonly length: number;
  /** The i-th oldest sample; undefined out of range. */
  at(index: number): SeriesSample | undefined;
  /** The samples with start < time ≤ end, oldest first. */
  between(start: number, end: number): SeriesSample[];
}

/** One series a query selected. */
export interface SelectedSeries {
  readonly metric: string;
  readonly kind: MetricKind;
  readonly labels: Labels;
  readonly samples: SeriesSamples;
}

export interface SampleHistoryOptions {
  /**
   * How long samples are kept (ms): the longest evaluation period of any rule plus a margin of a
   * few collection intervals, so the oldest sample of a window is still there.
   * @example 360_000 // a 300 s period and a minute of margin
   */
  retainMs: number;
  /**
   * Samples kept per series at most; the oldest is overwritten beyond it, which bounds memory when
   * samples come faster than expected.
   * @default 10000
   */
  maxSamplesPerSeries?: number;
  /**
   * Series kept at most; samples of further series are dropped (and counted) until pruning frees
   * room, so a label-cardinality explosion cannot exhaust memory.
   * @default 10000
   */
  maxSeries?: number;
}

/** Why `add` dropped a sample. */
export type SampleDropReason = 'invalid' | 'out_of_order' | 'kind_conflict' | 'series_limit';

const KINDS: ReadonlySet<string> = new Set(['counter', 'gauge', 'histogram', 'summary']);

/**
 * One series' samples, ordered by time, at most `capacity` of them: an array read from `head`,
 * so that reading by index is one addition (no modulo) and dropping the oldest moves an index.
 * The dropped prefix is cut off once it outgrows the live part, which keeps appends amortised O(1).
 */
class SampleRing implements SeriesSamples {
  private items: SeriesSample[] = [];
  private head = 0;

  constructor(private readonly capacity: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  at(index: number): SeriesSample | undefined {
    return index < 0 ? undefined : this.items[this.head + index];
  }

  last(): SeriesSample | undefined {
    return this.items.length > this.head ? this.items[this.items.length - 1] : undefined;
  }

  /** Appends; returns false when the oldest sample had to be dropped to make room. */
  push(sample: SeriesSample): boolean {
    this.items.push(sample);
    if (this.length <= this.capacity) return true;
    this.advance(1);
    return false;
  }

  replaceLast(sample: SeriesSample): void {
    this.items[this.items.length - 1] = sample;
  }

  /** Drops samples at or before `time`. */
  dropUntil(time: number): void {
    let dropped = 0;
    while (
      this.head + dropped < this.items.length &&
      (this.items[this.head + dropped] as SeriesSample).time <= time
    )
      dropped++;
    if (dropped > 0) this.advance(dropped);
  }

  between(start: number, end: number): SeriesSample[] {
    const out: SeriesSample[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const sample = this.items[i] as SeriesSample;
      if (sample.time > end) break;
      if (sample.time > start) out.push(sample);
    }
    return out;
  }

  private advance(count: number): void {
    this.head += count;
    if (this.head >= this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  *[Symbol.iterator](): Iterator<SeriesSample> {
    for (let i = this.head; i < this.items.length; i++) yield this.items[i] as SeriesSample;
  }
}

interface SeriesEntry extends SelectedSeries {
  readonly samples: SampleRing;
}

/**
 * Recent samples per series, bounded in time, in samples per series and in series.
 * Samples are kept as given: do not mutate them after adding.
 * @example
 * const history = new SampleHistory({ retainMs: 360_000 });
 * history.add([{ metric: 'errors.total', kind: 'counter', labels: {}, time: now, value: 42 }]);
 * for (const { labels, samples } of history.series('errors.total')) { ... }
 * history.prune(now);
 */
export class SampleHistory {
  /** Mutable: the alert manager widens it as rules with longer periods arrive. */
  retainMs: number;
  /** Series keys by label object (see add()). */
  private readonly keys = new WeakMap<Labels, string>();
  private changes = 0;

  /** Changes whenever a series appears or goes: selections cached against it stay valid until then. */
  get version(): number {
    return this.changes;
  }
  private readonly maxSamples: number;
  private readonly maxSeries: number;
  /** metric → series key → series. */
  private readonly metrics = new Map<string, Map<string, SeriesEntry>>();
  private seriesCount = 0;
  private readonly drops: Record<SampleDropReason, number> = {
    invalid: 0,
    out_of_order: 0,
    kind_conflict: 0,
    series_limit: 0,
  };
  private overwritten = 0;

  constructor(options: SampleHistoryOptions) {
    const { retainMs, maxSamplesPerSeries = 10_000, maxSeries = 10_000 } = options;
    if (!Number.isFinite(retainMs) || retainMs <= 0) {
      throw new RangeError(`SampleHistory retainMs must be a positive number of ms, got ${retainMs}`);
    }
    if (!Number.isInteger(maxSamplesPerSeries) || maxSamplesPerSeries < 2) {
      throw new RangeError(
        `SampleHistory maxSamplesPerSeries must be an integer ≥ 2, got ${maxSamplesPerSeries}`,
      );
    }
    if (!Number.isInteger(maxSeries) || maxSeries < 1) {
      throw new RangeError(`SampleHistory maxSeries must be a positive integer, got ${maxSeries}`);
    }
    this.retainMs = retainMs;
    this.maxSamples = maxSamplesPerSeries;
    this.maxSeries = maxSeries;
  }

  /**
   * Adds samples. Never throws: an invalid sample, one older than its series' latest (Prometheus
   * rejects those too), one of a different kind than its series, or one of a series beyond
   * `maxSeries` is dropped and counted in `stats`. A sample at the same time as its series' latest
   * replaces it (the same collection seen twice).
   */
  add(samples: readonly SeriesSample[]): void {
    for (const sample of samples) {
      if (!isValid(sample)) {
        this.drops.invalid++;
        continue;
      }
      let bySeries = this.metrics.get(sample.metric);
      // Label objects from the metrics pipeline are the same objects every collection (and shared
      // across metrics): their key within a metric is computed once.
      let key = this.keys.get(sample.labels);
      if (key === undefined) {
        key = formatSeriesKey('', sample.labels);
        this.keys.set(sample.labels, key);
      }
      let entry = bySeries?.get(key);
      if (entry === undefined) {
        if (this.seriesCount >= this.maxSeries) {
          this.drops.series_limit++;
          continue;
        }
        if (bySeries === undefined) {
          bySeries = new Map();
          this.metrics.set(sample.metric, bySeries);
        }
        entry = {
          metric: sample.metric,
          kind: sample.kind,
          labels: Object.freeze({ ...sample.labels }),
          samples: new SampleRing(this.maxSamples),
        };
        bySeries.set(key, entry);
        this.seriesCount++;
        this.changes++;
      }
      if (entry.kind !== sample.kind) {
        this.drops.kind_conflict++;
        continue;
      }
      const last = entry.samples.last();
      if (last !== undefined && sample.time < last.time) {
        this.drops.out_of_order++;
      } else if (last !== undefined && sample.time === last.time) {
        entry.samples.replaceLast(sample);
      } else if (!entry.samples.push(sample)) {
        this.overwritten++;
      }
    }
  }

  /**
   * The series of a metric whose labels pass `select` (all of them without it). Each series'
   * samples are oldest first.
   */
  *series(
    metric: string,
    select?: LabelMatchers | ((labels: Labels) => boolean),
  ): IterableIterator<SelectedSeries> {
    const bySeries = this.metrics.get(metric);
    if (bySeries === undefined) return;
    const test = typeof select === 'function' ? select : compileLabelMatchers(select ?? {});
    for (const entry of bySeries.values()) if (test(entry.labels)) yield entry;
  }

  /** Whether any series of the metric is held. */
  has(metric: string): boolean {
    return this.metrics.has(metric);
  }

  /** Forgets samples at or before now − retainMs, and series left without samples. */
  prune(now: number): void {
    const cutoff = now - this.retainMs;
    for (const [metric, bySeries] of this.metrics) {
      for (const [key, entry] of bySeries) {
        entry.samples.dropUntil(cutoff);
        if (entry.samples.length === 0) {
          bySeries.delete(key);
          this.seriesCount--;
          this.changes++;
        }
      }
      if (bySeries.size === 0) this.metrics.delete(metric);
    }
  }

  /** Sizes and what was dropped, for the SDK's self-monitoring. */
  get stats(): {
    series: number;
    samples: number;
    dropped: Readonly<Record<SampleDropReason, number>>;
    overwritten: number;
  } {
    let samples = 0;
    for (const bySeries of this.metrics.values()) {
      for (const entry of bySeries.values()) samples += entry.samples.length;
    }
    return { series: this.seriesCount, samples, dropped: { ...this.drops }, overwritten: this.overwritten };
  }
}

function isValid(sample: SeriesSample): boolean {
  if (sample === null || typeof sample !== 'object') return false;
  const { metric, kind, labels, time, value, buckets } = sample;
  if (typeof metric !== 'string' || metric === '' || !KINDS.has(kind)) return false;
  if (labels === null || typeof labels !== 'object') return false;
  if (!Number.isFinite(time) || typeof value !== 'number' || !Number.isFinite(value)) return false;
  if (buckets !== undefined) {
    if (!Array.isArray(buckets.boundaries) || !Array.isArray(buckets.counts)) return false;
    if (buckets.counts.length !== buckets.boundaries.length + 1) return false;
    if (buckets.counts.some((count) => !Number.isFinite(count) || count < 0)) return false;
  }
  return true;
}
