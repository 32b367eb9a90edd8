// Fault injection on one running system, everything on at once: the app records and logs
// steadily while each exporter's backend is killed and restarted (a real Pushgateway and InfluxDB,
// the Elasticsearch and OTLP test servers), the SMTP server refuses every message, the webhook
// never answers and a metric callback throws on every collection. Checked: the app keeps
// recording, /metrics keeps answering, the dashboard's status (what its overview renders) names
// each fault, and nothing is missing that was not counted as dropped or failed (a request cut off
// by a kill may have been stored and counted lost too; nothing else is counted twice).
// There is no file-based log destination, so there is no disk-full case to inject.
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type MonitoringSystem, setupMonitoring } from '@datalineage/monitoring';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/browser.js';
import { type ElasticsearchServer, startElasticsearchServer } from '../support/elasticsearch-server.js';
import { type InfluxServer, startInfluxDB } from '../support/influxdb.js';
import { type OtlpServer, startOtlpServer } from '../support/otlp-server.js';
import { type PushgatewayServer, startPushgateway } from '../support/pushgateway.js';

/** How long the backends stay down; the test is about 3 × this long. */
const OUTAGE_MS = Number(process.env.FAULT_OUTAGE_MS ?? 4000);

let gateway: PushgatewayServer;
let influx: InfluxServer;
let elasticsearch: ElasticsearchServer;
let otlp: OtlpServer;
let smtp: SMTPServer;
let smtpPort: number;
let smtpRefused = 0;
let webhook: Server;
let webhookUrl: string;
let webhookCalls = 0;

beforeAll(async () => {
  [gateway, influx, elasticsearch, otlp] = await Promise.all([
    startPushgateway(),
    startInfluxDB(),
    startElasticsearchServer(),
    startOtlpServer(),
  ]);
  await influx.query('CREATE DATABASE faults');
  // A real SMTP server that takes the connection and refuses every recipient (550).
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      smtpRefused++;
      const error = Object.assign(new Error('mailbox unavailable'), { responseCode: 550 });
      callback(error);
    },
  });
  smtp.listen(0, '127.0.0.1');
  await once(smtp.server, 'listening');
  smtpPort = (smtp.server.address() as AddressInfo).port;
  // A webhook receiver that reads the request and never answers.
  webhook = createHttpServer(() => {
    webhookCalls++;
  });
  webhook.listen(0, '127.0.0.1');
  await once(webhook, 'listening');
  webhookUrl = `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/hook`;
}, 60_000);

afterAll(async () => {
  webhook?.closeAllConnections();
  webhook?.close();
  await new Promise<void>((resolve) => (smtp ? smtp.close(() => resolve()) : resolve()));
  await Promise.all([gateway?.stop(), influx?.stop(), elasticsearch?.close(), otlp?.close()]);
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(100);
  }
}

