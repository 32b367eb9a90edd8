// The dashboard web app (Hono). For now: a plain status page, the status JSON, health probes and
// the Prometheus `/metrics` endpoint mounted from the exporters package by the facade.
import { Hono } from 'hono';
import { html } from 'hono/html';

export interface DashboardAppOptions {
  /** A JSON-serialisable snapshot of the monitoring system's status. */
  getStatus: () => Record<string, unknown>;
  /** Serves the Prometheus exposition at `/metrics` when given. */
  metricsHandler?: (request: Request) => Promise<Response>;
  /**
   * Page title.
   * @default 'DataLineage Monitoring'
   */
  title?: string;
  /**
   * Seconds between page refreshes.
   * @default 30
   */
  autoRefresh?: number;
  /** @default 'dark' */
  theme?: 'dark' | 'light';
}

const STYLE = {
  dark: 'body{background:#111827;color:#e5e7eb}a{color:#93c5fd}td,th{border-color:#374151}',
  light: 'body{background:#fff;color:#111827}a{color:#1d4ed8}td,th{border-color:#d1d5db}',
};

export function createDashboardApp(options: DashboardAppOptions): Hono {
  const app = new Hono();
  const title = options.title ?? 'DataLineage Monitoring';
  const theme = options.theme ?? 'dark';

  app.use('*', async (c, next) => {
    await next();
    c.header(
      'Content-Security-Policy',
      "default-src 'none'; style-src 'self' 'unsafe-inline'; img-src 'self'",
    );
    c.header('X-Content-Type-Options', 'nosniff');
  });

  app.get('/healthz', (c) => c.text('ok\n'));
  app.get('/readyz', (c) => c.text('ok\n'));
  app.get('/api/status', (c) => c.json(options.getStatus()));

  const metricsHandler = options.metricsHandler;
  if (metricsHandler !== undefined) app.on(['GET', 'HEAD'], '/metrics', (c) => metricsHandler(c.req.raw));

  app.get('/', (c) => {
    const status = options.getStatus();
    // Every value goes through hono's html template, which escapes it: nothing renders as markup.
    const rows = Object.entries(status).map(
      ([key, value]) => html`<tr><th>${key}</th><td><pre>${JSON.stringify(value, null, 2)}</pre></td></tr>`,
    );
    return c.html(html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta http-equiv="refresh" content="${options.autoRefresh ?? 30}" />
    <title>${title}</title>
    <style>
      body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}
      td,th{border:1px solid;padding:.4rem .8rem;text-align:left;vertical-align:top}pre{margin:0}
      ${STYLE[theme]}
    </style>
  </head>
  <body>
    <h1>${title}</h1>
    <p><a href="/metrics">/metrics</a> · <a href="/api/status">/api/status</a></p>
    <table>
      ${rows}
    </table>
  </body>
</html>`);
  });

  return app;
}
