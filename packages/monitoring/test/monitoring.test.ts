import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { diagnostics } from '@datalineage/core';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigError,
  getMonitoring,
  loadConfig,
  type MonitoringConfigInput,
  type MonitoringStatus,
  MonitoringSystem,
  resetMonitoring,
  setupMonitoring,
} from '../src/index.js';

afterEach(async () => {
  await resetMonitoring();
});

/** A system on free ports with the environment left out, so the machine's variables don't leak in. */
function system(config: MonitoringConfigInput = {}) {
  return new MonitoringSystem(loadConfig({ config: { dashboard: { port: 0 }, ...config }, env: {} }));
}

describe('setupMonitoring / getMonitoring', () => {
  it('keeps one monitoring system per process, and warns when a second config is ignored', () => {
    const warnings: string[] = [];
    const first = setupMonitoring({ dashboard: { enabled: false }, diagnostics: { level: 'warn' } });
    diagnostics.setSink({ error() {}, warn: (m) => warnings.push(m), info() {}, debug() {} });
    try {
      expect(setupMonitoring()).toBe(first);
      expect(warnings).toEqual([]);
      expect(setupMonitoring({ dashboard: { port: 1234 } })).toBe(first);
      expect(getMonitoring()).toBe(first);
      expect(warnings.filter((w) => w.includes('DLM_ALREADY_SET_UP'))).toHaveLength(1);
    } finally {
      diagnostics.setLevel('error');
      diagnostics.setSink(console);
    }
  });

  it('creates the system with defaults on first getMonitoring()', () => {
    const monitoring = getMonitoring();
    expect(monitoring.config.dashboard.port).toBe(Number(process.env.DATALINEAGE_DASHBOARD_PORT ?? 8080));
    expect(monitoring.metricsCollector).toBeDefined();
  });

  it('throws one ConfigError listing every problem', () => {
    let error: unknown;
    try {
      setupMonitoring({
        dashboard: { port: 'eighty' as unknown as number, theme: 'blue' as 'dark' },
        metrics: { cardinalityLimit: 0 },
        dashbord: {},
      } as never);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const issues = (error as ConfigError).issues.map((issue) => issue.path).sort();
    expect(issues).toEqual(['dashboard.port', 'dashboard.theme', 'dashbord', 'metrics.cardinalityLimit']);
    for (const path of issues) expect((error as Error).message).toContain(path);
  });

  it('loads the guide YAML through configFile, with snake_case keys', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dlm-config-'));
    const file = join(dir, 'monitoring-config.yaml');
    writeFileSync(
      file,
      'monitoring:\n  dashboard:\n    enabled: false\n    auto_refresh: 7\n  metrics:\n    cardinality_limit: 3\n',
    );
    const monitoring = new MonitoringSystem(loadConfig({ config: { configFile: file }, env: {} }));
    expect(monitoring.config.dashboard.autoRefresh).toBe(7);
    for (let i = 0; i < 5; i++) monitoring.metricsCollector.increment('limited', { i: String(i) });
    expect(monitoring.metricsCollector.listMetrics().find((m) => m.name === 'limited')?.seriesCount).toBe(4);
  });
});

describe('MonitoringSystem servers', () => {
  it('serves /metrics, the status JSON, health probes and the page on the dashboard server', async () => {
    const monitoring = system({ serviceName: '<svc & co>' });
    monitoring.metricsCollector.increment('operations.total', { type: 'lineage' });
    await monitoring.start();
    const base = monitoring.dashboardAddress as string;
    expect(base).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    expect(metrics.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(await metrics.text()).toContain('operations_total{type="lineage"} 1');

    const status = (await (await fetch(`${base}/api/status`)).json()) as MonitoringStatus;
    expect(status.running).toBe(true);
    expect(status.serviceName).toBe('<svc & co>');
    expect(status.metricsCollector.seriesCount).toBeGreaterThanOrEqual(1);
    expect(status.metricsCollector.collections).toBeGreaterThanOrEqual(1);

    expect(await (await fetch(`${base}/healthz`)).text()).toBe('ok\n');
    expect(await (await fetch(`${base}/readyz`)).text()).toBe('ok\n');
    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    await monitoring.stop();
  });

  it('stops idempotently, closing the port, and starts again', async () => {
    const monitoring = system();
    await monitoring.start();
    const base = monitoring.dashboardAddress as string;
    await Promise.all([monitoring.stop(), monitoring.stop()]);
    await monitoring.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();
    expect(monitoring.getMonitoringStatus()).toMatchObject({ running: false, dashboard: { running: false } });
    await monitoring.start();
    expect((await fetch(`${monitoring.dashboardAddress}/healthz`)).status).toBe(200);
    await monitoring.stop();
  });

  it('runs concurrent start() and stop() one after another, leaving no server behind', async () => {
    const monitoring = system();
    await Promise.all([monitoring.start(), monitoring.start()]);
    const base = monitoring.dashboardAddress as string;
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    await monitoring.stop();
    await expect(fetch(`${base}/healthz`)).rejects.toThrow();

    const starting = monitoring.start();
    await monitoring.stop();
    await starting;
    expect(monitoring.getMonitoringStatus()).toMatchObject({ running: false, dashboard: { running: false } });
  });

  it('fails start() with a clear message when the dashboard port is taken', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const monitoring = system({ dashboard: { port } });
    await expect(monitoring.start()).rejects.toThrow(`Dashboard port 127.0.0.1:${port} is already in use`);
    expect(monitoring.getMonitoringStatus().running).toBe(false);
    blocker.close();
  });

  it('serves the standalone scrape endpoint when metrics.endpoint is enabled', async () => {
    const monitoring = system({
      dashboard: { enabled: false },
      metrics: { endpoint: { enabled: true, port: 0 } },
    });
    monitoring.metricsCollector.setGauge('queue.size', 42);
    await monitoring.start();
    const status = monitoring.getMonitoringStatus();
    expect(status.dashboard.running).toBe(false);
    const url = status.metricsEndpoint.url as string;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    expect(await (await fetch(url)).text()).toContain('queue_size 42');
    expect((await fetch(url.replace('/metrics', '/other'))).status).toBe(404);
    await monitoring.stop();
  });

  it('reports each component with its figures', async () => {
    const monitoring = system({ dashboard: { enabled: false } });
    monitoring.metricsCollector.increment('x', undefined, -1);
    monitoring.metricsCollector.recordSummary('latency', 0.2);
    await monitoring.prometheusReader.scrape();
    const status = monitoring.getMonitoringStatus();
    expect(status.metricsCollector.droppedMeasurements).toBe(1);
    expect(status.metricsCollector.droppedByReason).toEqual({ negative_increment: 1 });
    expect(status.metricsCollector.processingTime).toBeGreaterThan(0);
    expect(status.metricsCollector.metricCount).toBeGreaterThanOrEqual(2);
    const before = status.metricsCollector.memoryEstimateBytes;
    for (let i = 0; i < 100; i++) monitoring.metricsCollector.increment('more', { i: String(i) });
    const after = monitoring.getMonitoringStatus().metricsCollector.memoryEstimateBytes;
    expect(after - before).toBeGreaterThanOrEqual(100 * 100);
    expect(after - before).toBeLessThanOrEqual(100 * 1000);
  });
});

