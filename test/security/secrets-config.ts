/**
 * The known secrets of the secrets review and a monitoring configuration that uses every one of
 * them: InfluxDB token, Elasticsearch API key, Pushgateway basic auth, the SMTP password of an
 * e-mail channel, a webhook URL with a token in its path and query and a secret header, Slack's
 * secret path, Alertmanager basic auth, OTLP headers for metrics and logs, the dashboard's
 * password. The ones the configuration has no place for (InfluxDB 1.x password, Elasticsearch
 * URL userinfo) the tests give through the exporters' own API.
 */
import type { MonitoringConfigInput, MonitoringSystem } from '@datalineage/monitoring';
import {
  ElasticsearchConfig,
  ElasticsearchExporter,
  InfluxDBConfig,
  InfluxDBExporter,
} from '@datalineage/monitoring/exporters';
import type { DiagLogger } from '@opentelemetry/api';
import { waitUntilNone } from './support.js';

export const S = {
  dashboardPassword: 'dash-pw-S3cr3t-1a2b',
  dashboardToken: 'dash-token-S3cr3t-3c4d5e6f',
  pushgatewayPassword: 'pg-pw-S3cr3t-7g8h',
  influxToken: 'influx-token-S3cr3t-9i0j',
  influxPassword: 'influx-pw-S3cr3t-1k2l',
  esApiKey: 'es-apikey-S3cr3t-3m4n',
  esUserinfoPassword: 'es-userinfo-S3cr3t-7q8r',
  smtpPassword: 'smtp-pw-S3cr3t-9s0t',
  webhookQuery: 'hook-query-S3cr3t-1u2v',
  webhookPath: 'hook-path-S3cr3t-3w4x',
  webhookHeader: 'hook-header-S3cr3t-5y6z',
  webhookUserinfo: 'hook-userinfo-S3cr3t-7a8b',
  slackPath: 'slack-path-S3cr3t-9c0d',
  alertmanagerPassword: 'am-pw-S3cr3t-1e2f',
  otlpHeader: 'otlp-header-S3cr3t-3g4h',
  otlpLogsHeader: 'otlp-logs-S3cr3t-5i6j',
  otlpQuery: 'otlp-query-S3cr3t-7k8l',
} as const;

/** The user names paired with the secrets in Basic headers (their base64 forms are looked for too). */
export const USERS = [
  'ops',
  'pg',
  'influxuser',
  'esuser',
  'alerts@example.test',
  'hookuser',
  'amuser',
  'token',
];

export const SECRETS = Object.values(S).map((secret) => ({ secret, users: USERS }));

/** The configuration: HTTP backends at 127.0.0.1:`http`, the SMTP server at 127.0.0.1:`smtp`. */
export function secretsConfig(ports: { http: number; smtp: number; dashboard: number; otlpQuery?: boolean }) {
  const base = `http://127.0.0.1:${ports.http}`;
  return {
    serviceName: 'secrets-review',
    handleSignals: false,
    shutdownTimeout: 1,
    diagnostics: { level: 'debug' },
    dashboard: {
      port: ports.dashboard,
      debug: true,
      sampleInterval: 1,
      auth: { username: 'ops', password: S.dashboardPassword },
    },
    alerts: {
      evaluationInterval: 3600,
      minDuration: 0,
      groupWait: 0,
      delivery: { timeout: 2, retries: 0 },
      channels: [
        {
          type: 'email',
          name: 'mail',
          smtp_server: '127.0.0.1',
          smtp_port: ports.smtp,
          username: 'alerts@example.test',
          password: S.smtpPassword,
          recipients: ['ops@example.test'],
        },
        {
          type: 'webhook',
          name: 'hook',
          url: `${base}/hooks/${S.webhookPath}?token=${S.webhookQuery}`,
          headers: { Authorization: `Bearer ${S.webhookHeader}` },
        },
        { type: 'slack', name: 'slack', url: `${base}/services/T000/B000/${S.slackPath}` },
        { type: 'alertmanager', name: 'am', url: base, username: 'amuser', password: S.alertmanagerPassword },
      ],
    },
    exporters: {
      prometheus: {
        enabled: true,
        pushgatewayUrl: base,
        username: 'pg',
        password: S.pushgatewayPassword,
        interval: 3600,
        timeout: 2,
      },
      influxdb: {
        enabled: true,
        url: base,
        org: 'org',
        bucket: 'bucket',
        token: S.influxToken,
        interval: 3600,
        timeout: 2,
      },
      elasticsearch: { enabled: true, url: base, apiKey: S.esApiKey, interval: 3600, timeout: 2 },
      otlp: {
        enabled: true,
        // Some OTLP backends take their key in the query: a secret like any other.
        url: `${base}/v1/metrics${ports.otlpQuery === true ? `?api_key=${S.otlpQuery}` : ''}`,
        headers: { Authorization: `Bearer ${S.otlpHeader}` },
        interval: 1,
        timeout: 1,
      },
    },
    logs: {
      otlp: {
        enabled: true,
        url: `${base}/v1/logs`,
        headers: { 'x-api-key': S.otlpLogsHeader },
        exportIntervalMillis: 500,
      },
    },
  } satisfies MonitoringConfigInput;
}

