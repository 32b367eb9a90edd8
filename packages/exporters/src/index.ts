// @datalineage/exporters — how metrics and logs leave the process. The public surface, by name.

export { ECS_VERSION, type EcsDocItem } from './elasticsearch/bulk.js';
export {
  ElasticsearchConfig,
  type ElasticsearchIndexMode,
  type ElasticsearchOptions,
  type ElasticsearchSnakeOptions,
} from './elasticsearch/config.js';
export { ElasticsearchExporter, type LogExportSource } from './elasticsearch/exporter.js';
export {
  ExporterManager,
  type ExporterManagerOptions,
  type ExporterStats,
  type ExportSettings,
} from './export/manager.js';
export type { MetricSource } from './export/metric-source.js';
export {
  type DropReason,
  ExportError,
  type ExportErrorOptions,
  type Exporter,
  ExporterConfigError,
  type SendResult,
} from './export/types.js';
export { InfluxDBConfig, type InfluxDBConfigOptions } from './influxdb/config.js';
export { InfluxDBExporter } from './influxdb/exporter.js';
export { encodePoint, type FieldValue, type Point, type Precision } from './influxdb/line-protocol.js';
export { createOtlpLogProcessor, type OtlpLogExportOptions, OtlpLogProcessor } from './otlp/logs.js';
export {
  createOtlpMetricReader,
  type OtlpMetricExportOptions,
  OtlpMetricReader,
  type OtlpTemporality,
} from './otlp/metrics.js';
export type { OtlpCompression, OtlpExportStats, OtlpProtocol } from './otlp/options.js';
export {
  CONTENT_TYPES,
  type ExpositionFormat,
  formatValue,
  negotiateFormat,
  serialize,
} from './prometheus/exposition.js';
export {
  createMetricsHandler,
  createNodeMetricsListener,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from './prometheus/handler.js';
export {
  PrometheusConfig,
  type PrometheusConfigOptions,
  PrometheusExporter,
} from './prometheus/pushgateway.js';
export { PrometheusReader, type PrometheusReaderOptions, type Scrape } from './prometheus/reader.js';
