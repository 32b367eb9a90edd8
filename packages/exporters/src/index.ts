// @datalineage/exporters — how metrics and logs leave the process. The public surface, by name.

export { createOtlpLogProcessor, type OtlpLogExportOptions } from './otlp/logs.js';
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
export { PrometheusReader, type PrometheusReaderOptions, type Scrape } from './prometheus/reader.js';
