// The metrics collector: the familiar API (increment, setGauge, recordHistogram, recordSummary,
// timers) over the collector's own series storage, bridged to OpenTelemetry by a MetricProducer.
import { hrTime } from '@opentelemetry/core';
import { emptyResource, type Resource } from '@opentelemetry/resources';
import type { CollectionResult, MetricCollectOptions, MetricProducer } from '@opentelemetry/sdk-metrics';
import { diagnostics } from '../internal/diag.js';
import { collectFamilies } from './collection.js';
import { Counter, CounterFamily } from './counter.js';
import type { FamilyContext, FamilyDefinition } from './family.js';
import { Gauge, GaugeFamily } from './gauge.js';
import { DEFAULT_TIME_BUCKETS, Histogram, HistogramFamily } from './histogram.js';
import { isValidMetricName } from './naming.js';
import type { AnyFamily } from './producer.js';
import { LabelSet } from './series.js';
import { SlotClock } from './sketch/sliding-window.js';
import { Summary, SummaryFamily, type SummarySettings } from './summary.js';
import { type DurationRecorder, outcomeLabels, Timer, timeCall, wrapTimed } from './timing.js';
import type {
  DropReason,
  HistogramOptions,
  Labels,
  MetricKind,
  MetricOptions,
  SummaryOptions,
} from './types.js';
import {
  definitionConflict,
  explicitConflict,
  exposedNames,
  nonNegative,
  positiveInteger,
  validBuckets,
  validLabelNames,
  validSummary,
} from './validation.js';

/** Settings of a collector; `setupMonitoring()` fills them from the `metrics` configuration. */
export interface MetricsCollectorOptions {
  /** @default 2000 */
  cardinalityLimit?: number;
  /**
   * Cap on series across all metrics (`metrics.maxMetrics`), whatever their names: every series
   * counts, and every metric counts one more for the overflow series it may need. Past it, new
   * label sets go to their metric's overflow series, and a metric first used by name is not
   * created (the measurement is dropped, counted as `series_limit`). The SDK's own metrics stay
   * outside it. @default 100000
   */
  maxSeries?: number;
  /** Default histogram buckets, in seconds. @default prom-client's defaults */
  histogramBuckets?: readonly number[];
  /** Default summary settings. */
  summary?: Partial<SummarySettings>;
  /** Drop series not updated for this many seconds; 0 turns expiry off. @default 0 */
  idleSeriesExpiry?: number;
  /** How often (seconds) the idle-series sweeper runs while started. @default 300 */
  cleanupInterval?: number;
  /** Resource reported with the produced metrics. @default an empty resource */
  resource?: Resource;
  /**
   * Time limit for `collect` callbacks during one collection, in milliseconds; below Prometheus'
   * default 10 s scrape timeout, so a hanging callback costs its metric, not the scrape.
   * @default 5000
   */
  collectTimeoutMillis?: number;
  /** Clock in milliseconds, for tests. @default Date.now */
  now?: () => number;
}

/** What `getMonitoringStatus()` reports about the collector. */
export interface MetricsCollectorStats {
  running: boolean;
  metricCount: number;
  seriesCount: number;
  droppedMeasurements: number;
  droppedByReason: Record<string, number>;
  expiredSeries: number;
  collections: number;
  collectionErrors: number;
  /** Milliseconds the last collection took (callbacks + conversion). */
  processingTime: number;
  /** Estimated bytes held by series storage. */
  memoryEstimateBytes: number;
}

/** A metric as listed by `listMetrics()`. */
export interface MetricInfo {
  name: string;
  kind: MetricKind;
  description: string;
  unit: string;
  prometheusName: string;
  labelNames: string[] | undefined;
  seriesCount: number;
}

const DEFAULT_SUMMARY: SummarySettings = {
  quantiles: [0.5, 0.9, 0.95, 0.99],
  maxAgeSeconds: 600,
  ageBuckets: 5,
  relativeAccuracy: 0.01,
};

/** A function usable as a standard method decorator and as a plain function wrapper. */
export type TimedDecorator = <F extends (this: never, ...args: never[]) => unknown>(
  fn: F,
  context?: ClassMethodDecoratorContext,
) => F;

export class MetricsCollector {
  /** Hand this to any OpenTelemetry MetricReader (`metricProducers: [collector.metricProducer]`). */
  readonly metricProducer: MetricProducer;

