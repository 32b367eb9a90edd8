// Helpers for the HTTP middleware tests: real servers on 127.0.0.1, and what the collector
// hands to OpenTelemetry, read back as plain series.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { MetricsCollector } from '@datalineage/core';
import { DataPointType, type Histogram, type MetricData } from '@opentelemetry/sdk-metrics';

/** One series of `http.server.request.duration`. */
export interface DurationSeries {
  attributes: Record<string, string>;
  count: number;
  sum: number;
  /** Observations per bucket: `le` (upper bound, Infinity last) → count in that bucket alone. */
  buckets: Array<{ le: number; count: number }>;
}

async function metricData(collector: MetricsCollector, name: string): Promise<MetricData | undefined> {
  const { resourceMetrics } = await collector.metricProducer.collect();
  return resourceMetrics.scopeMetrics.flatMap((s) => s.metrics).find((m) => m.descriptor.name === name);
}

/** Every series of the duration histogram, sorted by their attributes. */
export async function durationSeries(collector: MetricsCollector): Promise<DurationSeries[]> {
  const data = await metricData(collector, 'http.server.request.duration');
  if (data === undefined) return [];
  if (data.dataPointType !== DataPointType.HISTOGRAM) throw new Error('not a histogram');
  return data.dataPoints
    .map((point) => {
      const value = point.value as Histogram;
      const bounds = [...value.buckets.boundaries, Number.POSITIVE_INFINITY];
      return {
        attributes: point.attributes as Record<string, string>,
        count: value.count,
        sum: value.sum ?? 0,
        buckets: bounds.map((le, i) => ({ le, count: value.buckets.counts[i] ?? 0 })),
      };
    })
    .sort((a, b) => JSON.stringify(a.attributes).localeCompare(JSON.stringify(b.attributes)));
}

/** Series as `{ attributes, count }` only, for exact comparisons. */
export async function requestCounts(
  collector: MetricsCollector,
): Promise<Array<{ attributes: Record<string, string>; count: number }>> {
  return (await durationSeries(collector)).map(({ attributes, count }) => ({ attributes, count }));
}

/** `http.server.active_requests` for one method (0 when the series does not exist yet). */
export async function activeRequests(collector: MetricsCollector, method: string): Promise<number> {
  const data = await metricData(collector, 'http.server.active_requests');
  const point = data?.dataPoints.find((p) => p.attributes['http.request.method'] === method);
  return (point?.value as number | undefined) ?? 0;
}

/** The attributes of a series, spelled as the tests expect them. */
export function series(
  method: string,
  route: string | undefined,
  status: number,
  errorType?: string,
): Record<string, string> {
  const attributes: Record<string, string> = { 'http.request.method': method };
  if (route !== undefined) attributes['http.route'] = route;
  attributes['http.response.status_code'] = String(status);
  attributes['http.response.status_class'] = `${Math.floor(status / 100)}xx`;
  if (errorType !== undefined) attributes['error.type'] = errorType;
  return attributes;
}

/** Listen on a free port of 127.0.0.1; resolves to the base URL. */
export async function listen(server: Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Close a server, dropping idle keep-alive connections so close() does not wait for them. */
export async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
}

/** A promise with its resolver, for a handler the test lets finish when it wants. */
export function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => {};
  const wait = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { wait, open };
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Poll `read` until it returns `expected`, for values settled a tick after the client sees the response. */
export async function eventually<T>(read: () => Promise<T>, expected: T, timeoutMs = 2000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  while (last !== expected && Date.now() < deadline) {
    await sleep(5);
    last = await read();
  }
  return last;
}
