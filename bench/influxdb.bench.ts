// InfluxDB benchmarks: line-protocol encoding of 100,000 points against the official client's
// `Point.toLineProtocol()` (@influxdata/influxdb-client) in the same process, and the end-to-end
// rate of the exporter (collect → queue → batches → a real InfluxDB 1.x from Debian) for 100,000
// points. Run by `npm run bench:exporters`.
import { pathToFileURL } from 'node:url';
import { Point as ClientPoint } from '@influxdata/influxdb-client';
import { MetricsCollector } from '../packages/core/src/index.js';
import { ExporterManager } from '../packages/exporters/src/export/manager.js';
import { InfluxDBConfig } from '../packages/exporters/src/influxdb/config.js';
import { InfluxDBExporter } from '../packages/exporters/src/influxdb/exporter.js';
import { encodePoint, type Point } from '../packages/exporters/src/influxdb/line-protocol.js';
import { startInfluxDB } from '../test/support/influxdb.js';
import { type CaseResult, throughput } from './harness.js';

const POINTS = 100_000;

/** 100,000 points of 100 series (3 tags, one with a space that needs escaping), one float field. */
function points(): Point[] {
  const out: Point[] = [];
  const start = Date.UTC(2026, 11, 1);
  for (let i = 0; i < POINTS; i++) {
    out.push({
      measurement: 'operations.total',
      tags: { stage: `stage ${i % 10}`, method: i % 2 === 0 ? 'GET' : 'POST', shard: `s${i % 5}` },
      fields: { value: { float: i * 1.5 } },
      time: start + Math.floor(i / 100),
    });
  }
  return out;
}

/**
 * Both sides start from the same values and end with a line: ours builds a Point literal and
 * encodes it; the client builds its Point (`tag`, `floatField`, `timestamp`, where it already
 * formats the number) and calls `toLineProtocol`.
 */
export async function encodingCase(): Promise<CaseResult & { bytes: number }> {
  const input = points();
  const clientSettings = { convertTime: (date?: Date | number | string) => String((date as Date).getTime()) };
  let bytes = 0;
  let sink = 0;
  const result = await throughput(
    `line protocol, ${POINTS.toLocaleString('en')} points`,
    [
      {
        name: 'datalineage',
        run: (ops) => {
          for (let i = 0; i < ops; i++) {
            const p = input[i % POINTS] as Point;
            const line = encodePoint(
              {
                measurement: p.measurement,
                tags: p.tags,
                fields: { value: { float: (p.fields.value as { float: number }).float } },
                time: p.time,
              },
              'ms',
            ) as string;
            sink += line.length;
          }
        },
      },
      {
        name: 'influxdb-client',
        run: (ops) => {
          for (let i = 0; i < ops; i++) {
            const p = input[i % POINTS] as Point;
            const point = new ClientPoint(p.measurement);
            for (const key in p.tags) point.tag(key, p.tags[key] as string);
            point.floatField('value', (p.fields.value as { float: number }).float);
            point.timestamp(new Date(p.time));
            sink += (point.toLineProtocol(clientSettings) ?? '').length;
          }
        },
      },
    ],
    { ops: POINTS, rounds: 9, warmup: 20_000 },
  );
  for (const p of input) bytes += (encodePoint(p, 'ms') as string).length + 1;
  if (sink === 0) throw new Error('nothing encoded');
  return { ...result, bytes };
}

/** Exports 100,000 points (10 ticks × 10,000 series) to a real InfluxDB and reads the count back. */
export async function pushCase(): Promise<{ seconds: number; points: number; stored: number }> {
  const influx = await startInfluxDB();
  try {
    await influx.query('CREATE DATABASE bench');
    const collector = new MetricsCollector({ maxSeries: 20_000, cardinalityLimit: 20_000 });
    for (let i = 0; i < 10_000; i++)
      collector.setGauge('load', i, { instance: `i${i}`, shard: `s${i % 10}` });
    const manager = new ExporterManager();
    manager.addExporter(
      new InfluxDBExporter(new InfluxDBConfig({ url: influx.url, database: 'bench' }), collector),
      {
        batchSize: 5000,
      },
    );
    let now = Date.UTC(2026, 11, 1);
    // Stamp each tick a second apart (what an interval would do), without waiting for it.
    (manager as unknown as { context: { now: () => number } }).context.now = () => now;
    const started = performance.now();
    for (let tick = 0; tick < 10; tick++) {
      await manager.exportNow();
      now += 1000;
    }
    const seconds = (performance.now() - started) / 1000;
    const stats = manager.stats().influxdb;
    const [row] = await influx.rows('SELECT count(value) FROM "load"', 'bench');
    return { seconds, points: stats?.exported ?? 0, stored: Number(row?.count ?? 0) };
  } finally {
    await influx.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const encoding = await encodingCase();
  for (const [name, rate] of Object.entries(encoding.medians))
    console.log(`${encoding.name} ${name}: ${Math.round(rate)} points/s`);
  const push = await pushCase();
  console.log(
    `push: ${push.points} points in ${push.seconds.toFixed(2)} s (${Math.round(push.points / push.seconds)} points/s), ${push.stored} stored`,
  );
}