  private readonly families = new Map<string, AnyFamily>();
  private readonly counters = new Map<string, CounterFamily>();
  private readonly gauges = new Map<string, GaugeFamily>();
  private readonly histograms = new Map<string, HistogramFamily>();
  private readonly summaries = new Map<string, SummaryFamily>();
  /** Prometheus sample names in use → the metric that owns them: collisions fail at definition. */
  private readonly sampleNames = new Map<string, string>();
  private readonly slotClocks = new Map<string, SlotClock>();
  private readonly familyListeners = new Set<(family: AnyFamily) => void>();
  /** Label sets in use, shared across metrics (see LabelSet). */
  private readonly labelSets = new Map<string, LabelSet>();

  private readonly cardinalityLimit: number;
  private readonly maxSeries: number;
  private readonly histogramBuckets: readonly number[];
  private readonly summaryDefaults: SummarySettings;
  private readonly idleSeriesExpiry: number;
  private readonly cleanupInterval: number;
  private readonly collectTimeoutMillis: number;
  private readonly resource: Resource;
  private readonly now: () => number;

  private readonly context: FamilyContext;
  private readonly dropped: CounterFamily;
  private readonly collectionErrorCounter: CounterFamily;
  private totalSeries = 0;
  /** Metrics defined by users, each holding one slot of the series budget for its overflow series. */
  private metricSlots = 0;
  private droppedTotal = 0;
  private readonly droppedByReason: Record<string, number> = {};
  private expired = 0;
  private collections = 0;
  private collectionErrors = 0;
  private lastCollectionMs = 0;
  private generation = 0;
  /** Start time of each sweep generation still needed to judge idleness. */
  private generationStarts: Array<{ generation: number; at: number }>;
  private sweepTimer: NodeJS.Timeout | undefined;

  constructor(options: MetricsCollectorOptions = {}) {
    this.cardinalityLimit = positiveInteger(options.cardinalityLimit ?? 2000, 'cardinalityLimit');
    this.maxSeries = positiveInteger(options.maxSeries ?? 100_000, 'maxSeries');
    this.histogramBuckets = validBuckets(
      options.histogramBuckets ?? DEFAULT_TIME_BUCKETS,
      'histogramBuckets',
    );
    this.summaryDefaults = validSummary({ ...DEFAULT_SUMMARY, ...options.summary }, 'summary');
    this.idleSeriesExpiry = nonNegative(options.idleSeriesExpiry ?? 0, 'idleSeriesExpiry');
    this.cleanupInterval = nonNegative(options.cleanupInterval ?? 300, 'cleanupInterval');
    this.collectTimeoutMillis = positiveInteger(options.collectTimeoutMillis ?? 5000, 'collectTimeoutMillis');
    this.resource = options.resource ?? emptyResource();
    this.now = options.now ?? Date.now;
    this.generationStarts = [{ generation: 0, at: this.now() }];

    this.context = {
      drop: (reason, metric, detail) => this.drop(reason, metric, detail),
      reserveSeries: () => {
        if (!this.hasRoom()) return false;
        this.totalSeries++;
        return true;
      },
      releaseSeries: (count) => {
        this.totalSeries -= count;
      },
      internLabels: (sortedNames, labels) => {
        const key = JSON.stringify(sortedNames.map((name) => [name, labels[name]]));
        let labelSet = this.labelSets.get(key);
        if (labelSet === undefined) {
          const copy: Record<string, string> = {};
          for (const name of sortedNames) copy[name] = labels[name] as string;
          labelSet = new LabelSet(key, Object.freeze(copy));
          this.labelSets.set(key, labelSet);
        }
        labelSet.refs++;
        return labelSet;
      },
      releaseLabels: (labelSet) => {
        if (--labelSet.refs === 0) this.labelSets.delete(labelSet.key);
      },
      overflowed: (metric, limit) =>
        diagnostics.warnOnce(
          'DLM_CARDINALITY_LIMIT',
          metric,
          `metric "${metric}" reached its limit of ${limit} series (or the process-wide metrics.maxMetrics); ` +
            'new label sets are aggregated into the series {otel_metric_overflow="true"}. ' +
            'Remove unbounded values (ids, timestamps) from its labels, or raise cardinalityLimit.',
        ),
    };

    // The SDK's own metrics stay outside the series budget: they matter most when it is exhausted.
    const internal: FamilyContext = { ...this.context, reserveSeries: () => true, releaseSeries: () => {} };
    this.dropped = this.register(
      new CounterFamily(
        this.internalDefinition(
          'datalineage_monitoring_dropped_measurements_total',
          'Measurements the SDK dropped instead of recording, by reason.',
          ['reason'],
        ),
        internal,
      ),
    );
    this.collectionErrorCounter = this.register(
      new CounterFamily(
        this.internalDefinition(
          'datalineage_monitoring_collection_errors_total',
          'Collections in which a metric callback failed; the other metrics were still served.',
          ['reader'],
        ),
        internal,
      ),
    );
    const seriesGauge: GaugeFamily = this.register(
      new GaugeFamily(
        {
          ...this.internalDefinition(
            'datalineage_monitoring_series',
            'Series held by the metrics collector.',
            [],
          ),
          collect: () => seriesGauge.set(undefined, this.totalSeries),
        },
        internal,
      ),
    );

    const producer: MetricProducer = { collect: (options) => this.collect(options) };
    this.metricProducer = producer;
  }

