// The dashboard's routes through app.request(), over real core objects (a collector on a
// MeterProvider with the history's reader, a log aggregator, an alert manager): every API, its
// status codes and error shape, authentication (basic, bearer, the login limiter), CSRF on
// mutations, the Host check, security headers, static files and the live event stream.
import { AlertManager, LogAggregator, LogLevel, MetricsCollector } from '@datalineage/core';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { describe, expect, it } from 'vitest';
import {
  type Asset,
  createDashboard,
  type DashboardAppOptions,
  HistoryReader,
  MetricHistory,
} from '../src/index.js';

const HOST = { host: '127.0.0.1:8080' };

const assets = new Map<string, Asset>([
  [
    '/',
    {
      body: Buffer.from('<!doctype html><title>x</title>'),
      gzip: Buffer.from(''),
      type: 'text/html; charset=utf-8',
      etag: '"e1"',
    },
  ],
]);

function setup(options: Partial<DashboardAppOptions> = {}) {
  let now = 1_800_000_000_000;
  const collector = new MetricsCollector();
  const reader = new HistoryReader({ metricProducers: [collector.metricProducer] });
  const alerts = new AlertManager({
    now: () => now,
    metricProducers: [collector.metricProducer],
    routing: { groupWaitMs: 0 },
  });
  new MeterProvider({ readers: [reader, alerts.reader] });
  const history = new MetricHistory({ reader, intervalMs: 5000, maxDataPoints: 10, now: () => now });
  const logs = new LogAggregator();
  const { app, events } = createDashboard({
    getStatus: () => ({ running: true, serviceName: 'svc' }),
    history,
    logs,
    alerts,
    now: () => now,
    assets,
    allowedHosts: ['127.0.0.1'],
    ...options,
  });
  const request = (path: string, init: RequestInit = {}) =>
    app.request(path, { ...init, headers: { ...HOST, ...(init.headers as Record<string, string>) } });
  const session = async (headers: Record<string, string> = {}) =>
    (await (await request('/api/session', { headers })).json()) as { csrfToken: string; auth: string };
  const advance = (ms: number) => {
    now += ms;
  };
  return { app, events, collector, history, logs, alerts, request, session, advance, now: () => now };
}

const json = async (response: Response) => (await response.json()) as Record<string, unknown>;

