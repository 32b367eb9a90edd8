// The exporter manager: for each exporter, a timer that collects what is due (a metrics snapshot),
// a bounded queue in front of the backend, batches sent one request at a time (exports of one
// exporter never overlap), a time limit per request, retries with exponential backoff and jitter
// that honour Retry-After, and statistics keyed by exporter name. Nothing accepted is lost
// silently: every item is exported, or dropped and counted with its reason. `stop()` flushes.
import { diagnostics, type MetricsCollector } from '@datalineage/core';
import { BoundedQueue } from './queue.js';
import {
  type DropReason,
  ExportError,
  type Exporter,
  ExporterConfigError,
  type SendResult,
} from './types.js';

/** How one exporter is run; every field has a default. */
export interface ExportSettings {
  /** Unique name in the manager (statistics are keyed by it). @default the kind, then `kind-2`, … */
  name?: string;
  /** Seconds between export ticks (collect, then send what is queued). @default 15 */
  interval?: number;
  /** Items per request at most. @default 5000 */
  batchSize?: number;
  /** Seconds one request may take; then it is aborted and retried. @default 10 */
  timeout?: number;
  /** Items waiting at most; past it the oldest are dropped (counted as `queue_full`). @default 100000 */
  maxQueueSize?: number;
  /** Delay before the first retry, in ms, doubled per consecutive failure (with jitter). @default 500 */
  backoffMs?: number;
  /** Longest delay between retries, in ms. @default 30000 */
  maxBackoffMs?: number;
  /** A `Retry-After` longer than this (ms) is cut to it. @default 300000 */
  maxRetryAfterMs?: number;
}

/** One exporter's statistics. */
export interface ExporterStats {
  readonly kind: string;
  /** The exporter's configuration, secrets masked. */
  readonly config: Record<string, unknown>;
  /** Items waiting, including a batch in flight. */
  readonly queued: number;
  /** Items the backend took. */
  readonly exported: number;
  /** Requests that failed (each retry that fails counts again). */
  readonly failed: number;
  /** Requests that were retries of a failed one. */
  readonly retried: number;
  /** Items dropped, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Snapshots replaced by a newer one before they were sent (`supersedes` exporters): not a loss. */
  readonly superseded: number;
  /** Ticks whose collection failed. */
  readonly collectErrors: number;
  readonly lastSuccess?: string;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  /** When the next retry is due, while backing off. */
  readonly retryAt?: string;
  /** Milliseconds the last request took. */
  readonly lastRequestMs: number;
}

export interface ExporterManagerOptions {
  /** Defaults for every exporter's settings. */
  defaults?: ExportSettings;
  /** Where the manager's own metrics go. */
  metrics?: MetricsCollector;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1), for tests. @default Math.random */
  random?: () => number;
}

interface Resolved {
  readonly intervalMs: number;
  readonly batchSize: number;
  readonly timeoutMs: number;
  readonly maxQueueSize: number;
  readonly backoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetryAfterMs: number;
}

function resolve(kind: string, settings: ExportSettings): Resolved {
  const number = (key: keyof ExportSettings, fallback: number, integer: boolean, min: number): number => {
    const value = settings[key] ?? fallback;
    if (
      typeof value !== 'number' ||
      !Number.isFinite(value) ||
      value < min ||
      (integer && !Number.isInteger(value))
    ) {
      throw new ExporterConfigError(
        kind,
        key,
        `expected ${integer ? 'an integer' : 'a number'} ≥ ${min}, got ${String(value)}`,
      );
    }
    return value;
  };
  const interval = number('interval', 15, false, 0.001);
  if (interval > 86_400)
    throw new ExporterConfigError(kind, 'interval', `at most 86400 seconds, got ${interval}`);
  return {
    intervalMs: interval * 1000,
    batchSize: number('batchSize', 5000, true, 1),
    timeoutMs: number('timeout', 10, false, 0.001) * 1000,
    maxQueueSize: number('maxQueueSize', 100_000, true, 1),
    backoffMs: number('backoffMs', 500, false, 0),
    maxBackoffMs: number('maxBackoffMs', 30_000, false, 0),
    maxRetryAfterMs: number('maxRetryAfterMs', 300_000, false, 0),
  };
}

/** One exporter with its queue, timers and counts. */
class Slot<T> {
  readonly queue: BoundedQueue<T>;
  private inFlight = 0;
  private sending: Promise<void> | undefined;
  private ticking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Consecutive failed requests, for the backoff. */
  private failures = 0;
  private retryAt = 0;
  private detach: (() => void) | undefined;
  private exported = 0;
  private failed = 0;
  private retried = 0;
  private superseded = 0;
  private collectErrors = 0;
  private readonly dropped: Record<string, number> = {};
  private lastSuccess: number | undefined;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;
  private lastRequestMs = 0;

