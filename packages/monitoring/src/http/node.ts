// HTTP server metrics (see common.ts) for plain node:http and node:https servers. There is no
// router, so the route template comes from a function of the application's; without one every
// request is unmatched — never labelled with its URL.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { MetricsCollector } from '@datalineage/core';
import { type HttpMetricsOptions, HttpServerMetrics, pathOf, recordError, recordOnClose } from './common.js';

export interface NodeHttpMetricsOptions extends HttpMetricsOptions {
  /**
   * The `http.route` template of a request (`/users/:id`), called once when its response
   * closes, so it can read what the application's own routing stored on the request. Return
   * undefined for a request no route matched. Never return the URL itself: every distinct path
   * would become a series.
   * @default () => undefined (every request unmatched)
   * @example { route: (req) => (req.url?.startsWith('/users/') ? '/users/:id' : undefined) }
   */
  route?: (req: IncomingMessage) => string | undefined;
}

const unmatched = (): undefined => undefined;

/**
 * Wrap a `(req, res)` request listener so every request is recorded in
 * `http.server.request.duration` (a histogram in seconds whose count is the request count) and
 * `http.server.active_requests`, when its response closes. An exception the listener throws, or
 * a promise it returns that rejects, is noted for `error.type` (its class name, on a 5xx or a
 * response never completed) and passed on unchanged: thrown again, or returned as a promise that
 * rejects with the same error, so `captureRejections` servers still answer it with a 500.
 *
 * Takes the collector, not the monitoring system: pass `monitoring.metricsCollector`.
 * @example
 * const server = http.createServer(
 *   monitorRequestListener(app, monitoring.metricsCollector, { route: (req) => router.match(req)?.pattern }),
 * );
 */
export function monitorRequestListener<
  Req extends IncomingMessage = IncomingMessage,
  Res extends ServerResponse = ServerResponse,
>(
  listener: (req: Req, res: Res) => unknown,
  collector: MetricsCollector,
  options: NodeHttpMetricsOptions = {},
): (req: Req, res: Res) => unknown {
  if (typeof listener !== 'function') {
    throw new TypeError(`monitorRequestListener: the listener must be a function (req, res) => void`);
  }
  const metrics = new HttpServerMetrics(collector, options, 'monitorRequestListener');
  const route = routeOption(options, 'monitorRequestListener');
  const { ignore } = metrics;
  return function monitoredRequestListener(this: unknown, req: Req, res: Res) {
    if (ignore !== undefined && metrics.ignored(pathOf(req.url))) return listener.call(this, req, res);
    recordOnClose(metrics, req, res, route);
    let result: unknown;
    try {
      result = listener.call(this, req, res);
    } catch (error) {
      recordError(res, error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(undefined, (error: unknown) => {
        recordError(res, error);
        throw error;
      });
    }
    return result;
  };
}

/**
 * Record every request of a node:http or node:https server, through a `request` listener put
 * before the application's. Exceptions inside the application's listeners are out of its sight:
 * a failed request's `error.type` is its 5xx status code (wrap the listener with
 * {@link monitorRequestListener} for the exception's class). Returns a function that stops
 * recording.
 *
 * Takes the collector, not the monitoring system: pass `monitoring.metricsCollector`.
 * @example
 * const server = http.createServer(app);
 * const stop = monitorHttpServer(server, monitoring.metricsCollector, { route: routeOf });
 */
export function monitorHttpServer(
  server: Server | HttpsServer,
  collector: MetricsCollector,
  options: NodeHttpMetricsOptions = {},
): () => void {
  const metrics = new HttpServerMetrics(collector, options, 'monitorHttpServer');
  const route = routeOption(options, 'monitorHttpServer');
  const { ignore } = metrics;
  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (ignore === undefined || !metrics.ignored(pathOf(req.url))) recordOnClose(metrics, req, res, route);
  };
  server.prependListener('request', onRequest);
  return () => {
    server.removeListener('request', onRequest);
  };
}

function routeOption(
  options: NodeHttpMetricsOptions,
  adapter: string,
): (req: IncomingMessage) => string | undefined {
  const route = options.route ?? unmatched;
  if (typeof route !== 'function') {
    throw new TypeError(`${adapter}: options.route must be a function (req) => string | undefined`);
  }
  return route;
}
