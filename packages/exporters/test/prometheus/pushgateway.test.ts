// The Pushgateway exporter against a real Pushgateway (Debian's `prometheus-pushgateway`, started
// by the test): pushed metrics read back through /api/v1/metrics value by value, grouping keys
// (with a `/` in a value), PUT and POST, delete on shutdown, newer snapshots replacing unsent
// ones, and failures that stay in the status.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MetricsCollector } from '@datalineage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PushgatewayServer, startPushgateway } from '../../../../test/support/pushgateway.js';
import { ExporterManager } from '../../src/export/manager.js';
import { PrometheusConfig, PrometheusExporter } from '../../src/prometheus/pushgateway.js';

let gateway: PushgatewayServer;

beforeAll(async () => {
  gateway = await startPushgateway();
});
afterAll(() => gateway?.stop());

async function groupOf(labels: Record<string, string>) {
  const groups = await gateway.groups();
  return groups.find((group) => Object.entries(labels).every(([k, v]) => group.labels[k] === v));
}

describe('PrometheusExporter with a real Pushgateway', () => {
  it('pushes every metric type under valid Prometheus names, read back value by value', async () => {
    const collector = new MetricsCollector();
    collector.increment('operations.total', { stage: 'load' }, 3);
    collector.setGauge('queue.size', 42);
    const sizes = collector.histogram('batch.size', { buckets: [10, 100] });
    for (const value of [5, 50, 500]) sizes.observe(value);
    for (let i = 1; i <= 100; i++) collector.recordSummary('lineage.latency', i);
    const manager = new ExporterManager();
    manager.addExporter(
      new PrometheusExporter(
        new PrometheusConfig({ pushgatewayUrl: gateway.url, jobName: 'datalineagepy', instance: 'test-01' }),
        collector,
      ),
    );
    await manager.exportNow();
    expect(manager.stats().pushgateway).toMatchObject({ exported: 1, failed: 0, queued: 0 });

    const group = await groupOf({ job: 'datalineagepy', instance: 'test-01' });
    expect(group?.last_push_successful).toBe(true);
    const families = group?.families ?? {};
    expect(families.operations_total).toMatchObject({
      type: 'COUNTER',
      metrics: [{ labels: { stage: 'load', job: 'datalineagepy', instance: 'test-01' }, value: '3' }],
    });
    expect(families.queue_size?.metrics[0]?.value).toBe('42');
    expect(families.batch_size?.type).toBe('HISTOGRAM');
    expect(families.batch_size?.metrics[0]).toMatchObject({
      count: '3',
      sum: '555',
      buckets: { '10': '1', '100': '2', '+Inf': '3' },
    });
    const summary = families.lineage_latency?.metrics[0];
    expect(families.lineage_latency?.type).toBe('SUMMARY');
    expect(summary?.count).toBe('100');
    expect(Number(summary?.quantiles?.['0.5'])).toBeCloseTo(50, -0.5);
    expect(Number(summary?.quantiles?.['0.99'])).toBeCloseTo(99, -0.5);
  });

  it('encodes grouping values with a slash, and replaces (PUT) or merges (POST) the group', async () => {
    const first = new MetricsCollector();
    first.setGauge('alpha', 1);
    const second = new MetricsCollector();
    second.setGauge('beta', 2);
    const grouping = { path: '/var/lib/data', region: 'eu west' };
    const manager = new ExporterManager();
    const put = (collector: MetricsCollector, method: 'PUT' | 'POST', name: string) =>
      manager.addExporter(
        new PrometheusExporter(
          new PrometheusConfig({
            pushgatewayUrl: gateway.url,
            jobName: 'grouping',
            groupingLabels: grouping,
            method,
          }),
          collector,
        ),
        { name },
      );
    put(first, 'PUT', 'first');
    put(second, 'POST', 'second');
    await manager.exportNow('first');
    await manager.exportNow('second');
    const merged = await groupOf({ job: 'grouping', ...grouping });
    expect(Object.keys(merged?.families ?? {})).toEqual(expect.arrayContaining(['alpha', 'beta']));
    // PUT replaces everything in the group: beta goes.
    await manager.exportNow('first');
    const replaced = await groupOf({ job: 'grouping', ...grouping });
    expect(Object.keys(replaced?.families ?? {})).toContain('alpha');
    expect(Object.keys(replaced?.families ?? {})).not.toContain('beta');
  });

  it('deletes its group on shutdown when told to', async () => {
    const collector = new MetricsCollector();
    collector.setGauge('batch.done', 1);
    const manager = new ExporterManager();
    manager.addExporter(
      new PrometheusExporter(
        new PrometheusConfig({ pushgatewayUrl: gateway.url, jobName: 'batch-job', deleteOnShutdown: true }),
        collector,
      ),
    );
    await manager.exportNow();
    expect(await groupOf({ job: 'batch-job' })).toBeDefined();
    await manager.stop(); // a last push, then the delete
    expect(manager.stats().pushgateway).toMatchObject({ exported: 2, failed: 0 });
    expect(await groupOf({ job: 'batch-job' })).toBeUndefined();
  });

  it('sends only the newest snapshot after an outage: older unsent ones are superseded, not lost data', async () => {
    let answering = false;
    const bodies: string[] = [];
    const authorizations: Array<string | undefined> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        if (!answering) {
          response.writeHead(503, { 'Retry-After': '0' }).end('down');
          return;
        }
        bodies.push(body);
        authorizations.push(request.headers.authorization);
        response.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const collector = new MetricsCollector();
      let now = 0;
      const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
      manager.addExporter(
        new PrometheusExporter(
          new PrometheusConfig({ pushgatewayUrl: url, username: 'pusher', password: 'push-secret-9' }),
          collector,
        ),
      );
      for (let i = 1; i <= 3; i++) {
        collector.setGauge('progress', i);
        await manager.exportNow();
        now += 10;
      }
      const down = manager.stats().pushgateway;
      expect(down).toMatchObject({ failed: 3, queued: 1, superseded: 2, dropped: {} });
      expect(down?.lastError).toMatch(/Pushgateway http:\/\/127\.0\.0\.1:\d+ answered HTTP 503: down/);
      answering = true;
      collector.setGauge('progress', 4);
      await manager.exportNow();
      expect(bodies).toHaveLength(1);
      expect(bodies[0]).toMatch(/^progress 4$/m);
      // No timestamps: every sample line is a name (with labels) and one value, nothing after.
      const samples = (bodies[0] ?? '').split('\n').filter((line) => line !== '' && !line.startsWith('#'));
      expect(samples.length).toBeGreaterThan(0);
      for (const line of samples) expect(line).toMatch(/^[a-zA-Z_:][\w:]*(\{.*\})? \S+$/);
      expect(authorizations).toEqual([`Basic ${Buffer.from('pusher:push-secret-9').toString('base64')}`]);
      expect(JSON.stringify(manager.stats())).not.toContain('push-secret-9');
      expect(JSON.stringify(manager.stats())).not.toContain(
        Buffer.from('pusher:push-secret-9').toString('base64'),
      );
      await manager.stop();
    } finally {
      server.close();
    }
  });

  it('refuses a configuration that cannot work, naming the option', () => {
    expect(() => new PrometheusConfig({})).toThrow(/pushgatewayUrl: the Pushgateway URL is required/);
    expect(() => new PrometheusConfig({ pushgateway_url: 'localhost:9091' })).toThrow(/pushgatewayUrl/);
    expect(
      () => new PrometheusConfig({ pushgatewayUrl: gateway.url, groupingLabels: { 'bad-name': 'x' } }),
    ).toThrow(/groupingLabels: "bad-name" is not a valid Prometheus label name/);
    expect(() => new PrometheusConfig({ pushgatewayUrl: gateway.url, method: 'PATCH' as never })).toThrow(
      /method/,
    );
    expect(new PrometheusConfig({ pushgateway_url: gateway.url, job_name: 'j' }).groupPath()).toBe(
      '/metrics/job/j',
    );
    expect(() => new PrometheusConfig({ pushgatewayUrl: gateway.url, instance: '' })).toThrow(/instance/);
    expect(
      new PrometheusConfig({
        pushgatewayUrl: gateway.url,
        jobName: 'a/b',
        instance: 'web 1',
        groupingLabels: { empty: '' },
      }).groupPath(),
    ).toBe(`/metrics/job@base64/${Buffer.from('a/b').toString('base64url')}/instance/web%201/empty@base64/=`);
    // `.` and `..` would be path steps, pushing into (or deleting) another group.
    expect(
      new PrometheusConfig({ pushgatewayUrl: gateway.url, jobName: 'j', instance: '..' }).groupPath(),
    ).toBe(`/metrics/job/j/instance@base64/${Buffer.from('..').toString('base64url')}`);
    expect(() => new PrometheusConfig({ pushgatewayUrl: `${gateway.url}/?x=1` })).toThrow(/without a query/);
  });
});
