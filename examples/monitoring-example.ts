// The main example: a small lineage service with monitoring on. Serves the dashboard and
// `/metrics` on 127.0.0.1:8080 (DATALINEAGE_DASHBOARD_PORT moves it), and the service's own small
// HTTP API on 127.0.0.1:8081, its requests measured by instrumentHono; Ctrl-C stops it cleanly.
// Its configuration is examples/monitoring-config.yaml (DATALINEAGE_CONFIG_FILE names another):
// every exporter of the guide — Pushgateway, InfluxDB, Elasticsearch, OTLP — is listed there, off,
// and is turned on with `enabled: true`.
//
// Environment knobs for demos and tests:
//   EXAMPLE_SEED=42            workload seed (same seed, same operations)
//   EXAMPLE_MAX_OPERATIONS=N   stop generating work after N operations, keep serving
//   EXAMPLE_RATE=50            operations per second
//   EXAMPLE_ALERT_MIN_DURATION=60  seconds high_error_rate must hold before it fires
//   EXAMPLE_SMTP_HOST / EXAMPLE_SMTP_PORT  an SMTP server (a local sink) for alert mail; off without them
//   EXAMPLE_ALERT_EMAIL=ops@example.com    who gets it
//   EXAMPLE_API_PORT=8081      the API's port (0: any free one)

import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  AlertChannel,
  AlertCondition,
  AlertSeverity,
  LogLevel,
  LogSource,
  type Notification,
  setupMonitoring,
} from '@datalineage/monitoring';
import { instrumentHono } from '@datalineage/monitoring/http';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { CircuitBreaker, HealthChecker, RoundRobinBalancer } from './integrations/infrastructure.js';
import { ExampleLineageTracker } from './integrations/lineage-tracker.js';
import { type PlannedOperation, planOperation } from './lineage-workload.js';

const seed = Number(process.env.EXAMPLE_SEED ?? 42);
const maxOperations = Number(process.env.EXAMPLE_MAX_OPERATIONS ?? Number.POSITIVE_INFINITY);
const rate = Number(process.env.EXAMPLE_RATE ?? 50);

const monitoring = setupMonitoring({
  serviceName: 'lineage-example',
  configFile: fileURLToPath(new URL('./monitoring-config.yaml', import.meta.url)),
});
const collector = monitoring.metricsCollector;

// Explicit definitions give help text, units and buckets; the by-name calls below find them.
collector.counter('operations.total', {
  description: 'Lineage operations processed, by type and stage.',
  labelNames: ['type', 'stage'],
});
collector.counter('errors.total', { description: 'Lineage operations that failed.', labelNames: ['stage'] });
collector.histogram('request.size', {
  description: 'Size of the data each operation handled.',
  unit: 'By',
  buckets: [256, 1024, 4096, 16384, 65536, 262144, 1048576],
});
collector.summary('lineage.latency', {
  description: 'Time to resolve the lineage of a dataset (simulated).',
  unit: 's',
});
collector.gauge('queue.size', { description: 'Operations waiting in the current batch.' });
collector.gauge('lineage.datasets', { description: 'Distinct datasets seen so far.' });
collector.gauge('memory.usage', {
  description: 'Heap used by the process, as a share of the heap total.',
  unit: '1',
  collect: () => {
    const { heapUsed, heapTotal } = process.memoryUsage();
    collector.setGauge('memory.usage', heapUsed / heapTotal);
  },
});

// The guide's alert rule: more than 10 errors within 5 minutes, held for a minute.
const alerts = monitoring.alertManager;
alerts.addRule({
  name: 'high_error_rate',
  condition: AlertCondition.GREATER_THAN,
  threshold: 10.0,
  metricName: 'errors.total',
  severity: AlertSeverity.CRITICAL,
  description: 'Error rate is too high',
  evaluationPeriod: 300,
  minDuration: Number(process.env.EXAMPLE_ALERT_MIN_DURATION ?? 60),
});
alerts.addNotificationHandler(AlertChannel.CUSTOM, (notification: Notification) => {
  for (const alert of notification.alerts) {
    console.log(
      `alert ${alert.rule} ${notification.status} (${notification.reason}): value ${alert.value} > ${alert.threshold}`,
    );
  }
});

// Alert mail, when an SMTP server is given (a local sink such as `npx maildev` or smtp4dev).
if (process.env.EXAMPLE_SMTP_PORT !== undefined) {
  alerts.addNotificationHandler(AlertChannel.EMAIL, {
    smtp_server: process.env.EXAMPLE_SMTP_HOST ?? '127.0.0.1',
    smtp_port: Number(process.env.EXAMPLE_SMTP_PORT),
    recipients: [process.env.EXAMPLE_ALERT_EMAIL ?? 'ops@example.com'],
    from: 'datalineage-example@localhost',
  });
}

