// The servers of the HTTP middleware benchmark, in one process apart from the load generator
// (bench/http-middleware.ts forks it): a minimal Hono app per variant on @hono/node-server, bare
// or monitored, each on its own port. Tells its parent the ports, then answers `{ usage: variant }`
// with the process's CPU time so far and how many requests that variant's histogram counted.
import { once } from 'node:events';
import type { Server } from 'node:http';
import { MetricsCollector } from '@datalineage/core';
import { instrumentHono, monitorHono } from '@datalineage/monitoring/http';
import { serve } from '@hono/node-server';
import { DataPointType, type Histogram } from '@opentelemetry/sdk-metrics';
import { Hono } from 'hono';

export const VARIANTS = ['without', 'instrumented', 'middleware', 'noop'] as const;
export type Variant = (typeof VARIANTS)[number];

/** What the server reports: CPU microseconds (user + system) and the histogram's count. */
export interface Usage {
  cpuMicros: number;
  counted: number;
}

/** One app per variant, each with its own collector, all in this one process. */
function app(variant: Variant, collector: MetricsCollector): Hono {
  const hono = new Hono();
  if (variant === 'instrumented') instrumentHono(hono, collector);
  if (variant === 'middleware') hono.use(monitorHono(collector));
  if (variant === 'noop')
    hono.use(async (_c, next) => {
      await next();
    });
  hono.get('/users/:id', (c) => c.text('ok'));
  return hono;
}

async function counted(collector: MetricsCollector): Promise<number> {
  const { resourceMetrics } = await collector.metricProducer.collect();
  const data = resourceMetrics.scopeMetrics
    .flatMap((scope) => scope.metrics)
    .find((metric) => metric.descriptor.name === 'http.server.request.duration');
  if (data === undefined || data.dataPointType !== DataPointType.HISTOGRAM) return 0;
  return data.dataPoints.reduce((n, point) => n + (point.value as Histogram).count, 0);
}

const collectors = new Map(VARIANTS.map((variant) => [variant, new MetricsCollector()]));
const ports: Partial<Record<Variant, number>> = {};
for (const [variant, collector] of collectors) {
  const server = serve({ fetch: app(variant, collector).fetch, hostname: '127.0.0.1', port: 0 }) as Server;
  await once(server, 'listening');
  ports[variant] = (server.address() as { port: number }).port;
}
process.on('message', async (message: { usage: Variant }) => {
  const { user, system } = process.cpuUsage();
  const collector = collectors.get(message.usage) as MetricsCollector;
  process.send?.({ cpuMicros: user + system, counted: await counted(collector) } satisfies Usage);
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ports });
