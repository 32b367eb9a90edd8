// Setup-time checks of metric definitions: every rule lives here once, and a definition that
// passes can no longer fail on the record path.
import { isValidLabelName, prometheusLabelName } from './naming.js';
import type { AnyFamily } from './producer.js';
import { SlidingWindowSketch, SlotClock } from './sketch/sliding-window.js';
import type { SummarySettings } from './summary.js';
import type { HistogramOptions, MetricKind, SummaryOptions } from './types.js';

export function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

export function nonNegative(value: number, what: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
    throw new RangeError(`${what} must be a number ≥ 0, got ${value}`);
  return value;
}

export function validBuckets(buckets: readonly number[], what: string): readonly number[] {
  if (buckets.length === 0) throw new RangeError(`${what} must not be empty`);
  buckets.forEach((bound, i) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound))
      throw new RangeError(`${what}[${i}] must be a finite number, got ${bound}`);
    if (i > 0 && bound <= (buckets[i - 1] as number))
      throw new RangeError(`${what} must be strictly increasing; ${bound} follows ${buckets[i - 1]}`);
  });
  return buckets;
}

/** Summary settings, checked by building one window the way every series will. */
export function validSummary(settings: SummarySettings, what: string): SummarySettings {
  settings.quantiles.forEach((q, i) => {
    if (!(q > 0 && q < 1)) throw new RangeError(`${what}: quantiles[${i}] must be in (0, 1), got ${q}`);
    if (i > 0 && q <= (settings.quantiles[i - 1] as number))
      throw new RangeError(`${what}: quantiles must be strictly increasing`);
  });
  if (!(settings.relativeAccuracy >= 0.0001 && settings.relativeAccuracy < 0.5))
    throw new RangeError(
      `${what}: relativeAccuracy must be in [0.0001, 0.5), got ${settings.relativeAccuracy}`,
    );
  const { maxAgeSeconds, ageBuckets, relativeAccuracy } = settings;
  try {
    const clock = new SlotClock((maxAgeSeconds * 1000) / ageBuckets);
    new SlidingWindowSketch({ maxAgeSeconds, ageBuckets, relativeAccuracy }, clock);
  } catch (error) {
    throw new RangeError(`${what}: ${(error as Error).message}`);
  }
  return settings;
}

/** Declared label names: valid, not reserved, and distinct once translated for Prometheus. */
export function validLabelNames(labelNames: readonly string[], kind: MetricKind, metric: string): void {
  const translated = new Map<string, string>();
  for (const label of labelNames) {
    const reserved =
      label === 'otel_metric_overflow' ||
      (kind === 'histogram' && label === 'le') ||
      (kind === 'summary' && label === 'quantile');
    if (!isValidLabelName(label) || reserved) {
      throw new TypeError(`Metric "${metric}": invalid or reserved label name ${JSON.stringify(label)}.`);
    }
    const promName = prometheusLabelName(label);
    const other = translated.get(promName);
    if (other !== undefined) {
      throw new TypeError(
        `Metric "${metric}": labels "${other}" and "${label}" are both "${promName}" in Prometheus.`,
      );
    }
    translated.set(promName, label);
  }
}

/**
 * Every name a family occupies in the Prometheus and OpenMetrics expositions. Two metrics may not
 * share any: a counter `queue.size` (family `queue_size`) excludes a gauge `queue_size`.
 */
export function exposedNames(family: AnyFamily): string[] {
  const { sampleName, familyName } = family.prometheus;
  switch (family.kind) {
    case 'counter':
      return [familyName, sampleName, `${familyName}_created`];
    case 'gauge':
      return [sampleName];
    case 'histogram':
      return [
        sampleName,
        `${sampleName}_bucket`,
        `${sampleName}_sum`,
        `${sampleName}_count`,
        `${sampleName}_created`,
      ];
    case 'summary':
      return [sampleName, `${sampleName}_sum`, `${sampleName}_count`, `${sampleName}_created`];
  }
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The first option in which a definition differs from an existing family, if any. */
export function definitionConflict(
  family: AnyFamily,
  options: HistogramOptions & SummaryOptions,
): string | undefined {
  if (options.unit !== undefined && options.unit !== family.unit) return 'unit';
  if (options.labelNames !== undefined) {
    const declared = family.labelNames;
    if (declared === undefined || declared.size !== options.labelNames.length) return 'labelNames';
    for (const name of options.labelNames) if (!declared.has(name)) return 'labelNames';
  }
  if (
    family.kind === 'histogram' &&
    options.buckets !== undefined &&
    !sameList(options.buckets, family.boundaries)
  )
    return 'buckets';
  if (family.kind === 'summary') {
    const current = family.settings;
    if (options.quantiles !== undefined && !sameList(options.quantiles, current.quantiles))
      return 'quantiles';
    if (options.maxAgeSeconds !== undefined && options.maxAgeSeconds !== current.maxAgeSeconds)
      return 'maxAgeSeconds';
    if (options.ageBuckets !== undefined && options.ageBuckets !== current.ageBuckets) return 'ageBuckets';
    if (options.relativeAccuracy !== undefined && options.relativeAccuracy !== current.relativeAccuracy)
      return 'relativeAccuracy';
  }
  return undefined;
}

/**
 * For a family defined explicitly before: the first option given again with another value.
 * (A by-name call's implicit family instead adopts these options.)
 */
export function explicitConflict(
  family: AnyFamily,
  options: HistogramOptions & SummaryOptions,
): string | undefined {
  if (options.description !== undefined && options.description !== family.description) return 'description';
  if (options.collect !== undefined && options.collect !== family.collect) return 'collect callback';
  if (options.cardinalityLimit !== undefined && options.cardinalityLimit !== family.cardinalityLimit)
    return 'cardinalityLimit';
  return undefined;
}
