/**
 * Tests of the quantile sketches behind `recordSummary()`: DDSketch's relative-error guarantee on
 * a million samples of several shapes, exact merges, bounded memory when collapsing, and the sliding
 * window's ageing driven by a fake time source.
 */

import { afterEach, describe, expect, it, vi } from 'vitest';
import { DDSketch } from '../../src/metrics/sketch/ddsketch.js';
import { SlidingWindowSketch, SlotClock } from '../../src/metrics/sketch/sliding-window.js';

const QS = [0.5, 0.9, 0.95, 0.99, 0.999] as const;
const ALPHA = 0.01;
// Floating-point slack on top of α: the bound is exactly α at a bin's edges.
const TOLERANCE = ALPHA * (1 + 1e-9);

/** mulberry32: a tiny seeded PRNG, so every run sees the same samples. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function normal(random: () => number): number {
  // Box-Muller; 1 - u keeps the logarithm's argument in (0, 1].
  return Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
}

function samples(n: number, draw: (random: () => number) => number, seed = 42): Float64Array {
  const random = mulberry32(seed);
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = draw(random);
  return values;
}

/** The value of 0-based rank floor(q·(n−1)) in sorted order: the rank DDSketch.quantile estimates. */
function exactQuantile(sorted: Float64Array, q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))]!;
}

function relativeError(estimate: number, exact: number): number {
  return exact === 0 ? Math.abs(estimate) : Math.abs(estimate - exact) / Math.abs(exact);
}

function sketchOf(values: Float64Array, options = {}): DDSketch {
  const sketch = new DDSketch({ relativeAccuracy: ALPHA, ...options });
  for (const value of values) sketch.add(value);
  return sketch;
}

const N = 1_000_000;
const distributions: [string, (random: () => number) => number][] = [
  ['uniform(0, 1000)', (random) => random() * 1000],
  ['lognormal(mu = 0, sigma = 2)', (random) => Math.exp(2 * normal(random))],
  ['exponential(rate = 1)', (random) => -Math.log(1 - random())],
  [
    'bimodal: 70 % around 20 ms, 30 % around 300 ms',
    (random) => (random() < 0.7 ? 20 + 2 * normal(random) : 300 + 30 * normal(random)),
  ],
  [
    'mixed signs: 30 % negative, 20 % exact zeros, 50 % positive',
    (random) => {
      const u = random();
      if (u < 0.2) return 0;
      const magnitude = Math.exp(1.5 * normal(random));
      return u < 0.5 ? -magnitude : magnitude;
    },
  ],
];

