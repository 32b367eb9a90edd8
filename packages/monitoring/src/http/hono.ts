// Hono middleware recording the HTTP server metrics (see common.ts), by the matched route's
// pattern. Works wherever Hono runs: it times the handler chain, not node:http events.
import type { MetricsCollector } from '@datalineage/core';
import type { Context, ErrorHandler, Hono, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { RouterRoute } from 'hono/types';
import { errorType, type HttpMetricsOptions, HttpServerMetrics } from './common.js';

// Hono's type parameters vary per app; the instrumentation needs none of them.
// biome-ignore lint/suspicious/noExplicitAny: any Hono app, whatever its Env and Schema.
type AnyHono = Hono<any, any, any>;

/**
 * A Hono middleware that records every request in `http.server.request.duration` (a histogram
 * in seconds whose count is the request count) by `http.request.method`, `http.route` (the
 * matched pattern, e.g. `/users/:id`, never the path), `http.response.status_code`,
 * `http.response.status_class` and, for 5xx responses, `error.type`; and the requests in flight
 * in `http.server.active_requests` by method.
 *
 * Register it first, so it times everything after it. A handler's exception reaches Hono's
 * `onError` unchanged and is recorded with the status `onError` chose, `error.type` being the
 * exception's class; an error `onError` does not turn into a response is recorded as a 500 and
 * rethrown as it was. The duration ends when the handler chain returns its response: a streamed
 * body's transfer is not included.
 *
 * Takes the collector, not the monitoring system: pass `monitoring.metricsCollector`.
 * @example
 * const app = new Hono();
 * app.use(monitorHono(monitoring.metricsCollector));
 * app.get('/users/:id', (c) => c.json(getUser(c.req.param('id'))));
 * // → http_server_request_duration_seconds_count{http_request_method="GET",http_route="/users/:id",…}
 */
export function monitorHono(
  collector: MetricsCollector,
  options: HttpMetricsOptions = {},
): MiddlewareHandler {
  const metrics = new HttpServerMetrics(collector, options, 'monitorHono');
  const { ignore } = metrics;
  return async function monitorHonoMiddleware(c, next) {
    if (ignore !== undefined && metrics.ignored(c.req.path)) return next();
    const method = metrics.method(c.req.method);
    const start = metrics.begin(method);
    try {
      await next();
    } catch (error) {
      metrics.end(method, routeOf(c), 500, errorType(error), start);
      throw error;
    }
    let status = 500;
    let type: string | undefined;
    try {
      status = c.res.status;
      if (status >= 500 && c.error !== undefined) type = errorType(c.error);
    } catch {
      // An unreadable response: recorded as a server error below.
    }
    metrics.end(method, routeOf(c), status, type, start);
  };
}

/** Apps instrumentHono has wrapped: a second call would count every request twice. */
const instrumented = new WeakSet<object>();

/**
 * Instruments a Hono app at its `fetch` entry point, recording the same metrics as
 * {@link monitorHono} without adding a middleware. Hono runs an app whose request matches a
 * single handler on a synchronous fast path, which any middleware leaves for its general
 * (promise-chained) one; this keeps the fast path, so on a minimal app it costs a fraction of
 * what a middleware does (see the README's performance section). Returns the app.
 *
 * Call it before handing `app.fetch` to a server (`serve({ fetch: app.fetch })` reads the
 * property once). `http.route` is the pattern of the first route handler the request matches —
 * what answers it unless a middleware answers first (an auth check's 401 is credited to the
 * route it guards, as with the middleware); a request no handler matches is unmatched. The
 * error handler is wrapped to learn the class of an exception for `error.type`, including one
 * installed later with `app.onError()`.
 * @example
 * const app = new Hono();
 * app.get('/users/:id', (c) => c.json(getUser(c.req.param('id'))));
 * instrumentHono(app, monitoring.metricsCollector);
 * serve({ fetch: app.fetch, port: 3000 });
 */
export function instrumentHono<App extends AnyHono>(
  app: App,
  collector: MetricsCollector,
  options: HttpMetricsOptions = {},
): App {
  if (
    typeof app?.fetch !== 'function' ||
    typeof app.router?.match !== 'function' ||
    typeof app.getPath !== 'function'
  ) {
    throw new TypeError('instrumentHono: the first argument must be a Hono app (new Hono())');
  }
  if (instrumented.has(app)) {
    throw new Error('instrumentHono: this app is already instrumented; each request would count twice');
  }
  const metrics = new HttpServerMetrics(collector, options, 'instrumentHono');
  const { ignore } = metrics;
  const failures = new WeakMap<Request, unknown>();

  // Private in Hono's types, public at run time: Hono's own dispatch reads `this.errorHandler`.
  let handleError = (app as unknown as { errorHandler: ErrorHandler }).errorHandler;
  const recordingErrorHandler: ErrorHandler = (error, c) => {
    failures.set(c.req.raw, error);
    return handleError(error, c);
  };
  Object.defineProperty(app, 'errorHandler', {
    configurable: true,
    enumerable: true,
    get: () => recordingErrorHandler,
    set: (handler: ErrorHandler) => {
      handleError = handler;
    },
  });

  // The route: Hono matches the request once, synchronously, before running any handler. The
  // router's `match` is wrapped to keep that result for the call in progress (an accessor, since
  // Hono's routers replace their own `match` on first use), so nothing is matched twice.
  type Match = (method: string, path: string) => [Array<[[unknown, RouterRoute], unknown]>, ...unknown[]];
  const router = app.router as unknown as { match: Match };
  let match: Match = router.match;
  let matched: ReturnType<Match> | undefined;
  const keepingMatch: Match = (method, path) => {
    const result = match.call(router, method, path);
    matched = result;
    return result;
  };
  Object.defineProperty(router, 'match', {
    configurable: true,
    get: () => keepingMatch,
    set: (replacement: Match) => {
      match = replacement;
    },
  });
  /** The first route handler among the matched entries: what answers unless a middleware does. */
  const routeIn = (result: ReturnType<Match> | undefined, request: Request, env: unknown) => {
    try {
      // Not seen (a router that matched elsewhere): ask it again. Hono answers HEAD with GET routes.
      const entries =
        result?.[0] ??
        match.call(
          router,
          request.method === 'HEAD' ? 'GET' : request.method,
          app.getPath(request, { env }),
        )[0];
      for (const [[, route]] of entries) if (isHandler(route)) return route.path;
    } catch {
      // A router or getPath that throws on this request: recorded as unmatched.
    }
    return undefined;
  };

  /** The route of the call that just returned; puts back the enclosing call's match. */
  const takeRoute = (outer: ReturnType<Match> | undefined, request: Request, env: unknown) => {
    const route = routeIn(matched, request, env);
    matched = outer;
    return route;
  };

  const finish = (
    method: string,
    route: string | undefined,
    start: number,
    request: Request,
    response: Response,
  ) => {
    let status = 500;
    let type: string | undefined;
    try {
      status = response.status;
      if (status >= 500) {
        const failure = failures.get(request);
        if (failure !== undefined) type = errorType(failure);
      }
    } catch {
      // An unreadable response: recorded as a server error.
    }
    metrics.end(method, route, status, type, start);
  };

  type Fetch = (request: Request, ...rest: unknown[]) => Response | Promise<Response>;
  const fetch = app.fetch as Fetch;
  const ignored = (request: Request, env: unknown): boolean => {
    try {
      return metrics.ignored(app.getPath(request, { env }));
    } catch {
      return false;
    }
  };
  const instrumentedFetch: Fetch = (request, ...rest) => {
    if (ignore !== undefined && ignored(request, rest[0])) return fetch(request, ...rest);
    const method = metrics.method(request.method);
    const start = metrics.begin(method);
    // Saved and restored, so a handler calling this app's fetch in turn keeps both matches apart.
    const outer = matched;
    matched = undefined;
    let result: Response | Promise<Response>;
    try {
      result = fetch(request, ...rest);
    } catch (error) {
      metrics.end(method, takeRoute(outer, request, rest[0]), 500, errorType(error), start);
      throw error;
    }
    const route = takeRoute(outer, request, rest[0]);
    if (result instanceof Promise) {
      return result.then(
        (response) => {
          finish(method, route, start, request, response);
          return response;
        },
        (error: unknown) => {
          metrics.end(method, route, 500, errorType(error), start);
          throw error;
        },
      );
    }
    finish(method, route, start, request, result);
    return result;
  };
  app.fetch = instrumentedFetch as App['fetch'];
  instrumented.add(app);
  return app;
}

/**
 * The pattern of the route that answered, or undefined when none did. Hono runs matched
 * middleware and handlers in order; `routeIndex` is the last one that ran. A 404 from Hono's
 * notFound means the last one was a middleware that called `next()` with nothing after it; a
 * middleware that answered early (auth, validation) is credited to the handler it stood before.
 */
function routeOf(c: Context): string | undefined {
  try {
    const routes = matchedRoutes(c);
    for (let i = c.req.routeIndex; i < routes.length; i++) {
      const route = routes[i] as RouterRoute;
      if (isHandler(route)) return route.path;
    }
  } catch {
    // Hono internals out of reach: record as unmatched rather than fail the request.
  }
  return undefined;
}

/**
 * `app.use()` registers its functions for every method (`ALL`), like `app.all()`; they tell
 * apart by arity, as Hono's own route listing does: a middleware takes `next`. A sub-app with its
 * own `onError` wraps its handlers, keeping the original under `__COMPOSED_HANDLER`.
 */
function isHandler(route: RouterRoute): boolean {
  if (route.method !== 'ALL') return true;
  const handler = (route.handler as { __COMPOSED_HANDLER?: (...args: never[]) => unknown })
    .__COMPOSED_HANDLER;
  return (handler ?? route.handler).length < 2;
}
