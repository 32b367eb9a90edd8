// An alert rule: what to watch (a metric, optionally narrowed by label matchers), how to reduce its
// samples over the evaluation period (the aggregation), and when that value is alarming. Every
// option is checked here, once, so a bad rule fails when it is added rather than on every
// evaluation inside a timer.
import { compileLabelMatchers, formatSeriesKey, type LabelMatchers } from './samples.js';
import { AlertCondition, AlertSeverity } from './types.js';

/**
 * How a rule reduces a series' samples in the evaluation period to one value.
 * `pNN` is a quantile (`p99` → 0.99, `p99.9` → 0.999) of a histogram or summary.
 */
export type Aggregation =
  | 'last'
  | 'avg'
  | 'min'
  | 'max'
  | 'sum'
  | 'count'
  | 'rate'
  | 'increase'
  | `p${number}`;

const PLAIN_AGGREGATIONS: ReadonlySet<string> = new Set([
  'last',
  'avg',
  'min',
  'max',
  'sum',
  'count',
  'rate',
  'increase',
]);

/**
 * The quantile (0..1) a `pNN` aggregation asks for, or undefined when it is not a valid quantile.
 * @example parseQuantile('p99') // 0.99
 */
export function parseQuantile(aggregation: string): number | undefined {
  const match = /^p(\d{1,3}(?:\.\d+)?)$/.exec(aggregation);
  if (match === null) return undefined;
  const percent = Number(match[1]);
  // 99.9 / 100 is 0.9990000000000001 in binary; go through the decimal text so that `p99.9`
  // equals a summary's configured 0.999 exactly.
  return percent <= 100 ? Number((percent / 100).toPrecision(12)) : undefined;
}

/** Thrown when an alert rule is not valid; the message names the field and the accepted values. */
export class AlertRuleError extends Error {
  override readonly name = 'AlertRuleError';
  /** Stable, never reused, so it can be matched on and searched for. */
  readonly code = 'DLM_ALERT_RULE';

  constructor(
    /** The rule's name, when it got that far. */
    readonly rule: string | undefined,
    /** The option at fault, in camelCase. */
    readonly field: string,
    message: string,
  ) {
    super(`alert rule ${rule === undefined ? '' : `"${rule}" `}option ${field}: ${message}`);
  }
}

/** Options of an alert rule; the guide's snake_case spellings are accepted too. */
export interface AlertRuleOptions {
  /** Unique rule name; becomes the `alertname` label. @example 'high_error_rate' */
  name: string;
  /** The metric the rule watches, as the collector names it. It need not exist yet. @example 'errors.total' */
  metricName?: string;
  /** Snake_case spelling of `metricName`, as in the guide. */
  metric_name?: string;
  /**
   * How the aggregated value is compared with `threshold`; ABSENT fires while the rule selects no
   * data at all.
   * @default AlertCondition.GREATER_THAN
   */
  condition?: AlertCondition | string;
  /** The value compared with; required except for ABSENT. @example 10 */
  threshold?: number;
  /** @default AlertSeverity.MEDIUM */
  severity?: AlertSeverity | string;
  /** Goes to the alert's `description` annotation. @default '' */
  description?: string;
  /**
   * Seconds of samples the aggregation covers, the window (now − period, now].
   * @default 300
   */
  evaluationPeriod?: number;
  /** Snake_case spelling of `evaluationPeriod`. */
  evaluation_period?: number;
  /**
   * Seconds the condition must hold before the alert fires (pending until then); 0 fires at once.
   * @default 60
   */
  minDuration?: number;
  /** Snake_case spelling of `minDuration`. */
  min_duration?: number;
  /**
   * Seconds a firing alert keeps firing after its condition stopped holding (or its data stopped),
   * so that a value hovering at the threshold does not flap.
   * @default 0
   */
  keepFiringFor?: number;
  /** Snake_case spelling of `keepFiringFor`. */
  keep_firing_for?: number;
  /** Extra labels on every alert of this rule (routing, grouping). @example { team: 'data' } */
  labels?: Record<string, string>;
  /**
   * Select series of the metric: a string must equal the label's value, a RegExp must match it
   * (`test`, so anchor it yourself). A missing label reads as ''.
   * @example { method: 'GET', status: /^5\d\d$/ }
   */
  matchers?: LabelMatchers;
  /** Extra annotations on every alert of this rule. @example { runbook: 'https://wiki/errors' } */
  annotations?: Record<string, string>;
  /**
   * How samples in the period become one value.
   * @default 'increase' for counters ("errors.total > 10 over 5 minutes" means 10 new errors), 'last' otherwise
   */
  aggregation?: Aggregation;
  /** Names of the channels to notify. @default undefined: the alert manager's default routing */
  channels?: string[];
}

