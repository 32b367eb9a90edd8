// Turning OpenTelemetry metric data into the samples alert rules evaluate: counters, gauges,
// histograms (per-bucket counts) and the collector's summaries (quantiles by series).
import { DataPointType, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';
import { PROMETHEUS_METRIC, PROMETHEUS_SKIP, type PrometheusMetricTag } from '../metrics/export-tags.js';
import { formatLabelPairs } from '../metrics/naming.js';
import type { SeriesSample } from './samples.js';

/** The point's attributes as labels: the same object when every value is a string already. */
function labelsOf(attributes: Record<string, unknown>, without?: string): Record<string, string> {
  if (without === undefined) {
    let plain = true;
    for (const key in attributes) {
      if (typeof attributes[key] !== 'string') {
        plain = false;
        break;
      }
    }
    if (plain) return attributes as Record<string, string>;
  }
  const labels: Record<string, string> = {};
  for (const key of Object.keys(attributes)) {
    if (key === without) continue;
    const value = attributes[key];
    if (value !== undefined && value !== null)
      labels[key] = typeof value === 'string' ? value : String(value);
  }
  return labels;
}

/**
 * One sample per series of OpenTelemetry metric data, stamped `time`: what alert rules evaluate
 * and what the InfluxDB exporter writes. Only the metrics named in `wanted` (when given).
 */
export function toSamples(
  metrics: readonly MetricData[],
  time: number,
  wanted?: ReadonlySet<string>,
): SeriesSample[] {
  const samples: SeriesSample[] = [];
  for (const metric of metrics) {
    if (wanted !== undefined && !wanted.has(metric.descriptor.name)) continue;
    const tagged = metric as unknown as Record<symbol, unknown>;
    if (tagged[PROMETHEUS_SKIP] === true) continue;
    const name = metric.descriptor.name;
    const summary = (tagged[PROMETHEUS_METRIC] as PrometheusMetricTag | undefined)?.summary;
    if (summary !== undefined && metric.dataPointType === DataPointType.GAUGE) {
      // The collector's summary: quantile points per series; sum and count come with the tag.
      const bySeries = new Map<
        string,
        { labels: Record<string, string>; quantiles: Record<string, number> }
      >();
      for (const point of metric.dataPoints) {
        const labels = labelsOf(point.attributes, 'quantile');
        const key = JSON.stringify(Object.entries(labels).sort());
        let series = bySeries.get(key);
        if (series === undefined) {
          series = { labels, quantiles: {} };
          bySeries.set(key, series);
        }
        series.quantiles[String(point.attributes.quantile)] = point.value;
      }
      const counts = new Map(summary.series.map((s) => [s.labels, s]));
      for (const series of bySeries.values()) {
        const sorted = Object.fromEntries(Object.entries(series.labels).sort(([a], [b]) => (a < b ? -1 : 1)));
        const totals = counts.get(formatLabelPairs(sorted));
        samples.push({
          metric: name,
          kind: 'summary',
          labels: series.labels,
          time,
          value: totals?.count ?? 0,
          sum: totals?.sum ?? 0,
          quantiles: series.quantiles,
        });
      }
      continue;
    }
    switch (metric.dataPointType) {
      case DataPointType.SUM:
      case DataPointType.GAUGE: {
        const kind = metric.dataPointType === DataPointType.SUM && metric.isMonotonic ? 'counter' : 'gauge';
        for (const point of metric.dataPoints) {
          samples.push({ metric: name, kind, labels: labelsOf(point.attributes), time, value: point.value });
        }
        break;
      }
      case DataPointType.HISTOGRAM: {
        for (const point of metric.dataPoints) {
          const value = point.value as Histogram;
          samples.push({
            metric: name,
            kind: 'histogram',
            labels: labelsOf(point.attributes),
            time,
            value: value.count,
            sum: value.sum ?? 0,
            buckets: { boundaries: value.buckets.boundaries, counts: value.buckets.counts },
          });
        }
        break;
      }
      default:
        break; // exponential histograms: no rule aggregation over them yet
    }
  }
  return samples;
}
