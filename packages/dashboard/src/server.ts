// Serving the dashboard: HTTP or HTTPS on the configured host, refusing a non-loopback address
// without authentication unless told otherwise, and a close() that really ends everything — the
// listening socket, keep-alive connections and the live event streams.
// Slow or greedy clients are bounded where connections enter (core's ConnectionGuard), counted in
// `stats()` (getMonitoringStatus().dashboard.connections).
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  ConnectionGuard,
  type ConnectionLimits,
  type ConnectionStats,
  connectionServerOptions,
  diagnostics,
  resolveConnectionLimits,
} from '@datalineage/core';
import { type ServerType, serve } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createDashboard, type DashboardAppOptions } from './app.js';
import { authMode } from './security/auth.js';

export interface DashboardServerOptions
  extends Omit<DashboardAppOptions, 'https' | 'clientOf' | 'allowedHosts'> {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 8080 */
  port?: number;
  /** Serve a non-loopback host without authentication anyway. @default false */
  allowUnauthenticated?: boolean;
  /** HTTPS with these PEM files. */
  tls?: { keyFile?: string; certFile?: string };
  /** Time limits and connection caps; each field has its own default. */
  connections?: ConnectionLimits;
}

export interface DashboardServer {
  /** `http(s)://host:port`. */
  readonly url: string;
  /** Stops listening and ends every connection and live stream. Safe to call twice. */
  close(): Promise<void>;
  /** Connections open, and what each connection bound did. */
  stats(): ConnectionStats;
  /** Log searches running now, and refused since start because too many ran at once. */
  searches(): { running: number; refused: number };
  /** Failed logins, and requests the login limiter refused unchecked, since start. */
  logins(): { failed: number; refused: number };
}

/** Thrown at start for a dashboard that must not run as configured; the message says how to fix it. */
export class DashboardConfigError extends Error {
  override readonly name = 'DashboardConfigError';
  readonly code = 'DLM_DASHBOARD_CONFIG';
}

/** Whether `host` only accepts connections from this machine. */
export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127\.\d+\.\d+\.\d+$/.test(bare);
}

export async function startDashboardServer(options: DashboardServerOptions): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 8080;
  const mode = authMode(options.auth);
  const limits = resolveConnectionLimits(
    options.connections,
    'dashboard',
    (message) => new DashboardConfigError(message),
  );
  const loopback = isLoopback(host);
  if (!loopback && mode === 'none' && options.allowUnauthenticated !== true) {
    throw new DashboardConfigError(
      `the dashboard would listen on ${host} without authentication: set dashboard.auth (username and password, ` +
        'or a token; or DATALINEAGE_DASHBOARD_USERNAME/PASSWORD/TOKEN), listen on 127.0.0.1, or set ' +
        'dashboard.allow_unauthenticated: true if a proxy in front of it authenticates',
    );
  }
  let tls: { key: Buffer; cert: Buffer } | undefined;
  if (options.tls?.keyFile !== undefined || options.tls?.certFile !== undefined) {
    try {
      tls = {
        key: readFileSync(options.tls.keyFile as string),
        cert: readFileSync(options.tls.certFile as string),
      };
    } catch (error) {
      throw new DashboardConfigError(
        `the dashboard's TLS key or certificate cannot be read: ${(error as Error).message}`,
      );
    }
  }
  const { app, events, searches, logins } = createDashboard({
    ...options,
    https: tls !== undefined,
    // Without authentication on loopback, answer only to the names this server is reached by.
    allowedHosts: loopback ? [host] : false,
    clientOf: (request, env) => {
      try {
        return getConnInfo({ env, req: { raw: request } } as never).remote.address ?? 'unknown';
      } catch {
        return 'unknown';
      }
    },
  });
  const guard = new ConnectionGuard(limits, 'dashboard');
  const server = await new Promise<ServerType>((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException): void =>
      reject(
        new Error(
          error.code === 'EADDRINUSE'
            ? `Dashboard port ${host}:${port} is already in use: set dashboard.port (or DATALINEAGE_DASHBOARD_PORT) to a free port.`
            : `Dashboard could not listen on ${host}:${port}: ${error.message}`,
          { cause: error },
        ),
      );
    const started = serve(
      {
        fetch: app.fetch,
        hostname: host,
        port,
        // node-server would otherwise swap the process's global Request and Response for its own
        // (a library must not change its host's globals), whose Response cannot answer HEAD.
        overrideGlobalObjects: false,
        serverOptions: {
          ...connectionServerOptions(limits),
          // A TLS handshake comes before any header: it gets the headers' time.
          ...(tls === undefined ? {} : { ...tls, handshakeTimeout: limits.headersTimeoutMs }),
        },
        ...(tls === undefined ? {} : { createServer: createHttpsServer }),
      },
      () => {
        started.off('error', failed);
        // Errors after listening (a broken client socket, say) must not go unheard or crash the app.
        started.on('error', (error: Error) => diagnostics.error('DLM_DASHBOARD_SERVER', error.message));
        resolve(started);
      },
    );
    started.once('error', failed);
    guard.attach(started as Server);
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closing: Promise<void> | undefined;
  return {
    url: `${tls === undefined ? 'http' : 'https'}://${shownHost}:${address.port}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        events.closeAll();
        server.close(() => resolve());
        if ('closeAllConnections' in server) server.closeAllConnections();
      });
      return closing;
    },
    stats: () => guard.stats(),
    searches: () => ({ running: searches.running(), refused: searches.refused() }),
    logins,
  };
}
