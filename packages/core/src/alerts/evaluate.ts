// Evaluating one rule at one moment: select its series from the sample history, aggregate each
// over the evaluation period, compare with the threshold, and step each series' alert instance.
// Also `testRule`, the `promtool test rules` of this SDK: a rule run over a scripted scenario on
// a fake clock, step by step.
import type { Labels, MetricKind } from '../metrics/types.js';
import { aggregate, defaultAggregation, type SampleWindow } from './aggregate.js';
import { AlertLifecycle, type EvaluationOutcome, type StateTransition } from './lifecycle.js';
import type { AlertRule } from './rule.js';
import { SampleHistory, type SelectedSeries, type SeriesSample } from './samples.js';
import { AlertCondition, type AlertState } from './types.js';

/** The kind of a registered metric, or undefined when none is registered under that name. */
export type KindOf = (metric: string) => MetricKind | undefined;

export interface EvaluateOptions {
  /** The registered kind of a metric; the samples' own kind is used when it answers undefined. */
  kindOf?: KindOf;
  /**
   * How long a firing alert whose data stopped stays firing (Alertmanager's `resolve_timeout`).
   * @default 0
   */
  resolveTimeoutMs?: number;
}

/** A state change of one alert instance, as an evaluation reports it. */
export interface EvaluationTransition {
  /** `rule.instanceId(labels)`: the key in the instances map. */
  readonly instanceId: string;
  readonly rule: AlertRule;
  /** The series' labels ({} for the rule-level instance); the alert's labels are in a snapshot. */
  readonly labels: Labels;
  readonly from: AlertState;
  readonly to: AlertState;
  readonly at: number;
  readonly value: number;
}

const NO_DATA: EvaluationOutcome = Object.freeze({ matched: false, value: Number.NaN, hasData: false });

/**
 * Compares a value with a threshold. EQUAL and NOT_EQUAL allow a relative difference of 1e-9 of
 * the larger magnitude (at least 1, so values near 0 compare with an absolute 1e-9), because an
 * average or a rate is rarely exactly the decimal someone wrote. NaN matches no condition: a
 * histogram without observations is not "≠ 5".
 * @example compare(0.1 + 0.2, AlertCondition.EQUAL, 0.3) // true
 */
export function compare(value: number, condition: AlertCondition, threshold: number): boolean {
  if (Number.isNaN(value)) return false;
  const equal =
    value === threshold ||
    Math.abs(value - threshold) <= 1e-9 * Math.max(Math.abs(value), Math.abs(threshold), 1);
  switch (condition) {
    case AlertCondition.GREATER_THAN:
      return value > threshold;
    case AlertCondition.GREATER_EQUAL:
      return value >= threshold;
    case AlertCondition.LESS_THAN:
      return value < threshold;
    case AlertCondition.LESS_EQUAL:
      return value <= threshold;
    case AlertCondition.EQUAL:
      return equal;
    case AlertCondition.NOT_EQUAL:
      return !equal;
    case AlertCondition.ABSENT:
      return false;
  }
}

/**
 * Evaluates a rule at `now` and steps its alert instances; returns the transitions made.
 * Never throws for a problem with the data: a series that cannot be aggregated as the rule asks
 * puts its instance in `error`.
 *
 * - Each series of `rule.metricName` that the matchers select is one instance, keyed by
 *   `rule.instanceId(series labels)`, aggregated over (now − evaluationPeriod, now].
 * - When the rule selects no series at all (the metric does not exist yet, or no series
 *   matches), one rule-level instance (labels {}) is `nodata`: a rule watching nothing says so.
 *   A metric that does not exist is allowed, since it may appear later.
 * - An instance whose series has left the history is stepped with no data (so a firing one
 *   resolves, unless kept firing); once it has been `nodata` for a whole evaluation it is deleted
 *   from `instances`, so that churning label values do not pile up instances. The map is the
 *   truth about which instances exist.
 * - ABSENT: one instance, labelled with the rule's equality matchers (as Prometheus' `absent()`),
 *   matched while no selected series has a sample in the period; its value is the number of
 *   series with samples (NaN when none).
 *
 * @param instances this rule's instances by id, created and deleted here; keep one map per rule
 * @example const transitions = evaluateRule(rule, history, instancesOf(rule), Date.now(), { kindOf });
 */
