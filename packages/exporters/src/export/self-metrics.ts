// The exporter managers' own metrics on a collector: items exported and dropped, failed
// requests, and the items waiting. Defined once per collector, whatever the number of managers on
// it, and read from every manager registered there.
import type { MetricsCollector } from '@datalineage/core';

/** Counts one manager reports. */
export interface ExportCounts {
  exported(exporter: string, count: number): void;
  dropped(exporter: string, reason: string, count: number): void;
  failed(exporter: string): void;
}

const shared = new WeakMap<MetricsCollector, Set<() => Record<string, number>>>();

/**
 * Registers a manager's queue sizes with the collector's metrics (defining them the first time)
 * and returns the counters it reports to.
 */
export function exportMetrics(
  collector: MetricsCollector,
  queued: () => Record<string, number>,
): ExportCounts {
  let readers = shared.get(collector);
  if (readers === undefined) {
    const all = new Set<() => Record<string, number>>();
    readers = all;
    shared.set(collector, all);
    collector.counter('datalineage_monitoring_exported_items_total', {
      description: 'Items (points, documents, snapshots) exporters delivered, by exporter.',
      labelNames: ['exporter'],
    });
    collector.counter('datalineage_monitoring_export_dropped_items_total', {
      description: 'Items exporters dropped, by exporter and reason.',
      labelNames: ['exporter', 'reason'],
    });
    collector.counter('datalineage_monitoring_export_failures_total', {
      description: 'Export requests that failed, by exporter.',
      labelNames: ['exporter'],
    });
    collector.gauge('datalineage_monitoring_export_queue_items', {
      description: 'Items waiting in exporter queues (a batch in flight included), by exporter.',
      labelNames: ['exporter'],
      collect: () => {
        for (const read of all) {
          for (const [exporter, count] of Object.entries(read())) {
            collector.setGauge('datalineage_monitoring_export_queue_items', count, { exporter });
          }
        }
      },
    });
  }
  readers.add(queued);
  return {
    exported: (exporter, count) => {
      if (count > 0) collector.increment('datalineage_monitoring_exported_items_total', { exporter }, count);
    },
    dropped: (exporter, reason, count) => {
      collector.increment('datalineage_monitoring_export_dropped_items_total', { exporter, reason }, count);
    },
    failed: (exporter) => {
      collector.increment('datalineage_monitoring_export_failures_total', { exporter });
    },
  };
}
