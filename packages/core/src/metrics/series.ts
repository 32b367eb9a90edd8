// Series: the per-label-set state of a metric. Plain classes with fixed shapes so the record
// path stays monomorphic: a lookup, an add, a store of the sweep generation.
import { formatLabelPairs } from './naming.js';
import type { SlidingWindowSketch } from './sketch/sliding-window.js';
import type { Labels } from './types.js';

/**
 * A label set, shared by every series that carries it in any metric of a collector: services
 * use the same few label sets across many metrics, so each is stored and formatted once.
 */
export class LabelSet {
  /** Series using this set; the collector forgets the set at zero. */
  refs = 0;
  private formatted: string | undefined = undefined;

  constructor(
    /** Canonical key: the sorted label pairs as JSON. */
    readonly key: string,
    /** The labels, keys sorted, frozen. */
    readonly labels: Labels,
  ) {}

  /** `name="value",…` for the exposition, computed on first use. */
  get prometheus(): string {
    this.formatted ??= formatLabelPairs(this.labels);
    return this.formatted;
  }
}

/**
 * Series keep their start time as milliseconds since this module loaded: a small integer V8
 * stores inline for the first 24 days, where an epoch timestamp would need a 16-byte box.
 */
const EPOCH_MS = Date.now();

export class Series {
  /** Sweep generation of the last update; the idle-series sweeper compares it. */
  touched: number;
  private readonly startOffset: number;

  constructor(
    readonly labelSet: LabelSet,
    startTimeMs: number,
    generation: number,
  ) {
    this.touched = generation;
    this.startOffset = startTimeMs - EPOCH_MS;
  }

  /** When this series started accumulating (epoch milliseconds). */
  get startTimeMs(): number {
    return EPOCH_MS + this.startOffset;
  }

  get labels(): Labels {
    return this.labelSet.labels;
  }
}

/** Counter and gauge state. */
export class ScalarSeries extends Series {
  value = 0;
}

/**
 * Explicit-bucket histogram state in one array of unboxed doubles: the per-bucket counts (not
 * cumulative, the last one +Inf), then sum, min and max. One array instead of a typed array and
 * three boxed number fields keeps a series near 170 bytes smaller.
 */
export class HistogramSeries extends Series {
  readonly data: number[];
  count = 0;

  constructor(labelSet: LabelSet, startTimeMs: number, generation: number, bucketCount: number) {
    super(labelSet, startTimeMs, generation);
    this.data = new Array<number>(bucketCount + 4).fill(0);
    this.data[bucketCount + 2] = Number.POSITIVE_INFINITY; // min
    this.data[bucketCount + 3] = Number.NEGATIVE_INFINITY; // max
  }

  /** Finite bucket bounds (derived from the array, to keep the series one field smaller). */
  get bucketCount(): number {
    return this.data.length - 4;
  }

  /** Per-bucket counts, the last for +Inf. */
  counts(): number[] {
    return this.data.slice(0, this.bucketCount + 1);
  }

  get sum(): number {
    return this.data[this.bucketCount + 1] as number;
  }

  get min(): number {
    return this.data[this.bucketCount + 2] as number;
  }

  get max(): number {
    return this.data[this.bucketCount + 3] as number;
  }
}

/** Summary state: quantiles over a sliding window, sum and count over the series' lifetime. */
export class SummarySeries extends Series {
  sum = 0;
  count = 0;

  constructor(
    labelSet: LabelSet,
    startTimeMs: number,
    generation: number,
    readonly window: SlidingWindowSketch,
  ) {
    super(labelSet, startTimeMs, generation);
  }
}
