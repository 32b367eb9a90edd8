// The cost of HTTP server metrics on a minimal Hono app served by @hono/node-server on
// 127.0.0.1: the app without monitoring, instrumented at its fetch entry (instrumentHono), with
// the middleware (monitorHono) and — the peer — with a no-op middleware
// (`async (c, next) => { await next() }`), which shows what any middleware costs in Hono: it
// leaves Hono's synchronous one-handler path.
//
// The servers run in one process of their own (bench/http-server.ts), so no variant gets a
// luckier process, and are loaded in turn by autocannon from this one (50 connections, a few
// /users/N URLs), in rounds ordered ABCD then DCBA so a machine that speeds up or slows down
// favours no variant. Two figures per variant:
//   - requests/s, and each round's rate over the same round's unmonitored rate;
//   - the server's CPU time per request (user + system, process.cpuUsage() of the server
//     process), whose inverse ratio is the throughput a CPU-bound server keeps. On a shared
//     machine both move together; the spread over rounds shows how far to trust a figure.
// Checks that the histograms counted every request, and writes bench/results/http-middleware.json.
//   npm run bench:http
// Defaults: 2 s runs × 20 rounds × 4 variants (~3 min): many short paired rounds are steadier
// than a few long ones. BENCH_SECONDS, BENCH_ROUNDS and BENCH_CONNECTIONS override them.
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, cpus } from 'node:os';
import type { Usage, Variant } from './http-server.js';

/** The part of autocannon 8's API used here (it ships no types). */
interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number };
  errors: number;
  timeouts: number;
  non2xx: number;
}
type Autocannon = (options: {
  url: string;
  connections: number;
  duration: number;
  requests?: Array<{ path: string }>;
}) => Promise<AutocannonResult>;
const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const WARMUP_SECONDS = 2;
const PATHS = ['/users/1', '/users/2', '/users/3', '/users/42'];
const ORDER: Variant[] = ['without', 'instrumented', 'middleware', 'noop'];
const MONITORED: Variant[] = ['instrumented', 'middleware'];
const LABEL: Record<Variant, string> = {
  without: 'without monitoring',
  instrumented: 'instrumentHono(app)',
  middleware: 'app.use(monitorHono())',
  noop: 'no-op middleware (peer)',
};

interface Server {
  url: string;
  usage(): Promise<Usage>;
}

/** Forks the process that serves every variant; one at a time is loaded, so its CPU is that one's. */
async function startServers(): Promise<{ servers: Record<Variant, Server>; child: ChildProcess }> {
  const child = fork(new URL('./http-server.ts', import.meta.url), [], {
    execArgv: ['--conditions=@datalineage/source', '--import', 'tsx'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [ready] = (await once(child, 'message')) as [{ ports: Record<Variant, number> }];
  const servers = Object.fromEntries(
    ORDER.map((variant) => {
      const usage = async () => {
        child.send({ usage: variant });
        const [reply] = (await once(child, 'message')) as [Usage];
        return reply;
      };
      return [variant, { url: `http://127.0.0.1:${ready.ports[variant]}`, usage }];
    }),
  ) as Record<Variant, Server>;
  return { servers, child };
}

const load = (url: string, seconds: number) =>
  autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: PATHS.map((path) => ({ path })) });

const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;
const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
};
const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
const range = (values: number[]) => `${percent(Math.min(...values))}–${percent(Math.max(...values))}`;

console.log(
  `http-middleware: Hono, ${SECONDS}s runs × ${ROUNDS} rounds of ${ORDER.join('/')}, ${CONNECTIONS} connections, ` +
    `${PATHS.length} URLs, a process per server, Node ${process.version}, ${availableParallelism()} CPU(s): ${cpus()[0]?.model ?? 'unknown'}`,
);
const { servers, child } = await startServers();
for (const variant of ORDER) await load(servers[variant].url, WARMUP_SECONDS);
const countedBy = async () => {
  const counts: Partial<Record<Variant, number>> = {};
  for (const variant of ORDER) counts[variant] = (await servers[variant].usage()).counted;
  return counts as Record<Variant, number>;
};
const countedBefore = await countedBy();

