// A focused example: a batch job that pushes its metrics to a Prometheus Pushgateway, since it
// ends before any scrape would see it. stop() collects once more and pushes, so the final counts
// are what the Pushgateway keeps for Prometheus.
// Run: PUSHGATEWAY_URL=http://localhost:9091 node --conditions=@datalineage/source --import tsx examples/batch-job.ts
import { setupMonitoring } from '@datalineage/monitoring';

const monitoring = setupMonitoring({
  serviceName: 'lineage-batch',
  handleSignals: false,
  dashboard: { enabled: false },
  exporters: {
    prometheus: {
      enabled: true,
      pushgatewayUrl: process.env.PUSHGATEWAY_URL ?? 'http://localhost:9091',
      jobName: 'lineage_batch',
      instance: process.env.BATCH_INSTANCE ?? 'nightly',
      interval: 5,
    },
  },
});
await monitoring.start();

const collector = monitoring.metricsCollector;
const records = collector.counter('batch.records', {
  description: 'Records the batch processed, by table.',
  labelNames: ['table'],
});
const tables = ['orders', 'customers', 'payments'];
const count = Number(process.env.BATCH_RECORDS ?? 1000);

await monitoring.monitorOperation('nightly_batch', async () => {
  for (const table of tables) {
    const handle = records.bind({ table });
    for (let i = 0; i < count; i++) handle.inc();
    await new Promise((resolve) => setImmediate(resolve));
  }
});
collector.setGauge('batch.last_success', Date.now() / 1000);

// stop() flushes: a last push with the final counts, within its deadline.
await monitoring.shutdown();
const pushed = monitoring.getMonitoringStatus().exporters.pushgateway;
console.log(
  `batch done: ${tables.length * count} records; pushed ${pushed?.exported ?? 0} snapshot(s), ${pushed?.failed ?? 0} failed`,
);
