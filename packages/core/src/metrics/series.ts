// Series: the per-label-set state of a metric. Plain classes with fixed shapes so the record
// path stays monomorphic: a lookup, an add, a store of the sweep generation.
import type { SlidingWindowSketch } from './sketch/sliding-window.js';
import type { Labels } from './types.js';

export class Series {
  /** Sweep generation of the last update; the idle-series sweeper compares it. */
  touched: number;
  /** Set when the sweeper dropped this series; bound handles then re-resolve their labels. */
  detached = false;
  /** `name="value",…` for the exposition, computed on first scrape. */
  promLabels: string | undefined = undefined;

  constructor(
    readonly labels: Labels,
    readonly startTimeMs: number,
    generation: number,
  ) {
    this.touched = generation;
  }
}

/** Counter and gauge state. */
export class ScalarSeries extends Series {
  value = 0;
}

/** Explicit-bucket histogram state; `counts` are per bucket (not cumulative), the last is +Inf. */
export class HistogramSeries extends Series {
  readonly counts: Float64Array;
  sum = 0;
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;

  constructor(labels: Labels, startTimeMs: number, generation: number, bucketCount: number) {
    super(labels, startTimeMs, generation);
    this.counts = new Float64Array(bucketCount + 1);
  }
}

/** Summary state: quantiles over a sliding window, sum and count over the series' lifetime. */
export class SummarySeries extends Series {
  sum = 0;
  count = 0;

  constructor(
    labels: Labels,
    startTimeMs: number,
    generation: number,
    readonly window: SlidingWindowSketch,
  ) {
    super(labels, startTimeMs, generation);
  }
}
