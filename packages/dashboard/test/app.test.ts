import { describe, expect, it } from 'vitest';
import { createDashboardApp } from '../src/index.js';

const status = {
  running: true,
  serviceName: '<img src=x onerror=alert(1)>',
  metricsCollector: { seriesCount: 3 },
};

describe('dashboard app', () => {
  const app = createDashboardApp({
    getStatus: () => status,
    metricsHandler: async () =>
      new Response('up 1\n', { headers: { 'content-type': 'text/plain; version=0.0.4' } }),
    autoRefresh: 12,
    theme: 'light',
  });

  it('serves the status as JSON', async () => {
    const response = await app.request('/api/status');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual(status);
  });

  it('mounts /metrics for GET and HEAD', async () => {
    expect(await (await app.request('/metrics')).text()).toBe('up 1\n');
    expect((await app.request('/metrics', { method: 'HEAD' })).status).toBe(200);
    expect((await app.request('/metrics', { method: 'POST' })).status).toBe(404);
  });

  it('answers the health probes', async () => {
    expect(await (await app.request('/healthz')).text()).toBe('ok\n');
    expect(await (await app.request('/readyz')).text()).toBe('ok\n');
  });

  it('renders the status page with every value escaped, under a strict CSP', async () => {
    const response = await app.request('/');
    const html = await response.text();
    expect(html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(html).not.toContain('<img');
    expect(html).toContain('content="12"');
    expect(response.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('has no /metrics when no handler is given', async () => {
    const bare = createDashboardApp({ getStatus: () => ({}) });
    expect((await bare.request('/metrics')).status).toBe(404);
  });
});
