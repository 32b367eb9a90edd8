// The focused examples run as their own processes, as their headers say: the batch job's final
// counts end up in a real Pushgateway (it pushes on stop), the pino app's lines are in the log
// aggregator, redacted, and the Express service's requests are on its /metrics by route template.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startProcess } from '../support/processes.js';
import { type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';

const run = promisify(execFile);
const NODE = [process.execPath, '--conditions=@datalineage/source', '--import', 'tsx'] as const;
let gateway: PushgatewayServer;

beforeAll(async () => {
  gateway = await startPushgateway();
});
afterAll(() => gateway?.stop());

describe('examples/batch-job.ts', () => {
  it('pushes its final counts to the Pushgateway before it exits', async () => {
    const { stdout } = await run(NODE[0], [...NODE.slice(1), 'examples/batch-job.ts'], {
      env: { ...process.env, PUSHGATEWAY_URL: gateway.url, BATCH_RECORDS: '250', BATCH_INSTANCE: 'e2e' },
    });
    expect(stdout).toMatch(/batch done: 750 records; pushed [1-9]\d* snapshot\(s\), 0 failed/);
    const group = (await gateway.groups()).find(
      (g) => g.labels.job === 'lineage_batch' && g.labels.instance === 'e2e',
    );
    const records = group?.families.batch_records_total?.metrics ?? [];
    expect(Object.fromEntries(records.map((m) => [m.labels.table, Number(m.value)]))).toEqual({
      orders: 250,
      customers: 250,
      payments: 250,
    });
    expect(group?.families.monitored_operation_completed_total?.metrics[0]?.value).toBe('1');
  });
});

describe('examples/pino-app.ts', () => {
  it('keeps pino’s lines, searchable and redacted', async () => {
    const { stdout } = await run(NODE[0], [...NODE.slice(1), 'examples/pino-app.ts']);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^ERROR\s+orders payment failed .*"requestId":"r-42"/);
    expect(lines[0]).toContain('"password":"[REDACTED]"');
    expect(stdout).not.toContain('hunter2');
    expect(lines[1]).toMatch(/^WARNING\s+orders slow payment provider/);
  });
});

describe('examples/express-app.ts', () => {
  it('records each request by route template, status and error type', async () => {
    const [apiPort, dashboardPort] = [await freePort(), await freePort()];
    const app = await startProcess({
      binary: NODE[0],
      args: [...NODE.slice(1), 'examples/express-app.ts'],
      debianPackage: 'nodejs',
      readyUrl: `http://127.0.0.1:${dashboardPort}/healthz`,
      readyTimeoutMs: 30_000,
      env: {
        ...process.env,
        EXPRESS_PORT: String(apiPort),
        DATALINEAGE_DASHBOARD_PORT: String(dashboardPort),
      },
    });
    try {
      const api = `http://127.0.0.1:${apiPort}`;
      const statuses = [];
      for (const [method, path] of [
        ['GET', '/orders/1'],
        ['GET', '/orders/9'],
        ['POST', '/orders'],
        ['GET', '/orders/2'],
        ['GET', '/orders/1/invoice'],
      ] as const) {
        const response = await fetch(api + path, {
          method,
          headers: { 'content-type': 'application/json' },
          body: method === 'POST' ? JSON.stringify({ items: 2 }) : undefined,
        });
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([200, 404, 201, 200, 500]);
      const exposition = await (await fetch(`http://127.0.0.1:${dashboardPort}/metrics`)).text();
      const counts = exposition
        .split('\n')
        .filter((line) => line.startsWith('http_server_request_duration_seconds_count{'))
        .map((line) => line.replace(/^http_server_request_duration_seconds_count/, ''))
        .sort();
      expect(counts).toEqual([
        '{error_type="RangeError",http_request_method="GET",http_response_status_class="5xx",http_response_status_code="500",http_route="/orders/:id/invoice"} 1',
        '{http_request_method="GET",http_response_status_class="2xx",http_response_status_code="200",http_route="/orders/:id"} 2',
        '{http_request_method="GET",http_response_status_class="4xx",http_response_status_code="404",http_route="/orders/:id"} 1',
        '{http_request_method="POST",http_response_status_class="2xx",http_response_status_code="201",http_route="/orders"} 1',
      ]);
    } finally {
      await app.stop();
    }
  });
});
