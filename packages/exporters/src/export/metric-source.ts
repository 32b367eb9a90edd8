// Where metric exporters read from: the SDK's collector, or any OpenTelemetry MetricReader or
// MetricProducer (anything with `collect()`), so metrics of the application's own OpenTelemetry
// instruments can be exported too.
import type { MetricsCollector } from '@datalineage/core';
import type { CollectionResult, ResourceMetrics } from '@opentelemetry/sdk-metrics';

/** The collector, or anything that collects like a MetricReader or MetricProducer. */
export type MetricSource = MetricsCollector | { collect(): Promise<CollectionResult> };

/**
 * One snapshot of every metric of `source`. Callbacks that failed cost only their own metric; the
 * collector counts them under `reader`.
 */
export async function collectMetrics(source: MetricSource, reader: string): Promise<ResourceMetrics> {
  if ('metricProducer' in source) {
    const { resourceMetrics, errors } = await source.metricProducer.collect();
    source.reportCollectionErrors(errors, reader);
    return resourceMetrics;
  }
  return (await source.collect()).resourceMetrics;
}
