// `npm run bench:exporters`: line-protocol encoding (against @influxdata/influxdb-client), `_bulk`
// encoding (against a naive JSON.stringify encoder), each for 100,000 points or records in one
// process, and the end-to-end push rate of the InfluxDB exporter to a real InfluxDB (Debian's).
// Results also go to bench/results/exporters.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { benchBulkEncoding } from './elasticsearch.bench.js';
import { formatRate } from './harness.js';
import { encodingCase, pushCase } from './influxdb.bench.js';

console.log(`node ${process.version}`);
const lines = await encodingCase();
const ours = lines.medians.datalineage as number;
for (const [name, rate] of Object.entries(lines.medians)) {
  console.log(
    `${lines.name.padEnd(44)} ${name.padEnd(16)} ${formatRate(rate)} points/s${name === 'datalineage' ? '' : `  (ours ${(ours / rate).toFixed(2)}×)`}`,
  );
}
const bulk = await benchBulkEncoding();
const oursBulk = bulk.result.medians.datalineage as number;
for (const [name, rate] of Object.entries(bulk.result.medians)) {
  console.log(
    `${bulk.result.name.padEnd(44)} ${name.padEnd(16)} ${formatRate(rate)} records/s  ${(bulk.megabytesPerSecond[name] ?? 0).toFixed(1)} MB/s${name === 'datalineage' ? '' : `  (ours ${(oursBulk / rate).toFixed(2)}×)`}`,
  );
}
const push = await pushCase();
const pushRate = push.points / push.seconds;
console.log(
  `InfluxDB exporter → real InfluxDB ${''.padEnd(10)} ${push.points.toLocaleString('en')} points in ${push.seconds.toFixed(2)} s: ${formatRate(pushRate)} points/s (${push.stored.toLocaleString('en')} stored)`,
);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/exporters.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, lineProtocol: lines, bulk, push: { ...push, rate: pushRate } }, null, 2)}\n`,
);
