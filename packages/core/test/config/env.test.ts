// Environment variables: the guide's DATALINEAGE_* ones and OpenTelemetry's OTEL_SERVICE_NAME /
// OTEL_RESOURCE_ATTRIBUTES. Every test passes its own env object; process.env is never touched.
import { describe, expect, it } from 'vitest';
import { ENVIRONMENT_VARIABLES, loadConfig, type MonitoringConfig } from '../../src/config/index.js';
import { errorOf } from './support.js';

function valueAt(config: MonitoringConfig, path: string): unknown {
  return path.split('.').reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], config);
}

describe('the environment variable table', () => {
  it('holds the guide’s variables and ours, each documented', () => {
    expect(ENVIRONMENT_VARIABLES.map((variable) => variable.name).sort()).toEqual(
      [
        'DATALINEAGE_ALERT_EVALUATION_INTERVAL',
        'DATALINEAGE_ALERT_MIN_DURATION',
        'DATALINEAGE_CONFIG_FILE',
        'DATALINEAGE_DASHBOARD_ENABLED',
        'DATALINEAGE_DASHBOARD_HOST',
        'DATALINEAGE_DASHBOARD_PASSWORD',
        'DATALINEAGE_DASHBOARD_PORT',
        'DATALINEAGE_DASHBOARD_TOKEN',
        'DATALINEAGE_DASHBOARD_USERNAME',
        'DATALINEAGE_LOG_MAX_ENTRIES',
        'DATALINEAGE_LOG_RETENTION_DAYS',
        'DATALINEAGE_METRICS_ENDPOINT_PORT',
        'DATALINEAGE_METRICS_MAX_COUNT',
        'DATALINEAGE_METRICS_RETENTION',
        'DATALINEAGE_SHUTDOWN_TIMEOUT',
        'OTEL_RESOURCE_ATTRIBUTES',
        'OTEL_SERVICE_NAME',
      ].sort(),
    );
    for (const variable of ENVIRONMENT_VARIABLES) expect(variable.description.length).toBeGreaterThan(10);
    expect(Object.isFrozen(ENVIRONMENT_VARIABLES[0])).toBe(true);
  });

  it.each([
    ['DATALINEAGE_DASHBOARD_HOST', 'dashboard.host'],
    ['DATALINEAGE_DASHBOARD_PORT', 'dashboard.port'],
    ['DATALINEAGE_METRICS_RETENTION', 'metrics.retentionPeriod'],
    ['DATALINEAGE_METRICS_MAX_COUNT', 'metrics.maxMetrics'],
    ['DATALINEAGE_ALERT_EVALUATION_INTERVAL', 'alerts.evaluationInterval'],
    ['DATALINEAGE_ALERT_MIN_DURATION', 'alerts.minDuration'],
    ['DATALINEAGE_LOG_MAX_ENTRIES', 'logs.maxEntries'],
    ['DATALINEAGE_LOG_RETENTION_DAYS', 'logs.retentionDays'],
    ['DATALINEAGE_DASHBOARD_ENABLED', 'dashboard.enabled'],
    ['DATALINEAGE_METRICS_ENDPOINT_PORT', 'metrics.endpoint.port'],
    ['OTEL_SERVICE_NAME', 'serviceName'],
  ])('maps %s to %s, as the table says', (name, path) => {
    const variable = ENVIRONMENT_VARIABLES.find((entry) => entry.name === name);
    expect(variable?.path).toBe(path);
    const [raw, expected] =
      variable?.type === 'number'
        ? ['7', 7]
        : variable?.type === 'boolean'
          ? ['false', false]
          : ['svc-host', 'svc-host'];
    const config = loadConfig({ env: { [name]: raw } });
    expect(valueAt(config, path)).toBe(expected);
  });
});

describe('dashboard credentials', () => {
  it('come from DATALINEAGE_DASHBOARD_USERNAME/PASSWORD or _TOKEN', () => {
    expect(
      loadConfig({ env: { DATALINEAGE_DASHBOARD_USERNAME: 'ops', DATALINEAGE_DASHBOARD_PASSWORD: 'pw' } })
        .dashboard.auth,
    ).toEqual({ username: 'ops', password: 'pw' });
    expect(
      loadConfig({ env: { DATALINEAGE_DASHBOARD_TOKEN: 'tok_0123456789abcdef' } }).dashboard.auth,
    ).toEqual({
      token: 'tok_0123456789abcdef',
    });
    expect(() => loadConfig({ env: { DATALINEAGE_DASHBOARD_USERNAME: 'ops' } })).toThrow(
      /dashboard\.auth\.password .*give username and password together/,
    );
  });
});

