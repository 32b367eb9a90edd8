// @datalineage/core — the metrics collector, its OpenTelemetry bridge, naming rules and the
// SDK's diagnostics. The public surface, by name.
export { bucketQuantile } from './alerts/aggregate.js';
export { ChannelConfigError, createChannel } from './alerts/channels/create.js';
export {
  DeliveryError,
  type DeliveryOptions,
  type DeliveryResult,
  deliver,
  isRetryableStatus,
  maskUrl,
  parseRetryAfter,
} from './alerts/channels/delivery.js';
export {
  type EvaluationTransition,
  type TestRuleOptions,
  type TestSample,
  type TestScenario,
  type TestStep,
  testRule,
} from './alerts/evaluate.js';
export {
  AlertManager,
  type AlertManagerOptions,
  type AlertManagerStatus,
  AlertMetricReader,
} from './alerts/manager.js';
export { toSamples } from './alerts/metric-samples.js';
export type { RoutingOptions } from './alerts/notifier.js';
export { type Aggregation, AlertRule, AlertRuleError, type AlertRuleOptions } from './alerts/rule.js';
export {
  compileLabelMatchers,
  formatSeriesKey,
  type HistogramBuckets,
  type LabelMatchers,
  SampleHistory,
  type SampleHistoryOptions,
  type SelectedSeries,
  type SeriesSample,
  type SeriesSamples,
} from './alerts/samples.js';
export { type Silence, SilenceError, type SilenceInput } from './alerts/silences.js';
export {
  AlertChannel,
  AlertCondition,
  type AlertInstance,
  AlertSeverity,
  type AlertState,
  type Notification,
  type NotificationChannel,
} from './alerts/types.js';
export {
  type AlertsConfig,
  ConfigError,
  type ConfigIssue,
  type ConfigSource,
  type DashboardAuthConfig,
  type DashboardConfig,
  DEFAULT_CONFIG,
  type DiagnosticsConfig,
  type ElasticsearchExporterConfig,
  ENVIRONMENT_VARIABLES,
  type EnvironmentVariable,
  type ExportersConfig,
  type ExportRunConfig,
  type InfluxDbExporterConfig,
  isSecretKey,
  type LoadConfigOptions,
  type LogRedactionConfig,
  type LogSamplingConfig,
  type LogsConfig,
  type LogsOtlpConfig,
  loadConfig,
  type MetricsConfig,
  type MonitoringConfig,
  type MonitoringConfigInput,
  maskUrlCredentials,
  monitoringConfigSchema,
  type OtlpExporterConfig,
  type PrometheusExporterConfig,
  parseConfig,
  readYamlFile,
} from './config/index.js';
export {
  type CircuitBreakerLike,
  type HealthCheckerLike,
  type HorizontalScalerLike,
  integrateWithHighAvailability,
  integrateWithScalability,
  type LoadBalancerLike,
} from './integrations/infrastructure.js';
export {
  type Integration,
  integrateWithTracker,
  type LineageTracker,
  type TrackerIntegrationOptions,
} from './integrations/tracker.js';
export {
  ConnectionGuard,
  type ConnectionLimits,
  type ConnectionStats,
  clientAddress,
  connectionServerOptions,
  DEFAULT_CONNECTION_LIMITS,
  resolveConnectionLimits,
} from './internal/connections.js';
export { type Settled, within } from './internal/deadline.js';
export { type DiagLevel, Diagnostics, type DiagSink, diagnostics } from './internal/diag.js';
export {
  type AnalysisScope,
  LogAggregator,
  type LogAggregatorOptions,
  type LogAggregatorStats,
  type LogDropReason,
} from './logs/aggregator.js';
export {
  type AnalysisEntry,
  type CountsOverTime,
  countOverTime,
  type ErrorRate,
  errorRate,
  type LoggerCount,
  type LogSummary,
  parseBucket,
  summarize,
  topLoggers,
} from './logs/analysis.js';
export {
  type ConsoleCapture,
  type ConsoleCaptureOptions,
  LogHandler,
  type LogHandlerOptions,
  type LogHandlerRecord,
  type PinoDestination,
  type PinoDestinationOptions,
} from './logs/bridges/log-handler.js';
export { LogFilter, type LogFilterOptions } from './logs/filter.js';
export { levelName, toLogLevel } from './logs/levels.js';
export {
  DEFAULT_MASKERS,
  type Masker,
  minePatterns,
  PatternMiner,
  type PatternMinerOptions,
  type Template,
} from './logs/patterns.js';
export type { SamplingOptions } from './logs/pipeline.js';
export { DEFAULT_REDACT_KEYS, RedactionConfigError, Redactor, type RedactorOptions } from './logs/redact.js';
export { compileSearchPattern, InvalidSearchPatternError, type SearchPattern } from './logs/safe-regex.js';
export type { SearchOptions, SearchResult } from './logs/search.js';
export {
  type LogEntry,
  type LogError,
  type LogInput,
  LogLevel,
  type LogLevelName,
  type LogSink,
  LogSource,
} from './logs/types.js';
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
export { currentOperation, type OperationContext } from './operations/context.js';
export { type MonitoredDecorator, type OperationHandle, OperationMonitor } from './operations/monitor.js';
