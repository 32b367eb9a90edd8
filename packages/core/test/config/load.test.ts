// Loading from the YAML file, code and environment: precedence, merging, and one error for all
// problems of all sources.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, type MonitoringConfigInput, parseConfig } from '../../src/config/index.js';
import { errorOf } from './support.js';

const GUIDE_FILE = fileURLToPath(new URL('./fixtures/monitoring-config.yaml', import.meta.url));
const directory = mkdtempSync(join(tmpdir(), 'datalineage-config-'));
let written = 0;

afterAll(() => rmSync(directory, { recursive: true, force: true }));

function yamlFile(text: string): string {
  const path = join(directory, `config-${++written}.yaml`);
  writeFileSync(path, text);
  return path;
}

/** Code input the camelCase-only type would refuse: snake_case keys and deliberate mistakes. */
function untyped(input: unknown): MonitoringConfigInput {
  return input as MonitoringConfigInput;
}

describe('the guide’s monitoring-config.yaml', () => {
  it('loads unchanged and its values arrive', () => {
    const config = loadConfig({ file: GUIDE_FILE, env: {} });
    expect(config.dashboard).toMatchObject({
      enabled: true,
      host: '0.0.0.0',
      port: 8080,
      autoRefresh: 30,
      theme: 'dark',
    });
    expect(config.metrics).toMatchObject({
      retentionPeriod: 3600,
      maxMetrics: 100000,
      cleanupInterval: 300,
      aggregationInterval: 60,
    });
    expect(config.alerts).toMatchObject({
      evaluationInterval: 60,
      minDuration: 120,
      maxFrequency: 3600,
      resolveTimeout: 300,
    });
    expect(config.logs).toMatchObject({
      maxEntries: 1000000,
      retentionDays: 30,
      processingQueueSize: 10000,
      cleanupInterval: 3600,
    });
    expect(config.exporters.prometheus).toMatchObject({
      enabled: true,
      pushgatewayUrl: 'http://localhost:9091',
      jobName: 'datalineagepy',
    });
    expect(config.exporters.influxdb).toMatchObject({
      enabled: false,
      url: 'http://localhost:8086',
      database: 'datalineagepy',
    });
    expect(config.exporters.elasticsearch).toMatchObject({ enabled: false, indexPrefix: 'datalineagepy' });
  });

  it('is found through DATALINEAGE_CONFIG_FILE', () => {
    const config = loadConfig({ env: { DATALINEAGE_CONFIG_FILE: GUIDE_FILE } });
    expect(config.exporters.prometheus.pushgatewayUrl).toBe('http://localhost:9091');
  });

  it('is found through the configFile key of the code configuration', () => {
    const config = loadConfig({ config: { configFile: GUIDE_FILE, dashboard: { port: 9000 } }, env: {} });
    expect(config.dashboard.host).toBe('0.0.0.0');
    expect(config.dashboard.port).toBe(9000);
  });
});

