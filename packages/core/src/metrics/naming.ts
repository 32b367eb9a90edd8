// Metric and label naming: validating the names users give (the guide's dotted names included)
// and translating them to Prometheus conventions, once, at definition time.

/** UCUM units (as OpenTelemetry uses them) and the word Prometheus puts in the metric name. */
const UNIT_WORDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    d: 'days',
    h: 'hours',
    min: 'minutes',
    s: 'seconds',
    ms: 'milliseconds',
    us: 'microseconds',
    ns: 'nanoseconds',
    By: 'bytes',
    KiBy: 'kibibytes',
    MiBy: 'mebibytes',
    GiBy: 'gibibytes',
    TiBy: 'tibibytes',
    KBy: 'kilobytes',
    MBy: 'megabytes',
    GBy: 'gigabytes',
    TBy: 'terabytes',
    m: 'meters',
    V: 'volts',
    A: 'amperes',
    J: 'joules',
    W: 'watts',
    g: 'grams',
    Cel: 'celsius',
    Hz: 'hertz',
    '%': 'percent',
  }),
);

const PER_UNIT_WORDS: ReadonlyMap<string, string> = new Map(
  Object.entries({
    s: 'second',
    m: 'minute',
    h: 'hour',
    d: 'day',
    w: 'week',
    mo: 'month',
    y: 'year',
  }),
);

/** Names users may define: the guide's dotted style (`operations.total`) or Prometheus style. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:.\-/]*$/;
/** Label names: identifiers, dots allowed (`service.name`); translated to `_` for Prometheus. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_.]*$/;

export function isValidMetricName(name: string): boolean {
  // At least one letter or digit: `_` or `__` alone would translate to an empty name.
  return typeof name === 'string' && name.length <= 255 && METRIC_NAME.test(name) && /[a-zA-Z0-9]/.test(name);
}

export function isValidLabelName(name: string): boolean {
  return name.length <= 255 && LABEL_NAME.test(name) && !name.startsWith('__');
}

/** Replace every character Prometheus does not allow by `_`, collapsing runs of `_`. */
function sanitize(name: string, allowColon: boolean): string {
  const invalid = allowColon ? /[^a-zA-Z0-9_:]+/g : /[^a-zA-Z0-9_]+/g;
  let out = name.replace(invalid, '_').replace(/__+/g, '_');
  if (/^[0-9]/.test(out)) out = `_${out}`;
  return out;
}

/** The suffix a unit adds to a Prometheus metric name, or '' (e.g. `s` → `seconds`, `1` → `ratio`). */
export function unitSuffix(unit: string, kind: 'counter' | 'gauge' | 'histogram' | 'summary'): string {
  const cleaned = unit.replace(/\{[^}]*\}/g, '').trim();
  if (cleaned === '') return '';
  if (cleaned === '1') return kind === 'gauge' ? 'ratio' : '';
  const slash = cleaned.indexOf('/');
  if (slash !== -1) {
    const main = cleaned.slice(0, slash);
    const per = cleaned.slice(slash + 1);
    const mainWord = UNIT_WORDS.get(main) ?? sanitize(main, false);
    const perWord = PER_UNIT_WORDS.get(per) ?? UNIT_WORDS.get(per) ?? sanitize(per, false);
    return mainWord === '' ? `per_${perWord}` : `${mainWord}_per_${perWord}`;
  }
  return UNIT_WORDS.get(cleaned) ?? sanitize(cleaned, false);
}

/** Names a metric family carries in the Prometheus exposition. */
export interface PrometheusNames {
  /** The name samples use: `operations_total`, `request_duration_seconds`. */
  readonly sampleName: string;
  /** The family name OpenMetrics puts in `# TYPE` (counters without `_total`). */
  readonly familyName: string;
  /** The unit word for OpenMetrics `# UNIT`, when the name ends with it. */
  readonly unit: string;
}

/**
 * Translate a metric name for Prometheus following OpenTelemetry's Prometheus compatibility rules:
 * invalid characters become `_`, the unit is appended unless already there, counters end in
 * `_total` exactly once (`operations.total` → `operations_total`).
 */
export function prometheusNames(
  name: string,
  kind: 'counter' | 'gauge' | 'histogram' | 'summary',
  unit = '',
): PrometheusNames {
  let base = sanitize(name, true);
  if (base.length > 1 && base.endsWith('_')) base = base.slice(0, -1);
  const isCounter = kind === 'counter';
  if (isCounter && base.endsWith('_total') && base.length > '_total'.length)
    base = base.slice(0, -'_total'.length);
  const suffix = unitSuffix(unit, kind);
  if (suffix !== '' && !base.endsWith(`_${suffix}`) && base !== suffix) base = `${base}_${suffix}`;
  return {
    sampleName: isCounter ? `${base}_total` : base,
    familyName: base,
    unit: suffix !== '' && base.endsWith(suffix) ? suffix : '',
  };
}

/** Translate a label name for Prometheus (`service.name` → `service_name`). */
export function prometheusLabelName(name: string): string {
  return sanitize(name, false);
}

/** Escape a label value for the text exposition: backslash, double quote and newline. */
export function escapeLabelValue(value: string): string {
  return /[\\"\n]/.test(value)
    ? value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')
    : value;
}

/** Escape HELP text: backslash and newline, and for OpenMetrics also the double quote. */
export function escapeHelp(text: string, openMetrics = false): string {
  let out = /[\\\n]/.test(text) ? text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n') : text;
  if (openMetrics && out.includes('"')) out = out.replace(/"/g, '\\"');
  return out;
}

/**
 * The `name="value",…` body of a label set, names translated and values escaped, without braces.
 * Computed once per series and cached: the exposition then only concatenates.
 */
export function formatLabelPairs(labels: Readonly<Record<string, unknown>>): string {
  let out = '';
  for (const key of Object.keys(labels)) {
    const value = labels[key];
    if (value === undefined) continue;
    const text = typeof value === 'string' ? value : String(value);
    out += `${out === '' ? '' : ','}${prometheusLabelName(key)}="${escapeLabelValue(text)}"`;
  }
  return out;
}
