// monitorExpress beyond the shared suite: mounted routers, Express' default error handling,
// parameterised mounts and the options — over real HTTP.
import { createServer, type Server } from 'node:http';
import { MetricsCollector } from '@datalineage/core';
import express, { type Express, Router } from 'express';
import { afterEach, describe, expect, it } from 'vitest';
import { type ExpressMetricsOptions, monitorExpress } from '../../src/http/index.js';
import { activeRequests, close, eventually, listen, requestCounts, series } from './support.js';

let servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.map(close));
  servers = [];
});

async function start(routes: (app: Express) => void, options?: ExpressMetricsOptions) {
  const collector = new MetricsCollector();
  const app = express();
  app.set('env', 'test'); // Express' default error handler then answers without logging
  app.use(monitorExpress(collector, options));
  routes(app);
  const server = createServer(app);
  servers.push(server);
  const url = await listen(server);
  let sent = 0;
  const get = async (path: string) => {
    const response = await fetch(url + path);
    await response.text();
    sent++;
    return response.status;
  };
  /** The series once every request sent has been recorded (that happens as the response closes). */
  const recorded = async (total = sent) => {
    await eventually(async () => (await requestCounts(collector)).reduce((n, s) => n + s.count, 0), total);
    return requestCounts(collector);
  };
  return { collector, get, recorded };
}

describe('monitorExpress', () => {
  it('joins a mounted router’s base path and its route template', async () => {
    const { get, recorded } = await start((app) => {
      const api = Router();
      api.get('/items/:id', (_req, res) => {
        res.send('item');
      });
      api.get('/', (_req, res) => {
        res.send('index');
      });
      app.use('/api', api);
    });
    expect([await get('/api/items/1'), await get('/api/items/2'), await get('/api')]).toEqual([
      200, 200, 200,
    ]);
    expect(await recorded()).toEqual([
      { attributes: series('GET', '/api', 200), count: 1 },
      { attributes: series('GET', '/api/items/:id', 200), count: 2 },
    ]);
  });

  it('records the 500 of Express’ default error handler with the status code as error.type', async () => {
    const { collector, get, recorded } = await start((app) => {
      app.get('/boom', () => {
        throw new Error('boom');
      });
    });
    expect(await get('/boom')).toBe(500);
    expect(await recorded()).toEqual([{ attributes: series('GET', '/boom', 500, '500'), count: 1 }]);
    expect(await activeRequests(collector, 'GET')).toBe(0);
  });

  it('leaves a 404 from a missing route unmatched even under a mounted router', async () => {
    const { get, recorded } = await start((app) => {
      const api = Router();
      api.get('/items/:id', (_req, res) => {
        res.send('item');
      });
      app.use('/api', api);
    });
    expect(await get('/api/nothing/here')).toBe(404);
    expect(await recorded()).toEqual([{ attributes: series('GET', undefined, 404), count: 1 }]);
  });

  it('shows the values of a parameterised mount path by default, which the route option is for', async () => {
    const { get, recorded } = await start((app) => {
      const org = Router();
      org.get('/members/:member', (_req, res) => {
        res.send('member');
      });
      app.use('/orgs/:org', org);
    });
    expect(await get('/orgs/1/members/a')).toBe(200);
    // Express gives req.baseUrl as matched; the route template's own parameters stay templated.
    expect(await recorded()).toEqual([
      { attributes: series('GET', '/orgs/1/members/:member', 200), count: 1 },
    ]);
  });

  it('takes the route from the route option, for a router mounted on a parameterised path', async () => {
    const { get, recorded } = await start(
      (app) => {
        const org = Router({ mergeParams: true });
        org.get('/members/:member', (_req, res) => {
          res.send('member');
        });
        app.use('/orgs/:org', org);
      },
      { route: (req) => (req.route ? `/orgs/:org${String(req.route.path)}` : undefined) },
    );
    expect([await get('/orgs/1/members/a'), await get('/orgs/2/members/b')]).toEqual([200, 200]);
    expect(await recorded()).toEqual([
      { attributes: series('GET', '/orgs/:org/members/:member', 200), count: 2 },
    ]);
  });

  it('skips what ignore matches, with the full path even inside a mount', async () => {
    const { get, recorded } = await start(
      (app) => {
        app.get('/metrics', (_req, res) => {
          res.send('# metrics');
        });
        app.get('/users/:id', (_req, res) => {
          res.send('user');
        });
      },
      { ignore: (path) => path === '/metrics' },
    );
    expect([await get('/metrics'), await get('/users/1')]).toEqual([200, 200]);
    expect(await recorded(1)).toEqual([{ attributes: series('GET', '/users/:id', 200), count: 1 }]);
  });
});
