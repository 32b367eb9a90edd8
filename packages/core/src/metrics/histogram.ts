// Histograms: explicit-bucket distributions (`response.time`); timers record into them in seconds.
import { BoundObserver, type FamilyContext, type FamilyDefinition, MetricFamily } from './family.js';
import { HistogramSeries, type LabelSet } from './series.js';
import type { Labels } from './types.js';

/** prom-client's default buckets, in seconds: the right scale for request and operation timings. */
export const DEFAULT_TIME_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
]);

export class HistogramFamily extends MetricFamily<HistogramSeries> {
  readonly kind = 'histogram' as const;
  /** Finite upper bounds, strictly increasing; shared by every series and every export. */
  readonly boundaries: number[];
  private readonly bounds: Float64Array;
  /** Extra recipients of every observation (the MeterProvider bridge); usually none. */
  private mirrors: Array<(value: number, labels: Labels) => void> | undefined = undefined;

  constructor(definition: FamilyDefinition, context: FamilyContext, buckets: readonly number[]) {
    super(definition, context);
    this.boundaries = [...buckets];
    this.bounds = Float64Array.from(buckets);
  }

  protected override reservedLabel(name: string): boolean {
    return name === 'le' || super.reservedLabel(name);
  }

  /** Also hand every accepted observation to `mirror` (see otel-bridge.ts). */
  addMirror(mirror: (value: number, labels: Labels) => void): void {
    this.mirrors = [...(this.mirrors ?? []), mirror];
  }

  protected createSeries(labelSet: LabelSet, startTimeMs: number): HistogramSeries {
    return new HistogramSeries(labelSet, startTimeMs, this.generation, this.bounds.length);
  }

  observe(labels: Labels | undefined, value: number): void {
    if (typeof value !== 'number' || value - value !== 0) {
      this.rejectValue(value, 'histogram observation');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) this.record(series, value);
  }

  /** Count `value` in its bucket (`le` is inclusive, as in Prometheus). */
  record(series: HistogramSeries, value: number): void {
    const bounds = this.bounds;
    let index = 0;
    if (bounds.length <= 16) {
      while (index < bounds.length && value > (bounds[index] as number)) index++;
    } else {
      let high = bounds.length;
      while (index < high) {
        const mid = (index + high) >>> 1;
        if (value > (bounds[mid] as number)) index = mid + 1;
        else high = mid;
      }
    }
    const data = series.data;
    const sum = bounds.length + 1;
    data[index] = (data[index] as number) + 1;
    data[sum] = (data[sum] as number) + value;
    if (value < (data[sum + 1] as number)) data[sum + 1] = value;
    if (value > (data[sum + 2] as number)) data[sum + 2] = value;
    series.count++;
    series.touched = this.generation;
    if (this.mirrors !== undefined) for (const mirror of this.mirrors) mirror(value, series.labels);
  }
}

/** A histogram's series for one label set, resolved once. */
export class BoundHistogram extends BoundObserver<HistogramSeries, HistogramFamily> {}

/** A defined histogram. */
export class Histogram {
  constructor(private readonly family: HistogramFamily) {}

  get name(): string {
    return this.family.name;
  }

  observe(value: number, labels?: Labels): void {
    this.family.observe(labels, value);
  }

  bind(labels?: Labels): BoundHistogram {
    return new BoundHistogram(this.family, labels);
  }
}
