// The InfluxDB exporter against a real InfluxDB 1.x (Debian's `influxdb`, started by the test):
// points written through the ExporterManager and read back with /query, value by value; names
// that need escaping round-trip; a 20-second outage loses nothing that fits the queue, and with
// a smaller queue the drop count equals exactly what is missing.
import { MetricsCollector } from '@datalineage/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxServer, startInfluxDB } from '../../../../test/support/influxdb.js';
import { ExporterManager } from '../../src/export/manager.js';
import type { DropReason } from '../../src/export/types.js';
import { InfluxDBConfig } from '../../src/influxdb/config.js';
import { InfluxDBExporter } from '../../src/influxdb/exporter.js';

let influx: InfluxServer;
let databases = 0;

beforeAll(async () => {
  influx = await startInfluxDB();
});
afterAll(() => influx?.stop());

async function database(): Promise<string> {
  const name = `test_${++databases}`;
  await influx.query(`CREATE DATABASE ${name}`);
  return name;
}

/** An exporter that also counts the lines it produced, to compare with what arrived. */
class CountingExporter extends InfluxDBExporter {
  produced = 0;
  readonly ticks: number[] = [];
  override async collect(now: number, drop: (reason: DropReason, count: number) => void): Promise<string[]> {
    const lines = await super.collect(now, drop);
    this.produced += lines.length;
    this.ticks.push(now);
    return lines;
  }
}

