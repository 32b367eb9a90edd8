// End to end: the example app runs as its own process, a real Prometheus scrapes its /metrics,
// and PromQL must return the values the example's deterministic workload implies.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planOperations } from '../../examples/lineage-workload.js';
import { freePort, type RunningProcess, startProcess } from '../support/processes.js';
import { type PrometheusServer, promtoolCheckMetrics, startPrometheus } from '../support/prometheus.js';

const SEED = 7;
const OPERATIONS = 400;
const plan = planOperations(SEED, OPERATIONS);
const SIZE_BUCKETS = [256, 1024, 4096, 16384, 65536, 262144, 1048576];

let app: RunningProcess;
let prometheus: PrometheusServer;
let metricsUrl: string;

/** Prometheus' histogram_quantile over explicit buckets (linear interpolation inside a bucket). */
function histogramQuantile(q: number, values: number[], bounds: number[]): number {
  const cumulative = bounds.map((bound) => values.filter((v) => v <= bound).length);
  const total = values.length;
  const rank = q * total;
  const index = cumulative.findIndex((count) => count >= rank);
  if (index === -1) return bounds[bounds.length - 1] as number; // in the +Inf bucket
  const lower = index === 0 ? 0 : (bounds[index - 1] as number);
  const below = index === 0 ? 0 : (cumulative[index - 1] as number);
  const inBucket = (cumulative[index] as number) - below;
  return lower + ((bounds[index] as number) - lower) * ((rank - below) / inBucket);
}

function exactQuantile(q: number, values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

beforeAll(async () => {
  const port = await freePort();
  app = await startProcess({
    binary: process.execPath,
    args: ['--conditions=@datalineage/source', '--import', 'tsx', 'examples/monitoring-example.ts'],
    debianPackage: 'nodejs',
    readyUrl: `http://127.0.0.1:${port}/healthz`,
    readyTimeoutMs: 30_000,
    env: {
      ...process.env,
      DATALINEAGE_DASHBOARD_PORT: String(port),
      EXAMPLE_API_PORT: '0', // the example's API on any free port, as tests run side by side
      EXAMPLE_SEED: String(SEED),
      EXAMPLE_MAX_OPERATIONS: String(OPERATIONS),
      EXAMPLE_RATE: '2000',
    },
  });
  metricsUrl = `http://127.0.0.1:${port}/metrics`;
  const deadline = Date.now() + 30_000;
  while (!app.output().includes(`workload finished: ${OPERATIONS} operations`)) {
    if (Date.now() > deadline) throw new Error(`example did not finish its workload:\n${app.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`], scrapeInterval: '1s' });
}, 90_000);

afterAll(async () => {
  await prometheus?.stop();
  await app?.stop();
});

const single = async (promql: string, predicate: (v: number) => boolean = () => true): Promise<number> => {
  const result = await prometheus.waitForQuery(
    promql,
    (r) => r.length === 1 && predicate(r[0]!.value),
    20_000,
  );
  return result[0]!.value;
};

describe('a real Prometheus scraping the example', () => {
  it('reads the counters: operations by stage, and errors', async () => {
    expect(await single('sum(operations_total)', (v) => v === OPERATIONS)).toBe(OPERATIONS);
    const extract = plan.filter((op) => op.stage === 'extract').length;
    expect(await single('operations_total{type="lineage",stage="extract"}')).toBe(extract);
    const failures = plan.filter((op) => op.fails).length;
    expect(failures).toBeGreaterThan(0);
    expect(await single('sum(errors_total)')).toBe(failures);
  });

  it('reads the gauges', async () => {
    expect(await single('queue_size')).toBe(0);
    expect(await single('lineage_datasets')).toBe(new Set(plan.map((op) => op.dataset)).size);
    const ratio = await single('memory_usage_ratio');
    expect(ratio).toBeGreaterThan(0);
    expect(ratio).toBeLessThanOrEqual(1);
  });

  it('computes histogram_quantile over the request-size buckets', async () => {
    const sizes = plan.map((op) => op.bytes);
    for (const q of [0.5, 0.9, 0.99]) {
      const expected = histogramQuantile(q, sizes, SIZE_BUCKETS);
      const actual = await single(`histogram_quantile(${q}, sum by (le) (request_size_bytes_bucket))`);
      expect(actual).toBeCloseTo(expected, 6);
    }
    expect(await single('request_size_bytes_count')).toBe(OPERATIONS);
    expect(await single('request_size_bytes_sum')).toBe(sizes.reduce((a, b) => a + b, 0));
  });

  it('reads summary quantiles within 1% of the exact quantiles', async () => {
    const latencies = plan.map((op) => op.latency);
    for (const q of [0.5, 0.9, 0.95, 0.99]) {
      const actual = await single(`lineage_latency_seconds{quantile="${q}"}`);
      const exact = exactQuantile(q, latencies);
      expect(Math.abs(actual - exact) / exact).toBeLessThanOrEqual(0.01);
    }
    expect(await single('lineage_latency_seconds_count')).toBe(OPERATIONS);
  });

  it('reads timer histograms, with the outcome of each call', async () => {
    const failures = plan.filter((op) => op.fails).length;
    expect(await single('sum(operation_duration_seconds_count)')).toBe(OPERATIONS);
    expect(await single('operation_duration_seconds_count{outcome="error"}')).toBe(failures);
    const p99 = await single('histogram_quantile(0.99, sum by (le) (operation_duration_seconds_bucket))');
    expect(p99).toBeGreaterThan(0);
    expect(p99).toBeLessThan(10);
  });

  it("reads the example API's requests by route template, one lookup per batch", async () => {
    const batches = Math.ceil(OPERATIONS / Math.round(2000 / 10)); // EXAMPLE_RATE / 10 per batch
    const lookups = 'http_server_request_duration_seconds_count{http_route="/datasets/:name"}';
    expect(await single(`sum(${lookups})`, (v) => v === batches)).toBe(batches);
    const byRoute = await prometheus.query(
      'sum by (http_route, http_response_status_code) (http_server_request_duration_seconds_count)',
    );
    expect(byRoute.map((sample) => sample.metric)).toEqual([
      { http_route: '/datasets/:name', http_response_status_code: '200' },
    ]);
  });

  it('scrapes the target healthy, and promtool finds the exposition clean', async () => {
    const targets = await prometheus.targets();
    expect(targets.map((t) => [t.health, t.lastError])).toEqual([['up', '']]);
    const body = await (await fetch(metricsUrl)).text();
    for (const type of ['counter', 'gauge', 'histogram', 'summary']) expect(body).toContain(` ${type}\n`);
    const check = await promtoolCheckMetrics(body);
    expect(check.output).toBe('');
    expect(check.exitCode).toBe(0);
  });
});
