// integrateWithTracker: the guide's hook into a DataLineage tracker. A tracker is duck-typed: its
// methods named in `methods` (the usual tracker verbs by default) become monitored operations,
// and if it is an event emitter, its documented events become lineage metrics. Nothing of the
// tracker's behaviour changes: results, errors and `this` pass through; `dispose()` undoes it all.
import type { LogSink } from '../logs/types.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { OperationMonitor } from '../operations/monitor.js';

/**
 * What `integrateWithTracker` looks for on a tracker; every member is optional.
 *
 * - Methods (`track`, `trackOperation`, `createNode`, `addEdge`, `transform`, `read`, `write`, or
 *   those named in `methods`): each call becomes the operation `tracker.<method>`.
 * - Events, when it has `on`/`off` (a Node EventEmitter): `node` `{ type? }` → `lineage_nodes_total{type}`,
 *   `edge` `{ type? }` → `lineage_edges_total{type}`, `operation` `{ name, durationMs?, error? }` →
 *   `lineage_tracker_operations_total{operation,outcome}` (and an ERROR log when `error` is set).
 */
export interface LineageTracker {
  on?(event: string, listener: (payload: unknown) => void): unknown;
  off?(event: string, listener: (payload: unknown) => void): unknown;
}

export interface TrackerIntegrationOptions {
  /**
   * Methods to monitor; those the tracker does not have are skipped.
   * @default ['track', 'trackOperation', 'createNode', 'addEdge', 'transform', 'read', 'write']
   */
  methods?: readonly string[];
  /** Operation names are `<prefix>.<method>`. @default 'tracker' */
  prefix?: string;
}

/** Undoes an integration: methods restored, listeners removed. */
export interface Integration extends Disposable {
  /** What was hooked: wrapped method names and listened-to events. */
  readonly hooked: { readonly methods: readonly string[]; readonly events: readonly string[] };
  dispose(): void;
}

const DEFAULT_METHODS = ['track', 'trackOperation', 'createNode', 'addEdge', 'transform', 'read', 'write'];

function text(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value.slice(0, 100) : fallback;
}

export function integrateWithTracker(
  tracker: LineageTracker,
  sinks: { collector: MetricsCollector; logs: LogSink; operations: OperationMonitor },
  options: TrackerIntegrationOptions = {},
): Integration {
  if (tracker === null || typeof tracker !== 'object') {
    throw new TypeError('integrateWithTracker expects a tracker object (with methods to monitor, or events)');
  }
  const prefix = options.prefix ?? 'tracker';
  const target = tracker as unknown as Record<string, unknown>;
  const restore: Array<() => void> = [];
  const methods: string[] = [];
  for (const method of options.methods ?? DEFAULT_METHODS) {
    const original = target[method];
    if (typeof original !== 'function') continue;
    const own = Object.hasOwn(tracker, method);
    target[method] = sinks.operations.monitorFunction(`${prefix}.${method}`)(
      original as (...args: never[]) => unknown,
    );
    methods.push(method);
    restore.push(() => {
      if (own) target[method] = original;
      else delete target[method]; // it came from the prototype: uncover it again
    });
  }
  const { collector } = sinks;
  const events: string[] = [];
  if (typeof tracker.on === 'function') {
    collector.counter('lineage.nodes', {
      description: 'Lineage nodes the tracker created, by type.',
      labelNames: ['type'],
    });
    collector.counter('lineage.edges', {
      description: 'Lineage edges the tracker added, by type.',
      labelNames: ['type'],
    });
    collector.counter('lineage.tracker.operations', {
      description: 'Operations the tracker reported, by operation and outcome.',
      labelNames: ['operation', 'outcome'],
    });
    const listeners: Record<string, (payload: unknown) => void> = {
      node: (payload) =>
        collector.increment('lineage.nodes', {
          type: text((payload as { type?: unknown })?.type, 'unknown'),
        }),
      edge: (payload) =>
        collector.increment('lineage.edges', {
          type: text((payload as { type?: unknown })?.type, 'unknown'),
        }),
      operation: (payload) => {
        const event = (payload ?? {}) as { name?: unknown; error?: unknown };
        const name = text(event.name, 'unknown');
        const failed = event.error !== undefined && event.error !== null;
        collector.increment('lineage.tracker.operations', {
          operation: name,
          outcome: failed ? 'error' : 'success',
        });
        if (failed) {
          sinks.logs.addLog({
            level: 'ERROR',
            message: `tracker operation ${name} failed`,
            loggerName: 'datalineage.tracker',
            error: event.error,
          });
        }
      },
    };
    for (const [event, listener] of Object.entries(listeners)) {
      // A listener must never throw into the tracker's emit().
      const safe = (payload: unknown): void => {
        try {
          listener(payload);
        } catch {
          // counted nowhere: the collector never throws, this guards what it cannot see
        }
      };
      tracker.on(event, safe);
      events.push(event);
      restore.push(() => tracker.off?.(event, safe));
    }
  }
  if (methods.length === 0 && events.length === 0) {
    throw new TypeError(
      `integrateWithTracker found nothing to monitor: none of the methods ${(options.methods ?? DEFAULT_METHODS).join(', ')}, and no on() for events`,
    );
  }
  let disposed = false;
  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    for (const undo of restore.reverse()) undo();
  };
  return { hooked: { methods, events }, dispose, [Symbol.dispose]: dispose };
}
