// @datalineage/monitoring — what users install. The public surface, by name.
export {
  BoundCounter,
  BoundGauge,
  BoundHistogram,
  BoundSummary,
  ConfigError,
  Counter,
  DEFAULT_CONFIG,
  type DropReason,
  Gauge,
  Histogram,
  type HistogramOptions,
  type Labels,
  loadConfig,
  type MetricInfo,
  type MetricKind,
  type MetricOptions,
  MetricsCollector,
  type MetricsCollectorOptions,
  type MetricsCollectorStats,
  type MonitoringConfig,
  type MonitoringConfigInput,
  Summary,
  type SummaryOptions,
  Timer,
} from '@datalineage/core';
export { type MonitoringOptions, MonitoringSystem } from './monitoring.js';
export { getMonitoring, resetMonitoring, type SetupConfig, setupMonitoring } from './setup.js';
export type { MonitoringStatus, ServerStatus } from './status.js';
