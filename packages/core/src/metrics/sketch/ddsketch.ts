/**
 * DDSketch (Masson, Rim, Lee, VLDB 2019): a mergeable quantile sketch whose estimates are within a
 * relative error α of the true value of the requested rank. It backs the quantiles of `recordSummary()`:
 * recording costs one logarithm and one array increment, and memory is bounded by `maxBins` whatever
 * the data, unlike a t-digest whose cost grows with compression and re-clustering.
 */

/** Bins are allocated in runs of this size, so growth reallocates at most `maxBins / CHUNK` times. */
const CHUNK = 128;

// Sentinels for an empty store. They stay in V8's small-integer range (±2^30) so the index fields never
// turn into boxed doubles, which would slow the range check on the hot path; the bounds on
// relativeAccuracy and minIndexableValue keep every real index well inside them.
const EMPTY_MIN = 0x3fffffff;
const EMPTY_MAX = -0x40000000;

/** Shared by every store until its first value, so sketches that never record allocate no bins. */
const NO_BINS = new Float64Array(0);

// V8 object sizes used by byteSize(), measured on Node 20 (x64): the sketch and its two stores, and the
// typed array with its ArrayBuffer that a store allocates on its first value.
const SKETCH_OVERHEAD_BYTES = 130;
const STORE_OVERHEAD_BYTES = 105;
const TYPED_ARRAY_OVERHEAD_BYTES = 185;

/** Options of {@link DDSketch}. */
export interface DDSketchOptions {
  /**
   * Relative accuracy α, in (0, 1) and at least 1e-6: every quantile estimate is within α·|true value|
   * of the true value of that rank. Halving α roughly doubles the number of bins.
   * @default 0.01
   * @example { relativeAccuracy: 0.005 } // ±0.5 %
   */
  relativeAccuracy?: number;
  /**
   * Maximum number of bins per sign. Beyond it the lowest bins are collapsed into one, so memory stays
   * bounded (8 bytes per bin); quantiles whose values fall in the collapsed range lose the error bound.
   * With α = 0.01 the default spans a ratio of about 10^17 between the smallest and largest tracked value.
   * @default 2048
   * @example { maxBins: 512 } // at α = 0.01 still spans 1 µs .. 26 000 s
   */
  maxBins?: number;
  /**
   * Values whose magnitude is below this are counted as zero (their estimate is 0, not within α).
   * @default 1e-9
   * @example { minIndexableValue: 1e-12 } // picosecond resolution for durations in seconds
   */
  minIndexableValue?: number;
}

/**
 * One sign's bin counts: a dense Float64Array addressed by `index - offset`, grown in chunks toward
 * whichever side needs room. Once the occupied range would exceed `maxBins`, the lowest bins are folded
 * into the lowest kept bin ("collapsing lowest", as in DataDog's implementation): the high quantiles of
 * latency data are the ones that matter, so the low end gives up accuracy first.
 * Invariant: every bin outside [minIndex, maxIndex] is zero.
 */
class CollapsingLowestDenseStore {
  counts: Float64Array = NO_BINS;
  /** Bin index held by counts[0]. */
  offset = 0;
  minIndex = EMPTY_MIN;
  maxIndex = EMPTY_MAX;
  total = 0;
  readonly maxBins: number;
  // Read cursor, so that a run of ascending ranks is answered in one pass over the bins.
  private cursorIndex = 0;
  private cursorCount = 0;

  constructor(maxBins: number) {
    this.maxBins = maxBins;
  }

  add(index: number): void {
    const bin = index < this.minIndex || index > this.maxIndex ? this.extendRange(index) : index;
    this.counts[bin - this.offset]! += 1;
    this.total += 1;
  }

  merge(other: CollapsingLowestDenseStore): void {
    if (other.total === 0) return;
    // Extend upward first: if that collapses, the downward extension is clamped to the new lowest bin.
    if (other.maxIndex > this.maxIndex) this.extendRange(other.maxIndex);
    if (other.minIndex < this.minIndex) this.extendRange(other.minIndex);
    const floor = this.minIndex;
    const counts = this.counts;
    const offset = this.offset;
    const from = other.counts;
    for (let index = other.minIndex; index <= other.maxIndex; index++) {
      const c = from[index - other.offset]!;
      if (c !== 0) counts[Math.max(index, floor) - offset]! += c;
    }
    this.total += other.total;
  }