  // ---------------------------------------------------------------- the by-name API (hot path)

  /** Add `value` (default 1) to counter `name`. Defines the counter on first use. */
  increment(name: string, labels?: Labels, value = 1): void {
    const family = this.counters.get(name) ?? this.implicit(name, 'counter');
    if (family !== undefined) (family as CounterFamily).add(labels, value);
  }

  /** Set gauge `name` to `value`. Defines the gauge on first use. */
  setGauge(name: string, value: number, labels?: Labels): void {
    const family = this.gauges.get(name) ?? this.implicit(name, 'gauge');
    if (family !== undefined) (family as GaugeFamily).set(labels, value);
  }

  /** Observe `value` in histogram `name` (default buckets are in seconds). Defines it on first use. */
  recordHistogram(name: string, value: number, labels?: Labels): void {
    const family = this.histograms.get(name) ?? this.implicit(name, 'histogram');
    if (family !== undefined) (family as HistogramFamily).observe(labels, value);
  }

  /** Observe `value` in summary `name` (sliding-window quantiles). Defines it on first use. */
  recordSummary(name: string, value: number, labels?: Labels): void {
    const family = this.summaries.get(name) ?? this.implicit(name, 'summary');
    if (family !== undefined) (family as SummaryFamily).observe(labels, value);
  }

  /**
   * Start a timer recording into histogram `name` in seconds. A histogram the timer defines gets
   * unit `s` (`operation_duration_seconds`); one defined earlier keeps its own unit and name.
   * @example
   * { using _t = collector.timer('operation.duration'); await work(); }
   * const t = collector.timer('step.duration'); step(); const seconds = t.stop();
   */
  timer(name: string, labels?: Labels): Timer {
    return new Timer(this.durationRecorder(name, labels));
  }

  /** Run `fn` (sync or async) and record its duration with `outcome="success"|"error"`. */
  time<R>(name: string, fn: () => R, labels?: Labels): R {
    return timeCall(this.durationRecorder(name, labels), fn);
  }

  /**
   * Time every call of a function, as a standard decorator or a wrapper; errors are recorded with
   * `outcome="error"` and rethrown unchanged.
   * @example
   * class Job { @collector.timed('job.duration') run() {} }
   * const timedFetch = collector.timed('fetch.duration')(fetchData);
   */
  timed(name: string, labels?: Labels): TimedDecorator {
    const record = this.durationRecorder(name, labels);
    return (fn) => wrapTimed(record, fn);
  }

  // ---------------------------------------------------------------- explicit definitions

  /** Define (or get) a counter. Throws at once on a bad name or a conflicting definition. */
  counter(name: string, options: MetricOptions = {}): Counter {
    return new Counter(this.define(name, 'counter', options) as CounterFamily);
  }

  gauge(name: string, options: MetricOptions = {}): Gauge {
    return new Gauge(this.define(name, 'gauge', options) as GaugeFamily);
  }

  histogram(name: string, options: HistogramOptions = {}): Histogram {
    return new Histogram(this.define(name, 'histogram', options) as HistogramFamily);
  }

  summary(name: string, options: SummaryOptions = {}): Summary {
    return new Summary(this.define(name, 'summary', options) as SummaryFamily);
  }

  // ---------------------------------------------------------------- introspection

  listMetrics(): MetricInfo[] {
    return [...this.families.values()].map((family) => ({
      name: family.name,
      kind: family.kind,
      description: family.description,
      unit: family.unit,
      prometheusName: family.prometheus.sampleName,
      labelNames: family.labelNames === undefined ? undefined : [...family.labelNames],
      seriesCount: family.seriesCount,
    }));
  }

