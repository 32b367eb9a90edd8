// Counters: monotonically increasing totals (`operations.total` → `operations_total`).
import { MetricFamily } from './family.js';
import { type LabelSet, ScalarSeries } from './series.js';
import type { Labels } from './types.js';

export class CounterFamily extends MetricFamily<ScalarSeries> {
  readonly kind = 'counter' as const;

  protected createSeries(labelSet: LabelSet, startTimeMs: number): ScalarSeries {
    return new ScalarSeries(labelSet, startTimeMs, this.generation);
  }

  add(labels: Labels | undefined, value: number): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.rejectValue(value, 'counter increment');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) {
      series.value += value;
      series.touched = this.generation;
    }
  }
}

/** A counter's series for one label set, resolved once: for hot loops. */
export class BoundCounter {
  constructor(
    private readonly family: CounterFamily,
    private readonly labels: Labels | undefined,
    private series: ScalarSeries | undefined,
  ) {}

  /** Add `value` (default 1); negative, NaN and infinite values are dropped and counted. */
  inc(value = 1): void {
    if (typeof value !== 'number' || !(value >= 0) || value === Number.POSITIVE_INFINITY) {
      this.family.add(this.labels, value); // counts the drop with its reason
      return;
    }
    let series = this.series;
    if (series === undefined || series.detached) {
      // Invalid labels: resolve() counts the drop each time. Swept series: resolved anew.
      series = this.series = this.family.resolve(this.labels);
      if (series === undefined) return;
    }
    series.value += value;
    series.touched = this.family.generation;
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
    return new BoundCounter(this.family, labels, this.family.resolve(labels));
  }
}