export function evaluateRule(
  rule: AlertRule,
  history: SampleHistory,
  instances: Map<string, AlertLifecycle>,
  now: number,
  options: EvaluateOptions = {},
): EvaluationTransition[] {
  const { kindOf, resolveTimeoutMs = 0 } = options;
  const made: EvaluationTransition[] = [];
  const windowStart = now - rule.evaluationPeriod * 1000;
  const pass = ++passes;
  const step = (id: string, labels: Labels, outcome: EvaluationOutcome): void => {
    let instance = instances.get(id);
    if (instance === undefined) {
      instance = new AlertLifecycle(labels, now);
      instances.set(id, instance);
    }
    instance.pass = pass;
    const transitions = instance.step(now, outcome, rule, resolveTimeoutMs);
    for (let i = 0; i < transitions.length; i++) {
      made.push({ instanceId: id, rule, labels: instance.labels, ...(transitions[i] as StateTransition) });
    }
  };

  if (rule.condition === AlertCondition.ABSENT) {
    let present = 0;
    for (const series of history.series(rule.metricName, rule.selects)) {
      if (aggregate(series.samples, 'count', 'gauge', windowStart, now).hasData) present++;
    }
    const labels = absentLabels(rule);
    const hasData = present > 0;
    step(rule.instanceId(labels), labels, {
      matched: !hasData,
      hasData,
      value: hasData ? present : Number.NaN,
    });
    return made;
  }

  const registered = kindOf?.(rule.metricName);
  const selection = selected(rule, history);
  for (let i = 0; i < selection.length; i++) {
    const { series, id } = selection[i] as Selected;
    step(id, series.labels, outcomeOf(rule, series.samples, registered ?? series.kind, windowStart, now));
  }
  if (selection.length === 0) step(rule.instanceId({}), {}, NO_DATA);
  // Instances beyond the selection are those whose series went: step them with no data.
  if (instances.size > selection.length) {
    for (const [id, instance] of instances) {
      if (instance.pass === pass) continue;
      const wasNodata = instance.state === 'nodata';
      step(id, instance.labels, NO_DATA);
      if (wasNodata && instance.state === 'nodata') instances.delete(id);
    }
  }
  return made;
}

/** Numbers evaluateRule calls, so an instance can tell whether this call has stepped it already. */
let passes = 0;

interface Selected {
  readonly series: SelectedSeries;
  /** The instance id of the series under this rule. */
  readonly id: string;
}

/** The series a rule selects with their instance ids, cached until the history gains or loses a series. */
const selections = new WeakMap<AlertRule, { history: SampleHistory; version: number; series: Selected[] }>();

function selected(rule: AlertRule, history: SampleHistory): readonly Selected[] {
  const cached = selections.get(rule);
  if (cached !== undefined && cached.history === history && cached.version === history.version)
    return cached.series;
  const series: Selected[] = [];
  for (const entry of history.series(rule.metricName, rule.selects)) {
    series.push({ series: entry, id: rule.instanceId(entry.labels) });
  }
  selections.set(rule, { history, version: history.version, series });
  return series;
}

