// One collection: run the metrics' `collect` callbacks (each isolated, time-limited, never two at
// once for one metric), then convert every family that did not fail to OpenTelemetry MetricData.
import type { HrTime } from '@opentelemetry/api';
import type { MetricData } from '@opentelemetry/sdk-metrics';
import { within } from '../internal/deadline.js';
import { type AnyFamily, familyToMetricData } from './producer.js';

/** Error recorded when a metric's `collect` callback throws, rejects or times out. */
export class CollectCallbackError extends Error {
  override readonly name = 'CollectCallbackError';
  constructor(
    readonly metric: string,
    cause: unknown,
  ) {
    super(
      `collect callback of metric "${metric}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      { cause },
    );
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** Callbacks still running from an earlier collection: not started again until they settle. */
const inFlight = new WeakMap<AnyFamily, Promise<unknown>>();

async function settleWithin(pending: Promise<unknown>, millis: number): Promise<void> {
  const settled = await within(pending, millis);
  if (settled.outcome === 'failed') throw settled.error;
  if (settled.outcome === 'expired') throw new Error(`timed out after ${millis} ms`);
}

/** Run callbacks and convert; never rejects: each failure is returned and costs only its metric. */
export async function collectFamilies(
  families: Iterable<AnyFamily>,
  timeoutMillis: number,
  endTime: () => HrTime,
): Promise<{ metrics: MetricData[]; errors: unknown[] }> {
  const errors: unknown[] = [];
  const failed = new Set<AnyFamily>();
  const pending: Promise<void>[] = [];
  const all = [...families];
  for (const family of all) {
    if (family.collect === undefined) continue;
    const fail = (error: unknown): void => {
      failed.add(family);
      errors.push(new CollectCallbackError(family.name, error));
    };
    const running = inFlight.get(family);
    if (running !== undefined) {
      fail(new Error('still running from an earlier collection'));
      continue;
    }
    try {
      const result: unknown = family.collect();
      if (isPromiseLike(result)) {
        const promise = Promise.resolve(result);
        inFlight.set(family, promise);
        const forget = (): void => {
          if (inFlight.get(family) === promise) inFlight.delete(family);
        };
        promise.then(forget, forget);
        pending.push(settleWithin(promise, timeoutMillis).catch(fail));
      }
    } catch (error) {
      fail(error);
    }
  }
  if (pending.length > 0) await Promise.all(pending);
  const metrics: MetricData[] = [];
  const now = endTime();
  for (const family of all) {
    if (failed.has(family)) continue;
    try {
      familyToMetricData(family, now, metrics);
    } catch (error) {
      errors.push(new CollectCallbackError(family.name, error));
    }
  }
  return { metrics, errors };
}
