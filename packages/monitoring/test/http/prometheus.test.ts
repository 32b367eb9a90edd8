// The middleware's metrics as Prometheus scrapes them: an app serving its own /metrics through
// the SDK's PrometheusReader, checked with the real promtool.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { MetricsCollector } from '@datalineage/core';
import { createMetricsHandler, PrometheusReader } from '@datalineage/exporters';
import { serve } from '@hono/node-server';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { Hono } from 'hono';
import { afterEach, describe, expect, it } from 'vitest';
import { promtoolCheckMetrics } from '../../../../test/support/prometheus.js';
import { monitorHono } from '../../src/http/index.js';
import { close } from './support.js';

let server: Server | undefined;
afterEach(async () => {
  if (server !== undefined) await close(server);
  server = undefined;
});

describe('/metrics', () => {
  it('shows http_server_request_duration_seconds by route template and http_server_active_requests', async () => {
    const collector = new MetricsCollector();
    const reader = new PrometheusReader({ collector });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const app = new Hono();
    app.use(monitorHono(collector, { ignore: (path) => path === '/metrics' }));
    app.get('/users/:id', (c) => c.text('user'));
    app.get('/metrics', (c) => createMetricsHandler(reader)(c.req.raw));
    server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await once(server, 'listening');
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    for (const path of ['/users/1', '/users/2', '/users/3', '/no/such/path'])
      await (await fetch(base + path)).text();

    const body = await (await fetch(`${base}/metrics`)).text();
    const labels =
      'http_request_method="GET",http_response_status_class="2xx",http_response_status_code="200",http_route="/users/:id"';
    expect(body).toContain('# TYPE http_server_request_duration_seconds histogram');
    expect(body).toContain('# HELP http_server_request_duration_seconds Duration of HTTP server requests.');
    expect(body).toContain(`http_server_request_duration_seconds_bucket{${labels},le="0.075"} 3`);
    expect(body).toContain(`http_server_request_duration_seconds_bucket{${labels},le="+Inf"} 3`);
    expect(body).toContain(`http_server_request_duration_seconds_count{${labels}} 3`);
    expect(body).toMatch(
      /^http_server_request_duration_seconds_count\{http_request_method="GET",http_response_status_class="4xx",http_response_status_code="404"\} 1$/m,
    );
    expect(body).toContain('# TYPE http_server_active_requests gauge');
    expect(body).toMatch(/^http_server_active_requests\{http_request_method="GET"\} 0$/m);
    expect(body).not.toMatch(/\/users\/[0-9]|\/no\/such|http_route="\/metrics"/);

    const check = await promtoolCheckMetrics(body);
    expect(check.output).toBe('');
    expect(check.exitCode).toBe(0);
    await meterProvider.shutdown();
  });
});
