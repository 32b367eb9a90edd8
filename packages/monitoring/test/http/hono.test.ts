// monitorHono and instrumentHono beyond the shared suite: sub-apps, middleware that answers early,
// Hono's own error paths, and the options — over real HTTP through @hono/node-server. Both ways
// of instrumenting run the same cases; what only instrumentHono does follows.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { MetricsCollector } from '@datalineage/core';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { LinearRouter } from 'hono/router/linear-router';
import { PatternRouter } from 'hono/router/pattern-router';
import type { H, RouterRoute } from 'hono/types';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpMetricsOptions, instrumentHono, monitorHono } from '../../src/http/index.js';
import { activeRequests, close, requestCounts, series } from './support.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map(close));
  servers = [];
});

/** A way to put the metrics on an app before its routes are added. */
type Monitor = (app: Hono, collector: MetricsCollector, options?: HttpMetricsOptions) => void;
const modes: Array<[string, Monitor]> = [
  ['monitorHono', (app, collector, options) => app.use(monitorHono(collector, options))],
  ['instrumentHono', (app, collector, options) => instrumentHono(app, collector, options)],
];

/** An app monitored first; `routes` adds the rest. Returns a fetch for paths. */
async function start(monitor: Monitor, routes: (app: Hono) => void, options?: HttpMetricsOptions) {
  const collector = new MetricsCollector();
  const app = new Hono();
  monitor(app, collector, options);
  routes(app);
  // Global Request/Response stay Node's own: node-server's lightweight Response cannot take a
  // HEAD answer (hono-base builds `new Response(null, getResponse)`), with or without metrics.
  const server = serve({
    fetch: app.fetch,
    hostname: '127.0.0.1',
    port: 0,
    overrideGlobalObjects: false,
  }) as Server;
  servers.push(server);
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const get = async (path: string, init?: RequestInit) => {
    const response = await fetch(`http://127.0.0.1:${port}${path}`, init);
    await response.text();
    return response.status;
  };
  return { collector, get };
}

