// `npm run soak` (after the 2-minute load test): ten minutes at a steady mix — metrics whose label
// sets churn (ten new users a second, under a cardinality limit, idle series expired after 30 s; a minute of chart history),
// 10,000 logs a second into a bounded store, an alert flapping every five seconds with its
// notices delivered to a local webhook, and a dashboard client polling — sampling the heap after a
// full GC every ten seconds. Prints the heap's slope after the first minute (the target is under
// 1 MB per minute) and writes bench/results/soak.json. SOAK_MINUTES shortens or lengthens it.
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapSpaceStatistics } from 'node:v8';
import { setupMonitoring } from '../packages/monitoring/src/index.js';

const MINUTES = Number(process.env.SOAK_MINUTES ?? 10);
const LOGS_PER_SECOND = 10_000;
const SAMPLE_EVERY_MS = 10_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc (npm run soak does)');

let notices = 0;
const webhook = createServer((request, response) => {
  request.resume();
  request.on('end', () => {
    notices++;
    response.end('ok');
  });
});
webhook.listen(0, '127.0.0.1');
await once(webhook, 'listening');

const monitoring = setupMonitoring({
  serviceName: 'soak',
  handleSignals: false,
  dashboard: { port: 0, sampleInterval: 1 },
  metrics: { cardinalityLimit: 500, idleSeriesExpiry: 30, cleanupInterval: 10, retentionPeriod: 60 },
  logs: { maxEntries: 200_000, cleanupInterval: 10 },
  alerts: {
    evaluationInterval: 1,
    groupWait: 0,
    groupInterval: 1,
    channels: [{ type: 'webhook', url: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/` }],
    rules: [{ name: 'flapping', metricName: 'soak.flag', condition: 'gt', threshold: 0.5, minDuration: 0 }],
  },
});
const collector = monitoring.metricsCollector;
await monitoring.start();
const base = monitoring.dashboardAddress as string;

const started = Date.now();
const deadline = started + MINUTES * 60_000;
let logs = 0;
let measurements = 0;
let requests = 0;
let requestErrors = 0;

// Metrics and logs, every 10 ms: the log lines owed at 10,000/s, and counters for users that come and go.
const work = setInterval(() => {
  const second = Math.floor((Date.now() - started) / 1000);
  const owed = Math.floor(((Date.now() - started) * LOGS_PER_SECOND) / 1000) - logs;
  for (let i = 0; i < owed; i++) {
    monitoring.logAggregator.addLog({
      level: i % 20 === 0 ? 'error' : 'info',
      message: `request ${logs} for user ${second * 10 + (i % 10)} done`,
      loggerName: `soak.${i % 8}`,
      extraData: { n: logs, user: second * 10 + (i % 10) },
    });
    logs++;
  }
  for (let i = 0; i < 20; i++) {
    collector.increment('soak.requests', { user: String(second * 10 + (i % 10)), route: `/r${i % 4}` });
    collector.recordHistogram('soak.latency', (i % 50) / 1000, { route: `/r${i % 4}` });
    collector.recordSummary('soak.size', i * 10);
    measurements += 3;
  }
}, 10);
// The alert's metric flips every five seconds.
const flap = setInterval(() => {
  collector.setGauge('soak.flag', Math.floor((Date.now() - started) / 5000) % 2);
}, 250);
// A dashboard user.
const poll = setInterval(async () => {
  for (const route of ['/api/status', '/api/metrics', '/api/alerts', '/api/logs?min_level=ERROR&limit=20']) {
    try {
      const response = await fetch(`${base}${route}`);
      await response.arrayBuffer();
      requests++;
      if (response.status !== 200) requestErrors++;
    } catch {
      requestErrors++;
    }
  }
}, 1000);

const delay = monitorEventLoopDelay({ resolution: 10 });
delay.enable();
const samples: Array<{ minute: number; heapMb: number; codeMb: number }> = [];
/** V8's compiled code: it grows while the JIT warms up, which is not the SDK's data. */
const codeMb = () =>
  getHeapSpaceStatistics()
    .filter((space) => space.space_name.startsWith('code'))
    .reduce((sum, space) => sum + space.space_used_size, 0) /
  2 ** 20;
while (Date.now() < deadline) {
  await new Promise((resolve) => setTimeout(resolve, SAMPLE_EVERY_MS));
  gc();
  const heapMb = process.memoryUsage().heapUsed / 2 ** 20;
  const minute = (Date.now() - started) / 60_000;
  samples.push({ minute, heapMb, codeMb: codeMb() });
  const s = monitoring.getMonitoringStatus();
  console.log(
    `${minute.toFixed(1).padStart(5)} min  heap ${heapMb.toFixed(1)} MB (code ${codeMb().toFixed(2)})  series ${s.metricsCollector.seriesCount}  expired ${s.metricsCollector.expiredSeries}  logs stored ${s.logAggregator.entries}  alerts ${JSON.stringify(s.alertManager.alerts)}  notices ${notices}`,
  );
}
clearInterval(work);
clearInterval(flap);
clearInterval(poll);
delay.disable();

/** Least-squares slope of heap (MB) over time (minutes). */
function slope(points: ReadonlyArray<{ minute: number; heapMb: number }>): number {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p.minute, 0) / n;
  const my = points.reduce((a, p) => a + p.heapMb, 0) / n;
  const num = points.reduce((a, p) => a + (p.minute - mx) * (p.heapMb - my), 0);
  const den = points.reduce((a, p) => a + (p.minute - mx) ** 2, 0);
  return num / den;
}
const steady = samples.filter((sample) => sample.minute >= 1);
const status = monitoring.getMonitoringStatus();
const results = {
  date: new Date().toISOString(),
  node: process.version,
  minutes: MINUTES,
  logsPerSecond: Math.round(logs / ((Date.now() - started) / 1000)),
  measurements,
  heapMb: {
    first: samples[0]?.heapMb,
    last: samples.at(-1)?.heapMb,
    max: Math.max(...samples.map((s) => s.heapMb)),
  },
  heapSlopeMbPerMinute: steady.length >= 3 ? slope(steady) : Number.NaN,
  /** The same slope without V8's code spaces (JIT warm-up). */
  dataSlopeMbPerMinute:
    steady.length >= 3
      ? slope(steady.map((s) => ({ minute: s.minute, heapMb: s.heapMb - s.codeMb })))
      : Number.NaN,
  series: status.metricsCollector.seriesCount,
  expiredSeries: status.metricsCollector.expiredSeries,
  droppedMeasurements: status.metricsCollector.droppedByReason,
  logsStored: status.logAggregator.entries,
  logsEvicted: status.logAggregator.evicted,
  alertNotices: notices,
  dashboardRequests: requests,
  dashboardErrors: requestErrors,
  eventLoopDelayP99Ms: delay.percentile(99) / 1e6,
  samples,
};
await monitoring.shutdown();
webhook.close();
console.log(
  `soak: ${MINUTES} min, ${results.logsPerSecond.toLocaleString('en')} logs/s, heap ${results.heapMb.first?.toFixed(1)} → ${results.heapMb.last?.toFixed(1)} MB, ` +
    `slope after the first minute ${results.heapSlopeMbPerMinute.toFixed(3)} MB/min (target < 1; ${results.dataSlopeMbPerMinute.toFixed(3)} without V8's compiled code), ` +
    `${results.expiredSeries} series expired, ${results.alertNotices} alert notices, ${requestErrors} dashboard errors, event-loop delay p99 ${results.eventLoopDelayP99Ms.toFixed(1)} ms`,
);
writeFileSync(new URL('./results/soak.json', import.meta.url), `${JSON.stringify(results, null, 2)}\n`);
if (!(results.heapSlopeMbPerMinute < 1) || requestErrors > 0) process.exitCode = 1;