interface Run {
  round: number;
  variant: Variant;
  requestsPerSecond: number;
  total: number;
  cpuMicrosPerRequest: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
}
const runs: Run[] = [];
const served = Object.fromEntries(ORDER.map((v) => [v, 0])) as Record<Variant, number>;
for (let round = 0; round < ROUNDS; round++) {
  const order = round % 2 === 0 ? ORDER : [...ORDER].reverse();
  for (const variant of order) {
    const server = servers[variant];
    const before = await server.usage();
    const result = await load(server.url, SECONDS);
    const after = await server.usage();
    const errors = result.errors + result.timeouts + result.non2xx;
    served[variant] += result.requests.total;
    const run: Run = {
      round,
      variant,
      requestsPerSecond: result.requests.average,
      total: result.requests.total,
      cpuMicrosPerRequest: (after.cpuMicros - before.cpuMicros) / result.requests.total,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
      errors,
    };
    runs.push(run);
    console.log(
      `  round ${round + 1} ${variant.padEnd(12)} ${Math.round(run.requestsPerSecond).toString().padStart(6)} req/s` +
        `  ${run.cpuMicrosPerRequest.toFixed(2).padStart(6)} µs CPU/request  p99 ${run.p99Ms} ms  errors ${errors}`,
    );
  }
}

const of = (variant: Variant) => runs.filter((run) => run.variant === variant);
/** A variant's figure in each round over the same round's unmonitored figure. */
const paired = (variant: Variant, figure: (run: Run) => number) =>
  of(variant).map((run) => {
    const base = runs.find((other) => other.round === run.round && other.variant === 'without') as Run;
    return figure(run) / figure(base);
  });
const summary = Object.fromEntries(
  ORDER.map((variant) => {
    const rates = of(variant).map((run) => run.requestsPerSecond);
    const cpu = of(variant).map((run) => run.cpuMicrosPerRequest);
    const throughputRatios = paired(variant, (run) => run.requestsPerSecond);
    const cpuRatios = paired(variant, (run) => 1 / run.cpuMicrosPerRequest);
    return [
      variant,
      {
        requestsPerSecond: { mean: Math.round(mean(rates)), median: Math.round(median(rates)) },
        cpuMicrosPerRequest: Number(median(cpu).toFixed(3)),
        throughputToWithout: { medianOfRounds: median(throughputRatios), rounds: throughputRatios },
        cpuToWithout: { medianOfRounds: median(cpuRatios), rounds: cpuRatios },
      },
    ];
  }),
) as Record<
  Variant,
  {
    requestsPerSecond: { mean: number; median: number };
    cpuMicrosPerRequest: number;
    throughputToWithout: { medianOfRounds: number; rounds: number[] };
    cpuToWithout: { medianOfRounds: number; rounds: number[] };
  }
>;

const countedAfter = await countedBy();
child.disconnect();

console.log('');
console.log(
  `  ${''.padEnd(26)} ${'req/s'.padStart(7)}  CPU/request  throughput kept (rounds)    by CPU/request (rounds)`,
);
for (const variant of ORDER) {
  const s = summary[variant];
  const ratio = ({ medianOfRounds, rounds }: { medianOfRounds: number; rounds: number[] }) =>
    `${percent(medianOfRounds).padStart(6)} (${range(rounds)})`;
  const kept =
    variant === 'without' ? '' : `${ratio(s.throughputToWithout).padEnd(27)}${ratio(s.cpuToWithout)}`;
  console.log(
    `  ${LABEL[variant].padEnd(26)} ${String(s.requestsPerSecond.median).padStart(7)}  ${s.cpuMicrosPerRequest.toFixed(2).padStart(6)} µs    ${kept}`,
  );
}
for (const variant of MONITORED) {
  const s = summary[variant];
  const met = s.throughputToWithout.medianOfRounds >= 0.9 && s.cpuToWithout.medianOfRounds >= 0.9;
  console.log(`  ${LABEL[variant]}: target ≥ 90% of the unmonitored throughput ${met ? 'met' : 'NOT MET'}`);
}
// The histograms also count responses still in flight when a run's clock stopped.
for (const variant of MONITORED) {
  console.log(
    `  ${LABEL[variant]} counted ${countedAfter[variant] - countedBefore[variant]} requests; autocannon read ${served[variant]}`,
  );
}

mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
writeFileSync(
  new URL('./results/http-middleware.json', import.meta.url),
  `${JSON.stringify(
    {
      benchmark: 'http-middleware',
      date: new Date().toISOString(),
      node: process.version,
      cpus: availableParallelism(),
      cpuModel: cpus()[0]?.model ?? 'unknown',
      config: { seconds: SECONDS, rounds: ROUNDS, connections: CONNECTIONS, paths: PATHS.join(' ') },
      summary,
      targetRatio: 0.9,
      histogramCount: Object.fromEntries(MONITORED.map((v) => [v, countedAfter[v] - countedBefore[v]])),
      autocannonTotal: Object.fromEntries(MONITORED.map((v) => [v, served[v]])),
      runs,
    },
    null,
    2,
  )}\n`,
);
console.log('  written to bench/results/http-middleware.json');
