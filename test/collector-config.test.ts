/**
 * The OpenTelemetry Collector configs in collector-config/ (the scale-out path), checked
 * structurally: every *.yaml parses, has only known top-level sections, pipelines that name only
 * defined components and have a receiver and an exporter, no unused component, extensions defined
 * and enabled alike, memory_limiter first and batch after it, exporters only on signals they
 * accept, credentials only as ${env:...} and backend endpoints from the environment; each file
 * sends what its name says. No collector binary runs here, so this is not `otelcol-contrib
 * validate`: component option keys are not checked. The checker's own failures are proven on
 * small inline configs.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCollectorConfig, pipelineExporterTypes } from './support/collector-config.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'collector-config');
const FILES = readdirSync(DIR)
  .filter((name) => name.endsWith('.yaml'))
  .sort();

function load(name: string): unknown {
  return parse(readFileSync(join(DIR, name), 'utf8'));
}

// What each file is for; a config that passes every structural check but ships to the wrong
// backend fails here.
const EXPECTED_EXPORTERS: Record<string, Record<string, string[]>> = {
  'all-in-one.yaml': {
    metrics: ['prometheus', 'prometheusremotewrite', 'influxdb'],
    logs: ['elasticsearch'],
  },
  'elasticsearch.yaml': { logs: ['elasticsearch'] },
  'influxdb.yaml': { metrics: ['influxdb'] },
  'prometheus-remote-write.yaml': { metrics: ['prometheusremotewrite'] },
  'prometheus-scrape.yaml': { metrics: ['prometheus'] },
};

describe('collector-config/', () => {
  it('holds the expected configs', () => {
    // Guards the glob below: an empty or renamed directory must not pass by checking nothing.
    expect(FILES).toEqual(Object.keys(EXPECTED_EXPORTERS).sort());
  });

  it.each(FILES)('%s passes the structural checks', (name) => {
    expect(checkCollectorConfig(load(name))).toEqual([]);
  });

  it.each(FILES)('%s sends each signal where its name says', (name) => {
    expect(pipelineExporterTypes(load(name))).toEqual(EXPECTED_EXPORTERS[name]);
  });

  it('the README covers every config', () => {
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const name of FILES) expect(readme).toContain(name);
  });
});

describe('checkCollectorConfig', () => {
  /** A minimal config that passes, so each broken variant below fails for its one change only. */
  function valid(): Record<string, unknown> {
    return {
      extensions: { 'basicauth/es': { client_auth: { username: 'u', password: `\${env:ES_PASSWORD}` } } },
      receivers: { otlp: { protocols: { http: null } } },
      processors: { memory_limiter: { check_interval: '1s', limit_percentage: 80 }, batch: null },
      exporters: {
        prometheus: { endpoint: '0.0.0.0:8889' },
        elasticsearch: {
          endpoints: [`\${env:ES_URL:-http://es:9200}`],
          auth: { authenticator: 'basicauth/es' },
        },
      },
      service: {
        extensions: ['basicauth/es'],
        pipelines: {
          metrics: {
            receivers: ['otlp'],
            processors: ['memory_limiter', 'batch'],
            exporters: ['prometheus'],
          },
          logs: {
            receivers: ['otlp'],
            processors: ['memory_limiter', 'batch'],
            exporters: ['elasticsearch'],
          },
        },
      },
    };
  }

  /** The valid config with the value at `path` replaced (keys, since ids hold `/` and `.`). */
  function validWith(path: readonly string[], value: unknown): Record<string, unknown> {
    const config = valid();
    let node: Record<string, unknown> = config;
    for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
    node[path.at(-1)!] = value;
    return config;
  }

  it('accepts the minimal config', () => {
    expect(checkCollectorConfig(valid())).toEqual([]);
  });

  // The regression the checker exists for: a pipeline naming an exporter nobody defined.
  it('rejects a pipeline naming an undefined exporter', () => {
    const config = validWith(
      ['service', 'pipelines', 'metrics', 'exporters'],
      ['prometheus', 'prometheusremotewrite'],
    );
    expect(checkCollectorConfig(config)).toEqual([
      'pipeline "metrics" names exporter "prometheusremotewrite", which exporters does not define',
    ]);
  });

  it.each<[string, readonly string[], unknown, RegExp]>([
    ['an unknown top-level key', ['pipelines'], {}, /unknown top-level key "pipelines"/],
    [
      'a pipeline without receivers',
      ['service', 'pipelines', 'logs', 'receivers'],
      [],
      /"logs" has no receiver/,
    ],
    [
      'an unused exporter',
      ['exporters', 'debug'],
      null,
      /exporter "debug" is defined but no pipeline uses it/,
    ],
    [
      'an unknown component type',
      ['exporters', 'prometheus_remote_write'],
      null,
      /exporters: unknown type "prometheus_remote_write"/,
    ],
    [
      'batch before memory_limiter',
      ['service', 'pipelines', 'logs', 'processors'],
      ['batch', 'memory_limiter'],
      /memory_limiter is not the first processor/,
    ],
    [
      'a pipeline without batch',
      ['service', 'pipelines', 'logs', 'processors'],
      ['memory_limiter'],
      /"logs": no batch processor/,
    ],
    [
      'a metrics-only exporter on logs',
      ['service', 'pipelines', 'logs', 'exporters'],
      ['elasticsearch', 'prometheus'],
      /exporter "prometheus" does not accept logs/,
    ],
    [
      'a literal password',
      ['extensions', 'basicauth/es', 'client_auth', 'password'],
      'changeme',
      /client_auth\.password: a credential must be/,
    ],
    [
      'a secret hidden in a default',
      ['extensions', 'basicauth/es', 'client_auth', 'password'],
      `\${env:ES_PASSWORD:-changeme}`,
      /client_auth\.password: a credential must be/,
    ],
    [
      'an extension defined but not enabled',
      ['extensions', 'health_check'],
      null,
      /extension "health_check" is defined but not in service.extensions/,
    ],
    [
      'an enabled extension nobody defined',
      ['service', 'extensions'],
      ['basicauth/es', 'health_check'],
      /service.extensions names "health_check", which extensions does not define/,
    ],
    [
      'an authenticator that is not an enabled extension',
      ['exporters', 'elasticsearch', 'auth'],
      { authenticator: 'basicauth/other' },
      /"basicauth\/other" is not an enabled extension/,
    ],
    [
      'a hard-coded backend endpoint',
      ['exporters', 'elasticsearch', 'endpoints'],
      ['http://es:9200'],
      /endpoint "http:\/\/es:9200" does not come from/,
    ],
    [
      'a substitution without env:',
      ['exporters', 'elasticsearch', 'endpoints'],
      [`\${ES_URL}`],
      /uses a substitution other than/,
    ],
  ])('rejects %s', (_what, path, value, expected) => {
    const problems = checkCollectorConfig(validWith(path, value));
    expect(
      problems.some((problem) => expected.test(problem)),
      problems.join('\n'),
    ).toBe(true);
  });
});
