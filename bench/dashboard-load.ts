// `npm run bench:dashboard`: the dashboard under load. One process records measurements as fast
// as a target rate asks (100,000/s by default) from several async tasks, while 50 concurrent
// clients call /api/status and /metrics on 127.0.0.1 for 20 seconds. Prints the recording rate
// reached, requests served, errors, and p50/p99 latency per route, and the page's payload size.
import { mkdirSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { loadAssets, payloadSize } from '../packages/dashboard/src/index.js';
import { setupMonitoring } from '../packages/monitoring/src/index.js';

const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const TARGET_RATE = Number(process.env.BENCH_RATE ?? 100_000);
const RECORDERS = 4;

const monitoring = setupMonitoring({
  serviceName: 'dashboard-load',
  handleSignals: false,
  dashboard: { port: 0, sampleInterval: 1 },
  alerts: { enabled: false },
});
const collector = monitoring.metricsCollector;
const requests = collector.counter('load.requests', { labelNames: ['route', 'status'] });
const handles = Array.from({ length: 20 }, (_, i) =>
  requests.bind({ route: `/r${i % 5}`, status: i % 7 === 0 ? '500' : '200' }),
);
await monitoring.start();
const base = monitoring.dashboardAddress as string;

let recorded = 0;
let running = true;
const started = performance.now();
/**
 * Each recorder keeps to its share of the target rate: every time it wakes (about every 10 ms,
 * later when the loop is busy serving) it records what it owes since the start.
 */
async function recorder(id: number): Promise<void> {
  const share = TARGET_RATE / RECORDERS;
  let mine = 0;
  while (running) {
    const owed = Math.floor((share * (performance.now() - started)) / 1000) - mine;
    const before = mine;
    // Three measurements per step: a counter, a gauge and a histogram.
    for (let i = 0; i < owed / 3; i++) {
      (handles[(i + id) % handles.length] as (typeof handles)[number]).inc();
      collector.setGauge('load.queue', i, { recorder: String(id) });
      collector.recordHistogram('load.latency', (i % 100) / 1000);
      mine += 3;
    }
    recorded += mine - before;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const latencies: Record<string, number[]> = { '/api/status': [], '/metrics': [] };
let errors = 0;
async function client(id: number): Promise<void> {
  const route = id % 2 === 0 ? '/api/status' : '/metrics';
  while (running) {
    const t0 = performance.now();
    try {
      const response = await fetch(`${base}${route}`);
      await response.arrayBuffer();
      if (response.status !== 200) errors++;
    } catch {
      errors++;
    }
    latencies[route]?.push(performance.now() - t0);
  }
}

const loop = monitorEventLoopDelay({ resolution: 10 });
loop.enable();
const tasks = [
  ...Array.from({ length: RECORDERS }, (_, i) => recorder(i)),
  ...Array.from({ length: CLIENTS }, (_, i) => client(i)),
];
await new Promise((resolve) => setTimeout(resolve, SECONDS * 1000));
running = false;
await Promise.all(tasks);
loop.disable();
const elapsed = (performance.now() - started) / 1000;
await monitoring.shutdown();

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};
const { raw, gzip } = payloadSize(loadAssets());
const results = {
  date: new Date().toISOString(),
  node: process.version,
  clients: CLIENTS,
  seconds: Math.round(elapsed),
  measurementsPerSecond: Math.round(recorded / elapsed),
  errors,
  routes: Object.fromEntries(
    Object.entries(latencies).map(([route, values]) => [
      route,
      { requests: values.length, p50: quantile(values, 0.5), p99: quantile(values, 0.99) },
    ]),
  ),
  eventLoopDelayP99Ms: loop.percentile(99) / 1e6,
  payload: { raw, gzip },
};
console.log(
  `${CLIENTS} clients for ${results.seconds} s while recording ${results.measurementsPerSecond.toLocaleString('en')} measurements/s (target ${TARGET_RATE.toLocaleString('en')}): ${errors} errors`,
);
for (const [route, r] of Object.entries(results.routes)) {
  console.log(
    `  ${route.padEnd(12)} ${r.requests.toLocaleString('en')} requests, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms`,
  );
}
console.log(`  event-loop delay p99 ${results.eventLoopDelayP99Ms.toFixed(1)} ms`);
console.log(`page payload (JS + CSS): ${raw.toLocaleString('en')} B, ${gzip.toLocaleString('en')} B gzipped`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(new URL('./results/dashboard.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
