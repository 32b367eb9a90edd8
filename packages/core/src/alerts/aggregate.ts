// Reducing one series' samples over an evaluation window to the single value a rule compares:
// PromQL's `last_over_time`, `avg_over_time`, …, `increase`, `rate` and `histogram_quantile`,
// with Prometheus' counter-reset handling, for samples held in memory.
import type { MetricKind } from '../metrics/types.js';
import { type Aggregation, parseQuantile } from './rule.js';
import type { HistogramBuckets, SeriesSample } from './samples.js';

/** One aggregated value; `hasData` false when the window holds too few samples to compute it. */
export interface AggregateResult {
  /** NaN when there is no value (no data, or a histogram without observations in the window). */
  readonly value: number;
  readonly hasData: boolean;
}

const NO_DATA: AggregateResult = Object.freeze({ value: Number.NaN, hasData: false });

/**
 * The aggregation a rule without one uses: the increase for counters, because a counter's level
 * (errors since the process started) is rarely what anyone alerts on; the latest value otherwise.
 */
export function defaultAggregation(kind: MetricKind): Aggregation {
  return kind === 'counter' ? 'increase' : 'last';
}

/**
 * Samples oldest first, read by index: an array, or a series' ring in the history read in place
 * (so evaluating a rule copies no samples).
 */
export interface SampleWindow {
  readonly length: number;
  at(index: number): SeriesSample | undefined;
}

