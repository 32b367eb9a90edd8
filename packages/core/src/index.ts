// @datalineage/core — the metrics collector, its OpenTelemetry bridge, naming rules and the
// SDK's diagnostics. The public surface, by name.
export {
  type AlertsConfig,
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  type DashboardConfig,
  DEFAULT_CONFIG,
  type DiagnosticsConfig,
  ENVIRONMENT_VARIABLES,
  type EnvironmentVariable,
  type ExportersConfig,
  type LoadConfigOptions,
  type LogsConfig,
  loadConfig,
  type MetricsConfig,
  type MonitoringConfig,
  type MonitoringConfigInput,
  monitoringConfigSchema,
  parseConfig,
} from './config/index.js';
export { type DiagLevel, Diagnostics, type DiagSink, diagnostics } from './internal/diag.js';
export { CollectCallbackError } from './metrics/collection.js';
export {
  type MetricInfo,
  MetricsCollector,
  type MetricsCollectorOptions,
  type MetricsCollectorStats,
  type TimedDecorator,
} from './metrics/collector.js';
export { BoundCounter, Counter } from './metrics/counter.js';
export {
  PROMETHEUS_LABELS,
  PROMETHEUS_METRIC,
  PROMETHEUS_SKIP,
  type PrometheusMetricTag,
} from './metrics/export-tags.js';
export { OVERFLOW_LABELS } from './metrics/family.js';
export { BoundGauge, Gauge } from './metrics/gauge.js';
export { BoundHistogram, DEFAULT_TIME_BUCKETS, Histogram } from './metrics/histogram.js';
export {
  escapeHelp,
  escapeLabelValue,
  formatLabelPairs,
  isValidLabelName,
  isValidMetricName,
  type PrometheusNames,
  prometheusLabelName,
  prometheusNames,
  unitSuffix,
} from './metrics/naming.js';
export { bridgeToMeterProvider, type MeterProviderBridge } from './metrics/otel-bridge.js';
export { DDSketch } from './metrics/sketch/ddsketch.js';
export { SlidingWindowSketch, SlotClock } from './metrics/sketch/sliding-window.js';
export { BoundSummary, Summary, type SummarySettings } from './metrics/summary.js';
export { Timer } from './metrics/timing.js';
export type {
  DropReason,
  HistogramOptions,
  Labels,
  MetricKind,
  MetricOptions,
  SummaryOptions,
} from './metrics/types.js';
