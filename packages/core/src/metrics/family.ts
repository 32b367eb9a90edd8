// A metric family: one named metric and its series. Resolves label sets to series — the one
// place where cardinality is bounded and bad labels are caught — and is swept of idle series.

import { childOf, find, insert, LabelNode, type Slot } from './label-tree.js';
import { isValidLabelName, type PrometheusNames, prometheusLabelName, prometheusNames } from './naming.js';
import type { LabelSet, Series } from './series.js';
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
  /** The shared LabelSet for sorted, validated labels; counts a reference. */
  internLabels(sortedNames: readonly string[], labels: Labels): LabelSet;
  /** Drop a reference taken by internLabels. */
  releaseLabels(labelSet: LabelSet): void;
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
const OVERFLOW_LABEL = 'otel_metric_overflow';

export abstract class MetricFamily<S extends Series = Series> {
  abstract readonly kind: MetricKind;
  readonly name: string;
  readonly unit: string;
  readonly labelNames: ReadonlySet<string> | undefined;
  /** Mutable so an explicit definition can adopt a metric a by-name call created. */
  description: string;
  cardinalityLimit: number;
  collect: (() => void | Promise<void>) | undefined;
  implicit: boolean;
  /** Current sweep generation, stamped on every series a measurement touches. */
  generation = 0;
  /** Bumped whenever series are removed: bound handles then resolve their labels again. */
  version = 0;
  overflowSeries: S | undefined = undefined;
  /** Every series of this metric (the overflow series apart). */
  private seriesList: S[] = [];
  /** Label sets → series; see label-tree.ts. */
  private root = new LabelNode<S>();
  /** Nodes on alias paths (label orders other than sorted); bounded, dropped by rebuild(). */
  private aliasNodes = 0;
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
  protected reservedLabel(name: string): boolean {
    return name === OVERFLOW_LABEL;
  }

  protected abstract createSeries(labelSet: LabelSet, startTimeMs: number): S;

  /**
   * The series for a label set, or undefined when the labels are invalid (the measurement is then
   * dropped and counted). A known label set costs one Map hit per label and no allocation. Never
   * throws, even for a labels object with throwing getters.
   */
  resolve(labels: Labels | undefined | null): S | undefined {
    if (labels === undefined || labels === null) return this.unlabeled ?? this.resolveSlow(NO_LABELS);
    try {
      let slot: Slot<S> | undefined = this.root;
      for (const name in labels) {
        const value = labels[name];
        // A series met before the labels end means a longer, unindexed set: the slow path decides.
        if (typeof value !== 'string' || !(slot instanceof LabelNode)) return this.resolveSlow(labels);
        slot = childOf<S>(slot, name, value);
        if (slot === undefined) return this.resolveSlow(labels);
      }
      const series = slot instanceof LabelNode ? (slot.series as S | undefined) : slot;
      return series ?? this.resolveSlow(labels);
    } catch (error) {
      this.context.drop('invalid_label_value', this.name, `reading the labels threw: ${String(error)}`);
      return undefined;
    }
  }

  private resolveSlow(labels: Labels): S | undefined {
    const names: string[] = [];
    // for…in, like the fast path, so both see the same keys (inherited enumerable ones included).
    for (const name in labels) names.push(name);
    if (names.length === 0 && typeof labels !== 'object') {
      this.context.drop('invalid_label_value', this.name, `labels must be an object, got ${typeof labels}`);
      return undefined;
    }
    const problem = this.labelProblem(names, labels);
    if (problem !== undefined) {
      this.context.drop(problem.reason, this.name, problem.detail);
      return undefined;
    }
    const sorted = [...names].sort();
    let series = find(this.root, sorted, labels);
    if (series === undefined) {
      if (this.seriesList.length >= this.cardinalityLimit || !this.context.reserveSeries()) {
        // Not indexed: overflowing label sets must not grow memory; each one takes this slow path.
        return this.overflow();
      }
      series = this.createSeries(this.context.internLabels(sorted, labels), Date.now());
      this.seriesList.push(series);
      insert(this.root, sorted, series.labels, series);
    }
    if (names.some((name, i) => name !== sorted[i])) {
      // The caller's key order differs from sorted: index it too, so the next call is fast.
      if (this.aliasNodes > 4 * (this.cardinalityLimit + 1) * Math.max(1, names.length)) this.rebuild();
      this.aliasNodes += insert(this.root, names, labels, series);
    }
    if (names.length === 0) this.unlabeled = series;
    return series;
  }