  stats(): MetricsCollectorStats {
    let seriesCount = 0;
    let memory = 0;
    for (const family of this.families.values()) {
      seriesCount += family.seriesCount;
      // Labels object, series object, map entries and the cached label string: ~320 bytes.
      memory += family.seriesCount * 320;
      if (family.kind === 'histogram') memory += family.seriesCount * 8 * (family.boundaries.length + 1);
      if (family.kind === 'summary')
        for (const series of family.allSeries()) memory += series.window.byteSize();
    }
    return {
      running: this.started,
      metricCount: this.families.size,
      seriesCount,
      droppedMeasurements: this.droppedTotal,
      droppedByReason: { ...this.droppedByReason },
      expiredSeries: this.expired,
      collections: this.collections,
      collectionErrors: this.collectionErrors,
      processingTime: this.lastCollectionMs,
      memoryEstimateBytes: memory,
    };
  }

  /**
   * Call `visit` for every metric now and for each one defined later, until the returned function
   * is called. Used by bridges such as {@link bridgeToMeterProvider}.
   * @internal
   */
  forEachFamily(visit: (family: AnyFamily) => void): () => void {
    for (const family of this.families.values()) visit(family);
    this.familyListeners.add(visit);
    return () => this.familyListeners.delete(visit);
  }

  /** Count failures a reader saw while collecting (`reader` names it: prometheus, memory, …). */
  reportCollectionErrors(errors: readonly unknown[], reader: string): void {
    if (errors.length === 0) return;
    this.collectionErrors += errors.length;
    this.collectionErrorCounter.add({ reader }, errors.length);
    const first = errors[0];
    diagnostics.warnOnce(
      'DLM_COLLECT_CALLBACK_FAILED',
      `${reader}:${first instanceof Error ? first.message : String(first)}`,
      `a metric callback failed during collection (${first instanceof Error ? first.message : String(first)}); ` +
        'that metric was left out and the rest served.',
    );
  }

  // ---------------------------------------------------------------- lifecycle

  /** Set by stop(): background timers stay off until start(). */
  private stopped = false;
  private started = false;

  /**
   * Start background work: the idle-series sweeper, if configured. (Summary window clocks run
   * from the first summary on, unless the collector was stopped.) Every timer is unref'd.
   */
  start(): void {
    this.started = true;
    if (this.stopped) {
      this.stopped = false;
      for (const clock of this.slotClocks.values()) clock.start();
    }
    if (this.idleSeriesExpiry > 0 && this.sweepTimer === undefined) {
      const every = Math.max(
        1,
        Math.min(this.cleanupInterval || this.idleSeriesExpiry, this.idleSeriesExpiry / 2),
      );
      this.sweepTimer = setInterval(() => this.sweepIdleSeries(), every * 1000);
      this.sweepTimer.unref();
    }
  }

  /** Stop every background timer. Recording still works; start() resumes the timers. */
  stop(): void {
    this.started = false;
    this.stopped = true;
    for (const clock of this.slotClocks.values()) clock.stop();
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    this.sweepTimer = undefined;
  }

  /**
   * Drop series not updated for `idleSeriesExpiry` seconds; returns how many went. Runs on a timer
   * while started; callable directly. Idleness is judged by sweep generations, so the record path
   * only stores an integer instead of reading the clock.
   */
  sweepIdleSeries(): number {
    if (this.idleSeriesExpiry <= 0) return 0;
    const now = this.now();
    // A series stamped with generation g was last touched before generation g+1 began.
    const cutoff = now - this.idleSeriesExpiry * 1000;
    let idleBefore = -1;
    for (const { generation, at } of this.generationStarts) if (at <= cutoff) idleBefore = generation;
    let removed = 0;
    if (idleBefore > 0) {
      for (const family of this.families.values()) {
        if (family.name.startsWith('datalineage_monitoring_')) continue;
        removed += family.sweep(idleBefore);
      }
    }
    this.generation++;
    for (const family of this.families.values()) family.generation = this.generation;
    this.generationStarts.push({ generation: this.generation, at: now });
    this.generationStarts = this.generationStarts.filter((entry) => entry.generation >= idleBefore);
    if (removed > 0) this.expired += removed;
    return removed;
  }

  // ---------------------------------------------------------------- collection