// The guide's integrations: a lineage tracker, and the infrastructure around the service.
const tracker = new ExampleLineageTracker();
monitoring.integrateWithTracker(tracker);
const balancer = new RoundRobinBalancer([
  { id: 'worker-1', healthy: true },
  { id: 'worker-2', healthy: true },
  { id: 'worker-3', healthy: true },
]);
const health = new HealthChecker();
const breaker = new CircuitBreaker('lineage-store');
monitoring.integrateWithScalability({ loadBalancer: balancer });
monitoring.integrateWithHighAvailability({ healthChecker: health, circuitBreaker: breaker });
health.set('lineage-store', true);
let consecutiveFailures = 0;

const logs = monitoring.logAggregator;
const datasets = new Set<string>();

class LineageService {
  /** Every call is timed into `operation.duration` (seconds) with outcome="success"|"error". */
  @collector.timed('operation.duration')
  async process(operation: PlannedOperation): Promise<void> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (operation.fails) throw new Error(`could not resolve lineage of ${operation.dataset}`);
  }
}

const service = new LineageService();
let processed = 0;

// The service's HTTP API: what it knows of a dataset. instrumentHono records every request in
// http.server.request.duration by route template (`/datasets/:name`, never the path).
const api = new Hono();
api.get('/datasets/:name', (c) => {
  const name = c.req.param('name');
  return datasets.has(name) ? c.json({ name, known: true }) : c.json({ name, known: false }, 404);
});
api.get('/healthz', (c) => c.text('ok'));
instrumentHono(api, collector);

/** A client of the API, as another service would be: one lookup per batch. Never fails a batch. */
async function lookUp(dataset: string): Promise<void> {
  try {
    const response = await fetch(`${apiAddress}/datasets/${encodeURIComponent(dataset)}`);
    await response.arrayBuffer();
  } catch (error) {
    logs.addLog({
      level: LogLevel.WARNING,
      message: 'API lookup failed',
      loggerName: 'example.client',
      error,
    });
  }
}

async function runBatch(size: number): Promise<void> {
  const batch: PlannedOperation[] = [];
  for (let i = 0; i < size && processed + i < maxOperations; i++)
    batch.push(planOperation(seed, processed + i));
  for (const [position, operation] of batch.entries()) {
    collector.setGauge('queue.size', batch.length - position - 1);
    collector.increment('operations.total', { type: 'lineage', stage: operation.stage });
    collector.recordHistogram('request.size', operation.bytes);
    collector.recordSummary('lineage.latency', operation.latency);
    datasets.add(operation.dataset);
    collector.setGauge('lineage.datasets', datasets.size);
    balancer.selectServer();
    try {
      await service.process(operation);
      await tracker.track(`raw.${operation.dataset}`, `${operation.stage}.job`, operation.dataset);
      consecutiveFailures = 0;
      if (breaker.getState() === 'open') breaker.transition('half_open');
      else if (breaker.getState() === 'half_open') breaker.transition('closed');
      logs.addLog({
        level: LogLevel.INFO,
        message: `resolved lineage of ${operation.dataset} (${operation.rows} rows)`,
        loggerName: 'datalineage.tracker',
        source: LogSource.APPLICATION,
        extraData: {
          stage: operation.stage,
          dataset: operation.dataset,
          rows: operation.rows,
          latency: operation.latency,
        },
      });
    } catch (error) {
      collector.increment('errors.total', { stage: operation.stage });
      if (++consecutiveFailures === 3 && breaker.getState() !== 'open') breaker.transition('open');
      logs.addLog({
        level: LogLevel.ERROR,
        message: `lineage resolution failed for ${operation.dataset}`,
        loggerName: 'datalineage.tracker',
        extraData: { stage: operation.stage, dataset: operation.dataset },
        error,
      });
    }
  }
  processed += batch.length;
  if (batch[0] !== undefined) await lookUp(batch[0].dataset);
}

await monitoring.start();
const apiServer = serve({
  fetch: api.fetch,
  hostname: '127.0.0.1',
  port: Number(process.env.EXAMPLE_API_PORT ?? 8081),
}) as Server;
await once(apiServer, 'listening');
const apiAddress = `http://127.0.0.1:${(apiServer.address() as AddressInfo).port}`;
console.log(
  `DataLineage monitoring example: dashboard ${monitoring.dashboardAddress}/ · metrics ${monitoring.dashboardAddress}/metrics · API ${apiAddress}/datasets/:name`,
);

let busy = false; // batches never overlap, so operation i is processed exactly once
const tick = setInterval(() => {
  if (busy) return;
  if (processed >= maxOperations) {
    clearInterval(tick);
    console.log(`workload finished: ${processed} operations`);
    return;
  }
  busy = true;
  // Each batch is a monitored operation: started/completed counts, a duration, and its logs tagged.
  monitoring
    .monitorOperation('lineage.batch', () => runBatch(Math.max(1, Math.round(rate / 10))))
    .catch((error: unknown) => console.error(error))
    .finally(() => {
      busy = false;
    });
}, 100);

let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    if (stopping) return;
    stopping = true;
    clearInterval(tick);
    console.log(`${signal}: stopping monitoring`);
    apiServer.closeAllConnections();
    apiServer.close();
    monitoring.stop().then(() => process.exit(0));
  });
}