describe('status, session and probes', () => {
  it('serves the status, the session settings, and the probes', async () => {
    const { request } = setup({ theme: 'light', autoRefresh: 12, ready: () => false });
    const status = await request('/api/status');
    expect(status.status).toBe(200);
    expect(status.headers.get('cache-control')).toBe('no-store');
    expect(await status.json()).toEqual({ running: true, serviceName: 'svc' });
    expect(await json(await request('/api/session'))).toMatchObject({
      theme: 'light',
      autoRefresh: 12,
      sampleInterval: 5,
      maxDataPoints: 10,
      ranges: ['5m', '1h', '6h'],
      auth: 'none',
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(await (await request('/healthz')).text()).toBe('ok\n');
    expect((await request('/readyz')).status).toBe(503);
  });

  it('answers unknown routes with a 404 in the API error shape', async () => {
    const { request } = setup();
    const response = await request('/api/nothing');
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({
      error: { code: 'not_found', message: 'no route GET /api/nothing' },
    });
  });

  it('puts a strict CSP and the other security headers on every answer', async () => {
    const { request } = setup();
    for (const path of ['/', '/api/status', '/api/nothing', '/healthz']) {
      const response = await request(path);
      const csp = response.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      expect(response.headers.get('x-frame-options')).toBe('DENY');
      expect(response.headers.get('referrer-policy')).toBe('no-referrer');
      expect(response.headers.get('strict-transport-security')).toBeNull();
    }
    expect((await setup({ https: true }).request('/')).headers.get('strict-transport-security')).toMatch(
      /max-age/,
    );
  });

  it('refuses a request addressed to another host name without authentication (DNS rebinding)', async () => {
    const { app } = setup();
    const rebound = await app.request('http://evil.example/api/status', {
      headers: { host: 'evil.example' },
    });
    expect(rebound.status).toBe(403);
    expect(await rebound.json()).toMatchObject({ error: { code: 'forbidden' } });
    expect((await app.request('http://localhost:8080/api/status')).status).toBe(200);
    expect((await app.request('http://[::1]:8080/api/status')).status).toBe(200);
  });
});

describe('static files', () => {
  it('serves the page with its ETag and answers a matching If-None-Match with 304', async () => {
    const { request } = setup();
    const page = await request('/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('etag')).toBe('"e1"');
    expect(await page.text()).toContain('<!doctype html>');
    expect((await request('/', { headers: { 'if-none-match': '"e1"' } })).status).toBe(304);
    expect((await request('/assets/missing.js')).status).toBe(404);
  });

  it('ships the real page, scripts and uPlot from the package, gzipped when asked, small', async () => {
    const { loadAssets, payloadSize } = await import('../src/index.js');
    const real = loadAssets();
    expect([...real.keys()]).toEqual(
      expect.arrayContaining(['/', '/assets/vendor/uplot.esm.js', '/assets/vendor/uplot.min.css']),
    );
    const { request } = setup({ assets: real });
    const script = await request('/assets/vendor/uplot.esm.js', {
      headers: { 'accept-encoding': 'gzip, br' },
    });
    expect(script.headers.get('content-encoding')).toBe('gzip');
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(payloadSize(real).gzip).toBeLessThan(150 * 1024);
    // No inline script or style anywhere in the page: the CSP would block it, and it must not be needed.
    for (const [path, entry] of real) {
      if (!path.endsWith('/') && !path.endsWith('.html')) continue;
      const html = entry.body.toString('utf8');
      expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(html).not.toMatch(/<style\b/i);
      expect(html).not.toMatch(/\sstyle=/i);
      expect(html).not.toMatch(/\son[a-z]+=/i);
    }
    // …nor building markup from strings in the page's scripts.
    for (const [path, entry] of real) {
      if (!path.startsWith('/assets/js/')) continue;
      const code = entry.body.toString('utf8');
      expect(code, path).not.toMatch(
        /\.(innerHTML|outerHTML)\s*=|insertAdjacentHTML|document\.write|\beval\(|new Function\(/,
      );
    }
  });
});

describe('metrics API', () => {
  it('lists the metrics with data, and serves a metric’s series with rates, filtered by label', async () => {
    const { request, collector, history, advance } = setup();
    collector.increment('operations.total', { stage: 'load' }, 10);
    collector.increment('operations.total', { stage: 'join' }, 1);
    await history.sample();
    advance(5000);
    collector.increment('operations.total', { stage: 'load' }, 25);
    await history.sample();
    const listing = await json(await request('/api/metrics'));
    expect(listing.metrics).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'operations.total',
          kind: 'counter',
          labelNames: ['stage'],
          series: 2,
        }),
      ]),
    );
    const response = await request('/api/metrics/operations.total/series?range=5m&label.stage=load');
    expect(response.status).toBe(200);
    const body = await json(response);
    expect(body).toMatchObject({ name: 'operations.total', kind: 'counter', range: '5m', truncated: false });
    const [series] = body.series as Array<{ labels: unknown; points: number[][]; rates: number[][] }>;
    expect(series?.labels).toEqual({ stage: 'load' });
    expect(series?.points.map(([, v]) => v)).toEqual([10, 35]);
    expect(series?.rates).toEqual([[1_800_000_005_000, 5]]);
  });

  it('gives histogram quantiles per interval', async () => {
    const { request, collector, history, advance } = setup();
    const sizes = collector.histogram('batch.size', { buckets: [10, 100, 1000] });
    sizes.observe(1);
    await history.sample();
    advance(5000);
    for (let i = 0; i < 100; i++) sizes.observe(50);
    await history.sample();
    const body = await json(await request('/api/metrics/batch.size/series?range=5m'));
    const [series] = body.series as Array<{ quantiles: Record<string, number[][]> }>;
    expect(series?.quantiles['0.5']?.[0]?.[1]).toBeCloseTo(55, 5); // inside (10, 100], linear
    expect(Object.keys(series?.quantiles ?? {})).toEqual(['0.5', '0.9', '0.99']);
  });

  it('answers 404 for an unknown metric and 400 for a bad range or filter, never an error in a 200', async () => {
    const { request, collector, history } = setup();
    collector.setGauge('queue.size', 1);
    await history.sample();
    const unknown = await request('/api/metrics/nope/series');
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'not_found' } });
    const range = await request('/api/metrics/queue.size/series?range=2d');
    expect(range.status).toBe(400);
    expect(await range.json()).toMatchObject({
      error: { code: 'bad_request', message: expect.stringMatching(/^range:/) },
    });
    expect((await request('/api/metrics/queue.size/series?label.=x')).status).toBe(400);
    expect((await request('/api/metrics/queue.size/series?label.a=1&label.a=2')).status).toBe(400);
  });
});