describe('DDSketch', () => {
  describe.each(distributions)('on 1,000,000 samples of %s', (_name, draw) => {
    const values = samples(N, draw);
    const sorted = Float64Array.from(values).sort();
    const sketch = sketchOf(values);

    it.each(QS)('estimates q = %s within 1 % of the exact value of that rank', (q) => {
      expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(TOLERANCE);
    });

    it('returns the exact min and max for q = 0 and q = 1, and counts every sample', () => {
      expect(sketch.quantile(0)).toBe(sorted[0]);
      expect(sketch.quantile(1)).toBe(sorted[N - 1]);
      expect(sketch.min).toBe(sorted[0]);
      expect(sketch.max).toBe(sorted[N - 1]);
      expect(sketch.count).toBe(N);
    });

    it('answers quantiles() in one pass with the same estimates as quantile() per q', () => {
      const qs = [0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1];
      expect(sketch.quantiles(qs)).toEqual(qs.map((q) => sketch.quantile(q)));
      // Out of order, the same answers come from the per-q fallback.
      const shuffled = [0.99, 0.5, 0.001, 1, 0.9];
      expect(sketch.quantiles(shuffled)).toEqual(shuffled.map((q) => sketch.quantile(q)));
    });
  });

  it('keeps the estimates of the lowest quantiles within 1 % on mixed signs', () => {
    // The negative store is walked by magnitude in reverse; low q exercise that path.
    const values = samples(200_000, distributions[4]![1], 7);
    const sorted = Float64Array.from(values).sort();
    const sketch = sketchOf(values);
    const qs = [0.001, 0.01, 0.1, 0.2, 0.29];
    const estimates = sketch.quantiles(qs);
    qs.forEach((q, i) => {
      expect(exactQuantile(sorted, q)).toBeLessThan(0);
      expect(relativeError(estimates[i]!, exactQuantile(sorted, q))).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('returns NaN for every quantile when empty, and for q outside [0, 1]', () => {
    const sketch = new DDSketch();
    expect(sketch.quantile(0.5)).toBeNaN();
    expect(sketch.quantiles([0, 0.5, 1])).toEqual([Number.NaN, Number.NaN, Number.NaN]);
    expect(sketch.min).toBeNaN();
    sketch.add(3);
    expect(sketch.quantile(1.5)).toBeNaN();
    expect(sketch.quantile(Number.NaN)).toBeNaN();
  });

  it('counts values smaller in magnitude than minIndexableValue as zero', () => {
    const sketch = new DDSketch({ minIndexableValue: 1e-6 });
    for (const value of [1e-7, -1e-7, 0, 5]) sketch.add(value);
    expect(sketch.quantiles([0.34, 0.67])).toEqual([0, 0]);
  });

  it('gives the same quantiles whatever order the values arrive in', () => {
    // Ascending and descending input grow the stores from one side only, exercising the re-centring.
    const values = samples(100_000, distributions[1]![1], 3);
    const ascending = Float64Array.from(values).sort();
    const descending = Float64Array.from(ascending).reverse();
    const qs = [0.001, 0.1, 0.5, 0.9, 0.999];
    const expected = sketchOf(values).quantiles(qs);
    expect(sketchOf(ascending).quantiles(qs)).toEqual(expected);
    expect(sketchOf(descending).quantiles(qs)).toEqual(expected);
  });

  describe('merge', () => {
    it('of two sketches of halves equals one sketch of all, exactly', () => {
      const values = samples(200_000, distributions[4]![1], 11);
      const qs = [0, 0.001, 0.1, 0.3, 0.5, 0.9, 0.99, 0.999, 1];
      const whole = sketchOf(values);
      const merged = sketchOf(values.subarray(0, 100_000));
      merged.merge(sketchOf(values.subarray(100_000)));
      expect(merged.count).toBe(whole.count);
      expect(merged.quantiles(qs)).toEqual(whole.quantiles(qs));
    });

    it('into an empty sketch copies the other and leaves it unchanged', () => {
      const other = sketchOf(samples(1000, distributions[0]![1]));
      const before = other.quantiles([0.5, 0.99]);
      const target = new DDSketch({ relativeAccuracy: ALPHA });
      target.merge(other);
      expect(target.quantiles([0.5, 0.99])).toEqual(before);
      expect(other.quantiles([0.5, 0.99])).toEqual(before);
    });

    it('throws at once when the relative accuracies differ', () => {
      expect(() =>
        new DDSketch({ relativeAccuracy: 0.01 }).merge(new DDSketch({ relativeAccuracy: 0.02 })),
      ).toThrow(/relativeAccuracy 0.02/);
    });
  });

  describe('collapsing the lowest bins', () => {
    const maxBins = 64;
    // Log-uniform over [1, 1e6]: about 690 bins at α = 0.01, so 64 bins keep only the top ~3.6x.
    const logUniform = (random: () => number): number => 10 ** (6 * random());
    /** At most maxBins bins per store: the size of a one-value sketch (array overheads) plus maxBins · 8. */
    const sizeBound = (): number => {
      const oneValue = new DDSketch({ maxBins });
      oneValue.add(1);
      return oneValue.byteSize() + maxBins * 8;
    };

    it.each([
      ['random', (v: Float64Array) => v],
      ['ascending', (v: Float64Array) => Float64Array.from(v).sort()],
      ['descending', (v: Float64Array) => Float64Array.from(v).sort().reverse()],
    ])('keeps memory bounded and the high quantiles within 1 % (%s order)', (_order, arrange) => {
      const values = samples(200_000, logUniform, 5);
      const sorted = Float64Array.from(values).sort();
      const sketch = sketchOf(arrange(values), { maxBins });
      expect(sketch.byteSize()).toBeLessThanOrEqual(sizeBound());
      expect(sketch.count).toBe(values.length);
      for (const q of [0.99, 0.999]) {
        expect(relativeError(sketch.quantile(q), exactQuantile(sorted, q))).toBeLessThanOrEqual(TOLERANCE);
      }
      // Below the kept range the estimate is the lowest kept bin's, far above the truth.
      expect(sketch.quantile(0.5)).toBeGreaterThan(exactQuantile(sorted, 0.5) * 2);
      expect(sketch.quantile(0)).toBe(sorted[0]);
      // Six more decades of range do not grow it.
      const size = sketch.byteSize();
      for (let i = 1; i <= 1000; i++) sketch.add(10 ** (6 + (6 * i) / 1000));
      expect(sketch.byteSize()).toBe(size);
    });

    it('bounds memory when merging wide sketches, and folds the low values the same in either direction', () => {
      const lowValues = samples(10_000, (random) => 1 + random(), 1);
      const highValues = samples(10_000, (random) => 1e6 * (1 + random()), 2);
      const lowIntoHigh = sketchOf(highValues, { maxBins });
      lowIntoHigh.merge(sketchOf(lowValues, { maxBins }));
      const highIntoLow = sketchOf(lowValues, { maxBins });
      highIntoLow.merge(sketchOf(highValues, { maxBins }));
      expect(highIntoLow.byteSize()).toBeLessThanOrEqual(sizeBound());
      expect(highIntoLow.count).toBe(20_000);
      expect(relativeError(highIntoLow.quantile(0.9), 1.8e6)).toBeLessThan(0.02);
      // The low half sits in the lowest kept bin, whichever sketch held it.
      const qs = [0.1, 0.25, 0.5, 0.75, 0.9];
      expect(lowIntoHigh.quantiles(qs)).toEqual(highIntoLow.quantiles(qs));
      expect(lowIntoHigh.quantile(0.25)).toBeLessThan(1e6);
    });
  });

  it('rejects invalid options at construction', () => {
    expect(() => new DDSketch({ relativeAccuracy: 0 })).toThrow(RangeError);
    expect(() => new DDSketch({ relativeAccuracy: 1 })).toThrow(RangeError);
    expect(() => new DDSketch({ maxBins: 0 })).toThrow(RangeError);
    expect(() => new DDSketch({ maxBins: 10.5 })).toThrow(RangeError);
    expect(() => new DDSketch({ minIndexableValue: 0 })).toThrow(RangeError);
  });

  it('keeps its bins across clear() and starts over empty', () => {
    const sketch = sketchOf(samples(1000, distributions[0]![1]));
    const size = sketch.byteSize();
    sketch.clear();
    expect(sketch.count).toBe(0);
    expect(sketch.quantile(0.5)).toBeNaN();
    expect(sketch.byteSize()).toBe(size);
    sketch.add(42);
    expect(sketch.quantiles([0, 0.5, 1])).toEqual([42, 42, 42]);
  });
});

describe('SlidingWindowSketch', () => {
  // 10 s window in 5 slots of 2 s.
  const options = { maxAgeSeconds: 10, ageBuckets: 5, relativeAccuracy: ALPHA };
  const SLOT_MS = 2000;

  function setup(startMs = 1_000_000) {
    let nowMs = startMs;
    const clock = SlotClock.forWindow(10, 5, () => nowMs);
    const window = new SlidingWindowSketch(options, clock);
    /** Moves the fake time and ticks the clock, as its timer would. */
    const advance = (ms: number): void => {
      nowMs += ms;
      clock.now();
    };
    return { window, clock, advance };
  }

  function addMany(window: SlidingWindowSketch, value: number, n: number): void {
    for (let i = 0; i < n; i++) window.add(value);
  }

  it('gives NaN quantiles and a zero count while the window is empty', () => {
    const { window } = setup();
    expect(window.quantiles([0.5, 0.99])).toEqual([Number.NaN, Number.NaN]);
    expect(window.count()).toBe(0);
  });

  it('drops the values of a slot once maxAgeSeconds have passed, and keeps the recent ones', () => {
    const { window, advance } = setup();
    addMany(window, 100, 1000); // slot s
    advance(SLOT_MS);
    addMany(window, 1, 600); // slot s + 1
    advance(3 * SLOT_MS); // slot s + 4: both still in (s - 1, s + 4]
    expect(window.count()).toBe(1600);
    expect(window.quantiles([0.99])[0]).toBeCloseTo(100, 0);

    advance(SLOT_MS); // slot s + 5: slot s has aged out, even without an add() to rotate
    expect(window.count()).toBe(600);
    const [median, top] = window.quantiles([0.5, 1]);
    expect(median).toBeCloseTo(1, 1);
    expect(top).toBe(1);

    advance(SLOT_MS); // slot s + 6: slot s + 1 has aged out too
    expect(window.count()).toBe(0);
    expect(window.quantiles([0.5])[0]).toBeNaN();
  });

  it('reuses an aged-out bucket for a new slot without keeping its old values', () => {
    const { window, advance } = setup();
    addMany(window, 100, 10);
    advance(5 * SLOT_MS); // same ring position as the first slot
    addMany(window, 7, 3);
    expect(window.count()).toBe(3);
    expect(window.quantiles([0, 1])).toEqual([7, 7]);
  });

  it('clears every bucket after a jump longer than the window', () => {
    const { window, advance } = setup();
    for (let slot = 0; slot < 5; slot++) {
      addMany(window, 10 + slot, 100);
      advance(SLOT_MS);
    }
    expect(window.count()).toBe(400); // the first slot has just aged out
    advance(100 * SLOT_MS);
    expect(window.count()).toBe(0);
    expect(window.quantiles([0.5])).toEqual([Number.NaN]);
    window.add(3);
    expect(window.count()).toBe(1);
    expect(window.quantiles([0.5])).toEqual([3]);
  });

  it('gives the same quantiles as one DDSketch of the values in the window', () => {
    const { window, advance } = setup();
    const random = mulberry32(9);
    const reference = new DDSketch({ relativeAccuracy: ALPHA });
    for (let slot = 0; slot < 8; slot++) {
      for (let i = 0; i < 5000; i++) {
        const value = Math.exp(2 * normal(random));
        window.add(value);
        if (slot >= 4) reference.add(value);
      }
      advance(SLOT_MS);
    }
    // Read at slot 8: the window (3, 8] holds the values of slots 4 to 7.
    const qs = [0.5, 0.9, 0.99, 0.999];
    expect(window.quantiles(qs)).toEqual(reference.quantiles(qs));
  });

  it('ignores buckets ahead of a time source that stepped backwards', () => {
    const { window, advance } = setup();
    addMany(window, 50, 10);
    advance(SLOT_MS);
    addMany(window, 60, 10);
    advance(-SLOT_MS);
    window.add(40);
    expect(window.count()).toBe(11);
    expect(window.quantiles([1])).toEqual([50]);
  });

  it('rejects a clock whose slot length does not match the window', () => {
    expect(() => new SlidingWindowSketch(options, SlotClock.forWindow(60, 5))).toThrow(
      /SlotClock.forWindow\(10, 5\)/,
    );
    expect(() => SlotClock.forWindow(10, 0)).toThrow(RangeError);
    expect(() => new SlotClock(0)).toThrow(RangeError);
  });

  describe('SlotClock', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('advances current on its own timer once started, and stops with stop()', () => {
      vi.useFakeTimers({ now: 0 });
      const clock = new SlotClock(1000).start();
      expect(clock.current).toBe(0);
      vi.advanceTimersByTime(1000);
      expect(clock.current).toBe(1);
      clock.stop();
      vi.advanceTimersByTime(5000);
      expect(clock.current).toBe(1);
      expect(clock.now()).toBe(6);
    });
  });
});
