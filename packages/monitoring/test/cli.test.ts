// The datalineage-monitor command line: validate-config lists every problem and fails, or says
// what a valid file turns on; print-config masks secrets and prints a file that loads back to
// the same configuration; test-rules runs YAML rule tests (passing and failing ones); and the
// real executable runs as a child process.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSecretKey } from '@datalineage/core';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runCli } from '../src/cli/main.js';
import { expandValues, runRuleTests } from '../src/cli/test-rules.js';
import { loadConfig } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (t) => (out += t), err: (t) => (err += t), env });
  return { code, out, err };
}

describe('validate-config', () => {
  it('says what a valid file turns on', async () => {
    const ok = file(
      'ok.yaml',
      [
        'monitoring:',
        '  alerts:',
        '    rules:',
        '      - { name: backlog, metric_name: queue.size, threshold: 100 }',
        '  exporters:',
        '    influxdb: { enabled: true, url: "http://127.0.0.1:8086" }',
        '',
      ].join('\n'),
    );
    const result = await run(['validate-config', ok]);
    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('valid (1 alert rules, 0 channels, exporters on: influxdb)');
  });

  it('lists every problem with its key and line, and exits 1', async () => {
    const bad = file(
      'bad.yaml',
      [
        'monitoring:',
        '  dashboard:',
        '    port: 99999',
        '  dashbord: {}',
        '  metrics:',
        '    cardinality_limit: 0',
        '',
      ].join('\n'),
    );
    const result = await run(['validate-config', bad]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('Invalid monitoring configuration (3 problems)');
    expect(result.err).toMatch(/dashboard\.port \(file .*bad\.yaml:3\)/);
    expect(result.err).toContain('did you mean "dashboard"?');
    expect(result.err).toMatch(/metrics\.cardinality_limit \(file .*bad\.yaml:6\)/);
  });

  it('catches a bad rule or channel, which loading alone would not', async () => {
    const bad = file(
      'rule.yaml',
      [
        'monitoring:',
        '  alerts:',
        '    rules:',
        '      - { name: x, metric_name: m, condition: bigger }',
        '',
      ].join('\n'),
    );
    const result = await run(['validate-config', bad]);
    expect(result.code).toBe(1);
    expect(result.err).toContain('is not a condition');
  });

  it('answers wrong usage with the usage and exit code 2', async () => {
    expect((await run(['validate-config'])).code).toBe(2);
    expect((await run(['frobnicate'])).err).toContain('unknown command "frobnicate"');
    expect((await run([])).out).toContain('usage: datalineage-monitor');
  });
});

describe('print-config', () => {
  it('masks every secret and prints a file that loads back to the same configuration', async () => {
    const source = file(
      'secret.yaml',
      [
        'monitoring:',
        '  dashboard: { auth: { username: ops, password: dash-pass-1 } }',
        '  exporters:',
        '    influxdb: { enabled: true, username: w, password: influx-pass-2 }',
        '    elasticsearch: { api_key: es-key-3, url: "http://es:es-pass-5@127.0.0.1:9200/?token=es-token-6" }',
        '    prometheus: { pushgateway_url: "http://127.0.0.1:9091" }',
        '  alerts:',
        '    channels: [{ type: webhook, url: "https://hooks.example.com/T0/hook-path-7" }]',
        '  logs:',
        '    otlp: { headers: { x-api-key: otlp-key-4 } }',
        '  resource_attributes: { deployment.environment: prod }',
        '',
      ].join('\n'),
    );
    const result = await run(['print-config', source], { DATALINEAGE_DASHBOARD_PORT: '9123' });
    expect(result.code).toBe(0);
    for (const secret of [
      'dash-pass-1',
      'influx-pass-2',
      'es-key-3',
      'otlp-key-4',
      'es-pass-5',
      'es-token-6',
      'hook-path-7',
    ])
      expect(result.out).not.toContain(secret);
    expect(result.out).toContain('port: 9123'); // the environment is part of the effective configuration
    const printed = parse(result.out) as { monitoring: Record<string, unknown> };
    expect(printed.monitoring.resource_attributes).toEqual({ 'deployment.environment': 'prod' });
    const reloaded = loadConfig({ config: { configFile: file('printed.yaml', result.out) }, env: {} });
    const original = loadConfig({
      config: { configFile: source },
      env: { DATALINEAGE_DASHBOARD_PORT: '9123' },
    });
    expect(reloaded.dashboard.port).toBe(9123);
    expect(reloaded.metrics).toEqual(original.metrics);
    expect(reloaded.exporters.influxdb.password).toBe('[REDACTED]');
    // URLs: credentials masked, a URL without any printed exactly as written.
    expect(reloaded.exporters.elasticsearch.url).toBe('http://REDACTED@127.0.0.1:9200/?token=REDACTED');
    expect(reloaded.exporters.prometheus.pushgatewayUrl).toBe('http://127.0.0.1:9091');
    expect(reloaded.exporters.influxdb.url).toBe(original.exporters.influxdb.url);
    expect(printed.monitoring).toMatchObject({
      alerts: { channels: [{ url: 'https://hooks.example.com/[REDACTED]' }] },
    });
  });
});

describe('print-config and the configuration errors', () => {
  it('share one definition of a secret key (isSecretKey in @datalineage/core)', async () => {
    const keys = ['smtp_password', 'passphrase', 'api_key', 'private_key', 'cookie', 'client_secret', 'user'];
    const channel = Object.fromEntries(keys.map((key, i) => [key, `value-${i}-S3cret`]));
    const source = file(
      'shared.yaml',
      stringify({ monitoring: { alerts: { channels: [{ type: 'webhook', ...channel }] } } }),
    );
    const result = await run(['print-config', source]);
    expect(result.code).toBe(0);
    const printed = parse(result.out) as { monitoring: { alerts: { channels: Record<string, unknown>[] } } };
    const shown = printed.monitoring.alerts.channels[0] ?? {};
    for (const key of keys) {
      expect(shown[key], key).toBe(isSecretKey(key) ? '[REDACTED]' : channel[key]);
    }
    expect(isSecretKey('user')).toBe(false);
  });
});

describe('test-rules', () => {
  it('expands promtool’s value notation', () => {
    expect(expandValues('0+20x3 _ 5 10-2x2')).toEqual([0, 20, 40, 60, undefined, 5, 10, 8, 6]);
    expect(() => expandValues('1 two')).toThrow(/"two" is not a number/);
  });

  it('runs the example’s rule tests, which pass', async () => {
    const result = await run(['test-rules', 'examples/alert-rules.test.yaml']);
    expect(result.code).toBe(0);
    expect(result.out).toContain('2 passed, 0 failed');
  });

  it('fails, saying why, when an expectation does not hold; takes rules from a config file too', async () => {
    file(
      'config.yaml',
      [
        'monitoring:',
        '  alerts:',
        '    min_duration: 0',
        '    rules:',
        '      - { name: hot, metric_name: temp, threshold: 30 }',
        '',
      ].join('\n'),
    );
    const tests = file(
      'hot.test.yaml',
      [
        'config_file: config.yaml',
        'tests:',
        '  - name: hot fires at once (min_duration 0 from the file)',
        '    interval: 10',
        '    input_series: [{ metric: temp, values: "20 35 40" }]',
        '    alert_rule_test:',
        '      - { eval_time: 10, alertname: hot, exp_alerts: [{ exp_labels: {} }] }',
        '  - name: a wrong expectation',
        '    interval: 10',
        '    input_series: [{ metric: temp, values: "20 35 40" }]',
        '    alert_rule_test:',
        '      - { eval_time: 0, alertname: hot, exp_state: firing }',
        '      - { eval_time: 20, alertname: nope, exp_alerts: [] }',
        '',
      ].join('\n'),
    );
    const result = await run(['test-rules', tests]);
    expect(result.code).toBe(1);
    expect(result.out).toContain('ok    hot fires at once');
    expect(result.out).toContain('FAIL  a wrong expectation');
    expect(result.out).toContain('at 0s hot{}: expected firing, got inactive (value 20)');
    expect(result.out).toContain('no rule named "nope"');
    expect(result.out).toContain('1 passed, 1 failed');
  });
});

describe('the executable', () => {
  const cli = ['--conditions=@datalineage/source', '--import', 'tsx', 'packages/monitoring/src/cli/main.ts'];

  it('runs as a command: exit codes and output', () => {
    const out = execFileSync(
      process.execPath,
      [...cli, 'validate-config', 'examples/monitoring-config.yaml'],
      {
        encoding: 'utf8',
      },
    );
    expect(out).toContain('examples/monitoring-config.yaml: valid');
    const failing = spawnSync(process.execPath, [...cli, 'validate-config', '/no/such/file.yaml'], {
      encoding: 'utf8',
    });
    expect(failing.status).toBe(1);
    expect(failing.stderr).toMatch(/no\/such\/file\.yaml/);
  });
});

describe("test-rules reads its file with the configuration file's bounds", () => {
  it('refuses a device and an alias bomb at once, quoting nothing of them', () => {
    const started = performance.now();
    expect(() => runRuleTests('/dev/zero')).toThrow(/\/dev\/zero: is a .* not a regular file/);
    const dir = mkdtempSync(join(tmpdir(), 'dlm-rules-'));
    const bomb = join(dir, 'bomb.yaml');
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let i = 1; i < 9; i++) {
      const prev = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    writeFileSync(bomb, `${levels.join('\n')}\ntests: []\n`);
    expect(() => runRuleTests(bomb)).toThrow(new RegExp(bomb.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')));
    expect(() => runRuleTests(bomb)).not.toThrow(/lol/);
    expect(performance.now() - started).toBeLessThan(1000);
    rmSync(dir, { recursive: true });
  });
});
