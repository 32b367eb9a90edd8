// Express middleware recording the HTTP server metrics (see common.ts), by the route template
// Express matched. Typed structurally, so neither express nor @types/express is required.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { MetricsCollector } from '@datalineage/core';
import { type HttpMetricsOptions, HttpServerMetrics, pathOf, recordError, recordOnClose } from './common.js';

/** The parts of an Express request the middleware reads. */
export interface ExpressRequestLike extends IncomingMessage {
  /** The mount path of the router that handled the request (`''` at the top level). */
  baseUrl?: string;
  /** The URL before any router stripped its mount path. */
  originalUrl?: string;
  /** The route that matched, set by Express once one does. */
  route?: { path?: unknown } | undefined;
}

/** An Express middleware, `app.use()`-able. */
export type ExpressMiddleware = (
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** An Express error middleware that passes the error on unchanged. */
export type ExpressErrorMiddleware = (
  error: unknown,
  req: ExpressRequestLike,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export interface ExpressMetricsOptions extends HttpMetricsOptions {
  /**
   * The `http.route` of a request, called once when its response closes; undefined means
   * unmatched. The default joins `req.baseUrl` and `req.route.path`; replace it when a router is
   * mounted on a path with parameters (`app.use('/orgs/:org', router)`): Express gives
   * `req.baseUrl` as matched (`/orgs/42`), not as the pattern, so every value would be a series.
   * @default (req) => req.baseUrl + req.route.path, or undefined when no route matched
   * @example { route: (req) => req.route && `/orgs/:org${req.route.path}` }
   */
  route?: (req: ExpressRequestLike) => string | undefined;
}

/**
 * An Express (4 or 5) middleware that records every request in `http.server.request.duration`
 * (a histogram in seconds whose count is the request count) by `http.request.method`,
 * `http.route` (the template, e.g. `/api/users/:id`, never the path),
 * `http.response.status_code`, `http.response.status_class` and, for 5xx responses,
 * `error.type`; and the requests in flight in `http.server.active_requests` by method.
 *
 * Register it first. It records when the response closes, with the status Express sent: a
 * handler's exception becomes whatever your error middleware (or Express' default 500) answers.
 * `error.type` is then the status code; add {@link monitorExpressErrors} after your routes for
 * the exception's class instead. A request whose connection dropped before the response was
 * complete gets `error.type="aborted"`.
 *
 * Takes the collector, not the monitoring system: pass `monitoring.metricsCollector`.
 * @example
 * const app = express();
 * app.use(monitorExpress(monitoring.metricsCollector));
 * app.get('/users/:id', (req, res) => res.json(getUser(req.params.id)));
 * app.use(monitorExpressErrors()); // optional: error.type = the exception's class
 */
export function monitorExpress(
  collector: MetricsCollector,
  options: ExpressMetricsOptions = {},
): ExpressMiddleware {
  const metrics = new HttpServerMetrics(collector, options, 'monitorExpress');
  const route = options.route ?? expressRoute;
  if (typeof route !== 'function') {
    throw new TypeError(`monitorExpress: options.route must be a function (req) => string | undefined`);
  }
  const { ignore } = metrics;
  return function monitorExpressMiddleware(req, res, next) {
    if (ignore === undefined || !metrics.ignored(pathOf(req.originalUrl ?? req.url)))
      recordOnClose(metrics, req, res, route);
    next();
  };
}

/**
 * An Express error middleware that notes a failed request's exception, so its 5xx is recorded
 * with `error.type` = the exception's class name, then passes the error on unchanged to the
 * next error middleware (or Express' default handler). Register it after your routes and before
 * your own error middleware.
 * @example
 * app.use(monitorExpressErrors());
 * app.use((err, req, res, next) => res.status(500).json({ error: 'internal' }));
 */
export function monitorExpressErrors(): ExpressErrorMiddleware {
  return function monitorExpressErrorsMiddleware(error, _req, res, next) {
    recordError(res, error);
    next(error);
  };
}

/** `req.baseUrl` + `req.route.path`: the template, string-joined only under a mounted router. */
function expressRoute(req: ExpressRequestLike): string | undefined {
  const route = req.route;
  if (route === undefined || route === null) return undefined;
  const path = typeof route.path === 'string' ? route.path : String(route.path); // RegExp or array
  const base = req.baseUrl;
  if (base === undefined || base === '') return path;
  return path === '/' ? base : base + path;
}
