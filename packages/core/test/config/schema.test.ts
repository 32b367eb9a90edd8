// The options, their defaults and their validation rules.
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  DEFAULT_CONFIG,
  type MonitoringConfigInput,
  parseConfig,
} from '../../src/config/index.js';

function issuesOf(input: unknown): ConfigError['issues'] {
  try {
    parseConfig(input);
  } catch (error) {
    if (error instanceof ConfigError) return error.issues;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('defaults', () => {
  it('fill every option when nothing is given', () => {
    const config = parseConfig({});
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(config.serviceName).toBe('datalineage');
    expect(config.resourceAttributes).toEqual({});
    expect(config.diagnostics.level).toBe('error');
    expect(config.dashboard).toEqual({
      enabled: true,
      host: '127.0.0.1',
      port: 8080,
      debug: false,
      autoRefresh: 30,
      maxDataPoints: 100,
      theme: 'dark',
      sampleInterval: 5,
      auth: {},
      allowUnauthenticated: false,
      tls: {},
    });
    expect(config.metrics.histogramBuckets).toEqual([
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]);
    expect(config.metrics.summary).toEqual({
      quantiles: [0.5, 0.9, 0.95, 0.99],
      maxAgeSeconds: 600,
      ageBuckets: 5,
      relativeAccuracy: 0.01,
    });
    expect(config.metrics.endpoint).toEqual({
      enabled: false,
      host: '127.0.0.1',
      port: 9464,
      path: '/metrics',
    });
    expect(config.metrics.cardinalityLimit).toBe(2000);
    expect(config.metrics.idleSeriesExpiry).toBe(0);
    expect(config.alerts).toEqual({
      enabled: true,
      evaluationInterval: 60,
      minDuration: 120,
      maxFrequency: 3600,
      resolveTimeout: 300,
      groupBy: ['alertname'],
      groupWait: 30,
      groupInterval: 300,
      sendResolved: true,
      inhibitFrom: 'critical',
      delivery: { timeout: 10, retries: 3 },
      rules: [],
      channels: [],
    });
    expect(config.logs.processingQueueSize).toBe(10000);
    expect(config.exporters.prometheus).toEqual({
      enabled: false,
      jobName: 'datalineagepy',
      groupingLabels: {},
      method: 'PUT',
      deleteOnShutdown: false,
      interval: 15,
      batchSize: 5000,
      timeout: 10,
      maxQueueSize: 100_000,
    });
    expect(config.exporters.elasticsearch).toMatchObject({ interval: 5, indexPrefix: 'datalineagepy' });
    expect(config.exporters.otlp).toEqual({ enabled: false, headers: {}, interval: 60, timeout: 10 });
    expect(config.exporters.influxdb.url).toBe('http://localhost:8086');
    expect(config.exporters.elasticsearch.indexPrefix).toBe('datalineagepy');
  });

  it('fill the rest of a section that is given in part', () => {
    const config = parseConfig({ dashboard: { port: 9000 }, metrics: { summary: { ageBuckets: 10 } } });
    expect(config.dashboard.port).toBe(9000);
    expect(config.dashboard.host).toBe('127.0.0.1');
    expect(config.metrics.summary.ageBuckets).toBe(10);
    expect(config.metrics.summary.maxAgeSeconds).toBe(600);
  });

  it('are deep-frozen', () => {
    expect(Object.isFrozen(DEFAULT_CONFIG.metrics.histogramBuckets)).toBe(true);
    expect(() => {
      (DEFAULT_CONFIG.dashboard as { port: number }).port = 1;
    }).toThrow(TypeError);
  });
});

describe('parsed configuration', () => {
  it('is deep-frozen without freezing the caller’s arrays and records', () => {
    const buckets = [1, 2, 3];
    const attributes = { team: 'data' };
    const config = parseConfig({ metrics: { histogramBuckets: buckets }, resourceAttributes: attributes });
    expect(Object.isFrozen(config.metrics.histogramBuckets)).toBe(true);
    expect(Object.isFrozen(config.resourceAttributes)).toBe(true);
    expect(Object.isFrozen(buckets)).toBe(false);
    expect(Object.isFrozen(attributes)).toBe(false);
  });

  it('does not share the defaults’ arrays, so two configs are independent', () => {
    expect(parseConfig({}).metrics.histogramBuckets).not.toBe(DEFAULT_CONFIG.metrics.histogramBuckets);
  });
});

describe('validation rules', () => {
  it.each([
    [{ dashboard: { port: -1 } }, 'dashboard.port', 'must be at least 0, got -1'],
    [{ dashboard: { port: 65536 } }, 'dashboard.port', 'must be at most 65535, got 65536'],
    [{ dashboard: { port: 80.5 } }, 'dashboard.port', 'expected an integer, got 80.5'],
    [{ dashboard: { autoRefresh: 0 } }, 'dashboard.autoRefresh', 'must be greater than 0, got 0'],
    [{ dashboard: { maxDataPoints: 1 } }, 'dashboard.maxDataPoints', 'must be at least 2, got 1'],
    [{ dashboard: { theme: 'blue' } }, 'dashboard.theme', 'expected one of "dark", "light", got "blue"'],
    [{ dashboard: { enabled: 'yes' } }, 'dashboard.enabled', 'expected true or false, got "yes"'],
    [{ diagnostics: { level: 'loud' } }, 'diagnostics.level', 'got "loud"'],
    [{ metrics: { retentionPeriod: -1 } }, 'metrics.retentionPeriod', 'must be at least 0, got -1'],
    [{ metrics: { maxMetrics: 0 } }, 'metrics.maxMetrics', 'must be at least 1, got 0'],
    [{ metrics: { cleanupInterval: 0 } }, 'metrics.cleanupInterval', 'must be greater than 0'],
    [{ metrics: { cardinalityLimit: 0 } }, 'metrics.cardinalityLimit', 'must be at least 1, got 0'],
    [{ metrics: { idleSeriesExpiry: -5 } }, 'metrics.idleSeriesExpiry', 'must be at least 0'],
    [{ metrics: { histogramBuckets: [] } }, 'metrics.histogramBuckets', 'must not be empty'],
    [{ metrics: { histogramBuckets: [1, 1] } }, 'metrics.histogramBuckets[1]', 'must be strictly increasing'],
    [
      { metrics: { histogramBuckets: [1, Number.POSITIVE_INFINITY] } },
      'metrics.histogramBuckets[1]',
      'got Infinity',
    ],
    [{ metrics: { histogramBuckets: [1, Number.NaN] } }, 'metrics.histogramBuckets[1]', 'got NaN'],
    [{ metrics: { summary: { quantiles: [0, 0.5] } } }, 'metrics.summary.quantiles[0]', 'greater than 0'],
    [{ metrics: { summary: { quantiles: [0.5, 1] } } }, 'metrics.summary.quantiles[1]', 'less than 1'],
    [
      { metrics: { summary: { quantiles: [0.9, 0.5] } } },
      'metrics.summary.quantiles[1]',
      'strictly increasing',
    ],
    [{ metrics: { summary: { ageBuckets: 61 } } }, 'metrics.summary.ageBuckets', 'must be at most 60'],
    [
      { metrics: { summary: { relativeAccuracy: 0.5 } } },
      'metrics.summary.relativeAccuracy',
      'less than 0.5',
    ],
    [{ metrics: { summary: { maxAgeSeconds: 0 } } }, 'metrics.summary.maxAgeSeconds', 'greater than 0'],
    [{ metrics: { endpoint: { path: 'metrics' } } }, 'metrics.endpoint.path', 'must start with "/"'],
    [{ alerts: { evaluationInterval: 0 } }, 'alerts.evaluationInterval', 'greater than 0'],
    [{ alerts: { minDuration: -1 } }, 'alerts.minDuration', 'at least 0'],
    [{ logs: { maxEntries: 0 } }, 'logs.maxEntries', 'at least 1'],
    [{ logs: { retentionDays: 0 } }, 'logs.retentionDays', 'greater than 0'],
    [
      { exporters: { prometheus: { pushgatewayUrl: 'localhost:9091' } } },
      'exporters.prometheus.pushgatewayUrl',
      'URL',
    ],
    [{ exporters: { influxdb: { url: 'ftp://db' } } }, 'exporters.influxdb.url', 'expected an http(s) URL'],
    [{ exporters: { prometheus: { interval: 0 } } }, 'exporters.prometheus.interval', 'greater than 0'],
    [{ resourceAttributes: { team: 1 } }, 'resourceAttributes.team', 'expected a string, got 1'],
    [{ dashboard: 8080 }, 'dashboard', 'expected an object, got 8080'],
  ])('reject %j at %s', (input, path, message) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ path, source: 'code' });
    expect(issues[0]?.message).toContain(message);
  });

  it('accept the boundary values', () => {
    const config = parseConfig({
      dashboard: { port: 65535, maxDataPoints: 2 },
      metrics: {
        retentionPeriod: 0,
        idleSeriesExpiry: 0,
        histogramBuckets: [0.5],
        endpoint: { port: 1, path: '/' },
        summary: { ageBuckets: 60, quantiles: [0.001, 0.999] },
      },
      alerts: { minDuration: 0, maxFrequency: 0, resolveTimeout: 0 },
      exporters: { prometheus: { pushgatewayUrl: 'https://push.example.com:9091/base' } },
    });
    expect(config.dashboard.port).toBe(65535);
    expect(config.metrics.endpoint.path).toBe('/');
    expect(config.exporters.prometheus.pushgatewayUrl).toBe('https://push.example.com:9091/base');
  });

  it('treat every section as strict', () => {
    expect(issuesOf({ metrics: { summary: { window: 5 } } })).toEqual([
      expect.objectContaining({ path: 'metrics.summary.window', source: 'code' }),
    ]);
  });
});

describe('dashboard credentials and TLS', () => {
  it('need their pairs, and a token long enough to guess at no better than chance', () => {
    const message = (config: MonitoringConfigInput) => {
      try {
        parseConfig(config);
        return '';
      } catch (error) {
        return String(error);
      }
    };
    expect(message({ dashboard: { auth: { username: 'ops' } } })).toContain(
      'dashboard.auth.password (code): give username and password together',
    );
    expect(message({ dashboard: { auth: { token: 'short' } } })).toContain('at least 16 characters');
    expect(
      message({ dashboard: { auth: { token: 'x'.repeat(20), username: 'u', password: 'p' } } }),
    ).toContain('not both');
    expect(message({ dashboard: { tls: { keyFile: 'key.pem' } } })).toContain(
      'give keyFile and certFile together',
    );
    expect(parseConfig({ dashboard: { auth: { username: 'u', password: 'p' } } }).dashboard.auth).toEqual({
      username: 'u',
      password: 'p',
    });
  });
});