  /** Empties the store but keeps its array, so a reused sketch does not allocate again. */
  clear(): void {
    if (this.minIndex <= this.maxIndex) {
      this.counts.fill(0, this.minIndex - this.offset, this.maxIndex - this.offset + 1);
    }
    this.minIndex = EMPTY_MIN;
    this.maxIndex = EMPTY_MAX;
    this.total = 0;
  }

  byteSize(): number {
    const bins = this.counts.byteLength;
    return STORE_OVERHEAD_BYTES + (bins === 0 ? 0 : TYPED_ARRAY_OVERHEAD_BYTES + bins);
  }

  /** Starts a walk at the lowest bin; the store must not be empty. */
  resetCursor(): void {
    this.cursorIndex = this.minIndex;
    this.cursorCount = this.counts[this.minIndex - this.offset]!;
  }

  /**
   * Index of the bin holding the value of 0-based `rank` in ascending order. Successive calls after
   * resetCursor() must pass non-decreasing ranks below `total`.
   */
  advanceTo(rank: number): number {
    const counts = this.counts;
    const offset = this.offset;
    const last = this.maxIndex;
    let index = this.cursorIndex;
    let seen = this.cursorCount;
    while (seen <= rank && index < last) {
      index++;
      seen += counts[index - offset]!;
    }
    this.cursorIndex = index;
    this.cursorCount = seen;
    return index;
  }

  /**
   * Makes room for `index`, outside [minIndex, maxIndex], and returns the bin that must count it:
   * the index itself, or the lowest bin when the index falls below a collapsed range.
   */
  private extendRange(index: number): number {
    if (this.minIndex > this.maxIndex) {
      this.ensureRange(index, index);
      this.minIndex = index;
      this.maxIndex = index;
      return index;
    }
    if (index < this.minIndex) {
      // The range may reach at most maxBins below its top; anything lower joins the lowest bin.
      const low = Math.max(index, this.maxIndex - this.maxBins + 1);
      this.ensureRange(low, this.maxIndex);
      this.minIndex = low;
      return low;
    }
    const low = Math.max(this.minIndex, index - this.maxBins + 1);
    if (low > this.minIndex) {
      // A new top pushes the range past maxBins: fold the bins below `low` into bin `low`.
      const counts = this.counts;
      const end = Math.min(low - 1, this.maxIndex) - this.offset;
      let folded = 0;
      for (let i = this.minIndex - this.offset; i <= end; i++) {
        folded += counts[i]!;
        counts[i] = 0;
      }
      if (low > this.maxIndex) {
        // Every occupied bin was folded: nothing is left for ensureRange() to move.
        this.minIndex = EMPTY_MIN;
        this.maxIndex = EMPTY_MAX;
      } else {
        this.minIndex = low;
      }
      this.ensureRange(low, index);
      this.counts[low - this.offset]! += folded;
    } else {
      this.ensureRange(low, index);
    }
    this.minIndex = low;
    this.maxIndex = index;
    return index;
  }

  /** Makes bins [low, high] addressable, keeping the counts of [minIndex, maxIndex] (which it contains). */
  private ensureRange(low: number, high: number): void {
    const length = this.counts.length;
    if (low >= this.offset && high < this.offset + length) return;
    const needed = high - low + 1;
    const newLength = needed <= length ? length : Math.min(Math.ceil(needed / CHUNK) * CHUNK, this.maxBins);
    // Centre the occupied range, so either side has room before the next move.
    const newOffset = low - ((newLength - needed) >> 1);
    const from = this.minIndex;
    const to = this.maxIndex;
    if (newLength === length) {
      if (from <= to) {
        const counts = this.counts;
        counts.copyWithin(from - newOffset, from - this.offset, to - this.offset + 1);
        counts.fill(0, 0, from - newOffset);
        counts.fill(0, to - newOffset + 1);
      }
    } else {
      const grown = new Float64Array(newLength);
      if (from <= to)
        grown.set(this.counts.subarray(from - this.offset, to - this.offset + 1), from - newOffset);
      this.counts = grown;
    }
    this.offset = newOffset;
  }
}

