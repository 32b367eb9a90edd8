// `npm run bench:logs`: the log aggregator's benchmark. Results also go to bench/results/logs.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { formatRate } from './harness.js';
import { ingestionCase, searchCases } from './logs.bench.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const entries = Math.round(1_000_000 * Math.min(1, scale));
console.log(`node ${process.version}, scale ${scale}`);

const { result, dropped } = await ingestionCase(scale);
const ours = result.medians.datalineage as number;
for (const [name, value] of Object.entries(result.medians)) {
  console.log(
    `${result.name.padEnd(40)} ${name.padEnd(12)} ${formatRate(value)} lines/s${name === 'datalineage' ? '' : ` (ours ${(ours / value).toFixed(2)}×)`}`,
  );
}
console.log(`${''.padEnd(40)} lines dropped by the aggregator: ${dropped}`);

const { figures, bytesPerEntry } = await searchCases(entries);
console.log(`\nsearchLogs over ${entries.toLocaleString('en')} entries (15 runs each):`);
for (const f of figures)
  console.log(
    `  ${f.name.padEnd(42)} p50 ${f.p50.toFixed(2)} ms  p90 ${f.p90.toFixed(2)} ms  (${f.matches} returned)`,
  );
console.log(`bytes per stored entry beyond the message text: ${bytesPerEntry.toFixed(0)} B`);

const pinoRatio = ours / (result.medians.pino as number);
const worstFirstPage = Math.max(...figures.filter((f) => f.name.includes('first page')).map((f) => f.p50));
const checks = [
  { target: 'addLog ≥ 0.5× pino', measured: pinoRatio, met: pinoRatio >= 0.5 },
  { target: 'search p50 ≤ 50 ms (first pages)', measured: worstFirstPage, met: worstFirstPage <= 50 },
  { target: 'bytes per entry ≤ 300 B beyond the text', measured: bytesPerEntry, met: bytesPerEntry <= 300 },
];
console.log('\nTargets:');
for (const c of checks)
  console.log(`  ${c.met ? 'met    ' : 'NOT MET'} ${c.target}: ${c.measured.toFixed(2)}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/logs.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, scale, ingestion: result, dropped, search: figures, bytesPerEntry, checks }, null, 2)}\n`,
);
