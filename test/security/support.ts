/**
 * Helpers shared by the security review tests: a dashboard over real core objects (collector,
 * history, log aggregator, alert manager) with the package's real page files, the dashboard's
 * routes enumerated from the Hono app itself, raw HTTP requests whose path is sent byte for byte
 * (fetch would normalise `..` and `%2e`), a port with nothing listening, and the encoded forms of
 * a secret that a leak may take.
 */
import { request as httpRequest } from 'node:http';
import { createServer } from 'node:net';
import { AlertManager, LogAggregator, MetricsCollector } from '@datalineage/core';
import {
  createDashboard,
  type DashboardAppOptions,
  HistoryReader,
  loadAssets,
  MetricHistory,
} from '@datalineage/dashboard';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import type { Hono } from 'hono';

/** Every request the tests make is addressed to this origin (app.request needs a full URL for the Host). */
export const ORIGIN = 'http://127.0.0.1:8080';

/** A marker in the status JSON: a body that contains it was served to the caller. */
export const STATUS_MARKER = 'status-marker-7f3a9c';

/** The page's real files, loaded once per test file. */
let realAssets: ReturnType<typeof loadAssets> | undefined;
export const assets = (): ReturnType<typeof loadAssets> => {
  realAssets ??= loadAssets();
  return realAssets;
};

/** The sources a dashboard reads, over real core objects, and the dashboard options that use them. */
export function sources() {
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
  const options = {
    getStatus: () => ({ running: true, marker: STATUS_MARKER }),
    history,
    logs,
    alerts,
    now: () => now,
    metricsHandler: async () =>
      new Response(`# HELP marker ${STATUS_MARKER}\n`, { headers: { 'content-type': 'text/plain' } }),
  } satisfies DashboardAppOptions;
  return {
    collector,
    history,
    logs,
    alerts,
    options,
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

/**
 * A dashboard app over {@link sources}. Every request counts as a client of its own for the login
 * limiter, and the limit on failures from all clients together is out of reach, so that a test
 * sending many wrong credentials on purpose is answered 401, not 429.
 */
export function dashboardApp(options: Partial<DashboardAppOptions> = {}) {
  const context = sources();
  let client = 0;
  const dashboard = createDashboard({
    ...context.options,
    assets: assets(),
    allowedHosts: ['127.0.0.1'],
    clientOf: () => `client-${++client}`,
    loginLimits: { global: Number.MAX_SAFE_INTEGER },
    ...options,
  });
  /** `app.request` on {@link ORIGIN}. */
  const request = (path: string, init: RequestInit = {}) => dashboard.app.request(`${ORIGIN}${path}`, init);
  return { ...context, ...dashboard, request };
}

/** One endpoint of the app: a method and Hono's path pattern (`/api/alerts/:id/acknowledge`). */
export interface Endpoint {
  readonly method: string;
  readonly path: string;
}

/** The paths `app.use` middleware is mounted on: these `ALL` entries of `app.routes` are not endpoints. */
const MIDDLEWARE_PATHS: ReadonlySet<string> = new Set(['/*', '/api/*']);

/**
 * Every endpoint of the app, from `app.routes` itself, so a route added later is covered without
 * touching the tests: each method a route is registered for, HEAD for every GET (Hono answers HEAD
 * through the GET handler), and GET and POST for an `app.all` route.
 */
export function endpoints(app: Hono): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  const add = (method: string, path: string) => seen.set(`${method} ${path}`, { method, path });
  for (const route of app.routes) {
    if (route.method === 'ALL' && MIDDLEWARE_PATHS.has(route.path)) continue;
    const methods = route.method === 'ALL' ? ['GET', 'POST'] : [route.method];
    for (const method of methods) {
      add(method, route.path);
      if (method === 'GET') add('HEAD', route.path);
    }
  }
  return [...seen.values()];
}

export const key = (endpoint: Endpoint): string => `${endpoint.method} ${endpoint.path}`;

/** Sample values for path parameters; any other parameter gets `sample-<name>`. */
const SAMPLE_PARAMS: Readonly<Record<string, string>> = { id: 'sample-id', name: 'sample.metric' };

/** A concrete path for a pattern: parameters filled with samples, `*` with a real page file. */
export function concrete(path: string, params: Readonly<Record<string, string>> = {}): string {
  return path
    .replace(/:(\w+)(\{[^}]*\})?\??/g, (_match, name: string) =>
      encodeURIComponent(params[name] ?? SAMPLE_PARAMS[name] ?? `sample-${name}`),
    )
    .replace(/\*/g, 'js/main.js');
}

/** A port on 127.0.0.1 with nothing listening (bound, then closed). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface RawAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

/** One HTTP request with `path` sent exactly as given (no URL normalisation), on a fresh connection. */
export function rawRequest(
  base: string,
  path: string,
  options: { method?: string; headers?: Record<string, string> } = {},
): Promise<RawAnswer> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: options.method ?? 'GET',
        path,
        headers: { connection: 'close', ...options.headers },
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
          // An event stream never ends: what came first is enough.
          if (body.length > 4096) res.destroy();
        });
        res.on('close', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.setTimeout(5000, () => req.destroy(new Error(`no answer to ${path} in 5 s`)));
    req.on('error', reject);
    req.end();
  });
}

export const basicAuth = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`;

/**
 * The forms a secret can leak in: as is, percent-encoded, base64 (a Basic header carries
 * `user:secret`, and base64 of the secret alone), and JSON-escaped.
 */
export function leakForms(secret: string, users: readonly string[] = []): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  forms.add(b64(secret).replace(/=+$/, ''));
  for (const user of users) forms.add(b64(`${user}:${secret}`).replace(/=+$/, ''));
  return [...forms];
}

/** Each secret found in `text` (in its first form found), with its context, for a readable failure. */
export function leaksIn(
  text: string,
  secrets: ReadonlyArray<{ readonly secret: string; readonly users?: readonly string[] }>,
): string[] {
  const found: string[] = [];
  for (const { secret, users } of secrets) {
    for (const form of leakForms(secret, users)) {
      const at = text.indexOf(form);
      if (at === -1) continue;
      const context = text.slice(Math.max(0, at - 80), at + form.length + 20);
      found.push(`${secret} (as ${JSON.stringify(form)}) in …${context}…`);
      break;
    }
  }
  return found;
}

/** Polls `probe` until it returns an empty list; throws with the last list after `timeoutMs`. */
export async function waitUntilNone(
  probe: () => readonly string[],
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = probe();
  while (left.length > 0) {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms: ${left.join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = probe();
  }
}