/**
 * A DDSketch with relative accuracy α: bin i holds the values in (γ^(i-1), γ^i] with
 * γ = (1+α)/(1-α), and reports 2·γ^i/(γ+1), which is within α of every value in the bin.
 * Negative values go to a mirrored store and values with |v| < minIndexableValue to a zero count.
 *
 * Rank definition: `quantile(q)` estimates the value of 0-based rank floor(q·(count−1)) in sorted
 * order, so for q in (0, 1) the estimate is within α·|x| of that value x, provided x lies above any
 * collapsed range (see {@link DDSketchOptions.maxBins}). quantile(0) and quantile(1) are the exact
 * min and max, and every estimate is clamped to [min, max], which can only bring it closer.
 *
 * @example
 * const sketch = new DDSketch({ relativeAccuracy: 0.01 });
 * for (const ms of latencies) sketch.add(ms);
 * const [p50, p99] = sketch.quantiles([0.5, 0.99]);
 */
export class DDSketch {
  private readonly alpha: number;
  private readonly minIndexable: number;
  /** 1 / ln γ, so the index costs one log and one multiply. */
  private readonly multiplier: number;
  private readonly logGamma: number;
  /** 2 / (γ + 1): turns γ^i, a bin's upper bound, into its representative value. */
  private readonly midFactor: number;
  private readonly positive: CollapsingLowestDenseStore;
  private readonly negative: CollapsingLowestDenseStore;
  private zeroCount = 0;
  private total = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = Number.NEGATIVE_INFINITY;

  /** @throws RangeError when an option is out of range (a setup error, never raised by add()). */
  constructor(options: DDSketchOptions = {}) {
    const alpha = options.relativeAccuracy ?? 0.01;
    const maxBins = options.maxBins ?? 2048;
    const minIndexable = options.minIndexableValue ?? 1e-9;
    if (!(alpha >= 1e-6 && alpha < 1)) {
      throw new RangeError(`DDSketch: relativeAccuracy must be in [1e-6, 1), got ${alpha}; 0.01 means ±1 %.`);
    }
    if (!Number.isInteger(maxBins) || maxBins < 1 || maxBins > 1 << 24) {
      throw new RangeError(`DDSketch: maxBins must be an integer in [1, 2^24], got ${maxBins}.`);
    }
    if (!(minIndexable >= 1e-300 && minIndexable < 1)) {
      throw new RangeError(`DDSketch: minIndexableValue must be in [1e-300, 1), got ${minIndexable}.`);
    }
    const gamma = (1 + alpha) / (1 - alpha);
    this.alpha = alpha;
    this.minIndexable = minIndexable;
    this.logGamma = Math.log(gamma);
    this.multiplier = 1 / this.logGamma;
    this.midFactor = 2 / (gamma + 1);
    this.positive = new CollapsingLowestDenseStore(maxBins);
    this.negative = new CollapsingLowestDenseStore(maxBins);
  }

  /** The relative accuracy α this sketch was built with. */
  get relativeAccuracy(): number {
    return this.alpha;
  }

  /** Number of values added (including merged ones). */
  get count(): number {
    return this.total;
  }

  /** Exact smallest value added, or NaN when empty. */
  get min(): number {
    return this.total === 0 ? Number.NaN : this.minValue;
  }

  /** Exact largest value added, or NaN when empty. */
  get max(): number {
    return this.total === 0 ? Number.NaN : this.maxValue;
  }

  /**
   * Records one value. The caller must have rejected NaN and ±Infinity. Allocates only when a store
   * grows, at most `maxBins / 128` times per sign over the sketch's life.
   */
  add(value: number): void {
    if (value >= this.minIndexable) {
      this.positive.add(Math.ceil(Math.log(value) * this.multiplier));
    } else if (value <= -this.minIndexable) {
      this.negative.add(Math.ceil(Math.log(-value) * this.multiplier));
    } else {
      this.zeroCount += 1;
    }
    this.total += 1;
    if (value < this.minValue) this.minValue = value;
    if (value > this.maxValue) this.maxValue = value;
  }