const CONDITIONS: ReadonlyMap<string, AlertCondition> = new Map(
  Object.entries(AlertCondition).flatMap(([key, value]) => [
    [value, value],
    [key.toLowerCase(), value],
  ]),
);
const SEVERITIES: ReadonlyMap<string, AlertSeverity> = new Map(
  Object.values(AlertSeverity).map((value) => [value, value]),
);
/** Labels every alert gets from the rule itself; a rule's own labels cannot override them. */
const RESERVED_LABELS: ReadonlySet<string> = new Set(['alertname', 'severity']);

/**
 * A validated, immutable alert rule.
 * @example
 * new AlertRule({
 *   name: 'high_error_rate', metric_name: 'errors.total', condition: AlertCondition.GREATER_THAN,
 *   threshold: 10, severity: AlertSeverity.CRITICAL, evaluation_period: 300, min_duration: 60,
 * });
 */
export class AlertRule {
  readonly name: string;
  readonly metricName: string;
  readonly condition: AlertCondition;
  /** 0 for ABSENT rules given none. */
  readonly threshold: number;
  readonly severity: AlertSeverity;
  readonly description: string;
  /** Seconds. */
  readonly evaluationPeriod: number;
  /** Seconds. */
  readonly minDuration: number;
  /** Seconds. */
  readonly keepFiringFor: number;
  readonly labels: Readonly<Record<string, string>>;
  readonly matchers: LabelMatchers;
  readonly annotations: Readonly<Record<string, string>>;
  /** As given; undefined means the default for the metric's kind, decided when evaluating. */
  readonly aggregation: Aggregation | undefined;
  readonly channels: readonly string[] | undefined;
  /** Whether a series with these labels is one the rule watches (its matchers all pass). */
  readonly selects: (labels: Readonly<Record<string, string>>) => boolean;

  constructor(options: AlertRuleOptions) {
    if (options === null || typeof options !== 'object') {
      throw new AlertRuleError(undefined, 'options', 'expected an object of rule options');
    }
    const { name } = options;
    if (typeof name !== 'string' || name.trim() === '' || name !== name.trim() || /\p{Cc}/u.test(name)) {
      throw new AlertRuleError(
        undefined,
        'name',
        `${JSON.stringify(name)} is not valid: expected a non-empty string without surrounding spaces or control characters`,
      );
    }
    const fail: Fail = (field, message) => {
      throw new AlertRuleError(name, field, message);
    };
    this.name = name;

    const metricName = pick(options, 'metricName', 'metric_name', fail);
    if (typeof metricName !== 'string' || metricName === '') {
      fail('metricName', `expected the name of the metric to watch, got ${JSON.stringify(metricName)}`);
    }
    this.metricName = metricName as string;

    const condition = CONDITIONS.get(String(options.condition ?? AlertCondition.GREATER_THAN).toLowerCase());
    if (condition === undefined) {
      fail(
        'condition',
        `${JSON.stringify(options.condition)} is not a condition; use one of ${Object.values(AlertCondition).join(', ')}`,
      );
    }
    this.condition = condition as AlertCondition;

    // ABSENT compares nothing, so it needs no threshold; one given must still be a number.
    const threshold =
      this.condition === AlertCondition.ABSENT && options.threshold === undefined ? 0 : options.threshold;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      fail('threshold', `expected a finite number, got ${String(threshold)}`);
    }
    this.threshold = threshold as number;

    const severity = SEVERITIES.get(String(options.severity ?? AlertSeverity.MEDIUM).toLowerCase());
    if (severity === undefined) {
      fail(
        'severity',
        `${JSON.stringify(options.severity)} is not a severity; use one of ${Object.values(AlertSeverity).join(', ')}`,
      );
    }
    this.severity = severity as AlertSeverity;

    const description = options.description ?? '';
    if (typeof description !== 'string') fail('description', 'expected a string');
    this.description = description;