describe('YAML files', () => {
  it('may leave out the top-level monitoring: key', () => {
    const file = yamlFile('dashboard:\n  port: 9000\n  auto_refresh: 5\n');
    const config = loadConfig({ file, env: {} });
    expect(config.dashboard.port).toBe(9000);
    expect(config.dashboard.autoRefresh).toBe(5);
  });

  it('may be empty', () => {
    expect(loadConfig({ file: yamlFile('# nothing yet\n'), env: {} }).dashboard.port).toBe(8080);
    expect(loadConfig({ file: yamlFile('monitoring:\n'), env: {} }).dashboard.port).toBe(8080);
  });

  it('reject keys beside monitoring:', () => {
    const file = yamlFile('monitoring:\n  dashboard:\n    port: 9000\nmetrics:\n  max_metrics: 5\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      expect.objectContaining({ path: 'metrics', source: 'file', origin: `${file}:4` }),
    ]);
  });

  it('reject a document that is not a mapping', () => {
    const file = yamlFile('- dashboard\n- metrics\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues[0]).toMatchObject({ path: '', source: 'file', origin: file });
    expect(error.issues[0]?.message).toContain('expected a mapping');
  });

  it('report a syntax error with the file and line', () => {
    const file = yamlFile('monitoring:\n  dashboard:\n    port: [8080\n  metrics: {}\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues.length).toBeGreaterThan(0);
    expect(error.issues[0]?.source).toBe('file');
    expect(error.issues[0]?.origin).toMatch(new RegExp(`^${escapeRegExp(file)}:[34]:\\d+$`));
    expect(error.issues[0]?.message).toContain('YAML syntax error');
    expect(error.message).toContain(`file ${file}:`);
  });

  it('report a duplicate key as a syntax error on its line', () => {
    const file = yamlFile('dashboard:\n  port: 1\n  port: 2\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues[0]?.origin).toMatch(new RegExp(`^${escapeRegExp(file)}:3:\\d+$`));
  });

  it('that are not a monitoring configuration are said to be so, quoting none of their keys', () => {
    const file = yamlFile('user_one: x\nuser_two: y\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      {
        path: '',
        source: 'file',
        origin: file,
        message:
          'not a monitoring configuration: none of its 2 top-level keys is a configuration option (such as dashboard, metrics, alerts, logs or exporters, optionally under monitoring:)',
      },
    ]);
    expect(error.message).not.toContain('user_one');
  });

  it('that are one with a typo still name the unknown key', () => {
    const file = yamlFile('dashboard:\n  port: 1\nmetrix: {}\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).issues[0]?.message).toContain(
      'unknown key "metrix" — did you mean "metrics"?',
    );
  });

  it('report a non-mapping under monitoring: by its type', () => {
    const file = yamlFile('monitoring: [a, b]\n');
    expect(errorOf(() => loadConfig({ file, env: {} })).issues[0]?.message).toBe(
      'expected a mapping of configuration options under monitoring:, got a list',
    );
  });

  it('report at most 100 problems of one file, and count the rest', () => {
    const lines = Array.from({ length: 150 }, (_, i) => `  unknown_${i}: 1`);
    const file = yamlFile(`dashboard:\n${lines.join('\n')}\n`);
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues).toHaveLength(101);
    expect(error.issues[100]?.message).toBe('and 50 more problems');
  });

  it('report a missing file with its path and who named it', () => {
    const file = join(directory, 'does-not-exist.yaml');
    const fromOption = errorOf(() => loadConfig({ file, env: {} }));
    expect(fromOption.issues).toEqual([
      { path: '', source: 'file', origin: file, message: 'file not found; it was named by options.file' },
    ]);
    expect(fromOption.message).toContain(file);
    const fromEnv = errorOf(() => loadConfig({ env: { DATALINEAGE_CONFIG_FILE: file } }));
    expect(fromEnv.issues[0]?.message).toContain('DATALINEAGE_CONFIG_FILE');
  });

  it('report a path that is not a regular file', () => {
    const error = errorOf(() => loadConfig({ file: directory, env: {} }));
    expect(error.issues[0]).toMatchObject({ source: 'file', origin: directory });
    expect(error.issues[0]?.message).toBe('is a directory, not a regular file; it was named by options.file');
  });

  it('report invalid values with the line that holds them, in the file’s spelling', () => {
    const file = yamlFile('monitoring:\n  metrics:\n    retention_period: 60\n    cardinality_limit: 0\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues).toEqual([
      {
        path: 'metrics.cardinality_limit',
        source: 'file',
        origin: `${file}:4`,
        message: 'must be at least 1, got 0',
      },
    ]);
    expect(error.message).toContain(`metrics.cardinality_limit (file ${file}:4): must be at least 1, got 0`);
  });

  it('accept both spellings and reject conflicting ones', () => {
    expect(
      loadConfig({ file: yamlFile('dashboard:\n  maxDataPoints: 7\n  auto_refresh: 3\n'), env: {} })
        .dashboard,
    ).toMatchObject({
      maxDataPoints: 7,
      autoRefresh: 3,
    });
    const file = yamlFile('dashboard:\n  auto_refresh: 3\n  autoRefresh: 4\n');
    const error = errorOf(() => loadConfig({ file, env: {} }));
    expect(error.issues[0]).toMatchObject({ path: 'dashboard.auto_refresh', origin: `${file}:2` });
  });
});

describe('precedence: defaults < file < code < environment', () => {
  const file = yamlFile('monitoring:\n  dashboard:\n    port: 1111\n    theme: light\n    host: file-host\n');

  it('lets each layer win over the ones below it', () => {
    expect(loadConfig({ env: {} }).dashboard.port).toBe(8080);
    expect(loadConfig({ file, env: {} }).dashboard.port).toBe(1111);
    expect(loadConfig({ file, config: { dashboard: { port: 2222 } }, env: {} }).dashboard.port).toBe(2222);
    expect(
      loadConfig({ file, config: { dashboard: { port: 2222 } }, env: { DATALINEAGE_DASHBOARD_PORT: '3333' } })
        .dashboard.port,
    ).toBe(3333);
  });

  it('merges objects key by key across layers', () => {
    const config = loadConfig({
      file,
      config: { dashboard: { port: 2222 } },
      env: { DATALINEAGE_DASHBOARD_HOST: '0.0.0.0' },
    });
    expect(config.dashboard).toMatchObject({ port: 2222, theme: 'light', host: '0.0.0.0', autoRefresh: 30 });
  });

  it('replaces arrays and records whole', () => {
    const layered = yamlFile(
      'metrics:\n  histogram_buckets: [1, 2, 3]\nresource_attributes:\n  a: "1"\n  b: "2"\n',
    );
    const config = loadConfig({
      file: layered,
      config: { metrics: { histogramBuckets: [5] }, resourceAttributes: { c: '3' } },
      env: {},
    });
    expect(config.metrics.histogramBuckets).toEqual([5]);
    expect(config.resourceAttributes).toEqual({ c: '3' });
  });

  it('does not let an undefined value in code erase the file’s', () => {
    expect(loadConfig({ file, config: { dashboard: { port: undefined } }, env: {} }).dashboard.port).toBe(
      1111,
    );
  });

  it('takes the file named by the environment over the one named in code', () => {
    const other = yamlFile('dashboard:\n  port: 4444\n');
    expect(loadConfig({ file, env: { DATALINEAGE_CONFIG_FILE: other } }).dashboard.port).toBe(4444);
    expect(loadConfig({ file: other, config: { configFile: file }, env: {} }).dashboard.port).toBe(4444);
  });
});

