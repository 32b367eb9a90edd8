// A graceful shutdown loses no log: the app logs lines that wait in the OTLP batch, SIGTERM
// arrives, and every line reaches the OTLP receiver before the process ends by that signal.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type OtlpLogReceiver, startOtlpLogReceiver } from '../support/otlp-receiver.js';
import { freePort, startNodeScript } from '../support/processes.js';

let receiver: OtlpLogReceiver;

beforeAll(async () => {
  receiver = await startOtlpLogReceiver();
});

afterAll(async () => {
  await receiver.close();
});

async function runUntilLogged(lines: number, signal: NodeJS.Signals) {
  const port = await freePort();
  const app = await startNodeScript('test/fixtures/log-shutdown-app.ts', {
    env: { OTLP_URL: receiver.url, LINES: String(lines), DATALINEAGE_DASHBOARD_PORT: String(port) },
    ready: 'logged',
  });
  const before = receiver.logs.length;
  app.signal(signal);
  const exit = await app.exit;
  return { exit, before, output: app.output() };
}

describe('graceful shutdown', () => {
  it('flushes every queued log on SIGTERM, then ends by the signal', async () => {
    const lines = 3000;
    const start = receiver.logs.length;
    const { exit, before, output } = await runUntilLogged(lines, 'SIGTERM');
    // Full batches of 512 may leave at once; the last partial batch waits for the 10-minute timer.
    expect(before - start).toBeLessThanOrEqual(lines - (lines % 512));
    const mine = receiver.logs.slice(start);
    expect(mine, output).toHaveLength(lines);
    expect(new Set(mine.map((log) => log.body)).size).toBe(lines);
    expect(mine[0]).toMatchObject({ serviceName: 'shutdown-test', scope: 'shutdown', severityText: 'INFO' });
    expect(exit.signal).toBe('SIGTERM');
  }, 60_000);

  it('does the same on SIGINT', async () => {
    const start = receiver.logs.length;
    const { exit, before } = await runUntilLogged(500, 'SIGINT');
    expect(before - start).toBe(0); // under one batch: nothing leaves before the signal
    expect(receiver.logs.length - start).toBe(500);
    expect(exit.signal).toBe('SIGINT');
  }, 60_000);
});
