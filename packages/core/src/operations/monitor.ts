// Monitored operations, the guide's monitor_function and monitor_operation: every run counts as
// started, then completed or failed, with its duration; a failure logs one ERROR line carrying
// the error; and logs emitted inside carry the operation's name (through AsyncLocalStorage).
// Errors are recorded and rethrown unchanged; results pass through untouched.
import type { LogSink } from '../logs/types.js';
import { LogLevel } from '../logs/types.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { Labels } from '../metrics/types.js';
import { type OperationContext, operationStorage } from './context.js';

/** A running operation from `monitorOperation(name)`; `using` ends it. */
export interface OperationHandle extends Disposable {
  readonly name: string;
  /** Mark it failed (the disposal cannot see an exception): recorded and logged once, when it ends. */
  fail(error: unknown): void;
  /** End it now: completed, unless `fail()` was called. Later calls do nothing. */
  end(): void;
}

/** A wrapper that is also a standard method decorator. */
export type MonitoredDecorator = <F extends (this: never, ...args: never[]) => unknown>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F;

const STARTED = 'monitored_operation.started';
const COMPLETED = 'monitored_operation.completed';
const FAILED = 'monitored_operation.failed';
const DURATION = 'monitored_operation.duration';

function errorType(error: unknown): string {
  if (error instanceof Error) return error.name || error.constructor?.name || 'Error';
  return typeof error;
}

function describe(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return '[unprintable error]';
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
 * Records operations into the collector (and failures into the log sink):
 * `monitored_operation_started_total{operation}`, `…_completed_total{operation}`,
 * `…_failed_total{operation,error_type}` and `monitored_operation_duration_seconds{operation,outcome}`.
 */
export class OperationMonitor {
  constructor(
    private readonly collector: MetricsCollector,
    private readonly logs?: LogSink,
  ) {
    collector.counter(STARTED, { description: 'Monitored operations started, by operation.' });
    collector.counter(COMPLETED, { description: 'Monitored operations that completed, by operation.' });
    collector.counter(FAILED, {
      description: 'Monitored operations that failed, by operation and error type.',
    });
    collector.histogram(DURATION, {
      description: 'Duration of monitored operations, by operation and outcome.',
      unit: 's',
    });
  }

  /**
   * Wrap a function (sync or async) so that every call is a monitored operation; works as a
   * standard decorator too. `this`, arguments, name and length are kept.
   * @example
   * class Tracker { @monitoring.monitorFunction('track') async track(df) { … } }
   * const load = monitoring.monitorFunction('load')(loadDataset);
   */
  monitorFunction(name: string, labels?: Labels): MonitoredDecorator {
    return (fn) => {
      const monitor = this;
      const wrapped = function (this: unknown, ...args: unknown[]): unknown {
        return monitor.run(name, labels, () =>
          (fn as unknown as (...a: unknown[]) => unknown).apply(this, args),
        );
      };
      Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
      Object.defineProperty(wrapped, 'length', { value: fn.length, configurable: true });
      return wrapped as unknown as typeof fn;
    };
  }

  /**
   * Run `fn` as a monitored operation and return what it returns (a promise is returned as it
   * is and recorded when it settles); or, without `fn`, start one that `using` (or `end()`)
   * ends. Logs emitted inside carry `operation`.
   * @example
   * await monitoring.monitorOperation('resolve_lineage', () => resolve(dataset));
   * { using op = monitoring.monitorOperation('batch'); try { work(); } catch (e) { op.fail(e); throw e; } }
   */
  monitorOperation<R>(name: string, fn: () => R, labels?: Labels): R;
  monitorOperation(name: string, labels?: Labels): OperationHandle;
  monitorOperation<R>(name: string, fnOrLabels?: (() => R) | Labels, labels?: Labels): R | OperationHandle {
    if (typeof fnOrLabels === 'function') return this.run(name, labels, fnOrLabels);
    return this.start(name, fnOrLabels);
  }

  private run<R>(name: string, labels: Labels | undefined, fn: () => R): R {
    const context: OperationContext = { operation: name, ...this.parentOf() };
    const base = { ...labels, operation: name };
    this.collector.increment(STARTED, base);
    const startedAt = performance.now();
    const finish = (error?: unknown, failed = false): void => {
      this.record(name, base, (performance.now() - startedAt) / 1000, failed, error, context);
    };
    let result: R;
    try {
      result = operationStorage.run(context, fn);
    } catch (error) {
      finish(error, true);
      throw error;
    }
    if (result instanceof Promise) {
      result.then(
        () => finish(),
        (error: unknown) => finish(error, true), // observed only; the caller sees the rejection
      );
      return result;
    }
    if (isPromiseLike(result)) {
      return Promise.resolve(result).then(
        (value) => {
          finish();
          return value;
        },
        (error: unknown) => {
          finish(error, true);
          throw error;
        },
      ) as R;
    }
    finish();
    return result;
  }

  private start(name: string, labels: Labels | undefined): OperationHandle {
    const context: OperationContext = { operation: name, ...this.parentOf() };
    const previous = operationStorage.getStore();
    const base = { ...labels, operation: name };
    this.collector.increment(STARTED, base);
    // `using` gives no callback scope: the context holds for the rest of this synchronous run and
    // what it starts, until the operation ends and puts the previous one back.
    operationStorage.enterWith(context);
    const startedAt = performance.now();
    let failure: { error: unknown } | undefined;
    let ended = false;
    const end = (): void => {
      if (ended) return;
      ended = true;
      operationStorage.enterWith(previous as OperationContext);
      this.record(
        name,
        base,
        (performance.now() - startedAt) / 1000,
        failure !== undefined,
        failure?.error,
        context,
      );
    };
    return {
      name,
      fail: (error) => {
        failure ??= { error };
      },
      end,
      [Symbol.dispose]: end,
    };
  }

  private parentOf(): { parent?: OperationContext } {
    const parent = operationStorage.getStore();
    return parent === undefined ? {} : { parent };
  }

  private record(
    name: string,
    base: Labels,
    seconds: number,
    failed: boolean,
    error: unknown,
    context: OperationContext,
  ): void {
    // Recording must never replace the caller's error or result with one of its own.
    try {
      this.recordNow(name, base, seconds, failed, error, context);
    } catch {
      // The collector and the aggregator never throw; this is for what wraps them.
    }
  }

  private recordNow(
    name: string,
    base: Labels,
    seconds: number,
    failed: boolean,
    error: unknown,
    context: OperationContext,
  ): void {
    this.collector.recordHistogram(DURATION, seconds, { ...base, outcome: failed ? 'error' : 'success' });
    if (!failed) {
      this.collector.increment(COMPLETED, base);
      return;
    }
    this.collector.increment(FAILED, { ...base, error_type: errorType(error) });
    // Logged inside the operation's context, so the line carries `operation` like any other.
    operationStorage.run(context, () =>
      this.logs?.addLog({
        level: LogLevel.ERROR,
        message: `operation ${name} failed: ${describe(error)}`,
        loggerName: 'datalineage.operations',
        extraData: { duration_seconds: seconds },
        error,
      }),
    );
  }
}