describe('faults everywhere at once', () => {
  let monitoring: MonitoringSystem;

  it(
    'keeps the app running, shows every fault in the status, and counts exactly what it lost',
    async () => {
      monitoring = setupMonitoring({
        serviceName: 'fault-test',
        handleSignals: false,
        diagnostics: { level: 'none' },
        dashboard: { port: 0, sampleInterval: 0.5 },
        metrics: { endpoint: { enabled: true, port: 0 } },
        logs: { otlp: { enabled: true, url: otlp.logsUrl, exportIntervalMillis: 200 } },
        exporters: {
          // Small queues for InfluxDB and Elasticsearch: the outage must overflow them.
          prometheus: {
            enabled: true,
            pushgatewayUrl: gateway.url,
            jobName: 'faults',
            interval: 0.2,
            timeout: 1,
          },
          influxdb: {
            enabled: true,
            url: influx.url,
            database: 'faults',
            interval: 0.2,
            timeout: 1,
            maxQueueSize: 300,
          },
          elasticsearch: {
            enabled: true,
            url: elasticsearch.url,
            interval: 0.2,
            timeout: 1,
            maxQueueSize: 500,
          },
          otlp: { enabled: true, url: otlp.metricsUrl, interval: 0.2, timeout: 1 },
        },
        alerts: {
          evaluationInterval: 0.2,
          groupWait: 0,
          delivery: { timeout: 0.5, retries: 1 },
          channels: [
            {
              type: 'email',
              smtpServer: '127.0.0.1',
              smtpPort,
              recipients: ['ops@example.com'],
              from: 'a@example.com',
            },
            { type: 'webhook', url: webhookUrl },
          ],
          rules: [
            { name: 'work_seen', metricName: 'fault.work', condition: 'gt', threshold: 0, minDuration: 0 },
          ],
        },
      });
      const collector = monitoring.metricsCollector;
      collector.gauge('fault.broken', {
        description: 'A gauge whose callback always throws.',
        collect: () => {
          throw new Error('sensor unplugged');
        },
      });
      await monitoring.start();
      const dashboard = monitoring.dashboardAddress as string;
      const status = async () =>
        (await (await fetch(`${dashboard}/api/status`)).json()) as MonitoringStatusJson;

      // The app: a counter and a log line every 5 ms, all test long.
      let recorded = 0;
      let logged = 0;
      const work = setInterval(() => {
        collector.increment('fault.work');
        recorded++;
        monitoring.logAggregator.addLog({
          level: 'info',
          message: `work ${logged}`,
          loggerName: 'faults',
          extraData: { n: logged },
        });
        logged++;
      }, 5);

      try {
        await until('every exporter delivered once', async () => {
          const s = await status();
          return (
            ['pushgateway', 'influxdb', 'elasticsearch'].every(
              (name) => (s.exporters[name]?.exported ?? 0) > 0,
            ) &&
            (s.otlp.metrics?.exported ?? 0) > 0 &&
            (s.otlp.logs?.exported ?? 0) > 0
          );
        });

        // Kill every backend.
        await Promise.all([gateway.pause(), influx.pause(), elasticsearch.pause(), otlp.pause()]);
        const recordedAtOutage = recorded;
        await sleep(OUTAGE_MS);

        // The app kept working, /metrics kept answering (the broken gauge costs only itself).
        expect(recorded - recordedAtOutage).toBeGreaterThan(OUTAGE_MS / 20);
        const scrape = await fetch(monitoring.getMonitoringStatus().metricsEndpoint.url as string);
        expect(scrape.status).toBe(200);
        const exposition = await scrape.text();
        expect(exposition).toMatch(/^fault_work_total \d+$/m);
        expect(exposition).not.toContain('fault_broken');

        // The status shows each fault.
        const down = await status();
        for (const name of ['pushgateway', 'influxdb', 'elasticsearch']) {
          expect(down.exporters[name]?.failed, name).toBeGreaterThan(0);
          expect(down.exporters[name]?.lastError, name).toMatch(
            /request failed|ECONNREFUSED|fetch failed|connect/i,
          );
        }
        expect(down.exporters.influxdb?.dropped.queue_full).toBeGreaterThan(0);
        expect(down.exporters.elasticsearch?.dropped.queue_full).toBeGreaterThan(0);
        // OTLP's own exporter retries a refused request for up to its 10 s timeout before it
        // reports a failure, so a shorter outage shows there only as the accounting below.
        expect(down.metricsCollector.collectionErrors).toBeGreaterThan(0);
        expect(down.alertManager.channels.email?.failed).toBeGreaterThan(0);
        expect(down.alertManager.channels.email?.lastError).toMatch(/550|mailbox unavailable/);
        expect(down.alertManager.channels.webhook?.failed).toBeGreaterThan(0);
        expect(down.alertManager.channels.webhook?.lastError).toMatch(/time|abort/i);
        expect(smtpRefused).toBeGreaterThan(0);
        expect(webhookCalls).toBeGreaterThan(0);

        // The overview, in a real browser, says so.
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.goto(`${dashboard}/#/overview`);
          const text = page.locator('main');
          await text.getByText('degraded').first().waitFor({ timeout: 10_000 });
          const shown = (await text.textContent()) ?? '';
          for (const name of ['pushgateway', 'influxdb', 'elasticsearch'])
            expect(shown).toContain(`${name}: failing`);
          expect(shown).toMatch(/influxdb: [\d,]+ dropped/);
        } finally {
          await browser.close();
        }

        // Bring every backend back and let the queues drain.
        await Promise.all([gateway.resume(), influx.resume(), elasticsearch.resume(), otlp.resume()]);
        // The app works on for a second against the restarted backends, then stops; the queues
        // drain once each exporter's backoff (0.5 s doubling, jittered) lets it retry.
        await sleep(1000);
        clearInterval(work);
        await until(
          'queues drained after the restart',
          async () => {
            const s = await status();
            return (
              Object.values(s.exporters).every((e) => e.queued === 0 && e.retryAt === undefined) &&
              (s.exporters.elasticsearch?.exported ?? 0) > (down.exporters.elasticsearch?.exported ?? 0)
            );
          },
          40_000,
        );
      } finally {
        clearInterval(work);
        await monitoring.stop();
      }

      const final = monitoring.getMonitoringStatus();
      const es = final.exporters.elasticsearch!;
      const influxStats = final.exporters.influxdb!;
      // Nothing accepted was lost without being counted. The one overlap: a request in flight when
      // its backend was killed may have been stored although its answer never came; it counts as
      // not delivered, and if the queue then overflows, as dropped. So what a backend holds lies
      // between what was confirmed and that plus what was counted as dropped.
      const documents = elasticsearch.documents().filter((d) => d.source['log.logger'] === 'faults');
      const esDropped = es.dropped.queue_full ?? 0;
      expect(new Set(documents.map((d) => d.source.message)).size).toBe(documents.length);
      expect(final.logAggregator.received).toBeGreaterThanOrEqual(logged);
      expect(documents.length + esDropped).toBeGreaterThanOrEqual(logged); // none missing uncounted
      expect(documents.length).toBeLessThanOrEqual(logged);
      expect(elasticsearch.documents().length).toBeGreaterThanOrEqual(es.exported);
      expect(elasticsearch.documents().length).toBeLessThanOrEqual(es.exported + esDropped);
      // InfluxDB likewise, between the points confirmed and those plus the ones counted as dropped.
      const points = (await influx.rows('SELECT * FROM /.*/', 'faults')).length;
      const influxDropped = influxStats.dropped.queue_full ?? 0;
      expect(influxDropped).toBeGreaterThan(0);
      expect(points).toBeGreaterThanOrEqual(influxStats.exported);
      expect(points).toBeLessThanOrEqual(influxStats.exported + influxDropped);
      // The Pushgateway, restarted empty, has the latest snapshot again: the final count.
      const [group] = (await gateway.groups()).filter((g) => g.labels.job === 'faults');
      expect(Number(group?.families.fault_work_total?.metrics[0]?.value)).toBe(recorded);
      // OTLP logs: every stored line was accepted, failed for good (after OpenTelemetry's retries)
      // or dropped; the receiver holds the accepted ones, plus at most the failed ones whose
      // answer the kill cut off.
      const otlpStats = final.otlp.logs!;
      expect(otlp.logs.length).toBeGreaterThanOrEqual(otlpStats.exportedItems);
      expect(otlp.logs.length).toBeLessThanOrEqual(otlpStats.exportedItems + otlpStats.failedItems);
      expect(otlpStats.exportedItems + otlpStats.failedItems + (otlpStats.dropped ?? 0)).toBe(
        final.logAggregator.stored,
      );
    },
    OUTAGE_MS * 3 + 60_000,
  );
});

interface MonitoringStatusJson {
  exporters: Record<
    string,
    {
      exported: number;
      failed: number;
      queued: number;
      lastError?: string;
      retryAt?: string;
      dropped: Record<string, number>;
    }
  >;
  otlp: { logs?: { exported: number; failed: number }; metrics?: { exported: number; failed: number } };
  metricsCollector: { collectionErrors: number };
  alertManager: { channels: Record<string, { failed: number; lastError?: string }> };
}
