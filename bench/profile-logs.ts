// `npm run bench:logs:profile`: a CPU profile of addLog in the benchmark's ingestion loop (default
// options: redaction on, a store of 1,000,000; a yield every 5,000 lines, as bench:logs does).
// PROFILE_PEER=otel profiles the raw OpenTelemetry peer in the same loop instead.
// Prints self time per line by stage and by function, and writes the profile to
// bench/results/logs-ingestion.cpuprofile (open it in Chrome DevTools or speedscope). Sampling
// inflates the total; the shares are what to read.
import { mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { fileURLToPath } from 'node:url';
import { LogAggregator } from '@datalineage/core';
import { addBenchLine, otelPeer } from './logs.bench.js';

const lines = Number(process.env.PROFILE_LINES ?? 2_000_000);
const peer = process.env.PROFILE_PEER === 'otel';
const logLine = peer
  ? otelPeer().emitLine
  : (
      (aggregator) => (i: number) =>
        addBenchLine(aggregator, i)
    )(new LogAggregator({ maxEntries: 1_000_000 }));
const yieldNow = () => new Promise((resolve) => setImmediate(resolve));
const run = async (n: number) => {
  for (let i = 0; i < n; i++) {
    logLine(i);
    if (i % 5000 === 4999) await yieldNow();
  }
};
await run(200_000); // warm up: let the JIT settle before sampling

interface ProfileNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount: number;
}
const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const started = process.hrtime.bigint();
await run(lines);
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
const { profile } = (await session.post('Profiler.stop')) as { profile: { nodes: ProfileNode[] } };
session.disconnect();

const out = new URL('./results/logs-ingestion.cpuprofile', import.meta.url);
mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(out, JSON.stringify(profile));

/** The stage a function belongs to, by the file it lives in. */
const STAGES: ReadonlyArray<readonly [RegExp, string]> = [
  [/@opentelemetry\//, 'OpenTelemetry Logger.emit and LogRecord'],
  [/logs\/redact\./, 'redaction'],
  [/logs\/(entry|stringify|levels)\./, 'reading the input (level, time, extraData copy)'],
  [/logs\/pipeline\./, 'pipeline (sampling, truncation, hand-over)'],
  [/logs\/store\./, 'store'],
  [/logs\/aggregator\./, 'aggregator (emit, queue, stats)'],
  [/logs\/self-metrics\.|\/metrics\//, 'self-metrics'],
  [/^bench\//, 'the benchmark loop (making the line)'],
];
const root = fileURLToPath(new URL('..', import.meta.url));
const byFunction = new Map<string, number>();
const byStage = new Map<string, number>();
let total = 0;
for (const node of profile.nodes) {
  if (node.hitCount === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url.replace(/^file:\/\//, '').replace(root, '');
  const name = functionName || '(anonymous)';
  const stage =
    STAGES.find(([pattern]) => pattern.test(file))?.[1] ??
    (name === '(garbage collector)' ? 'garbage collection' : 'other (program, idle, Node)');
  const key = `${name} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
  byFunction.set(key, (byFunction.get(key) ?? 0) + node.hitCount);
  byStage.set(stage, (byStage.get(stage) ?? 0) + node.hitCount);
  total += node.hitCount;
}
const perLineNs = (seconds * 1e9) / lines;
const print = (table: Map<string, number>, limit: number) => {
  for (const [key, hits] of [...table].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    const share = hits / total;
    console.log(
      `  ${(share * perLineNs).toFixed(0).padStart(5)} ns  ${(share * 100).toFixed(1).padStart(5)}%  ${key}`,
    );
  }
};
console.log(
  `node ${process.version}, ${peer ? 'the raw OpenTelemetry logger' : 'addLog'}: ${lines.toLocaleString('en')} lines in ${seconds.toFixed(2)} s under the profiler, ${perLineNs.toFixed(0)} ns per line`,
);
console.log('self time per line, by stage:');
print(byStage, STAGES.length + 2);
console.log('by function:');
print(byFunction, 25);
console.log(`profile: ${fileURLToPath(out)}`);
