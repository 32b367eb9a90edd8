// The shape of getMonitoringStatus(): each component's running state and figures.
import type {
  AlertManagerStatus,
  ConnectionStats,
  LogAggregatorStats,
  MetricsCollectorStats,
} from '@datalineage/core';
import type { DashboardServer } from '@datalineage/dashboard';
import type { ExporterStats, OtlpExportStats } from '@datalineage/exporters';

export interface ServerStatus {
  enabled: boolean;
  running: boolean;
  /** Where it listens, once running. */
  url: string | undefined;
  /**
   * The server's connections while it runs: open now, and refused, evicted (waiting for a
   * request, closed to make room), timed out (headers or body too slow) and stalled (answer not
   * read) since it started.
   */
  connections?: ConnectionStats;
  /** The dashboard's log searches while it runs: running now, and refused (too many at once) since it started. */
  searches?: ReturnType<DashboardServer['searches']>;
  /** The dashboard's failed logins, and requests its login limiter refused unchecked, since it started. */
  logins?: ReturnType<DashboardServer['logins']>;
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