describe('logs API', () => {
  it('searches with every filter, pages by cursor, and serves patterns', async () => {
    const { request, logs } = setup();
    for (let i = 0; i < 5; i++) {
      logs.addLog({
        level: LogLevel.ERROR,
        message: `disk full on node-${i}`,
        loggerName: 'storage',
        source: 'system',
        extraData: { node: `node-${i}`, region: 'eu' },
      });
    }
    logs.addLog({ level: LogLevel.INFO, message: 'all good', loggerName: 'api' });
    const page1 = await json(
      await request(
        '/api/logs?min_level=WARNING&logger=storage&source=system&contains=DISK&attr.region=eu&has=node&limit=2',
      ),
    );
    expect((page1.entries as Array<{ message: string }>).map((e) => e.message)).toEqual([
      'disk full on node-4',
      'disk full on node-3',
    ]);
    const page2 = await json(
      await request(
        `/api/logs?min_level=WARNING&contains=disk&limit=2&cursor=${encodeURIComponent(page1.nextCursor as string)}`,
      ),
    );
    expect((page2.entries as Array<{ message: string }>).map((e) => e.message)).toEqual([
      'disk full on node-2',
      'disk full on node-1',
    ]);
    const regex = await json(await request('/api/logs?regex=node-[13]$'));
    expect((regex.entries as unknown[]).length).toBe(2);
    const patterns = await json(await request('/api/logs/patterns'));
    expect(patterns.patterns).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ count: 5, template: expect.stringContaining('disk full on') }),
      ]),
    );
  });

  it('answers 400 naming the parameter for an invalid filter, limit, time or cursor', async () => {
    const { request } = setup();
    for (const [query, parameter] of [
      ['min_level=LOUD', 'minLevel'],
      ['limit=0', 'limit'],
      ['limit=abc', 'limit'],
      ['since=yesterday', 'since'],
      ['cursor=forged', 'cursor'],
      ['regex=(a', ''],
      ['color=red', 'color'],
      ['contains=a&contains=b', 'contains'],
    ] as const) {
      const response = await request(`/api/logs?${query}`);
      expect(response.status, query).toBe(400);
      const body = (await response.json()) as { error: { code: string; message: string } };
      expect(body.error.code, query).toBe('bad_request');
      expect(body.error.message, query).toContain(parameter);
    }
  });
});

