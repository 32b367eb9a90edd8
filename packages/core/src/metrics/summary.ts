// Summaries: quantiles over a sliding time window (prom-client's maxAgeSeconds/ageBuckets), from
// a DDSketch with a stated relative-error bound; sum and count over the series' lifetime.
import { BoundObserver, type FamilyContext, type FamilyDefinition, MetricFamily } from './family.js';
import { type LabelSet, SummarySeries } from './series.js';
import { SlidingWindowSketch, type SlotClock } from './sketch/sliding-window.js';
import type { Labels } from './types.js';

export interface SummarySettings {
  readonly quantiles: readonly number[];
  readonly maxAgeSeconds: number;
  readonly ageBuckets: number;
  readonly relativeAccuracy: number;
}

export class SummaryFamily extends MetricFamily<SummarySeries> {
  readonly kind = 'summary' as const;
  readonly quantiles: readonly number[];
  /** `0.99` → `"0.99"`, formatted once for the exposition. */
  readonly quantileLabels: readonly string[];

  constructor(
    definition: FamilyDefinition,
    context: FamilyContext,
    readonly settings: SummarySettings,
    private readonly clock: SlotClock,
  ) {
    super(definition, context);
    this.quantiles = [...settings.quantiles];
    this.quantileLabels = this.quantiles.map((q) => String(q));
  }

  protected override reservedLabel(name: string): boolean {
    return name === 'quantile' || super.reservedLabel(name);
  }

  protected createSeries(labelSet: LabelSet, startTimeMs: number): SummarySeries {
    const { maxAgeSeconds, ageBuckets, relativeAccuracy } = this.settings;
    const window = new SlidingWindowSketch({ maxAgeSeconds, ageBuckets, relativeAccuracy }, this.clock);
    return new SummarySeries(labelSet, startTimeMs, this.generation, window);
  }

  observe(labels: Labels | undefined, value: number): void {
    if (typeof value !== 'number' || value - value !== 0) {
      this.rejectValue(value, 'summary observation');
      return;
    }
    const series = this.resolve(labels);
    if (series !== undefined) this.record(series, value);
  }

  record(series: SummarySeries, value: number): void {
    series.window.add(value);
    series.sum += value;
    series.count++;
    series.touched = this.generation;
  }

  /** Current quantile estimates of a series (NaN when its window is empty). */
  quantilesOf(series: SummarySeries, nowSlot: number): number[] {
    return series.window.quantiles(this.quantiles, nowSlot);
  }

  get slotClock(): SlotClock {
    return this.clock;
  }
}

/** A summary's series for one label set, resolved once. */
export class BoundSummary extends BoundObserver<SummarySeries, SummaryFamily> {}

/** A defined summary. */
export class Summary {
  constructor(private readonly family: SummaryFamily) {}

  get name(): string {
    return this.family.name;
  }

  observe(value: number, labels?: Labels): void {
    this.family.observe(labels, value);
  }

  bind(labels?: Labels): BoundSummary {
    return new BoundSummary(this.family, labels);
  }
}
