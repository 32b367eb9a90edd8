// @datalineage/monitoring/http — HTTP server middleware recording the OpenTelemetry semantic-
// convention request metrics (http.server.request.duration, http.server.active_requests) for
// Hono, Express and plain node:http. The public surface, by name.
export {
  HTTP_DURATION_BUCKETS,
  HTTP_SERVER_ACTIVE_REQUESTS,
  HTTP_SERVER_REQUEST_DURATION,
  type HttpMetricsOptions,
  KNOWN_HTTP_METHODS,
} from './common.js';
export {
  type ExpressErrorMiddleware,
  type ExpressMetricsOptions,
  type ExpressMiddleware,
  type ExpressRequestLike,
  monitorExpress,
  monitorExpressErrors,
} from './express.js';
export { instrumentHono, monitorHono } from './hono.js';
export {
  monitorHttpServer,
  monitorRequestListener,
  type NodeHttpMetricsOptions,
} from './node.js';
