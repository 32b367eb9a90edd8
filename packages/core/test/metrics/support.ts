// Reads what a collector hands to OpenTelemetry, for assertions.
import { DataPointType, type MetricData } from '@opentelemetry/sdk-metrics';
import type { MetricsCollector } from '../../src/index.js';

export async function collect(
  collector: MetricsCollector,
): Promise<{ metrics: MetricData[]; errors: unknown[] }> {
  const { resourceMetrics, errors } = await collector.metricProducer.collect();
  return { metrics: resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics), errors };
}

export async function metric(collector: MetricsCollector, name: string): Promise<MetricData | undefined> {
  return (await collect(collector)).metrics.find((m) => m.descriptor.name === name);
}

/** Scalar value of a counter/gauge series with exactly these attributes. */
export async function value(
  collector: MetricsCollector,
  name: string,
  attributes: Record<string, string> = {},
): Promise<number | undefined> {
  const data = await metric(collector, name);
  if (
    data === undefined ||
    (data.dataPointType !== DataPointType.SUM && data.dataPointType !== DataPointType.GAUGE)
  )
    return undefined;
  const key = JSON.stringify(Object.entries(attributes).sort());
  return data.dataPoints.find((p) => JSON.stringify(Object.entries(p.attributes).sort()) === key)?.value as
    | number
    | undefined;
}

export async function dropped(collector: MetricsCollector, reason: string): Promise<number> {
  return (await value(collector, 'datalineage_monitoring_dropped_measurements_total', { reason })) ?? 0;
}
