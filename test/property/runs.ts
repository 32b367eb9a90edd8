// How many cases each property tries: a bounded number in `npm test` (CI), more on demand with
// PROPERTY_RUNS_FACTOR (e.g. 10 for a long local search). fast-check prints the seed and the
// shrunk counterexample of a failure; PROPERTY_SEED replays a given seed.
import fc from 'fast-check';

const factor = Number(process.env.PROPERTY_RUNS_FACTOR ?? 1);
if (process.env.PROPERTY_SEED !== undefined) fc.configureGlobal({ seed: Number(process.env.PROPERTY_SEED) });

/** `runs` cases, times PROPERTY_RUNS_FACTOR. */
export function propertyRuns(runs: number): number {
  return Math.max(1, Math.round(runs * factor));
}

/** A test's time limit, scaled like its number of cases. */
export function propertyTimeout(ms: number): number {
  return Math.max(ms, Math.round(ms * factor));
}
