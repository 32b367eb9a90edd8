// Security review, point 5: secrets stay masked. A monitoring system is configured with known
// secret strings for every credential it takes — InfluxDB token and password, Elasticsearch API
// key, password and URL userinfo, Pushgateway basic auth, the SMTP password of an e-mail channel,
// webhook URLs with a token in the query and the path, webhook and OTLP headers, Slack's secret
// path, Alertmanager basic auth, the dashboard's password and token — all pointing at 127.0.0.1
// on a port where nothing listens. Once every exporter and channel has failed, none of the secrets
// (nor its percent-encoded or base64 form) may appear in getMonitoringStatus(), in the dashboard's
// answers (/api/status and the rest, the live stream), in the SDK's diagnostics, the console or
// OpenTelemetry's diag, or in `datalineage-monitor print-config` / `validate-config` output.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { diagnostics } from '@datalineage/core';
import { createDashboard } from '@datalineage/dashboard';
import { type MonitoringSystem, resetMonitoring, setupMonitoring } from '@datalineage/monitoring';
import { DiagLogLevel, diag } from '@opentelemetry/api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { stringify } from 'yaml';
import { failEverything, outputCapture, S, SECRETS, secretsConfig } from './secrets-config.js';
import { basicAuth, closedPort, concrete, endpoints, leaksIn } from './support.js';

const run = promisify(execFile);

const { captured, otelCaptured, capture, otelLogger } = outputCapture();

let monitoring: MonitoringSystem;
let port: number;
let dir: string;

beforeAll(async () => {
  port = await closedPort();
  dir = mkdtempSync(join(tmpdir(), 'dlm-secrets-'));
  diagnostics.setSink({ error: capture, warn: capture, info: capture, debug: capture });
  diag.setLogger(otelLogger, DiagLogLevel.ALL);
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation(capture);
  }
  for (const stream of [process.stdout, process.stderr]) {
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      capture(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  }
  monitoring = setupMonitoring(secretsConfig({ http: port, smtp: port, dashboard: 0, otlpQuery: true }));
  // Credentials the configuration has one place for, given through the exporters' own API.
  await failEverything(monitoring, port, (error) => error !== undefined);
}, 30_000);

