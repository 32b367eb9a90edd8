// How one exporter is run (interval, batch size, time limit, queue bound, backoff), checked once
// when it is added so a bad value fails at setup with the option's name.
import { ExporterConfigError } from './types.js';

/** How one exporter is run; every field has a default. */
export interface ExportSettings {
  /** Unique name in the manager (statistics are keyed by it). @default the kind, then `kind-2`, … */
  name?: string;
  /** Seconds between export ticks (collect, then send what is queued), at most a day. @default 15 */
  interval?: number;
  /** Items per request at most. @default 5000 */
  batchSize?: number;
  /** Seconds one request may take; then it is aborted and retried. @default 10 */
  timeout?: number;
  /** Items waiting at most; past it the oldest are dropped (counted as `queue_full`). @default 100000 */
  maxQueueSize?: number;
  /**
   * Delay before the first retry, in ms, doubled per consecutive failure (with jitter); at least
   * 10, so a backend that is down is never hammered.
   * @default 500
   */
  backoffMs?: number;
  /** Longest delay between retries, in ms; at least `backoffMs`. @default 30000 */
  maxBackoffMs?: number;
  /** A `Retry-After` longer than this (ms) is cut to it. @default 300000 */
  maxRetryAfterMs?: number;
}

/** Settings with every default applied, in milliseconds. */
export interface ResolvedSettings {
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly maxQueueSize: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryAfterMs: number;
}

/** The shortest wait between two attempts. */
export const MIN_BACKOFF_MS = 10;

/** @throws ExporterConfigError naming the setting */
export function resolveSettings(kind: string, settings: ExportSettings): ResolvedSettings {
  const number = (
    key: keyof ExportSettings,
    fallback: number,
    integer: boolean,
    min: number,
    max: number,
  ): number => {
    const value = settings[key] ?? fallback;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      value > max ||
      (integer && !Number.isInteger(value))
    ) {
      throw new ExporterConfigError(
        kind,
        key,
        `expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${String(value)}`,
      );
    }
    return value;
  };
  const backoffMs = number('backoffMs', 500, false, MIN_BACKOFF_MS, 3_600_000);
  const maxBackoffMs = number('maxBackoffMs', Math.max(30_000, backoffMs), false, MIN_BACKOFF_MS, 3_600_000);
  if (maxBackoffMs < backoffMs) {
    throw new ExporterConfigError(
      kind,
      'maxBackoffMs',
      `must be at least backoffMs (${backoffMs}), got ${maxBackoffMs}`,
    );
  }
  return {
    intervalMs: number('interval', 15, false, 0.001, 86_400) * 1000,
    batchSize: number('batchSize', 5000, true, 1, 1_000_000),
    timeoutMs: number('timeout', 10, false, 0.001, 3600) * 1000,
    maxQueueSize: number('maxQueueSize', 100_000, true, 1, 10_000_000),
    backoffMs,
    maxBackoffMs,
    maxRetryAfterMs: number('maxRetryAfterMs', 300_000, false, 0, 86_400_000),
  };
}
