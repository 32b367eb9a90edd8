// Public types of the metrics collector: label sets, metric kinds and definition options.

/** A label set: label name → value. Values must be strings (others are dropped and counted). */
export type Labels = Readonly<Record<string, string>>;

/** The four metric kinds of the collector; timers are histograms in seconds. */
export type MetricKind = 'counter' | 'gauge' | 'histogram' | 'summary';

/** Options shared by every explicit metric definition. */
export interface MetricOptions {
  /**
   * Help text shown in `# HELP` and in the dashboard.
   * @default `"<kind> <name>"` so the exposition always has help text
   */
  description?: string;
  /**
   * UCUM unit as OpenTelemetry uses it (`s`, `By`, `1`, `{requests}`); Prometheus gets the unit
   * word as a name suffix (`s` → `_seconds`).
   * @default '' (no unit)
   */
  unit?: string;
  /**
   * The label names this metric accepts. When given, a measurement with any other label name is
   * dropped and counted (`reason="undeclared_label"`). When omitted, any valid label names are
   * accepted, which is what the by-name API (`increment('x', { type: 'a' })`) relies on.
   * @example ['method', 'route', 'status']
   */
  labelNames?: readonly string[];
  /**
   * Series this metric may hold before new label sets go to the one overflow series
   * (`otel_metric_overflow="true"`), as OpenTelemetry does.
   * @default metrics.cardinalityLimit from the configuration (2000)
   */
  cardinalityLimit?: number;
  /**
   * Called before every collection (scrape, export, dashboard refresh) to bring the metric up to
   * date, like prom-client's `collect`. If it throws or rejects, this metric is left out of that
   * collection, the rest is served, and the failure is counted.
   */
  collect?: () => void | Promise<void>;
}

export interface HistogramOptions extends MetricOptions {
  /**
   * Upper bounds of the buckets (`le`), strictly increasing; `+Inf` is implicit.
   * @default metrics.histogramBuckets: prom-client's [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] (seconds)
   */
  buckets?: readonly number[];
}

export interface SummaryOptions extends MetricOptions {
  /**
   * Quantiles to report, each in (0, 1).
   * @default [0.5, 0.9, 0.95, 0.99]
   */
  quantiles?: readonly number[];
  /**
   * The quantiles cover roughly the last `maxAgeSeconds` of observations (prom-client semantics).
   * @default 600
   */
  maxAgeSeconds?: number;
  /**
   * How many rotating sketches make up the window: the window slides in steps of
   * maxAgeSeconds / ageBuckets.
   * @default 5
   */
  ageBuckets?: number;
  /**
   * Relative error bound of every reported quantile (DDSketch).
   * @default 0.01
   */
  relativeAccuracy?: number;
}

/** Why a measurement was dropped: the `reason` label of `datalineage_monitoring_dropped_measurements_total`. */
export type DropReason =
  | 'nan'
  | 'infinite'
  | 'not_a_number'
  | 'negative_increment'
  | 'invalid_label_name'
  | 'invalid_label_value'
  | 'undeclared_label'
  | 'reserved_label'
  | 'invalid_metric_name'
  | 'type_conflict'
  | 'series_limit';
