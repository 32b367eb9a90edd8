// The focused examples run as their own processes, as their headers say: the batch job's final
// counts end up in a real Pushgateway (it pushes on stop), and the pino app's lines are in the
// log aggregator, redacted.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
