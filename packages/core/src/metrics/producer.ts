// The bridge into OpenTelemetry: a MetricProducer that turns the collector's series into
// cumulative MetricData at collection time, so every reader (Prometheus, in-memory, OTLP) gets
// them without the record path paying OpenTelemetry's per-call attribute hashing.
import { type Attributes, type HrTime, ValueType } from '@opentelemetry/api';
import { millisToHrTime } from '@opentelemetry/core';
import {
  AggregationTemporality,
  type DataPoint,
  DataPointType,
  type Histogram as HistogramValue,
  type MetricData,
} from '@opentelemetry/sdk-metrics';
import type { CounterFamily } from './counter.js';
import {
  PROMETHEUS_LABELS,
  PROMETHEUS_METRIC,
  PROMETHEUS_SKIP,
  type PrometheusMetricTag,
} from './export-tags.js';
import type { MetricFamily } from './family.js';
import type { GaugeFamily } from './gauge.js';
import type { HistogramFamily } from './histogram.js';
import type { Series } from './series.js';
import type { SummaryFamily } from './summary.js';

export type AnyFamily = CounterFamily | GaugeFamily | HistogramFamily | SummaryFamily;

function labelsOf(series: Series): string {
  return series.labelSet.prometheus;
}

function point<T>(
  series: Series,
  endTime: HrTime,
  value: T,
  attributes: Attributes = series.labels,
): DataPoint<T> {
  // A symbol key in the literal: as cheap as a field (defineProperty per point is not), and
  // invisible to JSON and Object.keys.
  return {
    startTime: millisToHrTime(series.startTimeMs),
    endTime,
    attributes,
    value,
    [PROMETHEUS_LABELS]: labelsOf(series),
  } as DataPoint<T>;
}

function tag<M extends MetricData>(data: M, value: PrometheusMetricTag | true, key: symbol): M {
  Object.defineProperty(data, key, { value });
  return data;
}

function metricTag(family: MetricFamily): PrometheusMetricTag {
  return { kind: family.kind, names: family.prometheus, help: family.description };
}

function descriptor(family: MetricFamily, name = family.name) {
  return { name, description: family.description, unit: family.unit, valueType: ValueType.DOUBLE };
}

/** The MetricData of one family (several for a summary: quantiles, `_sum`, `_count`). */
export function familyToMetricData(family: AnyFamily, endTime: HrTime, out: MetricData[]): void {
  switch (family.kind) {
    case 'counter':
    case 'gauge': {
      const dataPoints: DataPoint<number>[] = [];
      for (const series of family.allSeries()) dataPoints.push(point(series, endTime, series.value));
      const data: MetricData =
        family.kind === 'counter'
          ? {
              descriptor: descriptor(family),
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.SUM,
              isMonotonic: true,
              dataPoints,
            }
          : {
              descriptor: descriptor(family),
              aggregationTemporality: AggregationTemporality.CUMULATIVE,
              dataPointType: DataPointType.GAUGE,
              dataPoints,
            };
      out.push(tag(data, metricTag(family), PROMETHEUS_METRIC));
      return;
    }
    case 'histogram': {
      const dataPoints: DataPoint<HistogramValue>[] = [];
      for (const series of family.allSeries()) {
        const empty = series.count === 0;
        dataPoints.push(
          point(series, endTime, {
            buckets: { boundaries: family.boundaries, counts: series.counts() },
            sum: series.sum,
            count: series.count,
            min: empty ? undefined : series.min,
            max: empty ? undefined : series.max,
          }),
        );
      }
      const data: MetricData = {
        descriptor: descriptor(family),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.HISTOGRAM,
        dataPoints,
      };
      out.push(tag(data, metricTag(family), PROMETHEUS_METRIC));
      return;
    }
    case 'summary': {
      // OpenTelemetry's JS SDK has no summary point type: quantiles travel as a gauge with a
      // `quantile` attribute, sum and count as companion sums. The Prometheus exposition renders
      // the tagged gauge as one real summary and skips the companions.
      const quantilePoints: DataPoint<number>[] = [];
      const sumPoints: DataPoint<number>[] = [];
      const countPoints: DataPoint<number>[] = [];
      const summarySeries: { labels: string; quantiles: number[]; sum: number; count: number }[] = [];
      const nowSlot = family.slotClock.now();
      for (const series of family.allSeries()) {
        const estimates = family.quantilesOf(series, nowSlot);
        family.quantileLabels.forEach((quantile, i) => {
          quantilePoints.push(point(series, endTime, estimates[i] as number, { ...series.labels, quantile }));
        });
        sumPoints.push(point(series, endTime, series.sum));
        countPoints.push(point(series, endTime, series.count));
        summarySeries.push({
          labels: labelsOf(series),
          quantiles: estimates,
          sum: series.sum,
          count: series.count,
        });
      }
      const quantiles: MetricData = {
        descriptor: descriptor(family),
        aggregationTemporality: AggregationTemporality.CUMULATIVE,
        dataPointType: DataPointType.GAUGE,
        dataPoints: quantilePoints,
      };
      out.push(
        tag(
          quantiles,
          { ...metricTag(family), summary: { quantileLabels: family.quantileLabels, series: summarySeries } },
          PROMETHEUS_METRIC,
        ),
      );
      for (const [suffix, dataPoints] of [
        ['_sum', sumPoints],
        ['_count', countPoints],
      ] as const) {
        const part: MetricData = {
          descriptor: descriptor(family, `${family.name}${suffix}`),
          aggregationTemporality: AggregationTemporality.CUMULATIVE,
          dataPointType: DataPointType.SUM,
          isMonotonic: suffix === '_count',
          dataPoints,
        };
        out.push(tag(part, true, PROMETHEUS_SKIP));
      }
      return;
    }
  }
}