describe('InfluxDBExporter with a real InfluxDB', () => {
  it('writes every metric type, read back value by value', async () => {
    const db = await database();
    const collector = new MetricsCollector();
    collector.increment('operations.total', { stage: 'load' }, 3);
    collector.increment('operations.total', { stage: 'join' }, 7);
    collector.setGauge('queue.size', 42.5);
    const sizes = collector.histogram('batch.size', { buckets: [10, 100] });
    for (const value of [5, 50, 500, 7]) sizes.observe(value);
    for (let i = 1; i <= 100; i++) collector.recordSummary('lineage.latency', i / 100);
    const manager = new ExporterManager({ now: () => 1_800_000_000_000 });
    manager.addExporter(
      new InfluxDBExporter(new InfluxDBConfig({ url: influx.url, database: db }), collector),
    );
    await manager.exportNow();
    expect(manager.stats().influxdb).toMatchObject({ failed: 0, queued: 0, dropped: {} });

    expect(await influx.rows('SELECT value FROM "operations.total" GROUP BY stage', db)).toEqual(
      expect.arrayContaining([
        { stage: 'join', time: 1_800_000_000_000, value: 7 },
        { stage: 'load', time: 1_800_000_000_000, value: 3 },
      ]),
    );
    expect(await influx.rows('SELECT value FROM "queue.size"', db)).toEqual([
      { time: 1_800_000_000_000, value: 42.5 },
    ]);
    const [histogram] = await influx.rows('SELECT * FROM "batch.size"', db);
    expect(histogram).toEqual({
      time: 1_800_000_000_000,
      count: 4,
      sum: 562,
      le_10: 2,
      le_100: 3,
      'le_+Inf': 4,
    });
    const [summary] = await influx.rows('SELECT * FROM "lineage.latency"', db);
    expect(summary).toMatchObject({ count: 100 });
    expect(summary?.sum).toBeCloseTo(50.5, 9);
    expect(summary?.p50 as number).toBeCloseTo(0.5, 1);
    expect(summary?.p99 as number).toBeCloseTo(0.99, 1);
    // Integer fields stay integers: a float into them would be refused later.
    const fields = await influx.query('SHOW FIELD KEYS FROM "batch.size"', db);
    expect(
      Object.fromEntries(fields.series[0]?.values.map(([key, type]) => [key, type]) ?? []),
    ).toMatchObject({
      count: 'integer',
      le_10: 'integer',
      sum: 'float',
    });
  });

  it('round-trips names and values that need escaping, and counts what cannot be written', async () => {
    const db = await database();
    const collector = new MetricsCollector();
    const tricky = [
      'with space',
      'comma,here',
      'equals=sign',
      'C:\\temp\\x',
      'ünïcödé ✓',
      'quote"s',
      'a\\\\,b',
    ];
    for (const value of tricky) collector.increment('tricky.names', { value }, 1);
    collector.increment('tricky.names', { value: 'ends\\' }, 1);
    const manager = new ExporterManager();
    manager.addExporter(
      new InfluxDBExporter(new InfluxDBConfig({ url: influx.url, database: db }), collector),
    );
    await manager.exportNow();
    const rows = await influx.rows('SELECT value FROM "tricky.names" GROUP BY "value"', db);
    expect(rows.map((row) => row.value_1 ?? row.value).length).toBe(tricky.length);
    const tags = await influx.query('SHOW TAG VALUES FROM "tricky.names" WITH KEY = "value"', db);
    expect(tags.series[0]?.values.map(([, value]) => value).sort()).toEqual([...tricky].sort());
    expect(manager.stats().influxdb?.dropped).toEqual({ unrepresentable: 1 });
  });

  it.each(['s', 'ms', 'us', 'ns'] as const)(
    'writes the timestamps InfluxDB 1.x reads back, at precision %s',
    async (precision) => {
      const db = await database();
      const collector = new MetricsCollector();
      collector.setGauge('stamped', 1);
      const at = 1_800_000_000_123;
      const manager = new ExporterManager({ now: () => at });
      manager.addExporter(
        new InfluxDBExporter(new InfluxDBConfig({ url: influx.url, database: db, precision }), collector),
      );
      await manager.exportNow();
      expect(await influx.rows('SELECT value FROM stamped', db)).toEqual([
        { time: precision === 's' ? 1_800_000_000_000 : at, value: 1 },
      ]);
    },
  );

  it('refuses what InfluxDB would misread — trailing backslashes, a # measurement — before sending it', async () => {
    const db = await database();
    const collector = new MetricsCollector();
    for (const value of ['ab\\\\', 'x\\', 'fine']) collector.increment('slashes', { value }, 1);
    const exporter = new CountingExporter(new InfluxDBConfig({ url: influx.url, database: db }), collector);
    const manager = new ExporterManager();
    manager.addExporter(exporter);
    await manager.exportNow();
    const stats = manager.stats().influxdb;
    expect(stats?.dropped).toEqual({ unrepresentable: 2 });
    expect(stats?.exported).toBe(exporter.produced);
    expect(await influx.rows('SELECT value FROM slashes GROUP BY "value"', db)).toHaveLength(1);
  });

  it('reports a missing database, keeps the points, and creates the database when told to', async () => {
    const collector = new MetricsCollector();
    collector.setGauge('up', 1);
    let now = 1_800_000_000_000;
    const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
    const strict = new CountingExporter(
      new InfluxDBConfig({ url: influx.url, database: 'not_there' }),
      collector,
    );
    manager.addExporter(strict, { name: 'strict' });
    manager.addExporter(
      new InfluxDBExporter(
        new InfluxDBConfig({ url: influx.url, database: 'made_here', createDatabase: true }),
        collector,
      ),
      { name: 'creating' },
    );
    await manager.exportNow();
    const perTick = strict.produced;
    expect(manager.stats().strict).toMatchObject({ failed: 1, queued: perTick });
    expect(manager.stats().strict?.lastError).toMatch(
      /database "not_there" does not exist; create it or set createDatabase/,
    );
    now += 1000;
    await manager.exportNow(); // the creating one retries into the database it made
    expect(await influx.rows('SELECT value FROM up', 'made_here')).toHaveLength(2);
    expect(manager.stats().creating).toMatchObject({ exported: 2 * perTick, queued: 0 });
    await manager.stop(0);
    // Stop collects once more, and nothing could be written: every point is counted.
    expect(manager.stats().strict?.dropped).toEqual({ shutdown: strict.produced });
  });

  it('counts points InfluxDB refuses in a partial write (a field type conflict) and keeps the rest', async () => {
    const db = await database();
    // An integer field in the shard (the current week) the exporter's float will go to.
    await fetch(`${influx.url}/write?db=${db}&precision=ms`, {
      method: 'POST',
      body: `conflict value=1i ${Date.now() - 60_000}`,
    });
    const collector = new MetricsCollector();
    collector.setGauge('conflict', 2); // a float into the integer field: refused
    collector.setGauge('fine', 3);
    const manager = new ExporterManager();
    const exporter = new CountingExporter(new InfluxDBConfig({ url: influx.url, database: db }), collector);
    manager.addExporter(exporter);
    await manager.exportNow();
    const { exported, dropped } = manager.stats().influxdb ?? {};
    expect(dropped).toEqual({ field_type_conflict: 1 });
    expect(exported).toBe(exporter.produced - 1);
    expect(await influx.rows('SELECT value FROM fine', db)).toHaveLength(1);
  });

  it('survives a 20-second outage: nothing lost within the queue bound, and exact drop counts beyond it', async () => {
    const whole = await database();
    const bounded = await database();
    const collector = new MetricsCollector();
    // The application records steadily throughout.
    const series = ['a', 'b', 'c', 'd', 'e'];
    const recorder = setInterval(() => {
      for (const stage of series) collector.increment('steady.ops', { stage });
    }, 10);
    const manager = new ExporterManager({
      defaults: { interval: 0.25, backoffMs: 100, maxBackoffMs: 1000, timeout: 2 },
    });
    const roomy = new CountingExporter(new InfluxDBConfig({ url: influx.url, database: whole }), collector);
    const tight = new CountingExporter(new InfluxDBConfig({ url: influx.url, database: bounded }), collector);
    expect(manager.addExporter(roomy)).toBe('influxdb');
    expect(manager.addExporter(tight, { maxQueueSize: 50 })).toBe('influxdb-2'); // two of one kind do not collide
    try {
      manager.start();
      await sleep(2000);
      await influx.pause();
      const outageStart = Date.now();
      await sleep(20_000);
      expect(manager.stats().influxdb?.failed).toBeGreaterThan(0);
      expect(manager.stats().influxdb?.lastError).toMatch(
        /InfluxDB http:\/\/127\.0\.0\.1:\d+: request failed/,
      );
      await influx.resume();
      const outageEnd = Date.now();
      await sleep(4000);
      clearInterval(recorder);
      await manager.stop();

      const roomyStats = manager.stats().influxdb;
      const tightStats = manager.stats()['influxdb-2'];
      // Every point of every measurement (the collector's own series count is written too).
      const count = async (db: string) => (await influx.rows('SELECT * FROM /.*/', db)).length;
      const timesOf = async (db: string, stage: string) =>
        (await influx.rows(`SELECT value FROM "steady.ops" WHERE stage = '${stage}'`, db)).map(
          (row) => row.time as number,
        );

      // Everything produced arrived, once: one row per tick and series, exported counts agree.
      expect(roomyStats).toMatchObject({ dropped: {}, queued: 0 });
      expect(await count(whole)).toBe(roomy.produced);
      expect(roomyStats?.exported).toBe(roomy.produced);
      const times = await timesOf(whole, 'a');
      expect(new Set(times).size).toBe(times.length);
      expect(times).toEqual(roomy.ticks.filter((t) => t >= (times[0] as number)));
      // Points stamped during the outage are there, at the tick cadence (no hole wider than a few ticks).
      const during = times.filter((t) => t > outageStart && t < outageEnd);
      expect(during.length).toBeGreaterThan(60);
      for (let i = 1; i < during.length; i++)
        expect((during[i] as number) - (during[i - 1] as number)).toBeLessThan(1000);

      // The tight queue: what is missing is exactly what was counted as dropped.
      const dropped = tightStats?.dropped.queue_full ?? 0;
      expect(dropped).toBeGreaterThan(0);
      expect(await count(bounded)).toBe(tight.produced - dropped);
      expect(tightStats?.exported).toBe(tight.produced - dropped);
    } finally {
      clearInterval(recorder);
      await manager.stop(0);
      await influx.resume();
    }
  }, 60_000);
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

describe('InfluxDB 2.x writes', () => {
  // A TEST SERVER for the 2.x write contract (POST /api/v2/write?org&bucket&precision with
  // `Authorization: Token …`, 204 on success): Debian ships InfluxDB 1.6, which has no v2 API.
  it('go to /api/v2/write with org, bucket, precision and the token, which never shows in the status', async () => {
    const { createServer } = await import('node:http');
    const seen: Array<{ url: string; authorization: string | undefined; body: string }> = [];
    const server = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk) => {
        body += chunk;
      });
      request.on('end', () => {
        seen.push({ url: request.url ?? '', authorization: request.headers.authorization, body });
        response
          .writeHead(seen.length === 1 ? 401 : 204)
          .end(seen.length === 1 ? '{"code":"unauthorized"}' : '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const collector = new MetricsCollector();
      collector.setGauge('queue.size', 3);
      let now = 1_800_000_000_000;
      const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
      manager.addExporter(
        new InfluxDBExporter(
          new InfluxDBConfig({
            url: `http://127.0.0.1:${port}`,
            org: 'acme',
            bucket: 'metrics',
            token: 'tok-123-secret',
            precision: 's',
          }),
          collector,
        ),
      );
      await manager.exportNow();
      const refused = manager.stats().influxdb;
      expect(refused?.lastError).toMatch(
        /HTTP 401 \(check the credentials: username\/password, token or API key\)/,
      );
      expect(refused?.dropped.rejected).toBeGreaterThan(0);
      now += 1000;
      await manager.exportNow();
      expect(seen[1]?.url).toBe('/api/v2/write?org=acme&bucket=metrics&precision=s');
      expect(seen[1]?.authorization).toBe('Token tok-123-secret');
      expect(seen[1]?.body).toContain('queue.size value=3 1800000001\n'); // the clock moved a second
      expect(JSON.stringify(manager.stats())).not.toContain('tok-123-secret');
    } finally {
      server.close();
    }
  });

  it('count a 422 partial write as what InfluxDB says it dropped, the rest as exported', async () => {
    const { createServer } = await import('node:http');
    const server = createServer((request, response) => {
      request.resume();
      request.on('end', () =>
        response
          .writeHead(422, { 'content-type': 'application/json' })
          .end(
            '{"code":"unprocessable entity","message":"failure writing points to database: partial write: field type conflict: dropped=1"}',
          ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    try {
      const collector = new MetricsCollector();
      collector.setGauge('a', 1);
      collector.setGauge('b', 2);
      const manager = new ExporterManager();
      const exporter = new CountingExporter(
        new InfluxDBConfig({ url: `http://127.0.0.1:${port}`, org: 'o', bucket: 'b', token: 'tok-xyz-9999' }),
        collector,
      );
      manager.addExporter(exporter);
      await manager.exportNow();
      expect(manager.stats().influxdb).toMatchObject({
        dropped: { field_type_conflict: 1 },
        exported: exporter.produced - 1,
      });
    } finally {
      server.close();
    }
  });

  it('refuse settings of the other version at setup, and URLs with a query', () => {
    expect(() => new InfluxDBConfig({ org: 'o', bucket: 'b' })).toThrow(/org: is an InfluxDB 2.x setting/);
    expect(
      () => new InfluxDBConfig({ token: 't', org: 'o', bucket: 'b', username: 'u', password: 'p' }),
    ).toThrow(/username: is an InfluxDB 1.x setting/);
    expect(() => new InfluxDBConfig({ token: 't', org: 'o', bucket: 'b', database: 'd' })).toThrow(
      /database/,
    );
    expect(() => new InfluxDBConfig({ url: 'http://db:8086/?db=x' })).toThrow(/without a query/);
  });
});
