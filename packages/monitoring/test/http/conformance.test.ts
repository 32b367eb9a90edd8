// One suite, run against every adapter (Hono, Express, node:http): the same routes, the same
// requests over real HTTP, the same series expected in the collector.
import { captureRejectionSymbol, EventEmitter, once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { MetricsCollector } from '@datalineage/core';
import { serve } from '@hono/node-server';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  instrumentHono,
  monitorExpress,
  monitorExpressErrors,
  monitorHono,
  monitorRequestListener,
} from '../../src/http/index.js';
import {
  activeRequests,
  close,
  durationSeries,
  eventually,
  gate,
  listen,
  requestCounts,
  series,
  sleep,
} from './support.js';

interface Reply {
  status: number;
  body: string;
}

/** A route in the syntax all three share (`:name` parameters). Throwing is an exception. */
interface Route {
  method: string;
  path: string;
  handle: () => Reply | Promise<Reply>;
}

interface Running {
  url: string;
  /** Exceptions that reached the framework's own error handling. */
  errors: unknown[];
  close(): Promise<void>;
}

interface Implementation {
  name: string;
  start(collector: MetricsCollector, routes: Route[]): Promise<Running>;
}

const hono = (mode: 'monitorHono' | 'instrumentHono'): Implementation => ({
  name: `Hono (${mode}, @hono/node-server)`,
  async start(collector, routes) {
    const errors: unknown[] = [];
    const app = new Hono();
    if (mode === 'monitorHono') app.use(monitorHono(collector));
    else instrumentHono(app, collector);
    for (const route of routes) {
      app.on(route.method, route.path, async () => {
        const reply = await route.handle();
        return new Response(reply.body, { status: reply.status });
      });
    }
    app.onError((error, c) => {
      errors.push(error);
      return c.text('failed', 500);
    });
    const server = serve({ fetch: app.fetch, hostname: '127.0.0.1', port: 0 }) as Server;
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    return { url: `http://127.0.0.1:${port}`, errors, close: () => close(server) };
  },
});

type Register = (this: unknown, path: string, handler: RequestHandler) => unknown;

const expressImplementation: Implementation = {
  name: 'Express 5 (monitorExpress)',
  async start(collector, routes) {
    const errors: unknown[] = [];
    const app = express();
    app.use(monitorExpress(collector));
    for (const route of routes) {
      const register = (app as unknown as Record<string, Register>)[route.method.toLowerCase()];
      register?.call(app, route.path, async (_req, res) => {
        const reply = await route.handle();
        res.status(reply.status).send(reply.body);
      });
    }
    app.use(monitorExpressErrors());
    const onError: ErrorRequestHandler = (error, _req, res, _next) => {
      errors.push(error);
      res.status(500).send('failed');
    };
    app.use(onError);
    const server = createServer(app);
    return { url: await listen(server), errors, close: () => close(server) };
  },
};

const node: Implementation = {
  name: 'node:http (monitorRequestListener)',
  async start(collector, routes) {
    const errors: unknown[] = [];
    // The application's own routing, which the route option reuses.
    const table = routes.map((route) => ({
      route,
      pattern: new RegExp(`^${route.path.replace(/:[^/]+/g, '[^/]+')}$`),
    }));
    const find = (req: IncomingMessage) => {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      return table.find((entry) => entry.route.method === req.method && entry.pattern.test(path))?.route;
    };
    const listener = async (req: IncomingMessage, res: import('node:http').ServerResponse) => {
      const route = find(req);
      if (route === undefined) {
        res.statusCode = 404;
        res.end('not found');
        return;
      }
      const reply = await route.handle();
      res.statusCode = reply.status;
      res.end(reply.body);
    };
    // node:http's own error handling for async listeners: captureRejections, set at construction.
    EventEmitter.captureRejections = true;
    const server = createServer(
      monitorRequestListener(listener, collector, { route: (req) => find(req)?.path }),
    );
    EventEmitter.captureRejections = false;
    server[captureRejectionSymbol] = (error: unknown, _event: string, ...args: unknown[]) => {
      errors.push(error);
      const res = args[1] as import('node:http').ServerResponse;
      res.statusCode = 500;
      res.end('failed');
    };
    return { url: await listen(server), errors, close: () => close(server) };
  },
};

const implementations = [hono('monitorHono'), hono('instrumentHono'), expressImplementation, node];

const ok: Reply = { status: 200, body: 'ok' };
const baseRoutes: Route[] = [
  { method: 'GET', path: '/users/:id', handle: () => ok },
  { method: 'POST', path: '/users', handle: () => ({ status: 201, body: 'created' }) },
  {
    method: 'GET',
    path: '/boom',
    handle: () => {
      throw new TypeError('boom');
    },
  },
  { method: 'GET', path: '/unavailable', handle: () => ({ status: 503, body: 'later' }) },
  { method: 'PURGE', path: '/cache/:key', handle: () => ok },
];

interface Case {
  name: string;
  requests: Array<[method: string, path: string]>;
  statuses: number[];
  recorded: Array<{ attributes: Record<string, string>; count: number }>;
  /** Exceptions the framework's error handling should have received, by class name. */
  handled?: string[];
}

