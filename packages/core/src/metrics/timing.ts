// Timers: measure durations in seconds into histograms — `using t = timer()`, `time(fn)`, `@timed`.
import type { Labels } from './types.js';

/** Records a duration (seconds) with an optional outcome; supplied by the collector. */
export type DurationRecorder = (seconds: number, outcome: 'success' | 'error' | undefined) => void;

/**
 * A running timer. `stop()` records once and returns the elapsed seconds; disposing it (`using`)
 * stops it. A plain timer has no `outcome` label, since disposal cannot see whether the block
 * threw; call `stop('error')` or use `time()` / `timed()`, which label every duration.
 */
export class Timer implements Disposable {
  private readonly startedAt = performance.now();
  private elapsed: number | undefined;

  constructor(private readonly recordDuration: DurationRecorder) {}

  /** Stop and record; later calls return the first result without recording again. */
  stop(outcome?: 'success' | 'error'): number {
    if (this.elapsed === undefined) {
      this.elapsed = (performance.now() - this.startedAt) / 1000;
      this.recordDuration(this.elapsed, outcome);
    }
    return this.elapsed;
  }

  [Symbol.dispose](): void {
    this.stop();
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Run `fn`, recording its duration with `outcome="success"` or `outcome="error"`. Sync results and
 * errors pass through unchanged; for a promise the same promise is returned, and the duration is
 * recorded when it settles (a non-native thenable is awaited once and a native promise returned).
 */
export function timeCall<R>(recordDuration: DurationRecorder, fn: () => R): R {
  const startedAt = performance.now();
  const done = (outcome: 'success' | 'error'): void =>
    recordDuration((performance.now() - startedAt) / 1000, outcome);
  let result: R;
  try {
    result = fn();
  } catch (error) {
    done('error');
    throw error;
  }
  if (result instanceof Promise) {
    result.then(
      () => done('success'),
      () => done('error'), // observed only to time it; the caller's own handlers see the rejection
    );
  } else if (isPromiseLike(result)) {
    // A foreign thenable (a query builder, say) may run again on every then(): subscribe once and
    // hand back a native promise that settles the same way.
    return Promise.resolve(result).then(
      (value) => {
        done('success');
        return value;
      },
      (error: unknown) => {
        done('error');
        throw error;
      },
    ) as R;
  } else {
    done('success');
  }
  return result;
}

/** Wrap a function so every call is timed; keeps `this`, arguments, name and length. */
export function wrapTimed<F extends (this: never, ...args: never[]) => unknown>(
  recordDuration: DurationRecorder,
  fn: F,
): F {
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    return timeCall(recordDuration, () => (fn as unknown as (...a: unknown[]) => unknown).apply(this, args));
  };
  Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
  Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
  return wrapped as unknown as F;
}

/** Labels plus the outcome label, built once per outcome rather than per call. */
export function outcomeLabels(labels: Labels | undefined): { success: Labels; error: Labels } {
  return {
    success: Object.freeze({ ...labels, outcome: 'success' }),
    error: Object.freeze({ ...labels, outcome: 'error' }),
  };
}
