/**
 * Windowed quantiles for `recordSummary()`, with prom-client's `maxAgeSeconds` / `ageBuckets`
 * semantics: the quantiles reflect roughly the last maxAgeSeconds of observations. prom-client inserts
 * every observation into each of its ageBuckets t-digests; here each observation goes into ONE DDSketch,
 * the current age bucket, and the live buckets are merged only when read, at scrape time.
 */

import { DDSketch } from './ddsketch.js';

// Memory used by byteSize() beyond the sketches themselves, measured on Node 20 (x64): the window object
// and its arrays, plus each bucket's entries in them.
const WINDOW_OVERHEAD_BYTES = 530;
const BUCKET_OVERHEAD_BYTES = 55;

/**
 * The current time slot, shared by every window with the same slot length. Recording compares one
 * numeric field instead of reading the clock: `current` is refreshed by a timer (see start()) and by
 * now(), which reads call. The time source is injectable so tests can drive it.
 *
 * @example
 * const clock = SlotClock.forWindow(600, 5).start(); // one per (maxAgeSeconds, ageBuckets)
 * const window = new SlidingWindowSketch({ maxAgeSeconds: 600, ageBuckets: 5 }, clock);
 */
export class SlotClock {
  /**
   * Current slot number, floor(nowMs / slotMs), as of the last tick or now() call. Treat as read-only:
   * it is a plain field so that the recording path pays a field load, not a call.
   */
  current: number;
  /** Length of one slot in milliseconds. */
  readonly slotMs: number;
  private readonly timeSource: () => number;
  private timer: ReturnType<typeof setInterval> | undefined;

  /**
   * @param slotMs slot length in milliseconds, maxAgeSeconds * 1000 / ageBuckets for a window.
   * @param timeSource milliseconds since an epoch. @default Date.now
   * @throws RangeError when slotMs is not a positive finite number (a setup error).
   */
  constructor(slotMs: number, timeSource: () => number = Date.now) {
    if (!(slotMs > 0 && Number.isFinite(slotMs))) {
      throw new RangeError(
        `SlotClock: slotMs must be a positive finite number of milliseconds, got ${slotMs}.`,
      );
    }
    this.slotMs = slotMs;
    this.timeSource = timeSource;
    this.current = Math.floor(timeSource() / slotMs);
  }

  /**
   * The clock for windows of `maxAgeSeconds` split into `ageBuckets` slots.
   * @example SlotClock.forWindow(600, 5) // prom-client's defaults: 2-minute slots
   */
  static forWindow(maxAgeSeconds: number, ageBuckets: number, timeSource?: () => number): SlotClock {
    return new SlotClock(slotMsOf(maxAgeSeconds, ageBuckets), timeSource);
  }

  /** Re-reads the time source, updates `current` and returns it. */
  now(): number {
    const slot = Math.floor(this.timeSource() / this.slotMs);
    this.current = slot;
    return slot;
  }

  /**
   * Starts refreshing `current` every quarter slot, so an observation lands at most about a quarter
   * slot late in the previous bucket. The timer is unref()ed: it never keeps the process alive.
   * Idempotent; returns this for chaining.
   */
  start(): this {
    if (this.timer === undefined) {
      this.now();
      this.timer = setInterval(() => this.now(), Math.max(1, this.slotMs / 4));
      this.timer.unref();
    }
    return this;
  }

  /** Stops the timer started by start(); `current` then only moves when now() is called. */
  stop(): void {
    if (this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }
}

/** Options of {@link SlidingWindowSketch}. */
export interface SlidingWindowOptions {
  /**
   * Observations older than about this many seconds leave the quantiles (prom-client's maxAgeSeconds).
   * @example { maxAgeSeconds: 600 }
   */
  maxAgeSeconds: number;
  /**
   * Number of slots the window is split into: the window slides by maxAgeSeconds / ageBuckets at a
   * time, so it covers between (ageBuckets − 1) and ageBuckets slots. Each costs one DDSketch.
   * @example { ageBuckets: 5 }
   */
  ageBuckets: number;
  /**
   * Relative accuracy α of every quantile estimate.
   * @default 0.01
   * @example { relativeAccuracy: 0.005 }
   */
  relativeAccuracy?: number;
  /**
   * Maximum bins per sign of each bucket's sketch (see DDSketchOptions.maxBins).
   * @default 2048
   * @example { maxBins: 512 }
   */
  maxBins?: number;
}

/**
 * Quantiles over a sliding time window: a ring of `ageBuckets` DDSketches indexed by slot number, each
 * remembering which slot it holds. add() writes to the current slot's sketch only; quantiles() merges
 * the sketches of the slots in (nowSlot − ageBuckets, nowSlot] into a reused scratch sketch.
 *
 * @example
 * const clock = SlotClock.forWindow(600, 5).start();
 * const window = new SlidingWindowSketch({ maxAgeSeconds: 600, ageBuckets: 5 }, clock);
 * window.add(0.042);
 * const [p50, p99] = window.quantiles([0.5, 0.99]);
 */
export class SlidingWindowSketch {
  private readonly clock: SlotClock;
  private readonly sketchOptions: { relativeAccuracy: number; maxBins: number };
  private readonly buckets: DDSketch[];
  /** Slot held by each bucket; -Infinity for never used. */
  private readonly bucketSlots: Float64Array;
  /** Slot that `head` holds; add() rotates when the clock has moved past it. */
  private slot: number;
  private head: DDSketch;
  private scratch: DDSketch | undefined;

