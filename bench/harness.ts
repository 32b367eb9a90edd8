// Benchmark harness: interleaved rounds, medians, ratios. Every implementation of a case runs in
// the same process, round after round, so drift (JIT, GC, CPU frequency) hits them alike.

export interface Implementation {
  readonly name: string;
  /** Runs `ops` operations (the loop lives inside, so the measured call can be inlined). */
  readonly run: (ops: number) => void | Promise<void>;
}

export interface CaseResult {
  readonly name: string;
  readonly unit: 'ops/s' | 'ms';
  /** Median per implementation: ops/s for throughput cases, ms per call for latency cases. */
  readonly medians: Record<string, number>;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Throughput: each round runs every implementation for `ops` operations. */
export async function throughput(
  name: string,
  implementations: readonly Implementation[],
  { ops, rounds, warmup }: { ops: number; rounds: number; warmup: number },
): Promise<CaseResult> {
  for (const impl of implementations) await impl.run(warmup);
  const samples: Record<string, number[]> = Object.fromEntries(implementations.map((i) => [i.name, []]));
  for (let round = 0; round < rounds; round++) {
    // Alternate the order so no implementation always runs right after another's garbage.
    const order = round % 2 === 0 ? implementations : [...implementations].reverse();
    for (const impl of order) {
      const started = process.hrtime.bigint();
      await impl.run(ops);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      samples[impl.name]?.push(ops / seconds);
    }
  }
  return {
    name,
    unit: 'ops/s',
    medians: Object.fromEntries(Object.entries(samples).map(([impl, values]) => [impl, median(values)])),
  };
}

/** Latency of a whole call (an exposition), in milliseconds per call. */
export async function latency(
  name: string,
  implementations: readonly Implementation[],
  { rounds, warmup }: { rounds: number; warmup: number },
): Promise<CaseResult> {
  for (const impl of implementations) for (let i = 0; i < warmup; i++) await impl.run(1);
  const samples: Record<string, number[]> = Object.fromEntries(implementations.map((i) => [i.name, []]));
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? implementations : [...implementations].reverse();
    for (const impl of order) {
      const started = process.hrtime.bigint();
      await impl.run(1);
      samples[impl.name]?.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
  }
  return {
    name,
    unit: 'ms',
    medians: Object.fromEntries(Object.entries(samples).map(([impl, values]) => [impl, median(values)])),
  };
}

export function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)}M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)}k`;
  return value.toFixed(0);
}