  constructor(
    readonly name: string,
    readonly exporter: Exporter<T>,
    readonly settings: Resolved,
    private readonly manager: { now: () => number; random: () => number; self: SelfMetrics | undefined },
  ) {
    this.queue = new BoundedQueue(settings.maxQueueSize);
    this.detach = exporter.attach?.((items) => this.enqueue(items));
  }

  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.tick().catch(() => {});
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  /** Stop the timers; queued items stay. */
  pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Queue items; never throws (it runs inside the application's logging calls). */
  enqueue(items: readonly T[]): void {
    if (items.length === 0) return;
    if (this.exporter.supersedes === true) {
      const replaced = this.queue.clear();
      this.superseded += replaced;
    }
    const dropped = this.queue.push(items);
    if (dropped > 0) this.drop('queue_full', dropped);
  }

  /** Collect (one collection at a time), then send what is queued unless backing off. */
  tick(): Promise<void> {
    this.ticking ??= this.collect().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking.then(() => this.pump());
  }

  private async collect(): Promise<void> {
    if (this.exporter.collect === undefined) return;
    try {
      this.enqueue(
        await this.exporter.collect(this.manager.now(), (reason, count) => this.drop(reason, count)),
      );
    } catch (error) {
      this.collectErrors++;
      this.fail(`collecting for export failed: ${message(error)}`);
    }
  }

  /** Start sending if nothing is in flight and no backoff is running; resolves when that send loop ends. */
  pump(deadline?: number): Promise<void> {
    if (this.sending !== undefined) return this.sending;
    if (deadline === undefined && this.retryAt > this.manager.now()) {
      this.scheduleRetry();
      return Promise.resolve();
    }
    this.sending = this.sendAll(deadline).finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  /** While running, resume sending when the backoff ends (ticks in between only queue). */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.timer === undefined) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.pump().catch(() => {});
      },
      Math.max(0, this.retryAt - this.manager.now()),
    );
    this.retryTimer.unref();
  }

  /**
   * Send batches until the queue is empty or a request fails. Without a deadline a failure ends
   * the loop (the retry timer resumes it); with one (stop), the loop waits out its backoff itself
   * until the deadline.
   */
  private async sendAll(deadline: number | undefined): Promise<void> {
    while (this.queue.length > 0) {
      if (deadline !== undefined) {
        const wait = Math.min(this.retryAt, deadline) - this.manager.now();
        if (wait > 0) await sleep(wait);
        if (this.manager.now() >= deadline) return;
      } else if (this.retryAt > this.manager.now()) {
        this.scheduleRetry();
        return;
      }
      const batch = this.queue.take(this.settings.batchSize);
      this.inFlight = batch.length;
      const ok = await this.sendBatch(
        batch,
        deadline === undefined
          ? this.settings.timeoutMs
          : Math.max(1, Math.min(this.settings.timeoutMs, deadline - this.manager.now())),
      );
      this.inFlight = 0;
      if (!ok && deadline === undefined) {
        this.scheduleRetry();
        return;
      }
    }
  }

  /** One request for one batch; puts back what must be retried. Returns whether it succeeded. */
  private async sendBatch(batch: T[], timeoutMs: number): Promise<boolean> {
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ExportError(`timed out after ${timeoutMs} ms`, { retryable: true });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    if (this.failures > 0) this.retried++;
    const started = performance.now();
    let result: SendResult | undefined;
    try {
      // The async wrapper turns a synchronous throw from send() into a rejection.
      result = await Promise.race([(async () => this.exporter.send(batch, controller.signal))(), timedOut]);
    } catch (error) {
      this.lastRequestMs = performance.now() - started;
      return this.failedBatch(batch, error);
    } finally {
      clearTimeout(timer);
    }
    this.lastRequestMs = performance.now() - started;
    const retry = result?.retry ?? [];
    const rejected = result?.rejected ?? [];
    for (const { reason } of rejected) this.drop(reason, 1);
    let counted = 0;
    for (const [reason, count] of Object.entries(result?.dropped ?? {})) {
      const n = Math.max(
        0,
        Math.min(Math.floor(count), batch.length - retry.length - rejected.length - counted),
      );
      this.drop(reason, n);
      counted += n;
    }
    const tookCount = batch.length - retry.length - rejected.length - counted;
    this.exported += tookCount;
    this.manager.self?.exported(this.name, tookCount);
    if (retry.length > 0) {
      this.putBack(retry.map((index) => batch[index] as T));
      this.backoff(result?.retryAfterMs);
      this.failed++;
      this.manager.self?.failed(this.name);
      this.fail(`${retry.length} of ${batch.length} items were refused for now and will be sent again`);
      return false;
    }
    this.failures = 0;
    this.retryAt = 0;
    this.lastSuccess = this.manager.now();
    return true;
  }

  private failedBatch(batch: T[], error: unknown): boolean {
    this.failed++;
    this.manager.self?.failed(this.name);
    const retryable = !(error instanceof ExportError) || error.retryable;
    if (retryable) {
      this.putBack(batch);
      this.fail(`${message(error)}; ${batch.length} items kept for a retry`);
    } else {
      this.drop('rejected', batch.length);
      this.fail(`${message(error)}; ${batch.length} items dropped (the backend refused them for good)`);
    }
    this.backoff(error instanceof ExportError ? error.retryAfterMs : undefined);
    return false;
  }

  private putBack(items: T[]): void {
    if (this.exporter.supersedes === true && this.queue.length > 0) {
      this.superseded += items.length; // a newer snapshot is queued already
      return;
    }
    const dropped = this.queue.unshift(items);
    if (dropped > 0) this.drop('queue_full', dropped);
  }

  private backoff(retryAfterMs: number | undefined): void {
    this.failures++;
    const { backoffMs, maxBackoffMs, maxRetryAfterMs } = this.settings;
    const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(30, this.failures - 1));
    // Equal jitter: half fixed, half random, so retries spread out but never come at once.
    let delay = exponential / 2 + (exponential / 2) * this.manager.random();
    if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, maxRetryAfterMs));
    this.retryAt = this.manager.now() + delay;
  }

  drop(reason: DropReason, count: number): void {
    if (count <= 0) return;
    this.dropped[reason] = (this.dropped[reason] ?? 0) + count;
    this.manager.self?.dropped(this.name, reason, count);
  }

  private fail(text: string): void {
    this.lastError = text;
    this.lastErrorAt = this.manager.now();
    diagnostics.warnOnce(
      'DLM_EXPORT_FAILED',
      this.name,
      `exporter "${this.name}" (${this.exporter.kind}): ${text}. Later failures are counted in its status, not logged.`,
    );
  }

  /** Final collection, then send until the queue is empty or the deadline passes; the rest is dropped. */
  async flush(deadline: number): Promise<void> {
    await this.ticking;
    await this.collect();
    await this.sending;
    await this.pump(deadline);
    const left = this.queue.clear();
    if (left > 0) {
      this.drop('shutdown', left);
      this.fail(`${left} items were still queued when the stop deadline passed`);
    }
  }

  /** Pause, flush, and say goodbye; `detach` too when the exporter is being removed. */
  async close(deadline: number, detach: boolean): Promise<void> {
    this.pause();
    await this.flush(deadline);
    if (detach) {
      this.detach?.();
      this.detach = undefined;
    }
    if (this.exporter.shutdown !== undefined) {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new ExportError('shutdown timed out')),
        Math.max(1, Math.min(this.settings.timeoutMs, deadline - this.manager.now())),
      );
      try {
        await this.exporter.shutdown(controller.signal);
      } catch (error) {
        this.fail(`shutdown failed: ${message(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  stats(): ExporterStats {
    const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());
    let config: Record<string, unknown>;
    try {
      config = this.exporter.describe();
    } catch {
      config = {};
    }
    const lastSuccess = iso(this.lastSuccess);
    const lastErrorAt = iso(this.lastErrorAt);
    const retryAt = this.retryAt > this.manager.now() ? iso(this.retryAt) : undefined;
    return {
      kind: this.exporter.kind,
      config,
      queued: this.queue.length + this.inFlight,
      exported: this.exported,
      failed: this.failed,
      retried: this.retried,
      dropped: { ...this.dropped },
      superseded: this.superseded,
      collectErrors: this.collectErrors,
      ...(lastSuccess === undefined ? {} : { lastSuccess }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(lastErrorAt === undefined ? {} : { lastErrorAt }),
      ...(retryAt === undefined ? {} : { retryAt }),
      lastRequestMs: this.lastRequestMs,
    };
  }
}

/** The manager's own metrics, on the collector it was given. */
class SelfMetrics {
  constructor(private readonly collector: MetricsCollector) {
    collector.counter('datalineage_monitoring_exported_items_total', {
      description: 'Items (points, documents, snapshots) exporters delivered, by exporter.',
      labelNames: ['exporter'],
    });
    collector.counter('datalineage_monitoring_export_dropped_items_total', {
      description: 'Items exporters dropped, by exporter and reason.',
      labelNames: ['exporter', 'reason'],
    });
    collector.counter('datalineage_monitoring_export_failures_total', {
      description: 'Export requests that failed, by exporter.',
      labelNames: ['exporter'],
    });
  }

  exported(exporter: string, count: number): void {
    if (count > 0)
      this.collector.increment('datalineage_monitoring_exported_items_total', { exporter }, count);
  }

  dropped(exporter: string, reason: string, count: number): void {
    this.collector.increment(
      'datalineage_monitoring_export_dropped_items_total',
      { exporter, reason },
      count,
    );
  }

  failed(exporter: string): void {
    this.collector.increment('datalineage_monitoring_export_failures_total', { exporter });
  }

  queued(read: () => Record<string, number>): void {
    this.collector.gauge('datalineage_monitoring_export_queue_items', {
      description: 'Items waiting in exporter queues, by exporter.',
      labelNames: ['exporter'],
      collect: () => {
        for (const [exporter, count] of Object.entries(read()))
          this.collector.setGauge('datalineage_monitoring_export_queue_items', count, { exporter });
      },
    });
  }
}

/**
 * Runs exporters: `addExporter(new InfluxDBExporter(config, collector), { interval: 10 })`, then
 * `start()`; `stop()` collects a last time and flushes every queue within a deadline.
 * @example
 * const exporters = new ExporterManager({ metrics: collector });
 * exporters.addExporter(new PrometheusExporter(new PrometheusConfig({ pushgatewayUrl }), collector));
 * exporters.start();
 * await exporters.stop();
 */
export class ExporterManager {
  private readonly slots = new Map<string, Slot<unknown>>();
  private readonly defaults: ExportSettings;
  private readonly context: { now: () => number; random: () => number; self: SelfMetrics | undefined };
  private running = false;

  constructor(options: ExporterManagerOptions = {}) {
    this.defaults = { ...options.defaults };
    resolve('manager', this.defaults); // bad defaults fail here, at setup
    const self = options.metrics === undefined ? undefined : new SelfMetrics(options.metrics);
    this.context = { now: options.now ?? Date.now, random: options.random ?? Math.random, self };
    self?.queued(() => {
      const queued: Record<string, number> = {};
      for (const [name, slot] of this.slots) queued[name] = slot.queue.length;
      return queued;
    });
  }

  /**
   * Add an exporter; it starts at once when the manager is running.
   * @returns its name, the key of its statistics
   * @throws ExporterConfigError on invalid settings; TypeError on a name in use
   */
  addExporter<T>(exporter: Exporter<T>, settings: ExportSettings = {}): string {
    if (exporter === null || typeof exporter !== 'object' || typeof exporter.send !== 'function') {
      throw new TypeError('addExporter expects an exporter: an object with kind, send() and describe()');
    }
    const merged = { ...this.defaults, ...settings };
    const resolved = resolve(exporter.kind, merged);
    let name = settings.name;
    if (name !== undefined) {
      if (typeof name !== 'string' || name === '')
        throw new TypeError('exporter name must be a non-empty string');
      if (this.slots.has(name))
        throw new TypeError(`an exporter named "${name}" exists already; pass another name`);
    } else {
      name = exporter.kind;
      for (let i = 2; this.slots.has(name); i++) name = `${exporter.kind}-${i}`;
    }
    const slot = new Slot(name, exporter, resolved, this.context);
    this.slots.set(name, slot as Slot<unknown>);
    if (this.running) slot.start();
    return name;
  }

  /**
   * Remove an exporter after flushing it (within `deadlineMs`); what cannot be sent is dropped
   * and counted as `removed`. @returns false for an unknown name
   */
  async removeExporter(name: string, deadlineMs = 5000): Promise<boolean> {
    const slot = this.slots.get(name);
    if (slot === undefined) return false;
    this.slots.delete(name);
    await slot.close(this.context.now() + deadlineMs, true);
    return true;
  }

  /** Names of the exporters, in the order they were added. */
  names(): string[] {
    return [...this.slots.keys()];
  }

  start(): void {
    this.running = true;
    for (const slot of this.slots.values()) slot.start();
  }

  /**
   * Collect a last time, flush every queue (all exporters at once) within `deadlineMs`, then let
   * exporters say goodbye (a Pushgateway delete). What is still queued at the deadline is dropped
   * and counted as `shutdown`. Exporters stay attached (log records keep queueing), so `start()`
   * resumes them. Safe to call more than once.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.running = false;
    const deadline = this.context.now() + deadlineMs;
    await Promise.all([...this.slots.values()].map((slot) => slot.close(deadline, false).catch(() => {})));
  }

  /**
   * Export now: collect and send for every exporter (or the one named), waiting for the sends.
   * A backing-off exporter is not hurried: its queue waits for its retry time.
   */
  async exportNow(name?: string): Promise<void> {
    const slots = name === undefined ? [...this.slots.values()] : [this.slots.get(name)];
    await Promise.all(slots.map((slot) => slot?.tick()));
  }

  /** Every exporter's statistics, by name. */
  stats(): Record<string, ExporterStats> {
    const stats: Record<string, ExporterStats> = {};
    for (const [name, slot] of this.slots) stats[name] = slot.stats();
    return stats;
  }
}

function message(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return typeof error === 'string' ? error : String(error);
  } catch {
    return '[unprintable error]';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
