// Graceful shutdown, across every backend at once: the app counts and logs while every export
// waits for a ten-minute interval, SIGTERM arrives, and everything accepted reaches a real
// Pushgateway, a real InfluxDB, the Elasticsearch and OTLP test servers before the process ends by
// that signal. When a backend hangs, the configured deadline (shutdownTimeout) still ends the
// process on time, and a second signal ends it at once.
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ElasticsearchServer, startElasticsearchServer } from '../support/elasticsearch-server.js';
import { type InfluxServer, startInfluxDB } from '../support/influxdb.js';
import { type OtlpLogReceiver, startOtlpLogReceiver } from '../support/otlp-receiver.js';
import { freePort, type NodeScript, startNodeScript } from '../support/processes.js';
import { type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';

let gateway: PushgatewayServer;
let influx: InfluxServer;
let elasticsearch: ElasticsearchServer;
let otlp: OtlpLogReceiver;
/** A TCP server that accepts connections and never answers: a hanging backend. */
let blackHole: Server;
let blackHoleUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  [gateway, influx, elasticsearch, otlp] = await Promise.all([
    startPushgateway(),
    startInfluxDB(),
    startElasticsearchServer(),
    startOtlpLogReceiver(),
  ]);
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => blackHole.listen(0, '127.0.0.1', resolve));
  const address = blackHole.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  blackHoleUrl = `http://127.0.0.1:${address.port}`;
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  blackHole?.close();
  await Promise.all([gateway?.stop(), influx?.stop(), elasticsearch?.close(), otlp?.close()]);
});

async function startApp(config: unknown, env: Record<string, string> = {}): Promise<NodeScript> {
  const port = await freePort();
  return startNodeScript('test/fixtures/shutdown-app.ts', {
    env: { SHUTDOWN_CONFIG: JSON.stringify(config), DATALINEAGE_DASHBOARD_PORT: String(port), ...env },
    ready: 'ready',
  });
}

/** Every export waits ten minutes: only the shutdown flush can deliver. */
const LONG = 600;

describe('SIGTERM with everything queued', () => {
  it('delivers every count and log line to all four backends, then ends by the signal', async () => {
    await influx.query('CREATE DATABASE shutdown');
    // OpenTelemetry's batch processor sends each full batch of 512 at once, interval or not: the
    // OTLP receiver is read from before the app starts.
    const otlpBefore = otlp.logs.length;
    const count = 1234;
    const lines = 2500;
    const run = await startApp(
      {
        shutdownTimeout: 20,
        logs: { otlp: { enabled: true, url: otlp.url, exportIntervalMillis: LONG * 1000 } },
        exporters: {
          prometheus: { enabled: true, pushgatewayUrl: gateway.url, jobName: 'shutdown', interval: LONG },
          influxdb: { enabled: true, url: influx.url, database: 'shutdown', interval: LONG },
          elasticsearch: { enabled: true, url: elasticsearch.url, interval: LONG },
        },
      },
      { COUNT: String(count), LINES: String(lines) },
    );
    // Nothing has left for the exporters yet: the flush on the signal is what delivers.
    expect(await gateway.groups()).toEqual([]);
    expect(elasticsearch.documents()).toHaveLength(0);

    run.signal('SIGTERM');
    const exit = await run.exit;
    expect(exit.signal, run.output()).toBe('SIGTERM');
    expect(exit.afterMs).toBeLessThan(20_000);

    const mine = otlp.logs.slice(otlpBefore).filter((log) => log.serviceName === 'shutdown-test');
    expect(mine).toHaveLength(lines);
    expect(new Set(mine.map((log) => log.body)).size).toBe(lines);

    const documents = elasticsearch.documents().filter((d) => d.source['log.logger'] === 'shutdown');
    expect(documents).toHaveLength(lines);

    const [group] = (await gateway.groups()).filter((g) => g.labels.job === 'shutdown');
    expect(group?.families.shutdown_work_total?.metrics[0]?.value).toBe(String(count));

    const rows = await influx.rows('SELECT last(value) FROM "shutdown.work"', 'shutdown');
    expect(rows.map((row) => row.last)).toEqual([count]);
    expect(run.output()).not.toMatch(/DLM_SHUTDOWN_DEADLINE|DLM_FLUSH_FAILED/);
  }, 60_000);
});

describe('a backend that never answers', () => {
  const hanging = (shutdownTimeout: number) => ({
    shutdownTimeout,
    exporters: {
      // The request timeout is far past the deadline: only the deadline can end the wait.
      prometheus: { enabled: true, pushgatewayUrl: blackHoleUrl, interval: LONG, timeout: 300 },
      elasticsearch: { enabled: true, url: elasticsearch.url, interval: LONG },
    },
  });

  it('keeps to the shutdown deadline: the process ends by the signal once it has passed', async () => {
    const before = elasticsearch.documents().length;
    const run = await startApp(hanging(2), { LINES: '300' });
    run.signal('SIGTERM');
    const exit = await run.exit;
    expect(exit.signal, run.output()).toBe('SIGTERM');
    expect(exit.afterMs).toBeGreaterThanOrEqual(1900);
    expect(exit.afterMs).toBeLessThan(4500);
    // What was given up is said, with its count: one push (the whole exposition) of the hung Pushgateway.
    expect(run.output()).toContain(
      'exporter "pushgateway" (pushgateway): 1 items were still queued when the stop deadline passed',
    );
    // The healthy backend still got everything; the hung one was given up on.
    expect(elasticsearch.documents().length - before).toBe(300);
  }, 30_000);

  it('ends at once on a second signal', async () => {
    const run = await startApp(hanging(60));
    run.signal('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 500));
    const second = Date.now();
    run.signal('SIGTERM');
    const exit = await run.exit;
    expect(exit.signal, run.output()).toBe('SIGTERM');
    expect(Date.now() - second).toBeLessThan(1000);
    expect(exit.afterMs).toBeLessThan(2500);
  }, 30_000);
});