  /**
   * @param clock shared by the windows with the same maxAgeSeconds / ageBuckets; its slotMs must be
   *   maxAgeSeconds * 1000 / ageBuckets (see SlotClock.forWindow).
   * @throws RangeError on invalid options or a clock with another slot length (setup errors).
   */
  constructor(options: SlidingWindowOptions, clock: SlotClock) {
    const { maxAgeSeconds, ageBuckets } = options;
    const slotMs = slotMsOf(maxAgeSeconds, ageBuckets);
    if (clock.slotMs !== slotMs) {
      throw new RangeError(
        `SlidingWindowSketch: the clock has ${clock.slotMs} ms slots but maxAgeSeconds ${maxAgeSeconds} / ` +
          `ageBuckets ${ageBuckets} needs ${slotMs} ms; use SlotClock.forWindow(${maxAgeSeconds}, ${ageBuckets}).`,
      );
    }
    this.clock = clock;
    this.sketchOptions = {
      relativeAccuracy: options.relativeAccuracy ?? 0.01,
      maxBins: options.maxBins ?? 2048,
    };
    this.buckets = [];
    for (let i = 0; i < ageBuckets; i++) this.buckets.push(new DDSketch(this.sketchOptions));
    this.bucketSlots = new Float64Array(ageBuckets).fill(Number.NEGATIVE_INFINITY);
    this.slot = clock.current;
    const i = ringIndex(this.slot, ageBuckets);
    this.bucketSlots[i] = this.slot;
    this.head = this.buckets[i]!;
  }

  /** Records one value in the current age bucket. The caller must have rejected NaN and ±Infinity. */
  add(value: number): void {
    if (this.slot !== this.clock.current) this.rotate(this.clock.current);
    this.head.add(value);
  }

  /**
   * Quantile estimates over the window ending at `nowSlot` (see DDSketch.quantile for the rank
   * definition). An empty window gives NaN, the Prometheus convention for a summary quantile with no
   * observations (prom-client reports 0, which reads as a real latency).
   * @param nowSlot @default clock.now()
   * @param out reused for the result.
   */
  quantiles(qs: readonly number[], nowSlot: number = this.clock.now(), out?: number[]): number[] {
    const scratch = this.merged(nowSlot);
    return scratch.quantiles(qs, out);
  }

  /**
   * Number of observations in the window ending at `nowSlot`.
   * @param nowSlot @default clock.now()
   */
  count(nowSlot: number = this.clock.now()): number {
    let total = 0;
    for (let i = 0; i < this.buckets.length; i++) {
      if (this.isLive(this.bucketSlots[i]!, nowSlot)) total += this.buckets[i]!.count;
    }
    return total;
  }

  /**
   * Approximate memory footprint in bytes, buckets and scratch sketch included: about 2.5 kB while
   * empty with 5 buckets, and ~4.6 kB more per bucket (and for the scratch) holding latency data
   * spanning 1 ms to 10 s at α = 0.01.
   */
  byteSize(): number {
    const n = this.buckets.length;
    let bytes = WINDOW_OVERHEAD_BYTES + BUCKET_OVERHEAD_BYTES * n + (this.scratch?.byteSize() ?? 0);
    for (const bucket of this.buckets) bytes += bucket.byteSize();
    return bytes;
  }

  /** Forgets every observation; allocated bins are kept for reuse. */
  clear(): void {
    for (const bucket of this.buckets) bucket.clear();
    this.scratch?.clear();
  }

  /**
   * Moves `head` to the bucket of `slot`, clearing the buckets that aged out of the window ending there.
   * After a gap of ageBuckets slots or more, that is all of them. Buckets from slots after `slot` are
   * cleared too: they can only exist if the time source stepped backwards.
   */
  private rotate(slot: number): void {
    const n = this.buckets.length;
    for (let i = 0; i < n; i++) {
      const held = this.bucketSlots[i]!;
      if (held !== Number.NEGATIVE_INFINITY && !this.isLive(held, slot)) {
        this.buckets[i]!.clear();
        this.bucketSlots[i] = Number.NEGATIVE_INFINITY;
      }
    }
    const i = ringIndex(slot, n);
    this.bucketSlots[i] = slot;
    this.head = this.buckets[i]!;
    this.slot = slot;
  }

  /** Merges the live buckets into the scratch sketch, allocated on the first read and reused after. */
  private merged(nowSlot: number): DDSketch {
    this.scratch ??= new DDSketch(this.sketchOptions);
    const scratch = this.scratch;
    scratch.clear();
    for (let i = 0; i < this.buckets.length; i++) {
      if (this.isLive(this.bucketSlots[i]!, nowSlot)) scratch.merge(this.buckets[i]!);
    }
    return scratch;
  }

  private isLive(slot: number, nowSlot: number): boolean {
    return slot > nowSlot - this.buckets.length && slot <= nowSlot;
  }
}

function slotMsOf(maxAgeSeconds: number, ageBuckets: number): number {
  if (!(maxAgeSeconds > 0 && Number.isFinite(maxAgeSeconds))) {
    throw new RangeError(`maxAgeSeconds must be a positive finite number of seconds, got ${maxAgeSeconds}.`);
  }
  if (!Number.isInteger(ageBuckets) || ageBuckets < 1 || ageBuckets > 1000) {
    throw new RangeError(`ageBuckets must be an integer in [1, 1000], got ${ageBuckets}.`);
  }
  return (maxAgeSeconds * 1000) / ageBuckets;
}

/** slot mod n, non-negative even for the negative slots a test time source may produce. */
function ringIndex(slot: number, n: number): number {
  return ((slot % n) + n) % n;
}