describe('a user-supplied MeterProvider', () => {
  class UserReader extends MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }

  it("receives the collector's metrics while /metrics keeps serving them", async () => {
    const reader = new UserReader();
    const meterProvider = new MeterProvider({ readers: [reader] });
    const monitoring = setupMonitoring({ dashboard: { enabled: false } }, { meterProvider });
    monitoring.metricsCollector.increment('operations.total', { type: 'lineage' });
    monitoring.metricsCollector.recordHistogram('response.time', 0.3);
    const { resourceMetrics } = await reader.collect();
    const names = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).map((m) => m.descriptor.name);
    expect(names).toEqual(expect.arrayContaining(['operations.total', 'response.time']));
    expect((await monitoring.prometheusReader.scrape()).body).toContain('operations_total{type="lineage"} 1');

    // Shut down, the system stops publishing into the user's provider: no new metric, no new value.
    await resetMonitoring();
    monitoring.metricsCollector.setGauge('after.shutdown', 1);
    monitoring.metricsCollector.increment('operations.total', { type: 'lineage' }, 41);
    const after = (await reader.collect()).resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    expect(after.map((m) => m.descriptor.name)).not.toContain('after.shutdown');
    const operations = after.find((m) => m.descriptor.name === 'operations.total');
    expect(operations?.dataPoints.map((p) => p.value) ?? []).not.toContain(42);
  });
});

describe('secrets on the dashboard', () => {
  it('appear in no answer: SMTP password, webhook token, exporter passwords and tokens', async () => {
    const secrets = [
      'smtp-pass-4821',
      'hook-token-5530',
      'influx-pass-9917',
      'push-pass-2261',
      'es-key-7342',
    ];
    const monitoring = system({
      alerts: {
        channels: [
          {
            type: 'email',
            smtp_server: '127.0.0.1',
            smtp_port: 2525,
            username: 'alerts',
            password: secrets[0],
            recipients: ['ops@example.com'],
          },
          {
            type: 'webhook',
            url: 'http://127.0.0.1:9/hook',
            headers: { Authorization: `Bearer ${secrets[1]}` },
          },
        ],
      },
      exporters: {
        influxdb: { enabled: true, url: 'http://127.0.0.1:9', username: 'w', password: secrets[2] },
        prometheus: {
          enabled: true,
          pushgatewayUrl: 'http://127.0.0.1:9',
          username: 'p',
          password: secrets[3],
        },
        elasticsearch: { enabled: true, url: 'http://127.0.0.1:9', apiKey: secrets[4] },
      },
    });
    await monitoring.start();
    try {
      await monitoring.exporterManager.exportNow(); // failures put the backends' answers in the status
      const base = monitoring.dashboardAddress as string;
      for (const path of [
        '/api/status',
        '/api/alerts',
        '/api/session',
        '/api/metrics',
        '/api/logs',
        '/metrics',
      ]) {
        const body = await (await fetch(`${base}${path}`)).text();
        for (const secret of secrets) expect(body, `${path} shows ${secret}`).not.toContain(secret);
      }
    } finally {
      await monitoring.stop();
    }
  });
});

describe('DashboardConfig, as the guide writes it', () => {
  it('configures the dashboard through setupMonitoring, and fails at construction on a bad option', async () => {
    const { DashboardConfig } = await import('../src/index.js');
    const monitoring = system({
      dashboard: new DashboardConfig({
        host: '127.0.0.1',
        port: 0,
        debug: false,
        auto_refresh: 12,
        max_data_points: 50,
        theme: 'light',
      }),
    });
    expect(monitoring.config.dashboard).toMatchObject({ autoRefresh: 12, maxDataPoints: 50, theme: 'light' });
    await monitoring.start();
    const session = (await (await fetch(`${monitoring.dashboardAddress}/api/session`)).json()) as Record<
      string,
      unknown
    >;
    expect(session).toMatchObject({ theme: 'light', autoRefresh: 12, maxDataPoints: 50 });
    await monitoring.stop();
    expect(() => new DashboardConfig({ theme: 'blue' as never })).toThrow(/DashboardConfig theme/);
    expect(() => new DashboardConfig({ max_data_points: 1 })).toThrow(/maxDataPoints/);
  });
});
