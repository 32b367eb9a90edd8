// The shape of getMonitoringStatus(): each component's running state and figures.
import type { AlertManagerStatus, LogAggregatorStats, MetricsCollectorStats } from '@datalineage/core';
import type { ExporterStats, OtlpExportStats } from '@datalineage/exporters';

export interface ServerStatus {
  enabled: boolean;
  running: boolean;
  /** Where it listens, once running. */
  url: string | undefined;
}

export interface MonitoringStatus {
  running: boolean;
  serviceName: string;
  /** ISO time of the last start(), if any. */
  startedAt: string | undefined;
  uptimeSeconds: number;
  metricsCollector: MetricsCollectorStats;
  logAggregator: LogAggregatorStats;
  alertManager: AlertManagerStatus & { enabled: boolean };
  /** Each exporter's figures (exported, failed, dropped by reason, queued, last error), by name. */
  exporters: Record<string, ExporterStats>;
  /** OTLP export of metrics (`exporters.otlp`) and logs (`logs.otlp`), when on. */
  otlp: { metrics?: OtlpExportStats; logs?: OtlpExportStats };
  dashboard: ServerStatus;
  metricsEndpoint: ServerStatus;
}