describe('alerts API and mutations', () => {
  async function firing() {
    const context = setup();
    context.alerts.addRule({ name: 'hot', metricName: 'temp', threshold: 1, minDuration: 0 });
    context.collector.setGauge('temp', 5);
    await context.alerts.evaluate();
    const [alert] = context.alerts.getAlerts();
    return { ...context, alert };
  }

  it('lists alerts, rules, history and silences', async () => {
    const { request, alert } = await firing();
    const body = await json(await request('/api/alerts'));
    expect(body.alerts).toEqual([expect.objectContaining({ id: alert?.id, state: 'firing', value: 5 })]);
    expect(body.rules).toEqual([expect.objectContaining({ name: 'hot', metricName: 'temp', instances: 1 })]);
    expect(body.history).toEqual([expect.objectContaining({ rule: 'hot', from: 'inactive', to: 'firing' })]);
    expect(body.evaluations).toBe(1);
  });

  it('acknowledges with a CSRF token only: 403 without, 404 unknown, 409 when not firing', async () => {
    const { request, session, alert, alerts } = await firing();
    const path = `/api/alerts/${encodeURIComponent(alert?.id as string)}/acknowledge`;
    const refused = await request(path, { method: 'POST' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ error: { code: 'csrf' } });
    expect((await request(path, { method: 'POST', headers: { 'x-csrf-token': 'forged' } })).status).toBe(403);
    const { csrfToken } = await session();
    const ok = await request(path, { method: 'POST', headers: { 'x-csrf-token': csrfToken } });
    expect(ok.status).toBe(200);
    expect(alerts.getAlerts()[0]?.acknowledged).toBe(true);
    expect(
      (
        await request('/api/alerts/nope/acknowledge', {
          method: 'POST',
          headers: { 'x-csrf-token': csrfToken },
        })
      ).status,
    ).toBe(404);
    alerts.addRule({ name: 'cold', metricName: 'temp', threshold: 100, minDuration: 0 });
    await alerts.evaluate();
    const cold = alerts.getAlerts().find((a) => a.rule === 'cold');
    const conflict = await request(`/api/alerts/${encodeURIComponent(cold?.id as string)}/acknowledge`, {
      method: 'POST',
      headers: { 'x-csrf-token': csrfToken },
    });
    expect(conflict.status).toBe(409);
  });

  it('refuses a mutation from another origin even with the token', async () => {
    const { request, session } = await firing();
    const { csrfToken } = await session();
    const response = await request('/api/silences', {
      method: 'POST',
      headers: {
        'x-csrf-token': csrfToken,
        origin: 'https://evil.example',
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        matchers: { alertname: 'hot' },
        durationMinutes: 5,
        createdBy: 'x',
        comment: 'y',
      }),
    });
    expect(response.status).toBe(403);
  });

  it('creates and expires silences, and refuses invalid ones with 400', async () => {
    const { request, session, alerts } = await firing();
    const { csrfToken } = await session();
    const post = (path: string, body?: unknown) =>
      request(path, {
        method: 'POST',
        headers: {
          'x-csrf-token': csrfToken,
          'content-type': 'application/json',
          origin: 'http://localhost',
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    const created = await post('/api/silences', {
      matchers: { alertname: 'hot' },
      durationMinutes: 30,
      createdBy: 'ann',
      comment: 'deploy',
    });
    expect(created.status).toBe(201);
    const { silence } = (await created.json()) as { silence: { id: string; endsAt: number } };
    expect(alerts.silences.list(Date.now())).toHaveLength(1);
    for (const bad of [
      { matchers: [], durationMinutes: 5, createdBy: 'a', comment: 'b' },
      { matchers: { a: 1 }, durationMinutes: 5, createdBy: 'a', comment: 'b' },
      { matchers: { a: 'b' }, durationMinutes: 0, createdBy: 'a', comment: 'b' },
      { matchers: { a: 'b' }, durationMinutes: 5, createdBy: '', comment: 'b' },
      { matchers: { a: '/(/' }, durationMinutes: 5, createdBy: 'a', comment: 'b' },
      { matchers: {}, durationMinutes: 5, createdBy: 'a', comment: 'b' },
    ]) {
      const response = await post('/api/silences', bad);
      expect(response.status, JSON.stringify(bad)).toBe(400);
    }
    const notJson = await request('/api/silences', {
      method: 'POST',
      headers: { 'x-csrf-token': csrfToken, 'content-type': 'application/json' },
      body: '{',
    });
    expect(notJson.status).toBe(400);
    expect((await post(`/api/silences/${silence.id}/expire`)).status).toBe(200);
    expect((await post('/api/silences/s999/expire')).status).toBe(404);
  });
});

describe('authentication', () => {
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('with basic auth, protects every route but the probes, and challenges the browser', async () => {
    const { request } = setup({ auth: { username: 'ops', password: 's3cret-pass' } });
    for (const path of [
      '/',
      '/api/status',
      '/api/session',
      '/api/metrics',
      '/api/logs',
      '/api/alerts',
      '/api/events',
    ]) {
      const response = await request(path);
      expect(response.status, path).toBe(401);
      expect(response.headers.get('www-authenticate'), path).toBe(
        'Basic realm="DataLineage Monitoring", charset="UTF-8"',
      );
      expect(await response.json()).toMatchObject({ error: { code: 'unauthorized' } });
    }
    expect((await request('/healthz')).status).toBe(200);
    expect((await request('/readyz')).status).toBe(200);
    expect((await request('/api/status', { headers: { authorization: basic('ops', 'wrong') } })).status).toBe(
      401,
    );
    expect(
      (await request('/api/status', { headers: { authorization: basic('ops', 's3cret-pass') } })).status,
    ).toBe(200);
  });

  it('with a token, serves the page’s files openly and needs the bearer token for data', async () => {
    const token = 'tok_0123456789abcdef';
    const { request } = setup({ auth: { token } });
    expect((await request('/')).status).toBe(200);
    expect((await request('/api/status')).status).toBe(401);
    expect((await request('/api/status', { headers: { authorization: `Bearer ${token}x` } })).status).toBe(
      401,
    );
    const ok = await request('/api/session', { headers: { authorization: `Bearer ${token}` } });
    expect(await ok.json()).toMatchObject({ auth: 'bearer' });
  });

  it('binds the CSRF token to the principal', async () => {
    const { request } = setup({ auth: { token: 'tok_0123456789abcdef' } });
    const anonymous = setup();
    const { csrfToken } = await anonymous.session();
    const response = await request('/api/silences/s1/expire', {
      method: 'POST',
      headers: { authorization: 'Bearer tok_0123456789abcdef', 'x-csrf-token': csrfToken },
    });
    expect(response.status).toBe(403);
  });

  it('limits failed logins of a new address: 429 with Retry-After after 10 in a minute, then lets it try again', async () => {
    let client = 'a';
    const context = setup({ auth: { username: 'ops', password: 'pw' }, clientOf: () => client });
    const wrong = () => context.request('/api/status', { headers: { authorization: basic('ops', 'nope') } });
    for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(401);
    const blocked = await wrong();
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
    // An address that never authenticated is refused unchecked: a refusal tells nothing of a guess.
    expect(
      (await context.request('/api/status', { headers: { authorization: basic('ops', 'pw') } })).status,
    ).toBe(429);
    client = 'b';
    expect(
      (await context.request('/api/status', { headers: { authorization: basic('ops', 'pw') } })).status,
    ).toBe(200);
    client = 'a';
    context.advance(61_000);
    expect(
      (await context.request('/api/status', { headers: { authorization: basic('ops', 'pw') } })).status,
    ).toBe(200);
  });

  it('never locks out an address that authenticated before; its wrong attempts past the limit wait', async () => {
    const context = setup({
      auth: { username: 'ops', password: 'pw' },
      clientOf: () => 'scraper',
      loginLimits: { penaltyMs: 100 },
    });
    const right = () => context.request('/metrics', { headers: { authorization: basic('ops', 'pw') } });
    const wrong = () => context.request('/metrics', { headers: { authorization: basic('ops', 'guess') } });
    expect((await right()).status).not.toBe(401);
    for (let i = 0; i < 10; i++) expect((await wrong()).status).toBe(401);
    const started = performance.now();
    expect((await wrong()).status).toBe(401);
    expect(performance.now() - started).toBeGreaterThanOrEqual(95);
    expect((await right()).status).not.toBe(401);
    expect((await right()).status).not.toBe(429);
  });

  it('limits failures from all new addresses together, so rotating addresses gains nothing', async () => {
    let client = 0;
    const context = setup({
      auth: { username: 'ops', password: 'pw' },
      clientOf: () => `c${client}`,
      loginLimits: { global: 20 },
    });
    const attempt = (password: string) =>
      context.request('/api/status', { headers: { authorization: basic('ops', password) } });
    client = 1000;
    expect((await attempt('pw')).status).toBe(200); // c1000 is trusted from now on
    const statuses: number[] = [];
    for (client = 0; client < 50; client++) statuses.push((await attempt('nope')).status);
    expect(statuses.filter((status) => status === 401)).toHaveLength(20);
    expect(statuses.filter((status) => status === 429)).toHaveLength(30);
    client = 1000;
    expect((await attempt('pw')).status).toBe(200);
  });

  it('never shows a secret in any answer', async () => {
    const { request } = setup({ auth: { username: 'ops', password: 'pw-very-secret-1' } });
    const headers = { authorization: basic('ops', 'pw-very-secret-1') };
    for (const path of ['/api/session', '/api/status', '/api/alerts', '/api/metrics', '/api/logs']) {
      expect(await (await request(path, { headers })).text(), path).not.toContain('pw-very-secret-1');
    }
  });
});

describe('live events', () => {
  it('streams a first picture at once, then a tick, the status and new logs after every sample', async () => {
    const { request, history, logs, events } = setup();
    const response = await request('/api/events');
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    const readUntil = async (needle: string) => {
      while (!text.includes(needle)) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`stream ended before ${needle}:\n${text}`);
        text += decoder.decode(value);
      }
    };
    await readUntil('event: status');
    expect(events.open()).toBe(1);
    logs.addLog({ message: '<img src=x onerror=alert(1)> live line' });
    await logs.flush();
    await history.sample();
    await readUntil('live line');
    expect(text).toMatch(/event: tick\ndata: \{"at":\d+\}/);
    expect(text).toContain('event: logs');
    // JSON keeps the markup as text for the page to render as text.
    expect(text).toContain('"message":"<img src=x onerror=alert(1)> live line"');
    events.closeAll();
    expect(events.open()).toBe(0);
    await reader.cancel();
  });

  it('refuses more streams than allowed with 503', async () => {
    const { request, events } = setup({ maxEventClients: 1 });
    const first = await request('/api/events');
    const second = await request('/api/events');
    expect(second.status).toBe(503);
    expect(await second.json()).toMatchObject({ error: { code: 'unavailable' } });
    events.closeAll();
    await first.body?.cancel();
  });
});
