// The metrics collector: the familiar API (increment, setGauge, recordHistogram, recordSummary,
// timers) over the collector's own series storage, bridged to OpenTelemetry by a MetricProducer.
import { hrTime } from '@opentelemetry/core';
import { emptyResource, type Resource } from '@opentelemetry/resources';
import type {
  CollectionResult,
  MetricCollectOptions,
  MetricData,
  MetricProducer,
} from '@opentelemetry/sdk-metrics';
import { diagnostics } from '../internal/diag.js';
import { Counter, CounterFamily } from './counter.js';
import type { FamilyContext, FamilyDefinition } from './family.js';
import { Gauge, GaugeFamily } from './gauge.js';
import { DEFAULT_TIME_BUCKETS, Histogram, HistogramFamily } from './histogram.js';
import { isValidLabelName, isValidMetricName } from './naming.js';
import { type AnyFamily, familyToMetricData } from './producer.js';
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

/** Settings of a collector; `setupMonitoring()` fills them from the `metrics` configuration. */
export interface MetricsCollectorOptions {
  /** @default 2000 */
  cardinalityLimit?: number;
  /** Cap on the number of series across all metrics (`metrics.maxMetrics`). @default 100000 */
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
  /** Time limit for `collect` callbacks during one collection, in milliseconds. @default 10000 */
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
    this.collectTimeoutMillis = options.collectTimeoutMillis ?? 10_000;
    this.resource = options.resource ?? emptyResource();
    this.now = options.now ?? Date.now;
    this.generationStarts = [{ generation: 0, at: this.now() }];

