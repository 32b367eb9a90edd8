// Gauges: values that go up and down (`memory.usage`, `queue.size`).
import { BoundSeries, MetricFamily } from './family.js';
import { type LabelSet, ScalarSeries } from './series.js';
import type { Labels } from './types.js';

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && value - value === 0; // false for NaN and ±Infinity
}

export class GaugeFamily extends MetricFamily<ScalarSeries> {
  readonly kind = 'gauge' as const;

  protected createSeries(labelSet: LabelSet, startTimeMs: number): ScalarSeries {
    return new ScalarSeries(labelSet, startTimeMs, this.generation);
  }

  set(labels: Labels | undefined, value: number): void {
    if (!isFiniteNumber(value)) {
      this.rejectValue(value, 'gauge value');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) {
      series.value = value;
      series.touched = this.generation;
    }
  }

  add(labels: Labels | undefined, delta: number): void {
    if (!isFiniteNumber(delta)) {
      this.rejectValue(delta, 'gauge change');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) {
      series.value += delta;
      series.touched = this.generation;
    }
  }
}

/** A gauge's series for one label set, resolved once. */
export class BoundGauge extends BoundSeries<ScalarSeries, GaugeFamily> {
  set(value: number): void {
    if (!isFiniteNumber(value)) {
      this.family.set(this.labels, value); // counts the drop with its reason
      return;
    }
    const series = this.live();
    if (series === undefined) return;
    series.value = value;
    series.touched = this.family.generation;
  }

  inc(delta = 1): void {
    if (!isFiniteNumber(delta)) {
      this.family.add(this.labels, delta);
      return;
    }
    const series = this.live();
    if (series === undefined) return;
    series.value += delta;
    series.touched = this.family.generation;
  }

  dec(delta = 1): void {
    this.inc(-delta);
  }
}

/** A defined gauge. Arguments follow the by-name API: labels first for `inc`/`dec` as for counters. */
export class Gauge {
  constructor(private readonly family: GaugeFamily) {}

  get name(): string {
    return this.family.name;
  }

  set(value: number, labels?: Labels): void {
    this.family.set(labels, value);
  }

  inc(labels?: Labels, delta = 1): void {
    this.family.add(labels, delta);
  }

  dec(labels?: Labels, delta = 1): void {
    this.family.add(labels, -delta);
  }

  bind(labels?: Labels): BoundGauge {
    return new BoundGauge(this.family, labels);
  }
}
