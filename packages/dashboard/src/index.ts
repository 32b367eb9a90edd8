// @datalineage/dashboard — the web dashboard: the Hono app, its server, and the charts' history.
// The public surface, by name.

export type { ConnectionLimits, ConnectionStats } from '@datalineage/core';
export type { AlertSource } from './api/alerts.js';
export type { ApiErrorCode } from './api/errors.js';
export type { EventStreams } from './api/events.js';
export type { LogSource, SearchGate } from './api/logs.js';
export { createDashboard, createDashboardApp, type DashboardApp, type DashboardAppOptions } from './app.js';
export { type Asset, loadAssets, payloadSize } from './assets.js';
export { DashboardConfig, type DashboardConfigOptions, DashboardOptionError } from './config.js';
export {
  type ChartKind,
  type ChartPoint,
  type ChartSeries,
  HistoryReader,
  MetricHistory,
  type MetricHistoryOptions,
  type MetricListing,
} from './history.js';
export {
  type Admission,
  type AuthMode,
  type DashboardAuth,
  LoginLimiter,
  type LoginLimits,
} from './security/auth.js';
export { CONTENT_SECURITY_POLICY } from './security/headers.js';
export {
  DashboardConfigError,
  type DashboardServer,
  type DashboardServerOptions,
  isLoopback,
  startDashboardServer,
} from './server.js';