describe('one ConfigError for every problem of every source', () => {
  it('lists them all, each with its path as written and where it came from', () => {
    const file = yamlFile(
      [
        'monitoring:',
        '  metrics:',
        '    cardinality_limit: 0',
        '    histogram_buckets: [0.1, 0.5, 0.25]',
        '',
      ].join('\n'),
    );
    const error = errorOf(() =>
      loadConfig({
        file,
        config: untyped({ dashbord: { port: 1 }, dashboard: { auto_refresh: 'soon' } }),
        env: { DATALINEAGE_DASHBOARD_PORT: 'abc', DATALINEAGE_LOG_RETENTION_DAYS: '0' },
      }),
    );

    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('ConfigError');
    expect(error.code).toBe('DLM_CONFIG_INVALID');
    expect(error.issues).toEqual([
      {
        path: 'metrics.cardinality_limit',
        source: 'file',
        origin: `${file}:3`,
        message: 'must be at least 1, got 0',
      },
      {
        path: 'metrics.histogram_buckets[2]',
        source: 'file',
        origin: `${file}:4`,
        message: 'must be strictly increasing: 0.25 is not greater than the previous value 0.5',
      },
      { path: 'dashbord', source: 'code', message: 'unknown key "dashbord" — did you mean "dashboard"?' },
      { path: 'dashboard.auto_refresh', source: 'code', message: 'expected a number, got "soon"' },
      {
        path: 'dashboard.port',
        source: 'env',
        origin: 'DATALINEAGE_DASHBOARD_PORT',
        message: 'expected a number, got "abc"',
      },
      {
        path: 'logs.retentionDays',
        source: 'env',
        origin: 'DATALINEAGE_LOG_RETENTION_DAYS',
        message: 'must be greater than 0, got 0',
      },
    ]);
    expect(error.message.split('\n')).toEqual([
      'Invalid monitoring configuration (6 problems):',
      `  - metrics.cardinality_limit (file ${file}:3): must be at least 1, got 0`,
      `  - metrics.histogram_buckets[2] (file ${file}:4): must be strictly increasing: 0.25 is not greater than the previous value 0.5`,
      '  - dashbord (code): unknown key "dashbord" — did you mean "dashboard"?',
      '  - dashboard.auto_refresh (code): expected a number, got "soon"',
      '  - dashboard.port (env DATALINEAGE_DASHBOARD_PORT): expected a number, got "abc"',
      '  - logs.retentionDays (env DATALINEAGE_LOG_RETENTION_DAYS): must be greater than 0, got 0',
    ]);
  });

  it('still reports code and environment problems when the file cannot be read', () => {
    const error = errorOf(() =>
      loadConfig({
        file: join(directory, 'missing.yaml'),
        config: { dashboard: { port: -1 } },
        env: { DATALINEAGE_ALERT_MIN_DURATION: 'later' },
      }),
    );
    expect(error.issues.map((issue) => issue.source)).toEqual(['file', 'code', 'env']);
    expect(error.message).toMatch(/^Invalid monitoring configuration \(3 problems\):/);
  });

  it('rejects a configFile that is not a path', () => {
    const error = errorOf(() => loadConfig({ config: untyped({ configFile: 42 }), env: {} }));
    expect(error.issues).toEqual([
      { path: 'configFile', source: 'code', message: 'expected a file path, got 42' },
    ]);
  });

  it('says "1 problem" for one', () => {
    expect(errorOf(() => parseConfig({ logs: { maxEntries: 0 } })).message).toMatch(/\(1 problem\):\n/);
  });
});

describe('parseConfig', () => {
  it('validates one object alone, without reading the environment or a file', () => {
    expect(parseConfig({ dashboard: { port: 9000 } }).dashboard.port).toBe(9000);
    const error = errorOf(() => parseConfig({ configFile: GUIDE_FILE }));
    expect(error.issues[0]?.message).toContain('unknown key "configFile"');
  });
});

describe('the loaded configuration', () => {
  it('is deep-frozen', () => {
    const config = loadConfig({ file: GUIDE_FILE, env: { OTEL_RESOURCE_ATTRIBUTES: 'a=b' } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.exporters.prometheus)).toBe(true);
    expect(Object.isFrozen(config.resourceAttributes)).toBe(true);
    expect(Object.isFrozen(config.metrics.summary.quantiles)).toBe(true);
  });
});

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
