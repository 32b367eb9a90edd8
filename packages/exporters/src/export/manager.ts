// The exporter manager: for each exporter, a timer that collects what is due (a metrics snapshot),
// a bounded queue in front of the backend, batches sent one request at a time (exports of one
// exporter never overlap), a time limit per request, retries with exponential backoff and jitter
// that honour Retry-After, and statistics keyed by exporter name. Nothing accepted is lost
// silently: every item is exported, or dropped and counted with its reason. `stop()` flushes.
// The per-exporter machinery is in slot.ts, the settings in settings.ts.
import type { MetricsCollector } from '@datalineage/core';
import { type ExportCounts, exportMetrics } from './self-metrics.js';
import { type ExportSettings, resolveSettings } from './settings.js';
import { type ExporterStats, Slot, type SlotContext } from './slot.js';
import type { Exporter } from './types.js';

export type { ExportSettings } from './settings.js';
export type { ExporterStats } from './slot.js';

export interface ExporterManagerOptions {
  /** Defaults for every exporter's settings (see ExportSettings). @default {} */
  defaults?: ExportSettings;
  /** Where the manager's own metrics go (exported, dropped, failures, queue sizes). @default none */
  metrics?: MetricsCollector;
  /** Clock (epoch ms), for tests. @default Date.now */
  now?: () => number;
  /** Jitter source in [0, 1), for tests. @default Math.random */
  random?: () => number;
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
  private readonly context: SlotContext;
  private readonly counts: ExportCounts | undefined;
  /** Exporters removed since the last collection, whose queue gauge goes to 0 once. */
  private readonly gone = new Set<string>();
  private running = false;

  constructor(options: ExporterManagerOptions = {}) {
    this.defaults = { ...options.defaults };
    resolveSettings('manager', this.defaults); // bad defaults fail here, at setup
    this.counts =
      options.metrics === undefined
        ? undefined
        : exportMetrics(options.metrics, () => {
            const queued: Record<string, number> = {};
            for (const name of this.gone) queued[name] = 0;
            this.gone.clear();
            for (const [name, slot] of this.slots) queued[name] = slot.stats().queued;
            return queued;
          });
    this.context = {
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
      counts: this.counts,
    };
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
    const resolved = resolveSettings(exporter.kind, merged);
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
    this.gone.add(name);
    await slot.close(this.context.now() + deadlineMs, 'removed', true);
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
   * and counted as `shutdown`, as are records an attached exporter (logs) is handed while stopped.
   * `start()` resumes. Nothing waits past the deadline, not even a collection or a request that
   * never settles. Safe to call more than once.
   */
  async stop(deadlineMs = 10_000): Promise<void> {
    this.running = false;
    const deadline = this.context.now() + deadlineMs;
    await Promise.all(
      [...this.slots.values()].map((slot) => slot.close(deadline, 'shutdown', false).catch(() => {})),
    );
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
