// monitorRequestListener and monitorHttpServer beyond the shared suite: the route function,
// aborted requests, exceptions passed through unchanged, and staying bounded.
import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { diagnostics, MetricsCollector } from '@datalineage/core';
import { afterEach, describe, expect, it } from 'vitest';
import { monitorHttpServer, monitorRequestListener } from '../../src/http/index.js';
import {
  activeRequests,
  close,
  durationSeries,
  eventually,
  listen,
  requestCounts,
  series,
  sleep,
} from './support.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map(close));
  servers = [];
  diagnostics.setLevel('error');
  diagnostics.setSink(console);
});

async function serveWith(server: Server): Promise<string> {
  servers.push(server);
  return listen(server);
}

const total = async (collector: MetricsCollector) =>
  (await requestCounts(collector)).reduce((n, s) => n + s.count, 0);

/** Attributes without a status: the connection closed before any response was sent. */
const noResponse = (method: string, route: string | undefined, errorType: string) => ({
  'http.request.method': method,
  ...(route === undefined ? {} : { 'http.route': route }),
  'error.type': errorType,
});

describe('monitorRequestListener', () => {
  it('records every request as unmatched without a route function, never by its URL', async () => {
    const collector = new MetricsCollector();
    const url = await serveWith(
      createServer(monitorRequestListener((_req, res) => res.end('ok'), collector)),
    );
    for (const path of ['/a', '/b/c', '/d?e=f']) await (await fetch(url + path)).text();
    await eventually(() => total(collector), 3);
    expect(await requestCounts(collector)).toEqual([{ attributes: series('GET', undefined, 200), count: 3 }]);
  });

  it('records a request whose client went away before any response as aborted, without a status', async () => {
    const collector = new MetricsCollector();
    let arrived = (): void => {};
    const inside = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    const url = await serveWith(
      createServer(
        monitorRequestListener(
          () => {
            arrived(); // never answers
          },
          collector,
          { route: () => '/hang' },
        ),
      ),
    );
    const controller = new AbortController();
    const pending = fetch(`${url}/hang`, { signal: controller.signal }).catch((error: unknown) => error);
    await inside;
    expect(await activeRequests(collector, 'GET')).toBe(1);
    controller.abort();
    await pending;
    await eventually(() => total(collector), 1);
    expect(await requestCounts(collector)).toEqual([
      { attributes: noResponse('GET', '/hang', 'aborted'), count: 1 },
    ]);
    expect(await activeRequests(collector, 'GET')).toBe(0);
  });

  it('records a response cut off after its head with the status sent and error.type aborted', async () => {
    const collector = new MetricsCollector();
    const url = await serveWith(
      createServer(
        monitorRequestListener(
          (_req, res) => {
            res.writeHead(200, { 'content-type': 'text/plain' });
            res.write('partial');
          },
          collector,
          { route: () => '/stream' },
        ),
      ),
    );
    const controller = new AbortController();
    const response = await fetch(`${url}/stream`, { signal: controller.signal });
    expect(response.status).toBe(200);
    controller.abort();
    await eventually(() => total(collector), 1);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/stream', 200, 'aborted'), count: 1 },
    ]);
  });

  it('rethrows a synchronous exception unchanged and records its class', () => {
    const collector = new MetricsCollector();
    const failure = new SyntaxError('bad');
    const listener = monitorRequestListener(
      () => {
        throw failure;
      },
      collector,
      { route: () => '/sync' },
    );
    const req = new IncomingMessage(new Socket());
    req.method = 'GET';
    const res = new ServerResponse(req);
    expect(() => listener(req, res)).toThrow(failure);
    res.emit('close'); // what node:http emits when the connection goes
    return expect(requestCounts(collector)).resolves.toEqual([
      { attributes: noResponse('GET', '/sync', 'SyntaxError'), count: 1 },
    ]);
  });

  it('returns a rejected promise with the same error, so the caller still sees it', async () => {
    const collector = new MetricsCollector();
    const failure = new RangeError('late');
    const listener = monitorRequestListener(async () => {
      throw failure;
    }, collector);
    const req = new IncomingMessage(new Socket());
    req.method = 'POST';
    const res = new ServerResponse(req);
    await expect(listener(req, res)).rejects.toBe(failure);
    res.emit('close');
    expect(await requestCounts(collector)).toEqual([
      { attributes: noResponse('POST', undefined, 'RangeError'), count: 1 },
    ]);
  });

  it('serves the request and records it unmatched when the route function throws, warning once', async () => {
    const warnings: string[] = [];
    diagnostics.setLevel('warn');
    diagnostics.setSink({ error() {}, warn: (m) => warnings.push(m), info() {}, debug() {} });
    const collector = new MetricsCollector();
    const url = await serveWith(
      createServer(
        monitorRequestListener((_req, res) => res.end('ok'), collector, {
          route: () => {
            throw new Error('router bug');
          },
        }),
      ),
    );
    expect([(await fetch(url)).status, (await fetch(url)).status]).toEqual([200, 200]);
    await eventually(() => total(collector), 2);
    expect(await requestCounts(collector)).toEqual([{ attributes: series('GET', undefined, 200), count: 2 }]);
    expect(
      warnings.filter((w) => w.includes('DLM_HTTP_METRICS_FAILED') && w.includes('options.route')),
    ).toHaveLength(1);
  });

  it('keeps counting every request when a route function returns raw paths, within the cardinality limit', () => {
    const collector = new MetricsCollector({ cardinalityLimit: 50 });
    const listener = monitorRequestListener((_req, res) => res.end(), collector, { route: (req) => req.url });
    for (let i = 0; i < 2100; i++) {
      const req = new IncomingMessage(new Socket());
      req.method = 'GET';
      req.url = `/items/${i}`;
      const res = new ServerResponse(req);
      listener(req, res);
      res.emit('close');
    }
    return durationSeries(collector).then((all) => {
      expect(all.reduce((n, s) => n + s.count, 0)).toBe(2100);
      expect(all.length).toBe(51); // 50 series and the overflow series
      expect(all.at(-1)?.attributes).toEqual({ otel_metric_overflow: 'true' });
    });
  });
});

