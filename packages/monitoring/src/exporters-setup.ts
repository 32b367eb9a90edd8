// The exporters the configuration's `exporters` section turns on, built at setup so a bad one
// fails there: Pushgateway and InfluxDB read the SDK's MeterProvider (the collector and any
// OpenTelemetry instrument on it), Elasticsearch ships the log aggregator's records.
import type { ExportersConfig, ExportRunConfig, LogAggregator } from '@datalineage/core';
import {
  ElasticsearchConfig,
  ElasticsearchExporter,
  type Exporter,
  type ExportSettings,
  InfluxDBConfig,
  InfluxDBExporter,
  type MetricSource,
  PrometheusConfig,
  PrometheusExporter,
} from '@datalineage/exporters';

export interface ConfiguredExporter {
  readonly exporter: Exporter<unknown>;
  readonly settings: ExportSettings;
}

function settingsOf(name: string, run: ExportRunConfig): ExportSettings {
  return {
    name,
    interval: run.interval,
    batchSize: run.batchSize,
    timeout: run.timeout,
    maxQueueSize: run.maxQueueSize,
  };
}

/** Only what is defined, so `undefined` never overrides a default. */
function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The enabled exporters, with their manager settings.
 * @throws ExporterConfigError for a configuration that cannot work (e.g. no Pushgateway URL)
 */
export function configuredExporters(
  config: ExportersConfig,
  sources: { readonly metrics: MetricSource; readonly logs: LogAggregator; readonly serviceName: string },
): ConfiguredExporter[] {
  const out: ConfiguredExporter[] = [];
  const { prometheus, influxdb, elasticsearch } = config;
  if (prometheus.enabled) {
    const exporter = new PrometheusExporter(
      new PrometheusConfig(
        defined({
          pushgatewayUrl: prometheus.pushgatewayUrl,
          jobName: prometheus.jobName,
          instance: prometheus.instance,
          groupingLabels: prometheus.groupingLabels,
          method: prometheus.method,
          deleteOnShutdown: prometheus.deleteOnShutdown,
          username: prometheus.username,
          password: prometheus.password,
        }),
      ),
      sources.metrics,
    );
    out.push({ exporter, settings: settingsOf('pushgateway', prometheus) });
  }
  if (influxdb.enabled) {
    const exporter = new InfluxDBExporter(
      new InfluxDBConfig(
        defined({
          url: influxdb.url,
          // The schema always fills in the 1.x database; a token means 2.x, where it has no place.
          database: influxdb.token === undefined ? influxdb.database : undefined,
          username: influxdb.username,
          password: influxdb.password,
          retentionPolicy: influxdb.retentionPolicy,
          createDatabase: influxdb.createDatabase,
          org: influxdb.org,
          bucket: influxdb.bucket,
          token: influxdb.token,
          precision: influxdb.precision,
        }),
      ),
      sources.metrics,
    );
    out.push({ exporter, settings: settingsOf('influxdb', influxdb) });
  }
  if (elasticsearch.enabled) {
    const exporter = new ElasticsearchExporter(
      new ElasticsearchConfig(
        defined({
          url: elasticsearch.url,
          indexPrefix: elasticsearch.indexPrefix,
          index: elasticsearch.index,
          dataStream: elasticsearch.dataStream,
          username: elasticsearch.username,
          password: elasticsearch.password,
          apiKey: elasticsearch.apiKey,
          serviceName: sources.serviceName,
        }),
      ),
      sources.logs,
    );
    out.push({ exporter, settings: settingsOf('elasticsearch', elasticsearch) });
  }
  return out;
}