/** Collects what the SDK reported or printed (`captured`) and what reached OpenTelemetry's diag. */
export function outputCapture() {
  const captured: string[] = [];
  const otelCaptured: string[] = [];
  const recorder =
    (into: string[]) =>
    (...parts: unknown[]) => {
      into.push(parts.map((part) => (typeof part === 'string' ? part : String(part))).join(' '));
    };
  const capture = recorder(captured);
  const otelCapture = recorder(otelCaptured);
  const otelLogger: DiagLogger = {
    error: otelCapture,
    warn: otelCapture,
    info: otelCapture,
    debug: otelCapture,
    verbose: otelCapture,
  };
  return { captured, otelCaptured, capture, otelLogger };
}

/**
 * The credentials the configuration has no place for, through the exporters' own API (InfluxDB
 * 1.x user and password, Elasticsearch URL userinfo) against `port`; then an alert that fires, a
 * log line and one export of everything, and a wait until every exporter and channel has a last
 * error that `failed` accepts.
 */
export async function failEverything(
  monitoring: MonitoringSystem,
  port: number,
  failed: (error: string | undefined) => boolean,
): Promise<void> {
  monitoring.exporterManager.addExporter(
    new InfluxDBExporter(
      new InfluxDBConfig({
        url: `http://127.0.0.1:${port}`,
        database: 'db',
        username: 'influxuser',
        password: S.influxPassword,
      }),
      { collect: () => monitoring.prometheusReader.collect() },
    ),
    { name: 'influxdb-v1', interval: 3600, timeout: 2 },
  );
  monitoring.exporterManager.addExporter(
    new ElasticsearchExporter(
      new ElasticsearchConfig({ url: `http://esuser:${S.esUserinfoPassword}@127.0.0.1:${port}` }),
      monitoring.logAggregator,
    ),
    { name: 'elasticsearch-userinfo', interval: 3600, timeout: 2 },
  );
  monitoring.alertManager.addRule({
    name: 'always',
    metricName: 'secrets.gauge',
    threshold: 0,
    minDuration: 0,
  });
  monitoring.metricsCollector.setGauge('secrets.gauge', 1);
  monitoring.logAggregator.addLog({ message: 'a line to export' });
  await monitoring.start();
  // Stored (not flush(): that would wait out the OTLP log exporter's retries).
  await waitUntilNone(
    () =>
      monitoring.logAggregator.searchLogs(undefined, { limit: 1 }).entries.length > 0 ? [] : ['the log line'],
    'not stored',
  );
  await monitoring.exporterManager.exportNow();
  await monitoring.alertManager.evaluate();
  await waitUntilNone(() => {
    const status = monitoring.getMonitoringStatus();
    return [
      ...Object.entries(status.exporters).map(([name, e]) => [name, e.lastError] as const),
      ...Object.entries(status.alertManager.channels).map(([name, c]) => [name, c.lastError] as const),
      ['otlp metrics', status.otlp.metrics?.lastError] as const,
      ['otlp logs', status.otlp.logs?.lastError] as const,
    ]
      .filter(([, error]) => !failed(error))
      .map(([name]) => name);
  }, 'exporters or channels without the expected last error');
}
