// `npm run bench:logs`: the log aggregator's benchmark. Results also go to bench/results/logs.json
// (with BENCH_LOGS_REDACTION=off, which shows what redaction costs: logs-redaction-off.json).
import { mkdirSync, writeFileSync } from 'node:fs';
import { formatRate } from './harness.js';
import { burstCase, ingestionCase, searchCases } from './logs.bench.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);
const entries = Math.round(1_000_000 * Math.min(1, scale));
console.log(`node ${process.version}, scale ${scale}`);

const { result, dropped } = await ingestionCase(scale);
console.log(`\n${result.name}, lines per second (median of 9 interleaved rounds):`);
const ours = result.medians.datalineage as number;
for (const [name, value] of Object.entries(result.medians)) {
  console.log(
    `${name.padEnd(26)} ${formatRate(value).padStart(7)} lines/s${name === 'datalineage' ? '' : `  (datalineage ${(ours / value).toFixed(2)}×)`}`,
  );
}
console.log(`lines dropped by the aggregator: ${dropped}`);

const burst = burstCase(entries);
console.log(
  `\none synchronous burst of ${burst.lines.toLocaleString('en')} addLog calls (default options, every 50th an ERROR):\n` +
    `  kept ${burst.kept.toLocaleString('en')}, ERRORs found ${burst.errorsFound.toLocaleString('en')}, ` +
    `${formatRate(burst.linesPerSecond)} lines/s, peak heap ${burst.peakHeapMb.toFixed(0)} MB, ` +
    `${burst.retainedHeapMb.toFixed(0)} MB after GC`,
);

const { figures, bytesPerEntry } = await searchCases(entries);
console.log(`\nsearchLogs over ${entries.toLocaleString('en')} entries (15 runs each):`);
for (const f of figures)
  console.log(
    `  ${f.name.padEnd(42)} p50 ${f.p50.toFixed(2)} ms  p90 ${f.p90.toFixed(2)} ms  (${f.matches} returned)`,
  );
console.log(`bytes per stored entry beyond the message text: ${bytesPerEntry.toFixed(0)} B`);

const pinoRatio = ours / (result.medians.pino as number);
const otelRatio = ours / (result.medians.otel as number);
const worstFirstPage = Math.max(...figures.filter((f) => f.name.includes('first page')).map((f) => f.p50));
// The ingestion targets are for redaction on, the default.
const redactionOn = process.env.BENCH_LOGS_REDACTION !== 'off';
const checks = [
  ...(redactionOn
    ? [
        { target: 'addLog ≥ 0.6× pino', measured: pinoRatio, met: pinoRatio >= 0.6 },
        { target: 'addLog ≥ 1× the raw OpenTelemetry logger', measured: otelRatio, met: otelRatio >= 1 },
      ]
    : []),
  { target: 'a burst keeps every line', measured: burst.kept, met: burst.kept === burst.lines },
  { target: 'search p50 ≤ 50 ms (first pages)', measured: worstFirstPage, met: worstFirstPage <= 50 },
  { target: 'bytes per entry ≤ 300 B beyond the text', measured: bytesPerEntry, met: bytesPerEntry <= 300 },
];
console.log('\nTargets:');
for (const c of checks)
  console.log(`  ${c.met ? 'met    ' : 'NOT MET'} ${c.target}: ${c.measured.toFixed(2)}`);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL(redactionOn ? './results/logs.json' : './results/logs-redaction-off.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, scale, redaction: redactionOn, ingestion: result, dropped, burst, search: figures, bytesPerEntry, checks }, null, 2)}\n`,
);