/** Index of the first sample with time > t (samples oldest first). */
function firstAfter(samples: SampleWindow, t: number): number {
  let lo = 0;
  let hi = samples.length;
  // Windows end at "now", so the last sample usually is the end: check it before searching.
  if (hi > 0 && (samples.at(hi - 1) as SeriesSample).time <= t) return hi;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((samples.at(mid) as SeriesSample).time <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Aggregates the samples with windowStart < time ≤ now (samples oldest first, as SampleHistory
 * keeps them). Histograms and summaries aggregate their count (`value`) except for quantiles.
 *
 * - `last`, `avg`, `min`, `max`, `sum`, `count`: over the samples in the window.
 * - `increase`: last − first, where a value below its predecessor is a counter reset (the process
 *   restarted and counts from 0 again), so the value after it counts as increase, as in
 *   Prometheus. Unlike Prometheus' `increase`, nothing is extrapolated to the window's edges: the
 *   result is exactly what the samples show, so an integer counter gives an integer increase.
 *   Needs two samples: one sample shows no change (nor can it show that the rule's period is
 *   shorter than the collection interval, which reporting 0 would hide).
 * - `rate`: the increase per second between the first and last sample in the window.
 * - `pNN` for histograms: Prometheus' `histogram_quantile` over the buckets' increase in the
 *   window (per-bucket, resets handled alike; two snapshots needed). No observations in the
 *   window gives NaN with `hasData` true: the series is there, it just saw nothing.
 * - `pNN` for summaries: the latest sample's value for exactly that quantile; a quantile the
 *   summary does not report gives no data rather than a neighbour's value.
 *
 * @throws TypeError for an aggregation that does not apply to the kind: a quantile of a counter
 *   or gauge, `rate`/`increase` of a gauge (its drops are not resets). The evaluator turns this
 *   into the alert's `error` state.
 * @example aggregate(samples, 'increase', 'counter', now - 300_000, now) // { value: 15, hasData: true }
 */
export function aggregate(
  samples: SampleWindow,
  aggregation: Aggregation,
  kind: MetricKind,
  windowStart: number,
  now: number,
): AggregateResult {
  const from = firstAfter(samples, windowStart);
  const to = firstAfter(samples, now);
  const q = aggregation.charCodeAt(0) === 112 /* p */ ? parseQuantile(aggregation) : undefined;
  if (q !== undefined) {
    if (kind === 'histogram') return histogramQuantile(q, samples, from, to);
    if (kind === 'summary') return summaryQuantile(q, samples.at(to - 1), from < to);
    throw new TypeError(`aggregation ${aggregation} needs a histogram or a summary, not a ${kind}`);
  }
  if ((aggregation === 'rate' || aggregation === 'increase') && kind === 'gauge') {
    throw new TypeError(`aggregation ${aggregation} needs a counter, histogram or summary, not a gauge`);
  }
  if (from >= to) return NO_DATA;
  const first = samples.at(from) as SeriesSample;
  const last = samples.at(to - 1) as SeriesSample;
  switch (aggregation) {
    case 'last':
      return { value: last.value, hasData: true };
    case 'count':
      return { value: to - from, hasData: true };
    case 'sum':
    case 'avg': {
      let sum = 0;
      for (let i = from; i < to; i++) sum += (samples.at(i) as SeriesSample).value;
      return { value: aggregation === 'sum' ? sum : sum / (to - from), hasData: true };
    }
    case 'min': {
      let min = first.value;
      for (let i = from + 1; i < to; i++) min = Math.min(min, (samples.at(i) as SeriesSample).value);
      return { value: min, hasData: true };
    }
    case 'max': {
      let max = first.value;
      for (let i = from + 1; i < to; i++) max = Math.max(max, (samples.at(i) as SeriesSample).value);
      return { value: max, hasData: true };
    }
    case 'increase':
    case 'rate': {
      if (to - from < 2) return NO_DATA;
      const increase = counterIncrease(samples, from, to);
      const value = aggregation === 'increase' ? increase : increase / ((last.time - first.time) / 1000);
      return { value, hasData: true };
    }
    default:
      throw new TypeError(`unknown aggregation ${JSON.stringify(aggregation)}`);
  }
}

/** Sum of the steps between consecutive samples; a drop is a reset, after which the value is new. */
function counterIncrease(samples: SampleWindow, from: number, to: number): number {
  let increase = 0;
  let previous = (samples.at(from) as SeriesSample).value;
  for (let i = from + 1; i < to; i++) {
    const current = (samples.at(i) as SeriesSample).value;
    increase += current >= previous ? current - previous : current;
    previous = current;
  }
  return increase;
}

function histogramQuantile(q: number, samples: SampleWindow, from: number, to: number): AggregateResult {
  let previous: SeriesSample | undefined;
  let boundaries: readonly number[] = [];
  let increase: number[] = [];
  let snapshots = 0;
  for (let i = from; i < to; i++) {
    const sample = samples.at(i) as SeriesSample;
    const current = sample.buckets;
    if (current === undefined) continue;
    snapshots++;
    const before: HistogramBuckets | undefined = previous?.buckets;
    if (before === undefined || previous === undefined) {
      boundaries = current.boundaries;
      increase = current.counts.map(() => 0);
    } else if (!sameBoundaries(before.boundaries, current.boundaries)) {
      // Re-created with other buckets: what came before cannot be added to it, so start over
      // as after a reset, counting everything the new histogram holds.
      boundaries = current.boundaries;
      increase = [...current.counts];
    } else {
      const reset =
        sample.value < previous.value || current.counts.some((count, i) => count < (before.counts[i] ?? 0));
      for (let i = 0; i < increase.length; i++) {
        const count = current.counts[i] ?? 0;
        increase[i] = (increase[i] ?? 0) + (reset ? count : count - (before.counts[i] ?? 0));
      }
    }
    previous = sample;
  }
  if (snapshots < 2) return NO_DATA;
  return { value: bucketQuantile(q, boundaries, increase), hasData: true };
}

function sameBoundaries(a: readonly number[], b: readonly number[]): boolean {
  return a === b || (a.length === b.length && a.every((bound, i) => bound === b[i]));
}

/**
 * Prometheus' histogram_quantile over non-cumulative counts: find the bucket holding the rank
 * q × total and interpolate linearly inside it, the lowest bucket starting at 0 (unless its upper
 * bound is ≤ 0); a rank in the +Inf bucket gives the highest finite bound.
 */
export function bucketQuantile(q: number, boundaries: readonly number[], counts: readonly number[]): number {
  let total = 0;
  for (const count of counts) total += count;
  if (total === 0) return Number.NaN;
  const rank = q * total;
  let cumulative = 0;
  for (let i = 0; i < boundaries.length; i++) {
    const count = counts[i] ?? 0;
    const below = cumulative;
    cumulative += count;
    if (cumulative < rank) continue;
    const upper = boundaries[i] as number;
    if (i === 0 && upper <= 0) return upper;
    const lower = i === 0 ? 0 : (boundaries[i - 1] as number);
    if (count === 0) return lower;
    return lower + (upper - lower) * ((rank - below) / count);
  }
  return boundaries.length > 0 ? (boundaries[boundaries.length - 1] as number) : Number.NaN;
}

function summaryQuantile(q: number, latest: SeriesSample | undefined, inWindow: boolean): AggregateResult {
  if (!inWindow || latest?.quantiles === undefined) return NO_DATA;
  // Keys are text ('0.99', '0.990'): compare as numbers.
  for (const [key, value] of Object.entries(latest.quantiles)) {
    if (Number(key) === q) return { value, hasData: true };
  }
  return NO_DATA;
}