  /** Why a label set cannot be recorded, if it cannot. */
  private labelProblem(
    names: readonly string[],
    labels: Labels,
  ): { reason: DropReason; detail: string } | undefined {
    const translated = new Set<string>();
    for (const name of names) {
      const value: unknown = labels[name];
      if (!isValidLabelName(name)) {
        return { reason: 'invalid_label_name', detail: `label name ${JSON.stringify(name)} is not valid` };
      }
      if (this.reservedLabel(name)) {
        return { reason: 'reserved_label', detail: `label name "${name}" is reserved` };
      }
      if (this.labelNames !== undefined && !this.labelNames.has(name)) {
        return {
          reason: 'undeclared_label',
          detail: `label "${name}" is not among the declared labelNames [${[...this.labelNames].join(', ')}]`,
        };
      }
      if (typeof value !== 'string') {
        return {
          reason: 'invalid_label_value',
          detail: `label "${name}" has a ${value === null ? 'null' : typeof value} value; label values must be strings (use String(value))`,
        };
      }
      const promName = prometheusLabelName(name);
      if (translated.has(promName)) {
        return { reason: 'invalid_label_name', detail: `labels collide as "${promName}" in Prometheus` };
      }
      translated.add(promName);
    }
    return undefined;
  }

  /** Rebuild the index from the live series (canonical paths only). */
  private rebuild(): void {
    this.root = new LabelNode<S>();
    this.aliasNodes = 0;
    this.unlabeled = undefined;
    for (const series of this.seriesList) {
      insert(this.root, Object.keys(series.labels), series.labels, series);
    }
  }

  private overflow(): S {
    if (this.overflowSeries === undefined) {
      this.overflowSeries = this.createSeries(
        this.context.internLabels(Object.keys(OVERFLOW_LABELS), OVERFLOW_LABELS),
        Date.now(),
      );
      this.context.overflowed(this.name, this.cardinalityLimit);
    }
    return this.overflowSeries;
  }

  /** Every series to report, the overflow series last. */
  allSeries(): readonly S[] {
    return this.overflowSeries === undefined ? this.seriesList : [...this.seriesList, this.overflowSeries];
  }

  get seriesCount(): number {
    return this.seriesList.length + (this.overflowSeries === undefined ? 0 : 1);
  }

  /**
   * Drop series whose last update is older than generation `before`; returns how many went.
   * Bound handles notice the new `version` and resolve their labels again — onto a real series
   * if the sweep made room, even when they had been writing to the overflow series.
   */
  sweep(before: number): number {
    const live: S[] = [];
    for (const series of this.seriesList) {
      if (series.touched >= before) live.push(series);
      else this.context.releaseLabels(series.labelSet);
    }
    const removed = this.seriesList.length - live.length;
    let changed = removed > 0;
    const overflow = this.overflowSeries;
    if (overflow !== undefined && overflow.touched < before) {
      this.context.releaseLabels(overflow.labelSet);
      this.overflowSeries = undefined;
      changed = true;
    }
    if (changed) {
      this.seriesList = live;
      this.rebuild();
      this.version++;
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

/**
 * What every bound handle shares: the labels (copied at bind time), the series they resolved to,
 * and the family version it was resolved at. `live()` is the one check on the bound record path.
 */
export abstract class BoundSeries<S extends Series, F extends MetricFamily<S>> {
  protected readonly labels: Labels | undefined;
  private series: S | undefined;
  private version: number;

  constructor(
    protected readonly family: F,
    labels: Labels | undefined | null,
  ) {
    this.labels = copyLabels(labels);
    this.version = family.version;
    this.series = family.resolve(this.labels);
  }

  /** The series to write to; undefined (the drop already counted) when the labels are invalid. */
  protected live(): S | undefined {
    if (this.series === undefined || this.version !== this.family.version) {
      this.version = this.family.version;
      this.series = this.family.resolve(this.labels);
    }
    return this.series;
  }
}

/** A family that takes observations: histograms and summaries. */
interface ObservingFamily<S extends Series> extends MetricFamily<S> {
  observe(labels: Labels | undefined, value: number): void;
  record(series: S, value: number): void;
}

/** A histogram's or summary's series for one label set, resolved once. */
export class BoundObserver<S extends Series, F extends ObservingFamily<S>> extends BoundSeries<S, F> {
  observe(value: number): void {
    if (typeof value !== 'number' || value - value !== 0) {
      this.family.observe(this.labels, value); // counts the drop with its reason
      return;
    }
    const series = this.live();
    if (series !== undefined) this.family.record(series, value);
  }
}

/** A private copy, so a caller mutating its object later cannot move a bound handle. */
function copyLabels(labels: Labels | undefined | null): Labels | undefined {
  if (labels === undefined || labels === null || typeof labels !== 'object') return labels ?? undefined;
  try {
    return Object.freeze({ ...labels });
  } catch {
    return labels; // unreadable: resolve() counts the drop on use
  }
}
