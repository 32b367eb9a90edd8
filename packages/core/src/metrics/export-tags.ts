// Symbols the collector attaches to the OpenTelemetry data it produces, so the Prometheus
// exposition can reuse names and label strings computed once, and render summaries as summaries.
// Other readers and exporters see ordinary OpenTelemetry MetricData and ignore them.

import type { PrometheusNames } from './naming.js';
import type { MetricKind } from './types.js';

/** On a MetricData: how the collector names and types it for Prometheus. */
export const PROMETHEUS_METRIC = Symbol.for('@datalineage/core.prometheus-metric');
/** On a DataPoint: its cached `name="value",…` label body. */
export const PROMETHEUS_LABELS = Symbol.for('@datalineage/core.prometheus-labels');
/** On a MetricData the Prometheus exposition must not render (a summary's `_sum`/`_count` parts). */
export const PROMETHEUS_SKIP = Symbol.for('@datalineage/core.prometheus-skip');

export interface PrometheusMetricTag {
  readonly kind: MetricKind;
  readonly names: PrometheusNames;
  readonly help: string;
  /** For summaries: one entry per series, with its quantile estimates, sum and count. */
  readonly summary?: {
    readonly quantileLabels: readonly string[];
    readonly series: ReadonlyArray<{
      readonly labels: string;
      readonly quantiles: readonly number[];
      readonly sum: number;
      readonly count: number;
    }>;
  };
}