    this.evaluationPeriod = seconds(
      pick(options, 'evaluationPeriod', 'evaluation_period', fail) ?? 300,
      'evaluationPeriod',
      fail,
    );
    // An empty window never holds a sample: the rule could only ever report no data.
    if (this.evaluationPeriod === 0) fail('evaluationPeriod', 'must be more than 0 seconds');
    this.minDuration = seconds(pick(options, 'minDuration', 'min_duration', fail) ?? 60, 'minDuration', fail);
    this.keepFiringFor = seconds(
      pick(options, 'keepFiringFor', 'keep_firing_for', fail) ?? 0,
      'keepFiringFor',
      fail,
    );

    this.labels = stringRecord(options.labels, 'labels', fail);
    for (const label of Object.keys(this.labels)) {
      if (RESERVED_LABELS.has(label))
        fail('labels', `"${label}" is set from the rule itself and cannot be given`);
    }
    this.annotations = stringRecord(options.annotations, 'annotations', fail);

    this.matchers = checkMatchers(options.matchers, fail);
    this.selects = compileLabelMatchers(this.matchers);

    const { aggregation } = options;
    if (
      aggregation !== undefined &&
      (typeof aggregation !== 'string' ||
        (!PLAIN_AGGREGATIONS.has(aggregation) && parseQuantile(aggregation) === undefined))
    ) {
      fail(
        'aggregation',
        `${JSON.stringify(aggregation)} is not an aggregation; use one of ${[...PLAIN_AGGREGATIONS].join(', ')} or a quantile p0..p100 such as p99`,
      );
    }
    this.aggregation = aggregation;

    const { channels } = options;
    if (
      channels !== undefined &&
      (!Array.isArray(channels) || channels.some((c) => typeof c !== 'string' || c === ''))
    ) {
      fail('channels', 'expected an array of channel names');
    }
    this.channels = channels === undefined ? undefined : Object.freeze([...channels]);
    Object.freeze(this);
  }

  /**
   * The id of the alert instance for one series: rule name and the series' sorted labels.
   * @example rule.instanceId({ status: '500' }) // 'high_error_rate{status="500"}'
   */
  instanceId(seriesLabels: Readonly<Record<string, string>>): string {
    return formatSeriesKey(this.name, seriesLabels);
  }
}

type Fail = (field: string, message: string) => never;

/** The camelCase or snake_case spelling of an option; both given and different is an error. */
function pick(
  options: AlertRuleOptions,
  camel: 'metricName' | 'evaluationPeriod' | 'minDuration' | 'keepFiringFor',
  snake: 'metric_name' | 'evaluation_period' | 'min_duration' | 'keep_firing_for',
  fail: Fail,
): unknown {
  const a: unknown = options[camel];
  const b: unknown = options[snake];
  if (a !== undefined && b !== undefined && a !== b) {
    fail(camel, `${camel} (${String(a)}) and ${snake} (${String(b)}) disagree; give one`);
  }
  return a ?? b;
}

function seconds(value: unknown, field: string, fail: Fail): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    fail(field, `expected a finite number of seconds, 0 or more, got ${String(value)}`);
  }
  return value as number;
}

function stringRecord(
  value: Record<string, string> | undefined,
  field: string,
  fail: Fail,
): Readonly<Record<string, string>> {
  if (value === undefined) return Object.freeze({});
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail(field, 'expected an object of string values');
  }
  for (const [key, v] of Object.entries(value)) {
    if (key === '') fail(field, 'names must not be empty');
    if (typeof v !== 'string') fail(field, `"${key}" must be a string, got ${typeof v}`);
  }
  return Object.freeze({ ...value });
}

/** Checks every matcher so a bad one names itself, then compiles them once. */
function checkMatchers(value: LabelMatchers | undefined, fail: Fail): LabelMatchers {
  if (value === undefined) return Object.freeze({});
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    fail('matchers', 'expected an object of label name → string or RegExp');
  }
  for (const [name, matcher] of Object.entries(value)) {
    if (name === '') fail('matchers', 'label names must not be empty');
    if (typeof matcher !== 'string' && !(matcher instanceof RegExp)) {
      fail('matchers', `"${name}" must be a string or a RegExp, got ${typeof matcher}`);
    }
  }
  return Object.freeze({ ...value });
}
