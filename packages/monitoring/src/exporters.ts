// @datalineage/monitoring/exporters — the exporters users import, re-exported by name.
export {
  CONTENT_TYPES,
  createMetricsHandler,
  createNodeMetricsListener,
  createOtlpLogProcessor,
  type ExpositionFormat,
  type MetricsServer,
  type MetricsServerOptions,
  negotiateFormat,
  type OtlpLogExportOptions,
  PrometheusReader,
  type PrometheusReaderOptions,
  type Scrape,
  serialize,
  startMetricsServer,
} from '@datalineage/exporters';
