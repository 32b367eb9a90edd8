// What every HTTP server adapter (Hono, Express, node:http) records: the OpenTelemetry
// semantic-convention instruments `http.server.request.duration` and `http.server.active_requests`.
// Adapters only find a request's method, route template and status; this file turns them into
// series. Label sets are resolved once and their bound handles cached, so the request path does
// Map lookups and bound-handle calls, and builds no label object.
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type BoundGauge,
  type BoundHistogram,
  diagnostics,
  type Gauge,
  type Histogram,
  type MetricsCollector,
} from '@datalineage/core';

/** The histogram's name: its count is the request count, by method, route and status. */
export const HTTP_SERVER_REQUEST_DURATION = 'http.server.request.duration';
/** The in-flight gauge's name. */
export const HTTP_SERVER_ACTIVE_REQUESTS = 'http.server.active_requests';

/** The bucket boundaries the semantic conventions advise for `http.server.request.duration`, in seconds. */
export const HTTP_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** The methods the semantic conventions call known: RFC 9110's and PATCH (RFC 5789). */
export const KNOWN_HTTP_METHODS: readonly string[] = Object.freeze([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/** The semantic conventions' value for a method, or an error class, outside the known set. */
export const OTHER = '_OTHER';
/** `error.type` of a request whose connection closed before its response was complete. */
export const ABORTED = 'aborted';

const METHOD = 'http.request.method';
const ROUTE = 'http.route';
const STATUS_CODE = 'http.response.status_code';
/** Not a semantic-convention attribute: `2xx`…`5xx`, so dashboards need no regex over codes. */
const STATUS_CLASS = 'http.response.status_class';
const ERROR_TYPE = 'error.type';
const STATUS_CLASSES = ['1xx', '2xx', '3xx', '4xx', '5xx'];

/**
 * Bound handles kept per adapter. Past this many label sets (a route function returning raw
 * paths, say) observations still count, through the by-labels path, without growing the cache;
 * the collector's cardinality limit then folds them into its overflow series.
 */
const MAX_CACHED_SERIES = 2000;

/** Options every adapter takes. */
export interface HttpMetricsOptions {
  /**
   * Leave out requests whose path (without the query string) this returns true for: they are
   * neither timed nor counted in flight. Nothing is skipped by default — a scrape of `/metrics`
   * or a health probe is real traffic, and without `ignore` no path is even read per request.
   * @default undefined (every request is recorded)
   * @example { ignore: (path) => path === '/metrics' || path === '/healthz' }
   */
  ignore?: (path: string) => boolean;
  /**
   * `http.route` of a request no route handler answered (a 404, a file served by a static
   * middleware). Never the request's path: that would give every scanner probe its own series.
   * @default undefined — the attribute is left out, as the semantic conventions say; Prometheus
   * shows the series without `http_route` (select it with `{http_route=""}`)
   * @example { unmatchedRoute: 'unmatched' }
   */
  unmatchedRoute?: string;
  /**
   * Methods recorded as themselves (matched exactly: HTTP methods are case-sensitive); any other
   * becomes `_OTHER`, so arbitrary method tokens cannot grow the series count.
   * @default KNOWN_HTTP_METHODS: CONNECT, DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT, TRACE
   * @example { knownMethods: [...KNOWN_HTTP_METHODS, 'PURGE'] }
   */
  knownMethods?: readonly string[];
}

type ByStatus = Map<number | string, BoundHistogram>;

/** The two instruments of one adapter and its cache of bound handles. */
export class HttpServerMetrics {
  readonly ignore: ((path: string) => boolean) | undefined;
  private readonly duration: Histogram;
  private readonly active: Gauge;
  private readonly methods: ReadonlyMap<string, string>;
  private readonly unmatchedRoute: string | undefined;
  private readonly activeByMethod = new Map<string, BoundGauge>();
  /** method → route (undefined: unmatched) → status, or `status error.type` → handle. */
  private readonly handles = new Map<string, Map<string | undefined, ByStatus>>();
  private cached = 0;

  /** Defines the instruments; throws at once on bad options or a conflicting definition. */
  constructor(
    collector: MetricsCollector,
    options: HttpMetricsOptions,
    private readonly adapter: string,
  ) {
    const { ignore, unmatchedRoute, knownMethods = KNOWN_HTTP_METHODS } = options;
    if (ignore !== undefined && typeof ignore !== 'function') {
      throw new TypeError(
        `${adapter}: options.ignore must be a function (path) => boolean, got ${typeof ignore}`,
      );
    }
    if (unmatchedRoute !== undefined && typeof unmatchedRoute !== 'string') {
      throw new TypeError(
        `${adapter}: options.unmatchedRoute must be a string, got ${typeof unmatchedRoute}`,
      );
    }
    if (!Array.isArray(knownMethods) || knownMethods.some((m) => typeof m !== 'string' || m === '')) {
      throw new TypeError(
        `${adapter}: options.knownMethods must be an array of method names such as ['GET', 'POST'], got ${JSON.stringify(knownMethods)}`,
      );
    }
    this.ignore = ignore;
    this.unmatchedRoute = unmatchedRoute;
    this.methods = new Map(knownMethods.map((method) => [method, method]));
    this.duration = collector.histogram(HTTP_SERVER_REQUEST_DURATION, {
      description: 'Duration of HTTP server requests.',
      unit: 's',
      labelNames: [METHOD, ROUTE, STATUS_CODE, STATUS_CLASS, ERROR_TYPE],
      buckets: HTTP_DURATION_BUCKETS,
    });
    this.active = collector.gauge(HTTP_SERVER_ACTIVE_REQUESTS, {
      description: 'Number of active HTTP server requests.',
      unit: '{request}',
      labelNames: [METHOD],
    });
  }

  /** The `http.request.method` value: a known method as it is, anything else `_OTHER`. */
  method(raw: string): string {
    return this.methods.get(raw) ?? OTHER;
  }

  /** Whether `ignore` skips this path; a throwing `ignore` skips nothing (and is reported once). */
  ignored(path: string): boolean {
    try {
      return this.ignore?.(path) === true;
    } catch (error) {
      this.report('ignore', error);
      return false;
    }
  }

  /** Count a request in flight; returns its start time for {@link end}. */
  begin(method: string): number {
    try {
      this.activeFor(method).inc();
    } catch (error) {
      this.report('record', error);
    }
    return performance.now();
  }

  /**
   * Record a finished request begun with {@link begin}. `status` 0 means no response was sent.
   * `errorType` is the class of an exception that ended the request; without one, a 5xx status
   * gets its code as `error.type`, as the semantic conventions say. Never throws.
   */
  end(
    method: string,
    route: string | undefined,
    status: number,
    errorType: string | undefined,
    start: number,
  ): void {
    try {
      const seconds = (performance.now() - start) / 1000;
      this.activeFor(method).dec();
      this.observe(method, route ?? this.unmatchedRoute, status, errorType, seconds);
    } catch (error) {
      this.report('record', error);
    }
  }

  private observe(
    method: string,
    route: string | undefined,
    status: number,
    errorType: string | undefined,
    seconds: number,
  ): void {
    // A plain status keys by number; only requests that failed with an exception build a key.
    const key = errorType === undefined ? status : `${status} ${errorType}`;
    const byStatus = this.handles.get(method)?.get(route);
    const bound = byStatus?.get(key);
    if (bound !== undefined) {
      bound.observe(seconds);
      return;
    }
    const labels = this.labels(method, route, status, errorType);
    if (this.cached >= MAX_CACHED_SERIES) {
      this.duration.observe(seconds, labels);
      return;
    }
    const handle = this.duration.bind(labels);
    this.byStatus(method, route).set(key, handle);
    this.cached++;
    handle.observe(seconds);
  }

  private byStatus(method: string, route: string | undefined): ByStatus {
    let byRoute = this.handles.get(method);
    if (byRoute === undefined) {
      byRoute = new Map();
      this.handles.set(method, byRoute);
    }
    let byStatus = byRoute.get(route);
    if (byStatus === undefined) {
      byStatus = new Map();
      byRoute.set(route, byStatus);
    }
    return byStatus;
  }

  /** The label set of a cache miss, attributes left out where the conventions leave them out. */
  private labels(
    method: string,
    route: string | undefined,
    status: number,
    errorType: string | undefined,
  ): Record<string, string> {
    const labels: Record<string, string> = { [METHOD]: method };
    if (route !== undefined) labels[ROUTE] = route;
    if (status > 0) {
      labels[STATUS_CODE] = String(status);
      labels[STATUS_CLASS] = STATUS_CLASSES[Math.floor(status / 100) - 1] ?? OTHER;
    }
    const type = errorType ?? (status >= 500 ? String(status) : undefined);
    if (type !== undefined) labels[ERROR_TYPE] = type;
    return labels;
  }

  private activeFor(method: string): BoundGauge {
    let bound = this.activeByMethod.get(method);
    if (bound === undefined) {
      bound = this.active.bind({ [METHOD]: method });
      this.activeByMethod.set(method, bound);
    }
    return bound;
  }

  private report(what: 'ignore' | 'record' | 'route', error: unknown): void {
    diagnostics.warnOnce(
      'DLM_HTTP_METRICS_FAILED',
      `${this.adapter}:${what}`,
      `${this.adapter}: ${what === 'record' ? 'recording a request' : `options.${what}`} threw (${String(error)}); ` +
        'the request was served and is recorded without it. Reported once.',
    );
  }

  /** Report, once, that a user-supplied route function threw. */
  routeFailed(error: unknown): void {
    this.report('route', error);
  }
}

/**
 * `error.type` for an exception: its class name (low cardinality: one value per error class), or
 * `_OTHER` for a thrown non-object or a nameless class.
 */
export function errorType(error: unknown): string {
  try {
    if (typeof error === 'object' && error !== null) {
      const name: unknown = error.constructor?.name;
      if (typeof name === 'string' && name !== '' && name !== 'Object') return name;
    }
  } catch {
    // A Proxy or getter that throws: no class name to report.
  }
  return OTHER;
}

/** Errors that ended a request, by response, until the response closes (see recordError). */
const failures = new WeakMap<ServerResponse, unknown>();

/** Remember the exception that ended the request behind `res`, for its `error.type`. */
export function recordError(res: ServerResponse, error: unknown): void {
  failures.set(res, error);
}

/** The request path without its query string, read only when an `ignore` option needs it. */
export function pathOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
}

/**
 * Start timing a node:http request and record it when its response closes — after the last byte
 * was handed to the socket, or when the connection dropped first. `route` runs then, so it sees
 * whatever the router stored on the request. One listener per request; never throws.
 */
export function recordOnClose<R extends IncomingMessage>(
  metrics: HttpServerMetrics,
  req: R,
  res: ServerResponse,
  route: (req: R) => string | undefined,
): void {
  const method = metrics.method(req.method ?? '');
  const start = metrics.begin(method);
  res.on('close', () => {
    let template: string | undefined;
    try {
      template = route(req);
      if (typeof template !== 'string') template = undefined;
    } catch (error) {
      metrics.routeFailed(error);
    }
    const finished = res.writableFinished;
    // statusCode is only what the client got once the head went out.
    const status = finished || res.headersSent ? res.statusCode : 0;
    let type: string | undefined;
    if (!finished || status >= 500) {
      const failure = failures.get(res);
      type = failure !== undefined ? errorType(failure) : finished ? undefined : ABORTED;
    }
    metrics.end(method, template, status, type, start);
  });
}
