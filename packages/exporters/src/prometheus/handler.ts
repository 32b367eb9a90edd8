// Serving the scrape endpoint: a fetch-style handler (mountable in Hono or any Request/Response
// server) and a standalone node:http server (default 127.0.0.1:9464/metrics), whose connections
// are bounded as the dashboard's are (core's ConnectionGuard).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ConnectionGuard,
  type ConnectionLimits,
  type ConnectionStats,
  connectionServerOptions,
  resolveConnectionLimits,
} from '@datalineage/core';
import { ExporterConfigError } from '../export/types.js';
import type { PrometheusReader } from './reader.js';

/** `(request) => Response` for frameworks built on the Fetch API, e.g. `app.get('/metrics', (c) => handler(c.req.raw))`. */
export function createMetricsHandler(reader: PrometheusReader): (request: Request) => Promise<Response> {
  return async (request) => {
    const scrape = await reader.scrape(request.headers.get('accept'));
    return new Response(request.method === 'HEAD' ? null : scrape.body, {
      status: scrape.status,
      headers: { 'content-type': scrape.contentType, 'cache-control': 'no-store' },
    });
  };
}

/** A node:http listener serving the exposition on `path` and 404 elsewhere. */
export function createNodeMetricsListener(
  reader: PrometheusReader,
  path = '/metrics',
): (request: IncomingMessage, response: ServerResponse) => void {
  return (request, response) => {
    const url = request.url ?? '/';
    const requestPath = url.split('?', 1)[0];
    if (requestPath !== path || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(requestPath === path ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end(requestPath === path ? 'method not allowed\n' : 'not found\n');
      return;
    }
    reader.scrape(request.headers.accept).then((scrape) => {
      response.writeHead(scrape.status, { 'content-type': scrape.contentType, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : scrape.body);
    });
  };
}

export interface MetricsServerOptions {
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 9464 */
  port?: number;
  /** @default '/metrics' */
  path?: string;
  /** Time limits and connection caps, as the dashboard's; each field has its own default. */
  connections?: ConnectionLimits;
}

export interface MetricsServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
  /** Connections open, and what each connection bound did. */
  stats(): ConnectionStats;
}

/** Start the standalone scrape endpoint; resolves once it listens, rejects if it cannot. */
export function startMetricsServer(
  reader: PrometheusReader,
  options: MetricsServerOptions = {},
): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const path = options.path ?? '/metrics';
  const limits = resolveConnectionLimits(
    options.connections,
    'metrics endpoint',
    (message) => new ExporterConfigError('prometheus', 'connections', message),
  );
  const server: Server = createServer(
    connectionServerOptions(limits),
    createNodeMetricsListener(reader, path),
  );
  const guard = new ConnectionGuard(limits, 'metrics endpoint');
  guard.attach(server);
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 9464, host, () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      const shownHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${shownHost}:${port}${path}`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
        stats: () => guard.stats(),
      });
    });
  });
}