describe('monitorHttpServer', () => {
  it('records the requests of an existing server until stopped', async () => {
    const collector = new MetricsCollector();
    const server = createServer((req, res) => {
      res.statusCode = req.url === '/fail' ? 500 : 200;
      res.end();
    });
    const stop = monitorHttpServer(server, collector, {
      route: (req) =>
        req.url?.startsWith('/users/') ? '/users/:id' : req.url === '/fail' ? '/fail' : undefined,
    });
    const url = await serveWith(server);
    for (const path of ['/users/1', '/users/2', '/fail', '/other']) await (await fetch(url + path)).text();
    await eventually(() => total(collector), 4);
    stop();
    await (await fetch(`${url}/users/3`)).text();
    await sleep(20);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/fail', 500, '500'), count: 1 },
      { attributes: series('GET', '/users/:id', 200), count: 2 },
      { attributes: series('GET', undefined, 200), count: 1 },
    ]);
  });

  it('works for a server whose own listener is added after it, as with createServer(listener)', async () => {
    const collector = new MetricsCollector();
    const server = createServer();
    monitorHttpServer(server, collector, { ignore: (path) => path === '/healthz' });
    server.on('request', (_req, res) => res.end('late listener'));
    const url = await serveWith(server);
    expect(await (await fetch(`${url}/x`)).text()).toBe('late listener');
    await (await fetch(`${url}/healthz?full=1`)).text();
    await eventually(() => total(collector), 1);
    await sleep(20); // time for a wrongly recorded /healthz to show
    expect(await requestCounts(collector)).toEqual([{ attributes: series('GET', undefined, 200), count: 1 }]);
  });
});