    this.context = {
      drop: (reason, metric, detail) => this.drop(reason, metric, detail),
      reserveSeries: () => {
        if (this.totalSeries >= this.maxSeries) return false;
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

    this.dropped = this.register(
      new CounterFamily(
        this.internalDefinition(
          'datalineage_monitoring_dropped_measurements_total',
          'Measurements the SDK dropped instead of recording, by reason.',
          ['reason'],
        ),
        this.context,
      ),
    );
    this.collectionErrorCounter = this.register(
      new CounterFamily(
        this.internalDefinition(
          'datalineage_monitoring_collection_errors_total',
          'Collections in which a metric callback failed; the other metrics were still served.',
          ['reader'],
        ),
        this.context,
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
        this.context,
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
   * Start a timer recording into histogram `name` in seconds.
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
      running: this.sweepTimer !== undefined || this.slotClocksRunning,
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

  private slotClocksRunning = false;

  /** Start background work: summary window clocks and, if configured, the idle-series sweeper. */
  start(): void {
    if (!this.slotClocksRunning) {
      for (const clock of this.slotClocks.values()) clock.start();
      this.slotClocksRunning = true;
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

  stop(): void {
    for (const clock of this.slotClocks.values()) clock.stop();
    this.slotClocksRunning = false;
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
    const errors: unknown[] = [];
    const failed = new Set<AnyFamily>();
    const pending: Promise<void>[] = [];
    const timeout = Math.min(options?.timeoutMillis ?? Number.POSITIVE_INFINITY, this.collectTimeoutMillis);
    for (const family of this.families.values()) {
      if (family.collect === undefined) continue;
      const fail = (error: unknown): void => {
        failed.add(family);
        errors.push(new CollectCallbackError(family.name, error));
      };
      try {
        const result = family.collect();
        if (result instanceof Promise) pending.push(withTimeout(result, timeout).catch(fail));
      } catch (error) {
        fail(error);
      }
    }
    if (pending.length > 0) await Promise.all(pending);
    const endTime = hrTime();
    const metrics: MetricData[] = [];
    for (const family of this.families.values()) {
      if (!failed.has(family)) familyToMetricData(family, endTime, metrics);
    }
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
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.kind !== kind) {
        throw new TypeError(
          `Metric "${name}" is already defined as a ${existing.kind}; it cannot also be a ${kind}. Use another name.`,
        );
      }
      const conflict = definitionConflict(existing, options);
      if (conflict === undefined) return existing;
      if (!existing.implicit || existing.seriesCount > 0) {
        throw new TypeError(`Metric "${name}" is already defined with a different ${conflict}.`);
      }
      this.remove(existing); // defined by a by-name call that recorded nothing yet: redefine
    }
    const labelNames = options.labelNames;
    if (labelNames !== undefined) {
      for (const label of labelNames) {
        if (
          !isValidLabelName(label) ||
          (kind === 'histogram' && label === 'le') ||
          (kind === 'summary' && label === 'quantile')
        ) {
          throw new TypeError(`Metric "${name}": invalid or reserved label name ${JSON.stringify(label)}.`);
        }
      }
    }
    const definition: FamilyDefinition = {
      name,
      description: options.description ?? `${kind} ${name}`,
      unit: options.unit ?? '',
      labelNames: labelNames === undefined ? undefined : [...labelNames],
      cardinalityLimit:
        options.cardinalityLimit === undefined
          ? this.cardinalityLimit
          : positiveInteger(options.cardinalityLimit, `${name}: cardinalityLimit`),
      collect: options.collect,
      implicit: false,
    };
    return this.register(this.createFamily(kind, definition, options));
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
      return this.register(this.createFamily(kind, definition, {}));
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
    const names = sampleNamesOf(family);
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

  private remove(family: AnyFamily): void {
    this.families.delete(family.name);
    this.counters.delete(family.name);
    this.gauges.delete(family.name);
    this.histograms.delete(family.name);
    this.summaries.delete(family.name);
    for (const sample of sampleNamesOf(family)) this.sampleNames.delete(sample);
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
      if (this.slotClocksRunning) clock.start();
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

  private drop(reason: DropReason, metric: string, detail: string): void {
    this.droppedTotal++;
    this.droppedByReason[reason] = (this.droppedByReason[reason] ?? 0) + 1;
    this.dropped.add({ reason }, 1);
    diagnostics.warnOnce(
      `DLM_DROPPED_${reason.toUpperCase()}`,
      metric,
      `measurement for metric "${metric}" dropped: ${detail}. ` +
        `Counted in datalineage_monitoring_dropped_measurements_total{reason="${reason}"}; reported once per metric.`,
    );
  }
}

/** Error recorded when a metric's `collect` callback throws, rejects or times out. */
export class CollectCallbackError extends Error {
  override readonly name = 'CollectCallbackError';
  constructor(
    readonly metric: string,
    cause: unknown,
  ) {
    super(
      `collect callback of metric "${metric}" failed: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}

function withTimeout(promise: Promise<void>, millis: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${millis} ms`)), millis);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function sampleNamesOf(family: AnyFamily): string[] {
  const { sampleName, familyName } = family.prometheus;
  switch (family.kind) {
    case 'counter':
      return [sampleName, `${familyName}_created`];
    case 'gauge':
      return [sampleName];
    case 'histogram':
      return [sampleName, `${sampleName}_bucket`, `${sampleName}_sum`, `${sampleName}_count`];
    case 'summary':
      return [sampleName, `${sampleName}_sum`, `${sampleName}_count`];
  }
}

function definitionConflict(
  family: AnyFamily,
  options: HistogramOptions & SummaryOptions,
): string | undefined {
  if (options.unit !== undefined && options.unit !== family.unit) return 'unit';
  if (options.labelNames !== undefined) {
    const declared = family.labelNames;
    if (declared === undefined || declared.size !== options.labelNames.length) return 'labelNames';
    for (const name of options.labelNames) if (!declared.has(name)) return 'labelNames';
  }
  if (family.kind === 'histogram' && options.buckets !== undefined) {
    if (
      options.buckets.length !== family.boundaries.length ||
      options.buckets.some((b, i) => b !== family.boundaries[i])
    )
      return 'buckets';
  }
  if (family.kind === 'summary' && options.quantiles !== undefined) {
    if (
      options.quantiles.length !== family.quantiles.length ||
      options.quantiles.some((q, i) => q !== family.quantiles[i])
    )
      return 'quantiles';
  }
  return undefined;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(value: number, what: string): number {
  if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value))
    throw new RangeError(`${what} must be a number ≥ 0, got ${value}`);
  return value;
}

function validBuckets(buckets: readonly number[], what: string): readonly number[] {
  if (buckets.length === 0) throw new RangeError(`${what} must not be empty`);
  buckets.forEach((bound, i) => {
    if (typeof bound !== 'number' || !Number.isFinite(bound))
      throw new RangeError(`${what}[${i}] must be a finite number, got ${bound}`);
    if (i > 0 && bound <= (buckets[i - 1] as number))
      throw new RangeError(`${what} must be strictly increasing; ${bound} follows ${buckets[i - 1]}`);
  });
  return buckets;
}

function validSummary(settings: SummarySettings, what: string): SummarySettings {
  settings.quantiles.forEach((q, i) => {
    if (!(q > 0 && q < 1)) throw new RangeError(`${what}: quantiles[${i}] must be in (0, 1), got ${q}`);
    if (i > 0 && q <= (settings.quantiles[i - 1] as number))
      throw new RangeError(`${what}: quantiles must be strictly increasing`);
  });
  if (!(settings.maxAgeSeconds > 0)) throw new RangeError(`${what}: maxAgeSeconds must be > 0`);
  if (!Number.isInteger(settings.ageBuckets) || settings.ageBuckets < 1)
    throw new RangeError(`${what}: ageBuckets must be a positive integer`);
  if (!(settings.relativeAccuracy > 0 && settings.relativeAccuracy < 0.5))
    throw new RangeError(`${what}: relativeAccuracy must be in (0, 0.5)`);
  return settings;
}
