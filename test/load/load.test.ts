// Load: the application (test/fixtures/load-app.ts, its own process) records as fast as its
// event loop lets it from four async tasks and logs a line per burst, while 50 concurrent clients
// use the dashboard (status, metric history, log search, alerts, /metrics) and a real Prometheus
// scrapes /metrics every second with a one-second scrape timeout. LOAD_SECONDS sets the length:
// 20 s in `npm test`, 120 s in `npm run soak`. Passes when no request fails, no scrape fails or
// takes a second, and nothing is dropped; prints the figures (and writes .tmp/load.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startNodeScript } from '../support/processes.js';
import { type PrometheusServer, startPrometheus } from '../support/prometheus.js';

const SECONDS = Number(process.env.LOAD_SECONDS ?? 20);
const CLIENTS = 50;
const ROUTES = [
  '/api/status',
  '/metrics',
  '/api/metrics',
  '/api/metrics/load.requests/series',
  '/api/logs?min_level=WARNING&contains=burst&limit=50',
  '/api/alerts',
  '/',
];

let prometheus: PrometheusServer | undefined;
afterAll(() => prometheus?.stop());

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

describe(`load: ${CLIENTS} dashboard clients and a 1 s Prometheus scrape for ${SECONDS} s`, () => {
  it(
    'serves every request and every scrape within a second while the app records at full speed',
    async () => {
      const port = await freePort();
      const app = await startNodeScript('test/fixtures/load-app.ts', {
        env: { DASHBOARD_PORT: String(port) },
        ready: '"ready"',
      });
      try {
        const base = `http://127.0.0.1:${port}`;
        prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
        await prometheus.waitForQuery('up{job="app"}', (r) => r[0]?.value === 1, 20_000);

        const latencies = new Map<string, number[]>(ROUTES.map((route) => [route, []]));
        const failures: string[] = [];
        let running = true;
        const client = async (id: number) => {
          for (let n = id; running; n++) {
            const route = ROUTES[n % ROUTES.length] as string;
            const t0 = performance.now();
            try {
              const response = await fetch(`${base}${route}`);
              await response.arrayBuffer();
              if (response.status !== 200) failures.push(`${route}: ${response.status}`);
            } catch (error) {
              failures.push(`${route}: ${String(error)}`);
            }
            latencies.get(route)?.push(performance.now() - t0);
          }
        };
        const startedAt = Date.now();
        const clients = Array.from({ length: CLIENTS }, (_, i) => client(i));
        await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
        running = false;
        await Promise.all(clients);
        const window = `${Math.ceil((Date.now() - startedAt) / 1000)}s`;

        // Prometheus' view of the same window: every scrape succeeded, none took a second.
        const scrapes = await prometheus.query(`count_over_time(up{job="app"}[${window}])`);
        const down = await prometheus.query(`count_over_time((up{job="app"} == 0)[${window}:1s])`);
        const slowest = await prometheus.query(
          `max_over_time(scrape_duration_seconds{job="app"}[${window}])`,
        );
        const targets = await prometheus.targets();

        app.signal('SIGTERM');
        expect((await app.exit).code, app.output()).toBe(0);
        const line = app.output().trim().split('\n').at(-1) as string;
        const figures = JSON.parse(line) as {
          measurementsPerSecond: number;
          logsPerSecond: number;
          eventLoopDelayMs: { p50: number; p99: number; max: number };
          droppedMeasurements: number;
          alertEvaluations: number;
          alertEvaluationErrors: number;
        };
        const results = {
          date: new Date().toISOString(),
          node: process.version,
          seconds: SECONDS,
          clients: CLIENTS,
          requests: [...latencies.values()].reduce((n, values) => n + values.length, 0),
          failures: failures.length,
          routes: Object.fromEntries(
            [...latencies].map(([route, values]) => [
              route,
              { requests: values.length, p50Ms: quantile(values, 0.5), p99Ms: quantile(values, 0.99) },
            ]),
          ),
          scrapes: scrapes[0]?.value,
          slowestScrapeSeconds: slowest[0]?.value,
          ...figures,
        };
        console.log(JSON.stringify(results, null, 2));
        mkdirSync('.tmp', { recursive: true });
        writeFileSync('.tmp/load.json', `${JSON.stringify(results, null, 2)}\n`);

        expect(failures.slice(0, 5)).toEqual([]);
        for (const [route, values] of latencies) expect(values.length, route).toBeGreaterThan(0);
        expect(
          targets.every((t) => t.health === 'up'),
          JSON.stringify(targets),
        ).toBe(true);
        expect(scrapes[0]?.value).toBeGreaterThanOrEqual(SECONDS - 2);
        expect(down).toEqual([]);
        expect(slowest[0]?.value).toBeLessThan(1);
        expect(figures.droppedMeasurements).toBe(0);
        expect(figures.alertEvaluations).toBeGreaterThanOrEqual(SECONDS - 2);
        expect(figures.alertEvaluationErrors).toBe(0);
        expect(figures.measurementsPerSecond).toBeGreaterThan(10_000);
      } finally {
        app.signal('SIGKILL'); // no-op once it has exited
      }
    },
    (SECONDS + 90) * 1000,
  );
});