  private async collect(options?: MetricCollectOptions): Promise<CollectionResult> {
    const started = performance.now();
    const timeout = Math.min(options?.timeoutMillis ?? Number.POSITIVE_INFINITY, this.collectTimeoutMillis);
    const { metrics, errors } = await collectFamilies(this.families.values(), timeout, hrTime);
    this.collections++;
    this.lastCollectionMs = performance.now() - started;
    return {
      resourceMetrics: {
        resource: this.resource,
        scopeMetrics: [{ scope: { name: '@datalineage/core', version: '0.1.0' }, metrics }],
      },
      errors,
    };
  }

  // ---------------------------------------------------------------- definitions (setup path)

  private define(name: string, kind: MetricKind, options: HistogramOptions & SummaryOptions): AnyFamily {
    if (!isValidMetricName(name)) {
      throw new TypeError(
        `Invalid metric name ${JSON.stringify(name)}: use letters, digits, '_', ':' and '.', not starting with a digit (e.g. "operations.total").`,
      );
    }
    if (options.labelNames !== undefined) validLabelNames(options.labelNames, kind, name);
    const cardinalityLimit =
      options.cardinalityLimit === undefined
        ? undefined
        : positiveInteger(options.cardinalityLimit, `${name}: cardinalityLimit`);
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) {
        throw new TypeError(
          `Metric "${name}" is already defined as a ${existing.kind}; it cannot also be a ${kind}. Use another name.`,
        );
      }
      const conflict = definitionConflict(existing, options);
      if (existing.implicit && existing.seriesCount === 0) {
        this.remove(existing); // a by-name call defined it but recorded nothing: define it anew
      } else if (conflict !== undefined) {
        throw new TypeError(
          existing.implicit
            ? `Metric "${name}" was already used by name, which fixed its ${conflict}; define it before its first use.`
            : `Metric "${name}" is already defined with a different ${conflict}.`,
        );
      } else if (existing.implicit) {
        // Used by name first: the explicit definition's help text, callback and limit take over.
        existing.implicit = false;
        if (options.description !== undefined) existing.description = options.description;
        if (options.collect !== undefined) existing.collect = options.collect;
        if (cardinalityLimit !== undefined) existing.cardinalityLimit = cardinalityLimit;
        return existing;
      } else {
        const different = explicitConflict(existing, options);
        if (different !== undefined)
          throw new TypeError(`Metric "${name}" is already defined with a different ${different}.`);
        return existing;
      }
    }
    const definition: FamilyDefinition = {
      name,
      description: options.description ?? `${kind} ${name}`,
      unit: options.unit ?? '',
      labelNames: options.labelNames === undefined ? undefined : [...options.labelNames],
      cardinalityLimit: cardinalityLimit ?? this.cardinalityLimit,
      collect: options.collect,
      implicit: false,
    };
    const family = this.register(this.createFamily(kind, definition, options));
    this.metricSlots++;
    return family;
  }

  /** First by-name use of a metric: define it, or drop (never throw) when that is impossible. */
  private implicit(name: string, kind: MetricKind, unit = ''): AnyFamily | undefined {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      this.drop('type_conflict', name, `it is a ${existing.kind}, not a ${kind}`);
      return undefined;
    }
    if (typeof name !== 'string' || !isValidMetricName(name)) {
      this.drop('invalid_metric_name', String(name), 'the name is not a valid metric name');
      return undefined;
    }
    if (!this.hasRoom()) {
      // Names from data (`increment('req_' + id)`) must not grow the registry past the cap.
      this.drop(
        'series_limit',
        name,
        `it was not created: metrics.maxMetrics (${this.maxSeries} series, one per metric for its overflow series included) is reached. Metrics first used by name are dropped until series expire or the limit is raised`,
        'all metrics',
      );
      return undefined;
    }
    const definition: FamilyDefinition = {
      name,
      description: `${kind} ${name}`,
      unit,
      labelNames: undefined,
      cardinalityLimit: this.cardinalityLimit,
      collect: undefined,
      implicit: true,
    };
    try {
      const family = this.register(this.createFamily(kind, definition, {}));
      this.metricSlots++;
      return family;
    } catch (error) {
      this.drop('type_conflict', name, (error as Error).message);
      return undefined;
    }
  }

  private createFamily(
    kind: MetricKind,
    definition: FamilyDefinition,
    options: HistogramOptions & SummaryOptions,
  ): AnyFamily {
    switch (kind) {
      case 'counter':
        return new CounterFamily(definition, this.context);
      case 'gauge':
        return new GaugeFamily(definition, this.context);
      case 'histogram':
        return new HistogramFamily(
          definition,
          this.context,
          options.buckets === undefined
            ? this.histogramBuckets
            : validBuckets(options.buckets, `${definition.name}: buckets`),
        );
      case 'summary': {
        const settings = validSummary(
          {
            quantiles: options.quantiles ?? this.summaryDefaults.quantiles,
            maxAgeSeconds: options.maxAgeSeconds ?? this.summaryDefaults.maxAgeSeconds,
            ageBuckets: options.ageBuckets ?? this.summaryDefaults.ageBuckets,
            relativeAccuracy: options.relativeAccuracy ?? this.summaryDefaults.relativeAccuracy,
          },
          definition.name,
        );
        return new SummaryFamily(definition, this.context, settings, this.slotClock(settings));
      }
    }
  }

  private register<F extends AnyFamily>(family: F): F {
    const names = exposedNames(family);
    for (const sample of names) {
      const owner = this.sampleNames.get(sample);
      if (owner !== undefined && owner !== family.name) {
        throw new TypeError(
          `Metric "${family.name}" would be exposed to Prometheus as "${sample}", which metric "${owner}" already uses. Rename one of them.`,
        );
      }
    }
    for (const sample of names) this.sampleNames.set(sample, family.name);
    family.generation = this.generation;
    this.families.set(family.name, family);
    switch (family.kind) {
      case 'counter':
        this.counters.set(family.name, family);
        break;
      case 'gauge':
        this.gauges.set(family.name, family);
        break;
      case 'histogram':
        this.histograms.set(family.name, family);
        break;
      case 'summary':
        this.summaries.set(family.name, family);
        break;
    }
    for (const listener of this.familyListeners) listener(family);
    return family;
  }

  /** Removes a user's metric (one defined by name, then explicitly). */
  private remove(family: AnyFamily): void {
    this.metricSlots--;
    this.families.delete(family.name);
    this.counters.delete(family.name);
    this.gauges.delete(family.name);
    this.histograms.delete(family.name);
    this.summaries.delete(family.name);
    for (const sample of exposedNames(family)) this.sampleNames.delete(sample);
  }

  private internalDefinition(name: string, description: string, labelNames: string[]): FamilyDefinition {
    return {
      name,
      description,
      unit: '',
      labelNames,
      cardinalityLimit: 1000,
      collect: undefined,
      implicit: false,
    };
  }

  private slotClock(settings: SummarySettings): SlotClock {
    const key = `${settings.maxAgeSeconds}/${settings.ageBuckets}`;
    let clock = this.slotClocks.get(key);
    if (clock === undefined) {
      clock = new SlotClock((settings.maxAgeSeconds * 1000) / settings.ageBuckets, this.now);
      // Runs from creation (unref'd), so windows slide even for a collector no one start()s.
      if (!this.stopped) clock.start();
      this.slotClocks.set(key, clock);
    }
    return clock;
  }

  /**
   * The function a timer calls with its duration. Resolves the histogram once per timer or
   * decorated function, and builds the outcome label sets only when an outcome is given.
   */
  private durationRecorder(name: string, labels: Labels | undefined): DurationRecorder {
    let byOutcome: { success: Labels; error: Labels } | undefined;
    let family: HistogramFamily | undefined;
    return (seconds, outcome) => {
      if (family === undefined || this.histograms.get(name) !== family) {
        family =
          this.histograms.get(name) ?? (this.implicit(name, 'histogram', 's') as HistogramFamily | undefined);
        if (family === undefined) return;
      }
      if (outcome === undefined) {
        family.observe(labels, seconds);
      } else {
        byOutcome ??= outcomeLabels(labels);
        family.observe(byOutcome[outcome], seconds);
      }
    };
  }

  /** Whether the series budget has room for one more series or metric. */
  private hasRoom(): boolean {
    return this.totalSeries + this.metricSlots < this.maxSeries;
  }

  /** Count a dropped measurement; warn once per `cause` (by default, per metric). */
  private drop(reason: DropReason, metric: string, detail: string, cause = metric): void {
    this.droppedTotal++;
    this.droppedByReason[reason] = (this.droppedByReason[reason] ?? 0) + 1;
    this.dropped.add({ reason }, 1);
    diagnostics.warnOnce(
      `DLM_DROPPED_${reason.toUpperCase()}`,
      cause,
      `measurement for metric "${metric}" dropped: ${detail}. ` +
        `Counted in datalineage_monitoring_dropped_measurements_total{reason="${reason}"}; reported once ${cause === metric ? 'per metric' : 'for all metrics'}.`,
    );
  }
}
