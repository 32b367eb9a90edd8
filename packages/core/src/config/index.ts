// The configuration module's public surface: loading, validating and describing the options.
export type { EnvironmentVariable } from './env.js';
export { ENVIRONMENT_VARIABLES } from './env.js';
export type { ConfigIssue, ConfigSource } from './errors.js';
export { ConfigError } from './errors.js';
export { isSecretKey, maskUrlCredentials } from './keys.js';
export type { LoadConfigOptions } from './load.js';
export { loadConfig, parseConfig, readYamlFile } from './load.js';
export type {
  AlertRuleConfig,
  AlertsConfig,
  DashboardAuthConfig,
  DashboardConfig,
  DiagnosticsConfig,
  DiagnosticsLevel,
  ElasticsearchExporterConfig,
  ExportersConfig,
  ExportRunConfig,
  InfluxDbExporterConfig,
  LogRedactionConfig,
  LogSamplingConfig,
  LogsConfig,
  LogsOtlpConfig,
  MetricsConfig,
  MetricsEndpointConfig,
  MonitoringConfig,
  MonitoringConfigInput,
  OtlpExporterConfig,
  PrometheusExporterConfig,
  SummaryConfig,
} from './schema.js';
export { DEFAULT_CONFIG, monitoringConfigSchema } from './schema.js';
