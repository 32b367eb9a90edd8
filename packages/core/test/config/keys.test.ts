// snake_case and camelCase spellings of the option keys, and errors that quote the user's spelling.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import {
  describeValue,
  formatPath,
  isSecretKey,
  isSecretPath,
  maskUrlCredentials,
} from '../../src/config/keys.js';
import { errorOf } from './support.js';

describe('key spellings', () => {
  it('accept the guide’s snake_case at every level', () => {
    const config = parseConfig({
      service_name: 'billing',
      resource_attributes: { team: 'data' },
      dashboard: { auto_refresh: 10, max_data_points: 50 },
      metrics: {
        retention_period: 60,
        histogram_buckets: [1, 2],
        idle_series_expiry: 900,
        summary: { max_age_seconds: 60, age_buckets: 2, relative_accuracy: 0.02 },
      },
      alerts: { evaluation_interval: 5, resolve_timeout: 10 },
      logs: { processing_queue_size: 7 },
      exporters: {
        prometheus: {
          pushgateway_url: 'http://localhost:9091',
          job_name: 'job',
          grouping_labels: { region: 'eu' },
          max_queue_size: 30,
        },
        elasticsearch: { index_prefix: 'logs', api_key: 'k', data_stream: 'logs-app-prod' },
      },
    });
    expect(config.serviceName).toBe('billing');
    expect(config.resourceAttributes).toEqual({ team: 'data' });
    expect(config.dashboard.autoRefresh).toBe(10);
    expect(config.dashboard.maxDataPoints).toBe(50);
    expect(config.metrics.retentionPeriod).toBe(60);
    expect(config.metrics.histogramBuckets).toEqual([1, 2]);
    expect(config.metrics.idleSeriesExpiry).toBe(900);
    expect(config.metrics.summary).toEqual({
      quantiles: [0.5, 0.9, 0.95, 0.99],
      maxAgeSeconds: 60,
      ageBuckets: 2,
      relativeAccuracy: 0.02,
    });
    expect(config.alerts.evaluationInterval).toBe(5);
    expect(config.alerts.resolveTimeout).toBe(10);
    expect(config.logs.processingQueueSize).toBe(7);
    expect(config.exporters.prometheus).toMatchObject({
      pushgatewayUrl: 'http://localhost:9091',
      jobName: 'job',
      groupingLabels: { region: 'eu' },
      maxQueueSize: 30,
    });
    expect(config.exporters.elasticsearch).toMatchObject({
      indexPrefix: 'logs',
      apiKey: 'k',
      dataStream: 'logs-app-prod',
    });
  });

  it('accept both spellings mixed in one object', () => {
    const config = parseConfig({ dashboard: { auto_refresh: 10, maxDataPoints: 50 } });
    expect(config.dashboard.autoRefresh).toBe(10);
    expect(config.dashboard.maxDataPoints).toBe(50);
  });

  it('accept both spellings of one key when they agree', () => {
    const config = parseConfig({ dashboard: { auto_refresh: 10, autoRefresh: 10 } });
    expect(config.dashboard.autoRefresh).toBe(10);
  });

  it('reject both spellings of one key with different values, naming both', () => {
    const error = errorOf(() => parseConfig({ dashboard: { auto_refresh: 10, autoRefresh: 20 } }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.path).toBe('dashboard.auto_refresh');
    expect(error.issues[0]?.message).toContain('"auto_refresh"');
    expect(error.issues[0]?.message).toContain('"autoRefresh"');
    expect(error.issues[0]?.message).toContain('10 and 20');
  });

  it('leave keys inside records as written', () => {
    const config = parseConfig({
      resourceAttributes: { 'deployment.environment': 'prod', some_key: 'a', someKey: 'b' },
      exporters: { prometheus: { groupingLabels: { instance_id: 'x' } } },
    });
    expect(config.resourceAttributes).toEqual({
      'deployment.environment': 'prod',
      some_key: 'a',
      someKey: 'b',
    });
    expect(config.exporters.prometheus.groupingLabels).toEqual({ instance_id: 'x' });
  });

  it('treat a `__proto__` key as an unknown key, never as a prototype', () => {
    const error = errorOf(() => parseConfig(JSON.parse('{"__proto__": {"dashboard": {"port": 1}}}')));
    expect(error.issues[0]).toMatchObject({
      path: '__proto__',
      message: expect.stringContaining('unknown key'),
    });
    const config = parseConfig(JSON.parse('{"resourceAttributes": {"__proto__": {"polluted": "yes"}}}'));
    expect(Object.getPrototypeOf(config.resourceAttributes)).toBe(Object.prototype);
    expect((config.resourceAttributes as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('error paths', () => {
  it('use the spelling the user wrote', () => {
    expect(errorOf(() => parseConfig({ dashboard: { auto_refresh: 0 } })).issues[0]?.path).toBe(
      'dashboard.auto_refresh',
    );
    expect(errorOf(() => parseConfig({ dashboard: { autoRefresh: 0 } })).issues[0]?.path).toBe(
      'dashboard.autoRefresh',
    );
    expect(errorOf(() => parseConfig({ metrics: { histogram_buckets: [2, 1] } })).issues[0]?.path).toBe(
      'metrics.histogram_buckets[1]',
    );
    expect(
      errorOf(() => parseConfig({ resource_attributes: { 'service.version': 2 } })).issues[0]?.path,
    ).toBe('resource_attributes["service.version"]');
  });

  it('say the value came from a file when parsed as one', () => {
    const error = errorOf(() => parseConfig({ dashboard: { port: -1 } }, 'file'));
    expect(error.issues[0]?.source).toBe('file');
  });
});

describe('unknown keys', () => {
  it('suggest the closest key', () => {
    const error = errorOf(() => parseConfig({ dashbord: { port: 1 } }));
    expect(error.issues).toEqual([
      { path: 'dashbord', source: 'code', message: 'unknown key "dashbord" — did you mean "dashboard"?' },
    ]);
  });

  it('suggest in the spelling style the user writes', () => {
    const snake = errorOf(() => parseConfig({ dashboard: { auto_refrsh: 1 } }));
    expect(snake.issues[0]?.message).toContain('did you mean "auto_refresh"?');
    const camel = errorOf(() => parseConfig({ dashboard: { autoRefrsh: 1 } }));
    expect(camel.issues[0]?.message).toContain('did you mean "autoRefresh"?');
  });

  it('count a swap of two letters as one typo', () => {
    expect(errorOf(() => parseConfig({ dashboard: { prot: 1 } })).issues[0]?.message).toContain(
      'did you mean "port"?',
    );
  });

  it('list the known keys when nothing is close', () => {
    const error = errorOf(() => parseConfig({ dashboard: { colour: 'red' } }));
    expect(error.issues[0]?.message).not.toContain('did you mean');
    expect(error.issues[0]?.message).toContain('known keys: enabled, host, port');
  });

  it('are reported together with the other problems', () => {
    const error = errorOf(() =>
      parseConfig({ dashbord: {}, metrics: { cardinality_limt: 5, max_metrics: 0 } }),
    );
    expect(error.issues.map((issue) => issue.path)).toEqual([
      'dashbord',
      'metrics.cardinality_limt',
      'metrics.max_metrics',
    ]);
    expect(error.issues[1]?.message).toContain('did you mean "cardinality_limit"?');
  });
});

describe('long keys', () => {
  it('are cut in the message and the path, and get no suggestion (a typo is not 10,000 characters long)', () => {
    const key = `port${'x'.repeat(10_000)}`;
    const error = errorOf(() => parseConfig({ dashboard: { [key]: 1 } }));
    expect(error.issues[0]?.path).toBe(`dashboard["port${'x'.repeat(33)}..."]`);
    expect(error.issues[0]?.message).toMatch(/^unknown key "portx{33}\.\.\." \(known keys: /);
    expect(error.message.length).toBeLessThan(400);
  });

  it('keep short paths as they were', () => {
    expect(formatPath(['resource_attributes', 'service.name'])).toBe('resource_attributes["service.name"]');
    expect(formatPath(['metrics', 'histogram_buckets', 3])).toBe('metrics.histogram_buckets[3]');
  });
});

describe('secrets in messages', () => {
  it.each([
    'password',
    'smtp_password',
    'passphrase',
    'token',
    'bearerToken',
    'secret',
    'client_secret',
    'api_key',
    'apiKey',
    'Authorization',
    'credentials',
    'private_key',
    'cookie',
  ])('%s is a secret key', (key) => {
    expect(isSecretKey(key)).toBe(true);
  });

  it.each(['username', 'url', 'host', 'port', 'keys', 'key_file', 'censor', 'auth', 'allowUnauthenticated'])(
    '%s is not',
    (key) => {
      expect(isSecretKey(key)).toBe(false);
    },
  );

  it('covers every value under a secret key or in a headers map', () => {
    expect(isSecretPath(['exporters', 'influxdb', 'password'])).toBe(true);
    expect(isSecretPath(['logs', 'otlp', 'headers', 'x-team'])).toBe(true);
    expect(isSecretPath(['exporters', 'otlp', 'headers'])).toBe(true);
    expect(isSecretPath(['dashboard', 'auth', 'username'])).toBe(false);
  });

  it('are described by their type only', () => {
    expect(describeValue(12345678, ['exporters', 'influxdb', 'password'])).toBe('a number');
    expect(describeValue('hunter2', ['dashboard', 'auth', 'token'])).toBe('a string');
    expect(describeValue(['a'], ['logs', 'otlp', 'headers', 'x'])).toBe('a list');
    expect(describeValue(12345678, ['dashboard', 'port'])).toBe('12345678');
  });

  it('show a URL with its userinfo and query values masked', () => {
    expect(maskUrlCredentials('http://user:hunter2@host:9091/base?token=abc&x=1')).toBe(
      'http://REDACTED@host:9091/base?token=REDACTED&x=REDACTED',
    );
    expect(maskUrlCredentials('http://localhost:9091')).toBe('http://localhost:9091');
    // Not a URL at all, masked by its shape.
    expect(maskUrlCredentials('http//user:hunter2@host?token=abc')).toBe(
      'http//REDACTED@host?token=REDACTED',
    );
    expect(maskUrlCredentials('user:hunter2@host/x@y')).toBe('REDACTED@y');
    expect(maskUrlCredentials('ftp://u:hunter2@[::1/x?k=v')).toBe('ftp://REDACTED@[::1/x?k=REDACTED');
    expect(describeValue('ftp://u:hunter2@db/?token=abc', ['exporters', 'influxdb', 'url'])).toBe(
      '"ftp://REDACTED@db/?token=REDACTED"',
    );
  });

  it('never appear when both spellings of a secret disagree', () => {
    const error = errorOf(() =>
      parseConfig({ exporters: { elasticsearch: { api_key: 'first-S3cret', apiKey: 'second-S3cret' } } }),
    );
    expect(error.issues[0]?.message).toContain('(a string and a string)');
    expect(error.message).not.toMatch(/S3cret/);
  });
});