afterAll(async () => {
  await resetMonitoring();
  diag.disable();
  vi.restoreAllMocks();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

describe('5. secrets are masked', () => {
  it('in getMonitoringStatus(), with every exporter and channel failing against a closed port', () => {
    const status = monitoring.getMonitoringStatus();
    const text = JSON.stringify(status);
    // The failures are real and say why: the masking is not an empty status.
    expect(status.exporters.pushgateway?.lastError).toMatch(/ECONNREFUSED/);
    expect(status.alertManager.channels.hook?.lastError).toMatch(/ECONNREFUSED/);
    expect(status.alertManager.channels.mail?.lastError).toMatch(/ECONNREFUSED/);
    expect(Object.keys(status.exporters).sort()).toEqual(
      ['elasticsearch', 'elasticsearch-userinfo', 'influxdb', 'influxdb-v1', 'pushgateway'].sort(),
    );
    expect(leaksIn(text, SECRETS)).toEqual([]);
  });

  it("in the dashboard's answers: /api/status, every other API, the live stream, and a refused login", async () => {
    const base = monitoring.dashboardAddress as string;
    const authorization = basicAuth('ops', S.dashboardPassword);
    const bodies: string[] = [];
    const status = await fetch(`${base}/api/status`, { headers: { authorization } });
    expect(status.status).toBe(200);
    const json = (await status.json()) as { exporters: Record<string, { lastError?: string }> };
    expect(json.exporters.pushgateway?.lastError).toMatch(/ECONNREFUSED/);
    bodies.push(JSON.stringify(json));
    // Every GET route of the dashboard, from the app's own route table (a config endpoint added
    // later is read here too), on the running system's dashboard.
    const { app, events: streams } = createDashboard({
      getStatus: () => ({}),
      metricsHandler: async () => new Response(''),
    });
    streams.closeAll();
    const paths = endpoints(app)
      .filter((endpoint) => endpoint.method === 'GET' && endpoint.path !== '/api/events')
      .map((endpoint) => concrete(endpoint.path, { name: 'secrets.gauge' }));
    expect(paths).toEqual(
      expect.arrayContaining(['/api/session', '/api/alerts', '/api/logs', '/metrics', '/']),
    );
    for (const path of paths) {
      const response = await fetch(`${base}${path}`, { headers: { authorization }, redirect: 'manual' });
      expect(response.status, path).toBeLessThan(500);
      bodies.push(`${path} ${[...response.headers].join(' ')} ${await response.text()}`);
    }
    const refused = await fetch(`${base}/api/status`, {
      headers: { authorization: basicAuth('ops', 'wrong') },
    });
    bodies.push(`${[...refused.headers].join(' ')} ${await refused.text()}`);
    // The live stream's first picture carries the status too.
    const events = await fetch(`${base}/api/events`, { headers: { authorization } });
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    let stream = '';
    while (!stream.includes('event: status')) {
      const { value, done } = await reader.read();
      if (done) break;
      stream += new TextDecoder().decode(value);
    }
    await reader.cancel();
    expect(stream).toContain('ECONNREFUSED');
    bodies.push(stream);
    expect(leaksIn(bodies.join('\n'), SECRETS)).toEqual([]);
  });

  it("in the SDK's diagnostics and the console, which did report the failures", () => {
    const text = captured.join('\n');
    expect(text).toContain('DLM_EXPORT_FAILED');
    expect(text).toContain('DLM_CHANNEL_DELIVERY');
    expect(text).toContain('DLM_OTLP_EXPORT_FAILED');
    expect(leaksIn(text, SECRETS)).toEqual([]);
  });

  it("in OpenTelemetry's diag, where the OTLP exporters report their own failures", () => {
    const text = otelCaptured.join('\n');
    expect(text).toMatch(/ECONNREFUSED/);
    expect(leaksIn(text, SECRETS)).toEqual([]);
  });

  it('in `datalineage-monitor print-config` and `validate-config`, from a file and from the environment', async () => {
    const config = secretsConfig({ http: port, smtp: port, dashboard: 8080, otlpQuery: true });
    // What only the configuration file can hold (the running system refuses some of it at setup):
    // a webhook URL with credentials in its userinfo, and an Elasticsearch URL with them.
    const file = join(dir, 'monitoring-config.yaml');
    writeFileSync(
      file,
      stringify({
        monitoring: {
          ...config,
          alerts: {
            ...config.alerts,
            channels: [
              ...config.alerts.channels,
              {
                type: 'webhook',
                name: 'hook-userinfo',
                url: `http://hookuser:${S.webhookUserinfo}@127.0.0.1:${port}/hook`,
              },
            ],
          },
          exporters: {
            ...config.exporters,
            elasticsearch: {
              ...config.exporters.elasticsearch,
              url: `http://esuser:${S.esUserinfoPassword}@127.0.0.1:${port}`,
            },
          },
        },
      }),
    );
    const cli = [
      '--conditions=@datalineage/source',
      '--import',
      'tsx',
      'packages/monitoring/src/cli/main.ts',
    ];
    const env = {
      ...process.env,
      DATALINEAGE_DASHBOARD_USERNAME: 'ops',
      DATALINEAGE_DASHBOARD_PASSWORD: S.dashboardPassword,
    };
    const tokenEnv = { ...process.env, DATALINEAGE_DASHBOARD_TOKEN: S.dashboardToken };
    const outcome = (promise: Promise<{ stdout: string; stderr: string }>) =>
      promise.then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (error: { code?: number; stdout?: string; stderr?: string }) => ({
          code: error.code ?? -1,
          stdout: error.stdout ?? '',
          stderr: error.stderr ?? '',
        }),
      );
    const [printed, printedToken, validated] = await Promise.all([
      outcome(run(process.execPath, [...cli, 'print-config', file], { env, encoding: 'utf8' })),
      outcome(run(process.execPath, [...cli, 'print-config'], { env: tokenEnv, encoding: 'utf8' })),
      outcome(run(process.execPath, [...cli, 'validate-config', file], { env, encoding: 'utf8' })),
    ]);
    // Both print the configuration; validate-config refuses the userinfo webhook (code 1) by name.
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toContain('[REDACTED]');
    expect(printed.stdout).toContain(`smtp_port: ${port}`);
    expect(printedToken.code, printedToken.stderr).toBe(0);
    expect(printedToken.stdout).toMatch(/token: "?\[REDACTED\]/);
    expect(validated.code).toBe(1);
    expect(validated.stderr).toContain('hook-userinfo');
    for (const [what, result] of [
      ['print-config FILE', printed],
      ['print-config with DATALINEAGE_DASHBOARD_TOKEN', printedToken],
      ['validate-config FILE', validated],
    ] as const) {
      expect.soft(leaksIn(`${result.stdout}\n${result.stderr}`, SECRETS), what).toEqual([]);
    }
  }, 30_000);
});
