// The example defines the guide's high_error_rate rule; with errors injected by its workload the
// rule goes pending and fires, as the status API shows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, type RunningProcess, startProcess } from '../support/processes.js';

let app: RunningProcess;
let base: string;

beforeAll(async () => {
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
      DATALINEAGE_DASHBOARD_PORT: String(port),
      DATALINEAGE_ALERT_EVALUATION_INTERVAL: '1',
      EXAMPLE_ALERT_MIN_DURATION: '2',
      EXAMPLE_RATE: '400',
    },
  });
}, 60_000);

afterAll(async () => {
  await app?.stop();
});

interface Status {
  alertManager: { rules: number; alerts: Record<string, number>; evaluations: number };
}

describe('the example’s high_error_rate rule', () => {
  it('goes pending, then fires once errors exceed the threshold for minDuration', async () => {
    const seen = new Set<string>();
    const deadline = Date.now() + 30_000;
    let status: Status | undefined;
    while (Date.now() < deadline) {
      status = (await (await fetch(`${base}/api/status`)).json()) as Status;
      for (const [state, count] of Object.entries(status.alertManager.alerts)) if (count > 0) seen.add(state);
      if (seen.has('firing')) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status?.alertManager.rules).toBe(1);
    expect(seen.has('pending'), `states seen: ${[...seen].join(', ')}\n${app.output()}`).toBe(true);
    expect(seen.has('firing'), `states seen: ${[...seen].join(', ')}\n${app.output()}`).toBe(true);
  });
});