describe.each(modes)('%s', (_name, monitor) => {
  it('labels a sub-app route with its full pattern', async () => {
    const { collector, get } = await start(monitor, (app) => {
      const api = new Hono();
      api.get('/items/:id', (c) => c.text('item'));
      app.route('/api', api);
    });
    expect([await get('/api/items/1'), await get('/api/items/2')]).toEqual([200, 200]);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/api/items/:id', 200), count: 2 },
    ]);
  });

  it('credits a middleware that answers early to the route it guards, and leaves unguarded misses unmatched', async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.use('/admin/*', async (c, next) => {
        if (c.req.header('authorization') === undefined) return c.text('no', 401);
        await next();
      });
      app.get('/admin/stats', (c) => c.text('stats'));
    });
    expect(await get('/admin/stats')).toBe(401);
    expect(await get('/admin/nothing-here')).toBe(401);
    expect(await get('/admin/stats', { headers: { authorization: 'x' } })).toBe(200);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/admin/stats', 200), count: 1 },
      { attributes: series('GET', '/admin/stats', 401), count: 1 },
      { attributes: series('GET', undefined, 401), count: 1 },
    ]);
  });

  it('treats a catch-all handler as a route, and a custom notFound as unmatched', async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.get('/users/:id', (c) => c.text('user'));
      app.get('/files/*', (c) => c.text('file'));
      app.notFound((c) => c.text('gone', 404));
    });
    expect([await get('/users/1'), await get('/files/a/b.txt'), await get('/elsewhere')]).toEqual([
      200, 200, 404,
    ]);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/files/*', 200), count: 1 },
      { attributes: series('GET', '/users/:id', 200), count: 1 },
      { attributes: series('GET', undefined, 404), count: 1 },
    ]);
  });

  it('records the status an HTTPException chose, without error.type below 500', async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.get('/private', () => {
        throw new HTTPException(403, { message: 'forbidden' });
      });
    });
    expect(await get('/private')).toBe(403);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/private', 403), count: 1 },
    ]);
  });

  it('records a throw that onError does not handle as a 500 and lets it through unchanged', async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.get('/odd', () => {
        throw 'not an Error'; // Hono's compose rethrows non-Errors; node-server answers 500
      });
    });
    expect(await get('/odd')).toBe(500);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/odd', 500, '_OTHER'), count: 1 },
    ]);
    expect(await activeRequests(collector, 'GET')).toBe(0);
  });

  it('records an onError that answers a thrown Error with a 4xx as that status', async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.get('/input', () => {
        throw new RangeError('bad input');
      });
      app.onError((_error, c) => c.text('bad', 400));
    });
    expect(await get('/input')).toBe(400);
    expect(await requestCounts(collector)).toEqual([{ attributes: series('GET', '/input', 400), count: 1 }]);
  });

  it('skips what ignore matches, in the histogram and in flight', async () => {
    const { collector, get } = await start(
      monitor,
      (app) => {
        app.get('/healthz', (c) => c.text('ok'));
        app.get('/users/:id', (c) => c.text('user'));
      },
      { ignore: (path) => path === '/healthz' },
    );
    expect([await get('/healthz'), await get('/healthz?probe=1'), await get('/users/1')]).toEqual([
      200, 200, 200,
    ]);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/users/:id', 200), count: 1 },
    ]);
  });

  it('labels unmatched requests with unmatchedRoute when one is given', async () => {
    const { collector, get } = await start(monitor, () => {}, { unmatchedRoute: 'unmatched' });
    expect(await get('/wp-admin/setup.php')).toBe(404);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', 'unmatched', 404), count: 1 },
    ]);
  });

  it('fails at setup, naming the option, on a bad option', () => {
    const collector = new MetricsCollector();
    expect(() => monitor(new Hono(), collector, { ignore: '/metrics' as never })).toThrow(/options\.ignore/);
    expect(() => monitor(new Hono(), collector, { knownMethods: ['GET', ''] })).toThrow(
      /options\.knownMethods/,
    );
  });

  it('fails at setup when the metric is already defined differently', () => {
    const collector = new MetricsCollector();
    collector.histogram('http.server.request.duration', { unit: 'ms' });
    expect(() => monitor(new Hono(), collector)).toThrow(/http\.server\.request\.duration/);
  });

  it("keeps two routes apart when a handler calls the app's own fetch", async () => {
    const { collector, get } = await start(monitor, (app) => {
      app.get('/items/:id', (c) => c.text(`item ${c.req.param('id')}`));
      app.get('/summary', () => app.fetch(new Request('http://127.0.0.1/items/1')));
    });
    expect(await get('/summary')).toBe(200);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/items/:id', 200), count: 1 },
      { attributes: series('GET', '/summary', 200), count: 1 },
    ]);
  });

  it('shares the instruments between two apps on one collector', async () => {
    const collector = new MetricsCollector();
    const first = new Hono();
    const second = new Hono();
    monitor(first, collector);
    monitor(second, collector);
    first.get('/a', (c) => c.text('a'));
    second.get('/b', (c) => c.text('b'));
    await first.request('/a');
    await second.request('/b');
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/a', 200), count: 1 },
      { attributes: series('GET', '/b', 200), count: 1 },
    ]);
  });
});

describe('instrumentHono only', () => {
  it("keeps Hono's synchronous path: a synchronous handler's response comes back as it is", () => {
    const collector = new MetricsCollector();
    const app = instrumentHono(new Hono(), collector).get('/sync', (c) => c.text('now'));
    const result = app.fetch(new Request('http://127.0.0.1/sync'));
    expect(result).toBeInstanceOf(Response);
  });

  it('records HEAD under its own method and the GET route Hono answers it with', async () => {
    const { collector, get } = await start(instrumentHono as Monitor, (app) => {
      app.get('/users/:id', (c) => c.text('user'));
    });
    expect(await get('/users/3', { method: 'HEAD' })).toBe(200);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('HEAD', '/users/:id', 200), count: 1 },
    ]);
  });

  it("learns error.type through an onError installed after it, and keeps that handler's answer", async () => {
    const { collector, get } = await start(instrumentHono as Monitor, (app) => {
      app.get('/boom', () => {
        throw new TypeError('broken');
      });
      app.onError((_error, c) => c.text('sorry', 503));
    });
    expect(await get('/boom')).toBe(503);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/boom', 503, 'TypeError'), count: 1 },
    ]);
  });

  it.each([
    ['LinearRouter', () => new LinearRouter<[H, RouterRoute]>()],
    ['PatternRouter', () => new PatternRouter<[H, RouterRoute]>()],
  ])('finds the route with %s as well', async (_name, router) => {
    const collector = new MetricsCollector();
    const app = instrumentHono(new Hono({ router: router() }), collector);
    app.get('/users/:id', (c) => c.text('user'));
    expect((await app.request('/users/9')).status).toBe(200);
    expect((await app.request('/nowhere')).status).toBe(404);
    expect(await requestCounts(collector)).toEqual([
      { attributes: series('GET', '/users/:id', 200), count: 1 },
      { attributes: series('GET', undefined, 404), count: 1 },
    ]);
  });

  it('refuses to instrument an app twice, and anything that is not a Hono app', () => {
    const collector = new MetricsCollector();
    const app = instrumentHono(new Hono(), collector);
    expect(() => instrumentHono(app, collector)).toThrow(/already instrumented/);
    expect(() => instrumentHono({} as Hono, collector)).toThrow(/must be a Hono app/);
  });
});