describe('coercion', () => {
  it.each([
    ['true', true],
    ['FALSE', false],
    ['1', true],
    ['0', false],
    ['Yes', true],
    ['no', false],
  ])('reads the boolean %s as %s', (raw, expected) => {
    expect(loadConfig({ env: { DATALINEAGE_DASHBOARD_ENABLED: raw } }).dashboard.enabled).toBe(expected);
  });

  it('reads decimal numbers, trimmed', () => {
    expect(loadConfig({ env: { DATALINEAGE_DASHBOARD_PORT: ' 9000 ' } }).dashboard.port).toBe(9000);
    expect(loadConfig({ env: { DATALINEAGE_METRICS_RETENTION: '1.5e3' } }).metrics.retentionPeriod).toBe(
      1500,
    );
  });

  it.each(['abc', '0x1f', 'Infinity', '12px'])('rejects the number %j, naming the variable', (raw) => {
    const error = errorOf(() => loadConfig({ env: { DATALINEAGE_DASHBOARD_PORT: raw } }));
    expect(error.issues).toEqual([
      {
        path: 'dashboard.port',
        source: 'env',
        origin: 'DATALINEAGE_DASHBOARD_PORT',
        message: `expected a number, got ${JSON.stringify(raw)}`,
      },
    ]);
    expect(error.message).toContain(
      `dashboard.port (env DATALINEAGE_DASHBOARD_PORT): expected a number, got ${JSON.stringify(raw)}`,
    );
  });

  it('rejects a boolean it does not know', () => {
    const error = errorOf(() => loadConfig({ env: { DATALINEAGE_DASHBOARD_ENABLED: 'maybe' } }));
    expect(error.issues[0]).toMatchObject({
      path: 'dashboard.enabled',
      origin: 'DATALINEAGE_DASHBOARD_ENABLED',
    });
  });

  it('validates the coerced value and names the variable', () => {
    const error = errorOf(() =>
      loadConfig({ env: { DATALINEAGE_DASHBOARD_PORT: '70000', DATALINEAGE_LOG_MAX_ENTRIES: '1.5' } }),
    );
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'dashboard.port',
        source: 'env',
        origin: 'DATALINEAGE_DASHBOARD_PORT',
      }),
      expect.objectContaining({
        path: 'logs.maxEntries',
        source: 'env',
        origin: 'DATALINEAGE_LOG_MAX_ENTRIES',
      }),
    ]);
  });

  it('ignores empty variables', () => {
    const config = loadConfig({
      env: { DATALINEAGE_DASHBOARD_PORT: '', DATALINEAGE_DASHBOARD_HOST: '  ', OTEL_SERVICE_NAME: '' },
    });
    expect(config.dashboard.port).toBe(8080);
    expect(config.dashboard.host).toBe('127.0.0.1');
    expect(config.serviceName).toBe('datalineage');
  });

  it('ignores variables it does not know, even with a DATALINEAGE_ prefix', () => {
    expect(() => loadConfig({ env: { DATALINEAGE_DASHBOARD_THEME: 'nope', PATH: '/bin' } })).not.toThrow();
  });
});

describe('OpenTelemetry variables', () => {
  it('take the service name from OTEL_SERVICE_NAME', () => {
    expect(loadConfig({ env: { OTEL_SERVICE_NAME: 'checkout' } }).serviceName).toBe('checkout');
  });

  it('parse OTEL_RESOURCE_ATTRIBUTES, trimming and percent-decoding', () => {
    const config = loadConfig({
      env: {
        OTEL_RESOURCE_ATTRIBUTES:
          'deployment.environment=prod, team = data%20platform,,note=a%2Cb%3Dc,k%C3%A9y=%E2%9C%93',
      },
    });
    expect(config.resourceAttributes).toEqual({
      'deployment.environment': 'prod',
      team: 'data platform',
      note: 'a,b=c',
      kéy: '✓',
    });
  });

  it('merge OTEL_RESOURCE_ATTRIBUTES over the configured attributes instead of replacing them', () => {
    const config = loadConfig({
      config: { resourceAttributes: { region: 'eu', team: 'core' } },
      env: { OTEL_RESOURCE_ATTRIBUTES: 'team=data,host.name=a1' },
    });
    expect(config.resourceAttributes).toEqual({ region: 'eu', team: 'data', 'host.name': 'a1' });
  });

  it('take service.name from OTEL_RESOURCE_ATTRIBUTES as the service name', () => {
    const config = loadConfig({
      config: { serviceName: 'from-code' },
      env: { OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes,team=data' },
    });
    expect(config.serviceName).toBe('from-attributes');
    expect(config.resourceAttributes).toEqual({ team: 'data' });
  });

  it('let OTEL_SERVICE_NAME win over service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    const config = loadConfig({
      env: { OTEL_SERVICE_NAME: 'from-name', OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attributes' },
    });
    expect(config.serviceName).toBe('from-name');
    expect(config.resourceAttributes).toEqual({});
  });

  it.each([
    ['novalue', 'expected key=value pairs'],
    ['a=b=c', 'expected key=value pairs'],
    ['=x', 'empty attribute key'],
    ['a=%E0%A4%A', 'invalid percent-encoding'],
  ])('reject the malformed OTEL_RESOURCE_ATTRIBUTES %j', (raw, message) => {
    const error = errorOf(() => loadConfig({ env: { OTEL_RESOURCE_ATTRIBUTES: raw } }));
    expect(error.issues).toEqual([
      expect.objectContaining({
        path: 'resourceAttributes',
        source: 'env',
        origin: 'OTEL_RESOURCE_ATTRIBUTES',
      }),
    ]);
    expect(error.issues[0]?.message).toContain(message);
  });
});