function outcomeOf(
  rule: AlertRule,
  window: SampleWindow,
  kind: MetricKind,
  windowStart: number,
  now: number,
): EvaluationOutcome {
  try {
    const { value, hasData } = aggregate(
      window,
      rule.aggregation ?? defaultAggregation(kind),
      kind,
      windowStart,
      now,
    );
    return { matched: hasData && compare(value, rule.condition, rule.threshold), value, hasData };
  } catch (error) {
    return {
      matched: false,
      value: Number.NaN,
      hasData: false,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/** The labels an ABSENT alert carries: the rule's equality matchers, which name what is missing. */
function absentLabels(rule: AlertRule): Labels {
  const labels: Record<string, string> = {};
  for (const [name, matcher] of Object.entries(rule.matchers)) {
    if (typeof matcher === 'string') labels[name] = matcher;
  }
  return labels;
}

/** One sample of a test scenario. */
export interface TestSample {
  /** Seconds from the scenario's start (0). */
  readonly time: number;
  readonly value: number;
  /** @default {} */
  readonly labels?: Record<string, string>;
  /** @default rule.metricName */
  readonly metric?: string;
  /**
   * @default options.kind, else 'counter' for a metric named `….total`/`…_total` (the counter
   *   naming convention), else 'gauge'
   */
  readonly kind?: 'counter' | 'gauge';
}

/** A test scenario: samples and how often to evaluate. */
export interface TestScenario {
  readonly series: readonly TestSample[];
  /** Evaluate every this many seconds. @default the smallest gap between sample times (60 with one time) */
  readonly interval?: number;
  /** Evaluate until this many seconds (inclusive), e.g. to see what happens after data stops. @default the last sample's time */
  readonly until?: number;
}

export interface TestRuleOptions {
  /** Overrides the scenario's `interval`. */
  interval?: number;
  /** Overrides the scenario's `until`. */
  until?: number;
  /** The kind of samples that do not say. @default by name: 'counter' for `….total`, else 'gauge' */
  kind?: 'counter' | 'gauge';
  /**
   * Seconds a firing alert whose data stopped stays firing (the alert manager's `resolveTimeout`).
   * @default 0 (the alert manager's testRule passes its own)
   */
  resolveTimeout?: number;
}

/** One instance at one evaluation step of `testRule`. */
export interface TestStep {
  /** Seconds from the scenario's start. */
  readonly time: number;
  readonly instanceId: string;
  readonly labels: Labels;
  /** The value the instance's evaluation produced at this step (NaN for none). */
  readonly value: number;
  readonly state: AlertState;
  /** The instance's transitions at this step. */
  readonly transitions: readonly EvaluationTransition[];
}

/** Evaluation steps one `testRule` call may run at most: a typo in `interval` fails fast. */
const MAX_TEST_STEPS = 100_000;

/**
 * Runs a rule over a scripted scenario on a fake clock, as `promtool test rules` does: the
 * samples are fed to a fresh history as time passes, and the rule is evaluated at 0, interval,
 * 2 × interval, … up to `until`. Returns one entry per instance per step, in time then id order.
 * @throws RangeError for an interval that is not a positive number, or more than 100,000 steps
 * @example
 * const rule = new AlertRule({ name: 'backlog', metricName: 'queue.depth', threshold: 100, minDuration: 30 });
 * testRule(rule, { series: [{ time: 0, value: 50 }, { time: 30, value: 150 }, { time: 60, value: 160 }] })
 *   .map((s) => `${s.time}s ${s.state}`); // ['0s inactive', '30s pending', '60s firing']
 */
export function testRule(
  rule: AlertRule,
  testMetrics: readonly TestSample[] | TestScenario,
  options: TestRuleOptions = {},
): TestStep[] {
  const scenario: TestScenario = isScenario(testMetrics) ? testMetrics : { series: testMetrics };
  const samples = [...scenario.series].sort((a, b) => a.time - b.time);
  const times = [...new Set(samples.map((s) => s.time))];
  let smallestGap = Number.POSITIVE_INFINITY;
  for (let i = 1; i < times.length; i++) {
    smallestGap = Math.min(smallestGap, (times[i] as number) - (times[i - 1] as number));
  }
  const interval = options.interval ?? scenario.interval ?? (times.length > 1 ? smallestGap : 60);
  if (!Number.isFinite(interval) || interval <= 0) {
    throw new RangeError(`testRule interval must be a positive number of seconds, got ${interval}`);
  }
  const until = options.until ?? scenario.until ?? times[times.length - 1] ?? 0;
  if (until / interval > MAX_TEST_STEPS) {
    throw new RangeError(`testRule would evaluate more than ${MAX_TEST_STEPS} steps; raise the interval`);
  }

  const resolveTimeoutMs = (options.resolveTimeout ?? 0) * 1000;
  if (!(resolveTimeoutMs >= 0)) {
    throw new RangeError(
      `testRule resolveTimeout must be a number of seconds ≥ 0, got ${options.resolveTimeout}`,
    );
  }
  const history = new SampleHistory({ retainMs: (rule.evaluationPeriod + interval) * 1000 });
  const instances = new Map<string, AlertLifecycle>();
  const steps: TestStep[] = [];
  let next = 0;
  for (let i = 0; i * interval <= until; i++) {
    // Multiply rather than accumulate, so that 0.1-second intervals do not drift.
    const time = i * interval;
    const now = time * 1000;
    const due: SeriesSample[] = [];
    while (next < samples.length && (samples[next] as TestSample).time <= time) {
      due.push(toSample(samples[next] as TestSample, rule, options));
      next++;
    }
    history.add(due);
    history.prune(now);
    const transitions = evaluateRule(rule, history, instances, now, { resolveTimeoutMs });
    for (const id of [...instances.keys()].sort()) {
      const instance = instances.get(id) as AlertLifecycle;
      steps.push({
        time,
        instanceId: id,
        labels: instance.labels,
        value: instance.value,
        state: instance.state,
        transitions: transitions.filter((t) => t.instanceId === id),
      });
    }
  }
  return steps;
}

function isScenario(value: readonly TestSample[] | TestScenario): value is TestScenario {
  return !Array.isArray(value);
}

function toSample(sample: TestSample, rule: AlertRule, options: TestRuleOptions): SeriesSample {
  const metric = sample.metric ?? rule.metricName;
  const kind = sample.kind ?? options.kind ?? (/[._]total$/.test(metric) ? 'counter' : 'gauge');
  return { metric, kind, labels: sample.labels ?? {}, time: sample.time * 1000, value: sample.value };
}
