// The dashboard web app (Hono): security first (headers on every answer, the Host check against
// DNS rebinding, authentication, CSRF on mutations), then the JSON API over the in-memory
// readers — status, metrics history, alerts, logs, live events — the page's static files,
// `/metrics` for Prometheus and the health probes.
import { diagnostics } from '@datalineage/core';
import { Hono } from 'hono';
import { type AlertSource, alertRoutes } from './api/alerts.js';
import { apiError, BadRequest, bodyLimit } from './api/errors.js';
import { type EventStreams, eventRoutes } from './api/events.js';
import { type LogSource, logRoutes, type SearchGate } from './api/logs.js';
import { metricRoutes, RANGES } from './api/metrics.js';
import { type Asset, loadAssets } from './assets.js';
import type { MetricHistory } from './history.js';
import {
  authentication,
  authMode,
  type DashboardAuth,
  LoginLimiter,
  type LoginLimits,
} from './security/auth.js';
import { CsrfTokens, csrfProtection } from './security/csrf.js';
import { hostCheck, securityHeaders } from './security/headers.js';

export interface DashboardAppOptions {
  /** A JSON-serialisable snapshot of the monitoring system's status (secrets masked). */
  getStatus: () => Record<string, unknown>;
  /** The charts' history; without it the metrics API lists nothing. */
  history?: MetricHistory;
  /** The log aggregator, for search, patterns and the live tail. */
  logs?: LogSource;
  /** The alert manager, for alerts, acknowledge and silences. */
  alerts?: AlertSource;
  /** Serves the Prometheus exposition at `/metrics` when given. */
  metricsHandler?: (request: Request) => Promise<Response>;
  /** Credentials; none means no authentication. */
  auth?: DashboardAuth;
  /**
   * Without authentication, only requests addressed to these host names (besides the loopback
   * names) are answered; `false` turns the check off (a non-loopback host served on purpose).
   * @default []
   */
  allowedHosts?: readonly string[] | false;
  /** Whether the server speaks HTTPS (for HSTS). @default false */
  https?: boolean;
  /** Whether monitoring has started: `/readyz` answers 503 until then. @default () => true */
  ready?: () => boolean;
  /** The client address of a request, for the login limiter. @default 'unknown' */
  clientOf?: (request: Request, env: unknown) => string;
  /** Bounds of the login limiter (see LoginLimiter). @default 10 failures a minute per address, 100 in all */
  loginLimits?: LoginLimits;
  /** @default 'DataLineage Monitoring' */
  title?: string;
  /** Seconds between polls when live events fail. @default 30 */
  autoRefresh?: number;
  /** @default 'dark' */
  theme?: 'dark' | 'light';
  /** Live event streams open at once at most. @default 100 */
  maxEventClients?: number;
  /** Log every request through the diagnostics. @default false */
  debug?: boolean;
  /** Shown in the session. @default '0.1.0' */
  version?: string;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
  /** The page's files; tests pass their own. @default the package's public/ and uPlot */
  assets?: ReadonlyMap<string, Asset>;
}

export interface DashboardApp {
  readonly app: Hono;
  /** Live event streams; `closeAll()` ends them (the server is stopping). */
  readonly events: EventStreams;
  /** Log searches running now, and refused because too many were. */
  readonly searches: SearchGate;
  /** Failed logins, and requests the login limiter refused unchecked. */
  readonly logins: () => { failed: number; refused: number };
}

/** Paths that need no credentials: probes, and in bearer mode the page's static files. */
function openPaths(mode: ReturnType<typeof authMode>): (path: string) => boolean {
  return (path) =>
    path === '/healthz' ||
    path === '/readyz' ||
    (mode === 'bearer' && (path === '/' || path.startsWith('/assets/') || path === '/favicon.ico'));
}

export function createDashboardApp(options: DashboardAppOptions): Hono {
  return createDashboard(options).app;
}

