// `npm run bench`: runs the metrics benchmark and prints ops/s, ratios and the targets of the
// foundation issue. `BENCH_SCALE=0.2 npm run bench` for a quick pass; results also go to
// bench/results/latest.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { type CaseResult, formatRate } from './harness.js';
import { expositionCase, heapPerSeries, recordCases } from './metrics.bench.js';

const scale = Number(process.env.BENCH_SCALE ?? 1);

interface Target {
  case: string;
  peer: string;
  /** Minimum ours/peer for throughput, maximum ours/peer for latency and memory. */
  ratio: number;
  kind: 'at least' | 'at most';
}

const TARGETS: Target[] = [
  { case: 'counter by name, 3 labels', peer: 'prom-client', ratio: 1.3, kind: 'at least' },
  { case: 'counter by name, 3 labels', peer: 'otel', ratio: 4, kind: 'at least' },
  { case: 'counter, bound handle', peer: 'prom-client', ratio: 5, kind: 'at least' },
  { case: 'histogram observe, 3 labels', peer: 'prom-client', ratio: 1.3, kind: 'at least' },
  { case: 'summary observe, 3 labels', peer: 'prom-client', ratio: 2, kind: 'at least' },
  { case: '/metrics exposition, 10k series', peer: 'prom-client', ratio: 1, kind: 'at most' },
  { case: 'heap bytes per series', peer: 'prom-client', ratio: 1, kind: 'at most' },
];

function print(result: CaseResult): void {
  const ours = result.medians.datalineage as number;
  const cells = Object.entries(result.medians).map(([name, value]) => {
    const shown =
      result.unit === 'ops/s' ? `${formatRate(value)} ops/s` : `${value.toFixed(1)} ${result.unit}`;
    const ratio = name === 'datalineage' ? '' : ` (ours ${(ours / value).toFixed(2)}×)`;
    return `${name} ${shown}${ratio}`;
  });
  console.log(`${result.name.padEnd(34)} ${cells.join(' | ')}`);
}

console.log(
  `node ${process.version}, ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}, ${arch()}, scale ${scale}`,
);
const results: CaseResult[] = [];
for (const result of await recordCases(scale)) {
  print(result);
  results.push(result);
}
const exposition = await expositionCase();
print(exposition.result);
results.push(exposition.result);
console.log(
  `${''.padEnd(34)} body bytes: ${Object.entries(exposition.bytes)
    .map(([k, v]) => `${k} ${v}`)
    .join(' | ')}`,
);
const heap = heapPerSeries();
const heapResult: CaseResult = { name: 'heap bytes per series', unit: 'ms', medians: heap };
console.log(
  `${'heap bytes per series'.padEnd(34)} ${Object.entries(heap)
    .map(([k, v]) => `${k} ${v.toFixed(0)} B`)
    .join(' | ')}`,
);
results.push(heapResult);

console.log('\nTargets (ours / peer, same run):');
let met = 0;
const checks = TARGETS.map((target) => {
  const result = results.find((r) => r.name === target.case);
  const ours = result?.medians.datalineage ?? Number.NaN;
  const peer = result?.medians[target.peer] ?? Number.NaN;
  const ratio = ours / peer;
  const ok = target.kind === 'at least' ? ratio >= target.ratio : ratio <= target.ratio;
  if (ok) met++;
  console.log(
    `  ${ok ? 'met    ' : 'NOT MET'} ${target.case} vs ${target.peer}: ${ratio.toFixed(2)}× (target ${target.kind} ${target.ratio}×)`,
  );
  return { ...target, measured: ratio, met: ok };
});
console.log(`${met}/${TARGETS.length} targets met`);

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/latest.json', import.meta.url),
  `${JSON.stringify({ date: new Date().toISOString(), node: process.version, scale, results, checks }, null, 2)}\n`,
);