  /**
   * Adds every value of `other` to this sketch; `other` is unchanged. Bins line up exactly, so merging
   * sketches of parts gives the same quantiles as one sketch of the whole (unless either collapsed).
   * @throws Error when the sketches differ in relativeAccuracy or minIndexableValue (a setup error).
   */
  merge(other: DDSketch): void {
    if (other.alpha !== this.alpha || other.minIndexable !== this.minIndexable) {
      throw new Error(
        `DDSketch.merge: cannot merge a sketch with relativeAccuracy ${other.alpha} and minIndexableValue ` +
          `${other.minIndexable} into one with ${this.alpha} and ${this.minIndexable}; build both with the same options.`,
      );
    }
    if (other.total === 0) return;
    this.positive.merge(other.positive);
    this.negative.merge(other.negative);
    this.zeroCount += other.zeroCount;
    this.total += other.total;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  /** Forgets every value but keeps the allocated bins for reuse. */
  clear(): void {
    this.positive.clear();
    this.negative.clear();
    this.zeroCount = 0;
    this.total = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = Number.NEGATIVE_INFINITY;
  }

  /**
   * Estimate of the value of 0-based rank floor(q·(count−1)); exact min for q = 0 and max for q = 1.
   * @returns NaN when the sketch is empty or q is not in [0, 1].
   */
  quantile(q: number): number {
    if (this.total === 0 || !(q >= 0 && q <= 1)) return Number.NaN;
    if (q === 0) return this.minValue;
    if (q === 1) return this.maxValue;
    const rank = Math.floor(q * (this.total - 1));
    const negative = this.negative;
    if (rank < negative.total) {
      // Negatives are stored by magnitude: ascending values are descending magnitudes.
      negative.resetCursor();
      return this.clamp(-this.binValue(negative.advanceTo(negative.total - 1 - rank)));
    }
    const zeroEnd = negative.total + this.zeroCount;
    if (rank < zeroEnd) return 0;
    this.positive.resetCursor();
    return this.clamp(this.binValue(this.positive.advanceTo(rank - zeroEnd)));
  }

  /**
   * Estimates for several quantiles, like quantile() for each. When `qs` is ascending, as a summary's
   * quantiles are, the bins are walked once for all of them.
   * @param out reused for the result (its length is set to qs.length), to avoid allocating per scrape.
   */
  quantiles(qs: readonly number[], out: number[] = []): number[] {
    const n = qs.length;
    out.length = n;
    if (this.total === 0) return out.fill(Number.NaN);
    if (!isAscendingInUnitInterval(qs)) {
      for (let i = 0; i < n; i++) out[i] = this.quantile(qs[i]!);
      return out;
    }
    const last = this.total - 1;
    const negative = this.negative;
    const zeroEnd = negative.total + this.zeroCount;
    let i = 0;
    while (i < n && qs[i] === 0) out[i++] = this.minValue;
    let end = i;
    while (end < n && qs[end]! < 1 && Math.floor(qs[end]! * last) < negative.total) end++;
    if (end > i) {
      // Ascending negative values are descending magnitudes: walk this run backwards.
      negative.resetCursor();
      for (let k = end - 1; k >= i; k--) {
        const rank = Math.floor(qs[k]! * last);
        out[k] = this.clamp(-this.binValue(negative.advanceTo(negative.total - 1 - rank)));
      }
      i = end;
    }
    while (i < n && qs[i]! < 1 && Math.floor(qs[i]! * last) < zeroEnd) out[i++] = 0;
    if (i < n && qs[i]! < 1) {
      const positive = this.positive;
      positive.resetCursor();
      for (; i < n && qs[i]! < 1; i++) {
        out[i] = this.clamp(this.binValue(positive.advanceTo(Math.floor(qs[i]! * last) - zeroEnd)));
      }
    }
    while (i < n) out[i++] = this.maxValue;
    return out;
  }

  /**
   * Approximate memory footprint in bytes: about 340 while empty, plus 8 per allocated bin and ~185 per
   * allocated store. Latency data spanning 1 ms to 10 s takes about 4.6 kB at α = 0.01.
   */
  byteSize(): number {
    return SKETCH_OVERHEAD_BYTES + this.positive.byteSize() + this.negative.byteSize();
  }

  /** Representative value of bin `index`: within α of every value in (γ^(index-1), γ^index]. */
  private binValue(index: number): number {
    return Math.exp(index * this.logGamma) * this.midFactor;
  }

  private clamp(value: number): number {
    return Math.min(Math.max(value, this.minValue), this.maxValue);
  }
}

function isAscendingInUnitInterval(qs: readonly number[]): boolean {
  let previous = 0;
  for (const q of qs) {
    if (!(q >= previous && q <= 1)) return false;
    previous = q;
  }
  return true;
}
