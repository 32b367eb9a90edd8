// Counters: monotonically increasing totals (`operations.total` → `operations_total`).
import { BoundSeries, MetricFamily } from './family.js';
import { type LabelSet, ScalarSeries } from './series.js';
import type { Labels } from './types.js';

function isIncrement(value: unknown): value is number {
  return typeof value === 'number' && value >= 0 && value !== Number.POSITIVE_INFINITY; // NaN fails >= 0
}

export class CounterFamily extends MetricFamily<ScalarSeries> {
  readonly kind = 'counter' as const;

  protected createSeries(labelSet: LabelSet, startTimeMs: number): ScalarSeries {
    return new ScalarSeries(labelSet, startTimeMs, this.generation);
  }

  add(labels: Labels | undefined, value: number): void {
    if (!isIncrement(value)) {
      this.rejectValue(value, 'counter increment');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) this.record(series, value);
  }

  record(series: ScalarSeries, value: number): void {
    series.value += value;
    series.touched = this.generation;
  }
}

/** A counter's series for one label set, resolved once: for hot loops. */
export class BoundCounter extends BoundSeries<ScalarSeries, CounterFamily> {
  /** Add `value` (default 1); negative, NaN and infinite values are dropped and counted. */
  inc(value = 1): void {
    if (!isIncrement(value)) {
      this.family.add(this.labels, value); // counts the drop with its reason
      return;
    }
    const series = this.live();
    if (series !== undefined) this.family.record(series, value);
  }
}

/** A defined counter. */
export class Counter {
  constructor(private readonly family: CounterFamily) {}

  get name(): string {
    return this.family.name;
  }

  /** Add `value` (default 1) to the series of `labels`. */
  inc(labels?: Labels, value = 1): void {
    this.family.add(labels, value);
  }

  /** The series for `labels`, resolved once. Invalid labels give a handle that drops and counts. */
  bind(labels?: Labels): BoundCounter {
    return new BoundCounter(this.family, labels);
  }
}
