// A metric family: one named metric and its series. Resolves label sets to series — the one
// place where cardinality is bounded and bad labels are caught — and is swept of idle series.
import { isValidLabelName, type PrometheusNames, prometheusLabelName, prometheusNames } from './naming.js';
import type { Series } from './series.js';
import type { DropReason, Labels, MetricKind } from './types.js';

/** What a family needs from its collector. */
export interface FamilyContext {
  /** Count a dropped measurement and warn once per cause. */
  drop(reason: DropReason, metric: string, detail: string): void;
  /** Take one series from the process-wide budget (`metrics.maxMetrics`); false when exhausted. */
  reserveSeries(): boolean;
  releaseSeries(count: number): void;
  /** Warn once that a metric reached its cardinality limit. */
  overflowed(metric: string, limit: number): void;
}

export interface FamilyDefinition {
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly labelNames: readonly string[] | undefined;
  readonly cardinalityLimit: number;
  readonly collect: (() => void | Promise<void>) | undefined;
  /** Defined by a by-name call (`increment('x')`) rather than explicitly. */
  readonly implicit: boolean;
}

const NO_LABELS: Labels = Object.freeze({});
/** The label OpenTelemetry puts on the series that absorbs measurements past the cardinality limit. */
export const OVERFLOW_LABELS: Labels = Object.freeze({ otel_metric_overflow: 'true' });

export abstract class MetricFamily<S extends Series = Series> {
  abstract readonly kind: MetricKind;
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  readonly labelNames: ReadonlySet<string> | undefined;
  readonly cardinalityLimit: number;
  readonly collect: (() => void | Promise<void>) | undefined;
  readonly implicit: boolean;
  /** Series by canonical key (sorted label pairs). */
  readonly series = new Map<string, S>();
  /** Current sweep generation, stamped on every series a measurement touches. */
  generation = 0;
  overflowSeries: S | undefined = undefined;
  /** Fast keys (label pairs in the caller's order) → series; a cache, cleared whenever series go. */
  private readonly aliases = new Map<string, S>();
  private unlabeled: S | undefined = undefined;
  private names: PrometheusNames | undefined;

  constructor(
    definition: FamilyDefinition,
    protected readonly context: FamilyContext,
  ) {
    this.name = definition.name;
    this.description = definition.description;
    this.unit = definition.unit;
    this.labelNames = definition.labelNames === undefined ? undefined : new Set(definition.labelNames);
    this.cardinalityLimit = definition.cardinalityLimit;
    this.collect = definition.collect;
    this.implicit = definition.implicit;
  }

  /** Prometheus names, derived once. */
  get prometheus(): PrometheusNames {
    this.names ??= prometheusNames(this.name, this.kind, this.unit);
    return this.names;
  }

  /** Label names this kind reserves for itself (`le`, `quantile`). */
  protected reservedLabel(_name: string): boolean {
    return false;
  }

  protected abstract createSeries(labels: Labels, startTimeMs: number): S;

  /**
   * The series for a label set, or undefined when the labels are invalid (the measurement is then
   * dropped and counted). The common case is one walk over the labels, one string and one Map hit.
   */
  resolve(labels: Labels | undefined): S | undefined {
    if (labels === undefined) return this.unlabeled ?? this.resolveSlow(NO_LABELS, '');
    let key = '';
    for (const name in labels) {
      const value = labels[name];
      // A NUL inside a value could forge another label set's key: such sets skip the cache.
      if (typeof value !== 'string' || value.indexOf('\0') !== -1) return this.resolveSlow(labels, undefined);
      key += `${name}\0${value}\0`;
    }
    return this.aliases.get(key) ?? this.resolveSlow(labels, key);
  }

  private resolveSlow(labels: Labels, fastKey: string | undefined): S | undefined {
    const names = Object.keys(labels).sort();
    const translated = new Set<string>();
    for (const name of names) {
      const value: unknown = labels[name];
      if (!isValidLabelName(name)) {
        this.context.drop('invalid_label_name', this.name, `label name ${JSON.stringify(name)} is not valid`);
        return undefined;
      }
      if (this.reservedLabel(name)) {
        this.context.drop('reserved_label', this.name, `label name "${name}" is reserved for ${this.kind}s`);
        return undefined;
      }
      if (this.labelNames !== undefined && !this.labelNames.has(name)) {
        this.context.drop(
          'undeclared_label',
          this.name,
          `label "${name}" is not among the declared labelNames [${[...this.labelNames].join(', ')}]`,
        );
        return undefined;
      }
      if (typeof value !== 'string') {
        this.context.drop(
          'invalid_label_value',
          this.name,
          `label "${name}" has a ${typeof value} value; label values must be strings (use String(value))`,
        );
        return undefined;
      }
      const promName = prometheusLabelName(name);
      if (translated.has(promName)) {
        this.context.drop('invalid_label_name', this.name, `labels collide as "${promName}" in Prometheus`);
        return undefined;
      }
      translated.add(promName);
    }
    const canonical = JSON.stringify(names.map((name) => [name, labels[name]]));
    let series = this.series.get(canonical);
    if (series === undefined) {
      if (this.series.size >= this.cardinalityLimit || !this.context.reserveSeries()) {
        series = this.overflow();
      } else {
        const copy: Record<string, string> = {};
        for (const name of names) copy[name] = labels[name] as string;
        series = this.createSeries(Object.freeze(copy), Date.now());
        this.series.set(canonical, series);
      }
    }
    if (fastKey !== undefined) {
      // Bound the cache: label orders and overflowing label sets could grow it without end.
      if (this.aliases.size >= 4 * (this.cardinalityLimit + 1)) this.aliases.clear();
      this.aliases.set(fastKey, series);
    }
    if (names.length === 0) this.unlabeled = series;
    return series;
  }

  private overflow(): S {
    if (this.overflowSeries === undefined) {
      this.overflowSeries = this.createSeries(OVERFLOW_LABELS, Date.now());
      this.context.overflowed(this.name, this.cardinalityLimit);
    }
    return this.overflowSeries;
  }

  /** Every series to report, the overflow series last. */
  *allSeries(): IterableIterator<S> {
    yield* this.series.values();
    if (this.overflowSeries !== undefined) yield this.overflowSeries;
  }

  get seriesCount(): number {
    return this.series.size + (this.overflowSeries === undefined ? 0 : 1);
  }

  /**
   * Drop series whose last update is older than generation `before`; returns how many went.
   * Bound handles to a dropped series see `detached` and resolve their labels again.
   */
  sweep(before: number): number {
    let removed = 0;
    for (const [key, series] of this.series) {
      if (series.touched < before) {
        series.detached = true;
        this.series.delete(key);
        removed++;
      }
    }
    let changed = removed > 0;
    if (this.overflowSeries !== undefined && this.overflowSeries.touched < before) {
      this.overflowSeries.detached = true;
      this.overflowSeries = undefined;
      changed = true;
    }
    if (changed) {
      this.aliases.clear();
      this.unlabeled = undefined;
    }
    this.context.releaseSeries(removed);
    return removed;
  }

  /** Reject a measurement value: pick the reason, count it, return nothing. */
  protected rejectValue(value: unknown, what: string): void {
    let reason: DropReason;
    if (typeof value !== 'number') reason = 'not_a_number';
    else if (Number.isNaN(value)) reason = 'nan';
    else if (!Number.isFinite(value)) reason = 'infinite';
    else reason = 'negative_increment';
    const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
    this.context.drop(reason, this.name, `${what} got ${shown}`);
  }
}
