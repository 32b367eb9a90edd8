// A deterministic, lineage-like workload: operation i of seed s is always the same, so the
// end-to-end tests can compute the values Prometheus must report for the first N operations.

export type Stage = 'extract' | 'transform' | 'load';

export interface PlannedOperation {
  readonly index: number;
  readonly stage: Stage;
  readonly dataset: string;
  /** Rows the operation handles. */
  readonly rows: number;
  /** Size of the request in bytes. */
  readonly bytes: number;
  /** Simulated lineage-resolution latency in seconds (recorded in a summary). */
  readonly latency: number;
  /** Whether the operation fails (recorded as an error). */
  readonly fails: boolean;
}

const STAGES: readonly Stage[] = ['extract', 'transform', 'load'];
const DATASETS = [
  'orders',
  'customers',
  'invoices',
  'shipments',
  'products',
  'events',
  'payments',
  'returns',
];

/** mulberry32: a tiny seeded PRNG, good enough for workloads. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function planOperation(seed: number, index: number): PlannedOperation {
  const next = random(Math.imul(seed ^ 0x9e3779b9, 31) + index * 2654435761);
  next();
  const stage = STAGES[Math.floor(next() * STAGES.length)] as Stage;
  const dataset = DATASETS[Math.floor(next() * DATASETS.length)] as string;
  const rows = 1 + Math.floor(next() * 5000);
  // Lognormal-ish sizes (200 B .. ~1 MB) and latencies (~1 ms .. ~2 s).
  const bytes = Math.round(200 * Math.exp(next() * 8.5));
  const latency = 0.001 * Math.exp(next() * 7.6);
  const fails = next() < 0.08;
  return { index, stage, dataset, rows, bytes, latency, fails };
}

export function planOperations(seed: number, count: number): PlannedOperation[] {
  return Array.from({ length: count }, (_, i) => planOperation(seed, i));
}
