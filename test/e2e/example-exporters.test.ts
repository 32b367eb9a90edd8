// End to end: the example app turns every exporter on from its monitoring-config.yaml (a copy with
// `enabled: true` and local URLs) and runs its deterministic workload. Then a real Pushgateway, a
// real InfluxDB, the Elasticsearch `_bulk` test server and the OTLP/HTTP test receiver (both
// marked as test servers in their files; no Elasticsearch or collector can run here) must hold
// exactly what the workload did.
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { planOperations } from '../../examples/lineage-workload.js';
import { type ElasticsearchServer, startElasticsearchServer } from '../support/elasticsearch-server.js';
import { type InfluxServer, startInfluxDB } from '../support/influxdb.js';
import { type OtlpServer, startOtlpServer } from '../support/otlp-server.js';
import { freePort, type RunningProcess, startProcess, tempDir } from '../support/processes.js';
import { type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';

const SEED = 11;
const OPERATIONS = 300;
const plan = planOperations(SEED, OPERATIONS);

let app: RunningProcess;
let base: string;
let dir: string;
let gateway: PushgatewayServer;
let influx: InfluxServer;
let elasticsearch: ElasticsearchServer;
let otlp: OtlpServer;

beforeAll(async () => {
  [gateway, influx, elasticsearch, otlp] = await Promise.all([
    startPushgateway(),
    startInfluxDB(),
    startElasticsearchServer(),
    startOtlpServer(),
  ]);
  const example = parse(await readFile('examples/monitoring-config.yaml', 'utf8')) as {
    monitoring: { exporters: Record<string, Record<string, unknown>>; logs: Record<string, unknown> };
  };
  const { exporters } = example.monitoring;
  Object.assign(exporters.prometheus ?? {}, { enabled: true, pushgateway_url: gateway.url, interval: 1 });
  Object.assign(exporters.influxdb ?? {}, {
    enabled: true,
    url: influx.url,
    database: 'example',
    interval: 1,
  });
  Object.assign(exporters.elasticsearch ?? {}, { enabled: true, url: elasticsearch.url, interval: 1 });
  Object.assign(exporters.otlp ?? {}, { enabled: true, url: otlp.metricsUrl, interval: 1 });
  example.monitoring.logs.otlp = { enabled: true, url: otlp.logsUrl, export_interval_millis: 500 };
  dir = await tempDir('example-exporters');
  const file = join(dir, 'monitoring-config.yaml');
  await writeFile(file, stringify(example));

  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  app = await startProcess({
    binary: process.execPath,
    args: ['--conditions=@datalineage/source', '--import', 'tsx', 'examples/monitoring-example.ts'],
    debianPackage: 'nodejs',
    readyUrl: `${base}/healthz`,
    readyTimeoutMs: 30_000,
    env: {
      ...process.env,
      DATALINEAGE_CONFIG_FILE: file,
      DATALINEAGE_DASHBOARD_PORT: String(port),
      EXAMPLE_API_PORT: '0', // the example's API on any free port, as tests run side by side
      EXAMPLE_SEED: String(SEED),
      EXAMPLE_MAX_OPERATIONS: String(OPERATIONS),
      EXAMPLE_RATE: '2000',
    },
  });
  const deadline = Date.now() + 30_000;
  while (!app.output().includes(`workload finished: ${OPERATIONS} operations`)) {
    if (Date.now() > deadline) throw new Error(`example did not finish its workload:\n${app.output()}`);
    await sleep(100);
  }
}, 90_000);

afterAll(async () => {
  await app?.stop();
  await Promise.all([gateway?.stop(), influx?.stop(), elasticsearch?.close(), otlp?.close()]);
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

/** Polls until `read` returns what `done` accepts; returns the last value read. */
async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  timeoutMs = 20_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(250);
    value = await read();
  }
  return value;
}

const failures = plan.filter((op) => op.fails).length;

describe('the example with every exporter on, from its YAML file', () => {
  it('pushes to the Pushgateway: operations and errors as the workload did them', async () => {
    const total = await eventually(
      async () => {
        const group = (await gateway.groups()).find((g) => g.labels.job === 'datalineagepy');
        return (group?.families.operations_total?.metrics ?? []).reduce((sum, m) => sum + Number(m.value), 0);
      },
      (value) => value === OPERATIONS,
    );
    expect(total).toBe(OPERATIONS);
  });

  it('writes to InfluxDB: the latest operations.total per series adds up to the workload', async () => {
    const total = await eventually(
      async () => {
        try {
          const rows = await influx.rows('SELECT last(value) FROM "operations.total" GROUP BY *', 'example');
          return rows.reduce((sum, row) => sum + Number(row.last), 0);
        } catch {
          return 0; // the database is created by the first write
        }
      },
      (value) => value === OPERATIONS,
    );
    expect(total).toBe(OPERATIONS);
    const errors = await influx.rows('SELECT last(value) FROM "errors.total" GROUP BY *', 'example');
    expect(errors.reduce((sum, row) => sum + Number(row.last), 0)).toBe(failures);
  });

  it('ships one ECS document per operation log to Elasticsearch, errors at log.level error', async () => {
    const docs = await eventually(
      async () => elasticsearch.documents().filter((d) => d.source['log.logger'] === 'datalineage.tracker'),
      (found) => found.length === OPERATIONS,
    );
    expect(docs).toHaveLength(OPERATIONS);
    expect(docs.filter((d) => d.source['log.level'] === 'error')).toHaveLength(failures);
    expect(docs[0]?.source['service.name']).toBe('lineage-example');
    expect(docs[0]?.index).toMatch(/^datalineagepy-\d{4}\.\d{2}\.\d{2}$/);
  });

  it('sends metrics and logs over OTLP', async () => {
    const latest = await eventually(
      async () => {
        const sums = otlp.metrics.filter((m) => m.name === 'operations.total');
        const last = sums[sums.length - 1];
        return (last?.dataPoints ?? []).reduce((sum, point) => sum + (point.value ?? 0), 0);
      },
      (value) => value === OPERATIONS,
    );
    expect(latest).toBe(OPERATIONS);
    const logs = await eventually(
      async () =>
        otlp.logs.filter(
          (l) => l.attributes['logger.name'] === 'datalineage.tracker' || l.scope === 'datalineage.tracker',
        ),
      (found) => found.length === OPERATIONS,
    );
    expect(logs).toHaveLength(OPERATIONS);
  });

  it('shows every exporter healthy in the status API, with nothing dropped', async () => {
    const status = (await (await fetch(`${base}/api/status`)).json()) as {
      exporters: Record<string, { exported: number; failed: number; dropped: Record<string, number> }>;
      otlp: { metrics?: { exported: number; failed: number }; logs?: { exported: number; failed: number } };
    };
    expect(Object.keys(status.exporters).sort()).toEqual(['elasticsearch', 'influxdb', 'pushgateway']);
    for (const [name, stats] of Object.entries(status.exporters)) {
      expect(stats.exported, name).toBeGreaterThan(0);
      expect(stats.dropped, name).toEqual({});
    }
    expect(status.exporters.elasticsearch?.exported).toBeGreaterThanOrEqual(OPERATIONS);
    expect(status.otlp.metrics?.exported).toBeGreaterThan(0);
    expect(status.otlp.logs?.exported).toBeGreaterThan(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