export function createDashboard(options: DashboardAppOptions): DashboardApp {
  const now = options.now ?? Date.now;
  const mode = authMode(options.auth);
  const csrf = new CsrfTokens();
  const assets = options.assets ?? loadAssets();
  const limiter = new LoginLimiter(options.loginLimits, now);
  const app = new Hono<{ Variables: { principal: string } }>();

  app.onError((error, c) => {
    if (error instanceof BadRequest) return apiError(c, 400, 'bad_request', error.message);
    diagnostics.warnOnce('DLM_DASHBOARD_ERROR', String(error), `dashboard request failed: ${String(error)}`);
    return apiError(c, 500 as never, 'unavailable', 'internal error; see the SDK diagnostics');
  });
  app.notFound((c) => apiError(c, 404, 'not_found', `no route ${c.req.method} ${c.req.path}`));

  if (options.debug === true) {
    app.use('*', async (c, next) => {
      const started = performance.now();
      await next();
      diagnostics.info(
        'DLM_DASHBOARD_REQUEST',
        `${c.req.method} ${c.req.path} ${c.res.status} ${(performance.now() - started).toFixed(1)} ms`,
      );
    });
  }
  app.use('*', securityHeaders({ https: options.https ?? false }));
  app.use(
    '*',
    hostCheck({
      enabled: mode === 'none' && options.allowedHosts !== false,
      allowedHosts: options.allowedHosts === false ? [] : (options.allowedHosts ?? []),
    }),
  );
  app.use(
    '*',
    authentication({
      auth: options.auth,
      open: openPaths(mode),
      clientOf: options.clientOf ?? (() => 'unknown'),
      limiter,
    }),
  );
  app.use('/api/*', async (c, next) => {
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use('/api/*', csrfProtection(csrf));
  // After authentication and CSRF: only a caller allowed to mutate gets a body read at all.
  app.use('/api/*', bodyLimit());

  app.get('/healthz', (c) => c.text('ok\n'));
  app.get('/readyz', (c) =>
    (options.ready ?? (() => true))() ? c.text('ok\n') : c.text('not ready\n', 503),
  );

  app.get('/api/session', (c) =>
    c.json({
      title: options.title ?? 'DataLineage Monitoring',
      theme: options.theme ?? 'dark',
      autoRefresh: options.autoRefresh ?? 30,
      sampleInterval: (options.history?.intervalMs ?? 5000) / 1000,
      maxDataPoints: options.history?.maxDataPoints ?? 0,
      ranges: Object.keys(RANGES),
      auth: mode,
      csrfToken: csrf.tokenFor(c.get('principal')),
      version: options.version ?? '0.1.0',
    }),
  );
  app.get('/api/status', (c) => c.json(options.getStatus()));
  const api = app as unknown as Hono;
  metricRoutes(api, options.history, now);
  const searches = logRoutes(api, options.logs);
  alertRoutes(api, options.alerts, now);
  const events = eventRoutes(api, {
    history: options.history,
    logs: options.logs,
    alerts: options.alerts,
    status: options.getStatus,
    now,
    intervalMs: (options.autoRefresh ?? 30) * 1000,
    maxClients: options.maxEventClients ?? 100,
  });

  const metricsHandler = options.metricsHandler;
  if (metricsHandler !== undefined) app.on(['GET', 'HEAD'], '/metrics', (c) => metricsHandler(c.req.raw));

  app.on(['GET', 'HEAD'], ['/', '/assets/*'], (c) => {
    const entry = assets.get(c.req.path);
    if (entry === undefined) return apiError(c, 404, 'not_found', `no file ${c.req.path}`);
    c.header('ETag', entry.etag);
    c.header('Cache-Control', 'no-cache');
    c.header('Vary', 'Accept-Encoding');
    if (c.req.header('if-none-match') === entry.etag) return c.body(null, 304);
    c.header('Content-Type', entry.type);
    if (/\bgzip\b/.test(c.req.header('accept-encoding') ?? '')) {
      c.header('Content-Encoding', 'gzip');
      return c.body(new Uint8Array(entry.gzip));
    }
    return c.body(new Uint8Array(entry.body));
  });
  app.get('/favicon.ico', (c) => c.redirect('/assets/favicon.svg', 301));

  return { app: api, events, searches, logins: () => limiter.stats() };
}