const cases: Case[] = [
  {
    name: 'labels /users/1, /users/2 and /users/3 with the template /users/:id, not their paths',
    requests: [
      ['GET', '/users/1'],
      ['GET', '/users/2'],
      ['GET', '/users/3'],
    ],
    statuses: [200, 200, 200],
    recorded: [{ attributes: series('GET', '/users/:id', 200), count: 3 }],
  },
  {
    name: 'records a path no route matches without http.route, never under the path',
    requests: [['GET', '/no/such/path']],
    statuses: [404],
    recorded: [{ attributes: series('GET', undefined, 404), count: 1 }],
  },
  {
    name: 'records a handler exception as a 500 with its class as error.type, after the framework handled it',
    requests: [['GET', '/boom']],
    statuses: [500],
    recorded: [{ attributes: series('GET', '/boom', 500, 'TypeError'), count: 1 }],
    handled: ['TypeError'],
  },
  {
    name: 'gives a 5xx answered without an exception its status code as error.type',
    requests: [['GET', '/unavailable']],
    statuses: [503],
    recorded: [{ attributes: series('GET', '/unavailable', 503, '503'), count: 1 }],
  },
  {
    name: 'records a method outside the known set as _OTHER',
    requests: [['PURGE', '/cache/home']],
    statuses: [200],
    recorded: [{ attributes: series('_OTHER', '/cache/:key', 200), count: 1 }],
  },
  {
    name: 'keeps methods and statuses in separate series',
    requests: [
      ['POST', '/users'],
      ['GET', '/users/7'],
      ['POST', '/users'],
    ],
    statuses: [201, 200, 201],
    recorded: [
      { attributes: series('GET', '/users/:id', 200), count: 1 },
      { attributes: series('POST', '/users', 201), count: 2 },
    ],
  },
];

/** Wait until the histogram holds `total` requests: node:http records when the response closes. */
async function settled(collector: MetricsCollector, total: number): Promise<void> {
  const sum = async () => (await requestCounts(collector)).reduce((n, s) => n + s.count, 0);
  await eventually(sum, total);
}

for (const implementation of implementations)
  describe(implementation.name, () => conformance(implementation));

function conformance(implementation: Implementation): void {
  for (const { name, requests, statuses, recorded, handled } of cases)
    it(name, async () => {
      const collector = new MetricsCollector();
      const server = await implementation.start(collector, baseRoutes);
      try {
        const got: number[] = [];
        for (const [method, path] of requests) {
          const response = await fetch(server.url + path, { method });
          await response.text();
          got.push(response.status);
        }
        expect(got).toEqual(statuses);
        await settled(collector, statuses.length);
        expect(await requestCounts(collector)).toEqual(recorded);
        expect(server.errors.map((error) => (error as Error).constructor.name)).toEqual(handled ?? []);
        for (const method of ['GET', 'POST', '_OTHER'])
          expect(await activeRequests(collector, method)).toBe(0);
      } finally {
        await server.close();
      }
    });

  it('counts a slow request in flight while it runs, and none once it is answered', async () => {
    const collector = new MetricsCollector();
    const slow = gate();
    let entered = (): void => {};
    const inside = new Promise<void>((resolve) => {
      entered = resolve;
    });
    const routes: Route[] = [
      {
        method: 'GET',
        path: '/slow',
        handle: async () => {
          entered();
          await slow.wait;
          return ok;
        },
      },
    ];
    const server = await implementation.start(collector, routes);
    try {
      const pending = fetch(`${server.url}/slow`).then((response) => response.text());
      await inside;
      expect(await activeRequests(collector, 'GET')).toBe(1);
      slow.open();
      expect(await pending).toBe('ok');
      expect(await eventually(() => activeRequests(collector, 'GET'), 0)).toBe(0);
      await settled(collector, 1);
      expect(await requestCounts(collector)).toEqual([{ attributes: series('GET', '/slow', 200), count: 1 }]);
    } finally {
      slow.open();
      await server.close();
    }
  });

  it('times a handler that sleeps 60 ms above the 0.05 s bucket and well under a second', async () => {
    const collector = new MetricsCollector();
    const routes: Route[] = [
      {
        method: 'GET',
        path: '/sleep',
        handle: async () => {
          await sleep(60);
          return ok;
        },
      },
    ];
    const server = await implementation.start(collector, routes);
    try {
      await (await fetch(`${server.url}/sleep`)).text();
      await settled(collector, 1);
      const [only] = await durationSeries(collector);
      expect(only?.count).toBe(1);
      expect(only?.sum).toBeGreaterThanOrEqual(0.05);
      expect(only?.sum).toBeLessThan(1);
      const atOrBelow50ms = (only?.buckets ?? [])
        .filter((b) => b.le <= 0.05)
        .reduce((n, b) => n + b.count, 0);
      expect(atOrBelow50ms).toBe(0);
      expect(only?.buckets.map((b) => b.le)).toEqual([
        0.005,
        0.01,
        0.025,
        0.05,
        0.075,
        0.1,
        0.25,
        0.5,
        0.75,
        1,
        2.5,
        5,
        7.5,
        10,
        Number.POSITIVE_INFINITY,
      ]);
    } finally {
      await server.close();
    }
  });
}
