// The monitoring configuration: its documented types, the zod schema that validates and defaults
// it, and the defaults themselves. Keys are camelCase here; keys.ts accepts the guide's snake_case.
import * as z from 'zod';

/** How much the SDK reports about itself (its own diagnostics channel, not the app's logs). */
export type DiagnosticsLevel = 'none' | 'error' | 'warn' | 'info' | 'debug';

/** The SDK's own diagnostics. */
export interface DiagnosticsConfig {
  /**
   * Quiet by default: a monitoring library should not chatter in its host's console.
   * @default 'error'
   */
  readonly level: DiagnosticsLevel;
}

/** The built-in web dashboard. */
export interface DashboardConfig {
  /** Serve the dashboard (with `/metrics`, `/healthz`, `/readyz`) on `start()`. @default true */
  readonly enabled: boolean;
  /**
   * Interface to listen on. Loopback by default so nothing is exposed by accident; set
   * `'0.0.0.0'` in containers (the guide's Kubernetes example does it with an env var).
   * @default '127.0.0.1'
   */
  readonly host: string;
  /**
   * TCP port, 0–65535; 0 picks a free port.
   * @default 8080
   */
  readonly port: number;
  /**
   * Log every dashboard request (method, path, status, time) through the SDK's diagnostics, at
   * info level: set `diagnostics.level: info` to see them.
   * @default false
   */
  readonly debug: boolean;
  /**
   * Seconds between the page's polls when live updates (Server-Sent Events) are not available;
   * > 0 and at most 86400 (a day).
   * @default 30
   */
  readonly autoRefresh: number;
  /**
   * Points kept per chart; an integer ≥ 2 because a line needs two points, and at most 10000
   * because every series keeps them in memory and sends them to each browser.
   * @default 100
   */
  readonly maxDataPoints: number;
  /** The page's theme; each browser's switch overrides it. @default 'dark' */
  readonly theme: 'dark' | 'light';
  /**
   * Seconds between samples of the charts' history; > 0 and at most 86400 (a day).
   * @default 5
   */
  readonly sampleInterval: number;
  /** Who may see the dashboard: basic auth (username and password) or a bearer token. */
  readonly auth: DashboardAuthConfig;
  /**
   * Serve a non-loopback host without authentication anyway (behind an authenticating proxy,
   * say). Without it, the dashboard refuses to start there unauthenticated.
   * @default false
   */
  readonly allowUnauthenticated: boolean;
  /** HTTPS: PEM key and certificate files. Both or neither. */
  readonly tls: {
    /** The PEM private key file. @default undefined (HTTP) */
    readonly keyFile?: string;
    /** The PEM certificate file (with its chain). @default undefined (HTTP) */
    readonly certFile?: string;
  };
}

/** Dashboard credentials; give a username and password, or a token, or nothing. */
export interface DashboardAuthConfig {
  /** Basic-auth user (with `password`). @default undefined */
  readonly username?: string;
  /** Basic-auth password. @default undefined */
  readonly password?: string;
  /** A bearer token of at least 16 characters (instead of a user and password). @default undefined */
  readonly token?: string;
}

/** Summaries: quantiles over a sliding time window. */
export interface SummaryConfig {
  /**
   * Quantiles to report, each strictly between 0 and 1, strictly increasing; 1 to 64 of them.
   * @default [0.5, 0.9, 0.95, 0.99]
   */
  readonly quantiles: readonly number[];
  /**
   * The quantiles cover roughly the last `maxAgeSeconds` of observations (prom-client semantics);
   * > 0 and at most 604800 (a week).
   * @default 600
   */
  readonly maxAgeSeconds: number;
  /**
   * Rotating sketches that make up the window (an integer 1–60); the window slides in steps of
   * `maxAgeSeconds / ageBuckets`.
   * @default 5
   */
  readonly ageBuckets: number;
  /**
   * Relative error bound of every reported quantile, in [0.0001, 0.5).
   * @default 0.01
   */
  readonly relativeAccuracy: number;
}

/** The standalone Prometheus scrape endpoint (separate from the dashboard). */
export interface MetricsEndpointConfig {
  /** Serve `/metrics` on a port of its own too (the dashboard serves it as well). @default false */
  readonly enabled: boolean;
  /** Interface the endpoint listens on. @default '127.0.0.1' */
  readonly host: string;
  /**
   * TCP port, 0–65535; 9464 is OpenTelemetry's Prometheus exporter port, so existing scrape
   * configs keep working.
   * @default 9464
   */
  readonly port: number;
  /**
   * Must start with `/`.
   * @default '/metrics'
   */
  readonly path: string;
}

/** The metrics collector. */
export interface MetricsConfig {
  /** Collect metrics at all; off, the record path does nothing and nothing is served. @default true */
  readonly enabled: boolean;
  /**
   * Seconds of history the dashboard's charts keep at most (they also keep at most
   * `dashboard.max_data_points` samples per series); 0 leaves only that bound. Alert rules keep
   * what their evaluation periods need, whatever this says. ≥ 0 and at most 2592000 (30 days).
   * @default 3600
   */
  readonly retentionPeriod: number;
  /**
   * Cap on the total number of series across all metrics (an integer from 1 to 1000000), so a
   * label explosion cannot exhaust memory.
   * @default 100000
   */
  readonly maxMetrics: number;
  /**
   * Seconds between sweeps of idle series; > 0 and at most 86400 (a day).
   * @default 300
   */
  readonly cleanupInterval: number;
  /**
   * Accepted for files written for the Python original, and ignored: the SDK aggregates when
   * metrics are collected (summaries over their sliding window), not on a timer. > 0 and at most
   * 86400.
   * @default 60
   */
  readonly aggregationInterval: number;
  /**
   * Series one metric may hold (an integer from 1 to 1000000) before new label sets go to its one
   * overflow series, as OpenTelemetry does.
   * @default 2000
   */
  readonly cardinalityLimit: number;
  /**
   * Seconds after which a series that has not been updated is dropped; 0 turns expiry off; at
   * most 2592000 (30 days).
   * @default 0
   */
  readonly idleSeriesExpiry: number;
  /**
   * Default histogram bucket upper bounds in seconds: finite, strictly increasing, 1 to 256 of them.
   * @default [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] (prom-client's defaults)
   * @example [0.1, 0.5, 1, 5]
   */
  readonly histogramBuckets: readonly number[];
  /** Defaults for summaries. */
  readonly summary: SummaryConfig;
  /** The standalone scrape endpoint. */
  readonly endpoint: MetricsEndpointConfig;
  /**
   * Node runtime metrics: event-loop delay and utilization, GC, V8 heap, active handles, CPU time
   * and resident memory.
   * @default true
   */
  readonly runtime: boolean;
}

/** The alert manager. */
export interface AlertsConfig {
  /** Evaluate alert rules; off, rules are kept but never evaluated. @default true */
  readonly enabled: boolean;
  /**
   * Seconds between rule evaluations; > 0 and at most 86400 (a day).
   * @default 60
   */
  readonly evaluationInterval: number;
  /**
   * Seconds a condition must hold before the alert fires, against flapping, for rules from this
   * file that set none (`addRule()` in code defaults to 60); 0 to 604800 (a week).
   * @default 120
   */
  readonly minDuration: number;
  /**
   * Minimum seconds between two notifications of the same alert; 0 to 31536000 (a year, which
   * already means "never repeat").
   * @default 3600
   */
  readonly maxFrequency: number;
  /**
   * Seconds a firing alert whose data stopped stays firing before it resolves (Alertmanager's
   * `resolve_timeout`), so a scrape gap or a restart sends no false all-clear; 0 to 604800 (a
   * week). A condition evaluated false resolves at once, or after the rule's `keep_firing_for`.
   * @default 300
   */
  readonly resolveTimeout: number;
  /**
   * Labels alerts are grouped by: one notification per group.
   * @default ['alertname']
   */
  readonly groupBy: readonly string[];
  /**
   * Seconds to wait before the first notice of a new group, gathering its alerts; 0 to 604800.
   * @default 30
   */
  readonly groupWait: number;
  /**
   * Seconds between notices about changes in a group; 0 to 604800.
   * @default 300
   */
  readonly groupInterval: number;
  /** Send a notice when announced alerts resolve. @default true */
  readonly sendResolved: boolean;
  /**
   * A firing alert of this severity mutes lower-severity alerts on the same metric and series;
   * `none` turns inhibition off.
   * @default 'critical'
   */
  readonly inhibitFrom: 'critical' | 'high' | 'medium' | 'low' | 'info' | 'none';
  /**
   * Unacknowledged alerts firing `after` seconds (default 900) are also sent to these channels,
   * once; those channels then only get escalations.
   */
  readonly escalation?: {
    /** Seconds an alert fires unacknowledged before it is escalated; 0 to 604800. @default 900 */
    readonly after: number;
    /** Names of the channels escalations go to (from `channels`). */
    readonly channels: readonly string[];
  };
  /** Per-notification delivery: time limit per attempt (seconds) and retries. */
  readonly delivery: {
    /** Seconds one delivery attempt may take; > 0 and at most 3600. @default 10 */
    readonly timeout: number;
    /** Attempts after a failed one, with backoff; 0 to 100. @default 3 */
    readonly retries: number;
  };
  /**
   * Alert rules created at setup (the AlertRule options; `min_duration` defaults to
   * `alerts.min_duration`).
   * @default []
   */
  readonly rules: readonly AlertRuleConfig[];
  /**
   * Notification channels created at setup: `{ type: email|webhook|slack|alertmanager, name?, ...its
   * keys }` — the keys of `addNotificationHandler`, in either spelling.
   * @default []
   */
  readonly channels: readonly Readonly<Record<string, unknown>>[];
}

/** An alert rule in the configuration file. */
export interface AlertRuleConfig {
  readonly name: string;
  readonly metricName: string;
  /** gt, ge, lt, le, eq, ne, absent — or greater_than, less_equal, … */
  readonly condition?: string;
  readonly threshold?: number;
  /** critical, high, medium, low, info */
  readonly severity?: string;
  readonly description?: string;
  /**
   * Seconds of samples the aggregation covers, the window (now − period, now]; > 0 and at most
   * 604800 (a week).
   */
  readonly evaluationPeriod?: number;
  /**
   * Seconds the condition must hold before the alert fires (pending until then); 0 fires at once;
   * at most 604800 (a week).
   */
  readonly minDuration?: number;
  /**
   * Seconds a firing alert keeps firing after its condition stopped holding (or its data stopped),
   * so that a value hovering at the threshold does not flap; 0 to 604800 (a week).
   */
  readonly keepFiringFor?: number;
  /** last, avg, min, max, sum, count, rate, increase, p50 … p99.9 */
  readonly aggregation?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
  /** Series selection by label equality. */
  readonly matchers?: Readonly<Record<string, string>>;
  /** Channel names; all channels when absent. */
  readonly channels?: readonly string[];
}

/** The log aggregator. */
export interface LogsConfig {
  /** Keep logs at all; off, `addLog()` and emitted records are ignored. @default true */
  readonly enabled: boolean;
  /**
   * Entries kept in memory (an integer from 1 to 10000000: each keeps ~127 bytes plus its text);
   * the oldest go first.
   * @default 1000000
   */
  readonly maxEntries: number;
  /**
   * Days an entry is kept; > 0 and at most 3650 (ten years).
   * @default 30
   */
  readonly retentionDays: number;
  /**
   * Lines waiting in the OTLP log export queue (`logs.otlp`), an integer from 1 to 1000000; past it
   * that export drops the line, counted. The store is written as each line is logged and never
   * waits here.
   * @default 10000
   */
  readonly processingQueueSize: number;
  /**
   * Seconds between retention sweeps; > 0 and at most 86400 (a day).
   * @default 3600
   */
  readonly cleanupInterval: number;
  /**
   * Longest message kept, in UTF-8 bytes (64 to 1048576); longer ones are cut with a marker.
   * @default 65536
   */
  readonly maxMessageBytes: number;
  /**
   * Longest string value in a line's extraData, at any depth, in UTF-8 bytes (64 to 1048576);
   * longer ones are cut with a marker and counted.
   * @default 16384
   */
  readonly maxAttributeValueBytes: number;
  /**
   * Most a line's extraData may weigh as a whole, in UTF-8 bytes (256 to 16777216): keys, strings
   * and 8 bytes for any other value. Keys past it (or past 128 keys) are left out, a `…` key says
   * how many, and the line is counted.
   * @default 65536
   */
  readonly maxAttributeBytes: number;
  /** Keep only a share of records below ERROR (ERROR and CRITICAL are always kept). */
  readonly sampling: LogSamplingConfig;
  /** Secrets replaced before storage and export. */
  readonly redaction: LogRedactionConfig;
  /** Shipping logs over OTLP/HTTP. */
  readonly otlp: LogsOtlpConfig;
  /**
   * Milliseconds one search may run before it stops and says so; 1 to 60000.
   * @default 2000
   */
  readonly searchTimeBudgetMs: number;
}

export interface LogSamplingConfig {
  /**
   * Share of records kept at every level below ERROR, in [0, 1].
   * @default 1
   */
  readonly ratio: number;
  /**
   * Per-level shares overriding `ratio`.
   * @default {}
   * @example { DEBUG: 0.01, INFO: 0.1 }
   */
  readonly levels: Readonly<Partial<Record<'DEBUG' | 'INFO' | 'WARNING', number>>>;
}

export interface LogRedactionConfig {
  /** Replace secrets before storage and export (the default keys and patterns, plus these). @default true */
  readonly enabled: boolean;
  /**
   * Attribute keys whose values are replaced, in addition to the built-in list (password, token,
   * authorization, cookie, api_key, secret …), matched case-insensitively at any depth.
   * @default []
   */
  readonly keys: readonly string[];
  /**
   * Regular expressions whose matches in messages and string values are replaced, in addition to
   * the built-in ones (card numbers passing the Luhn check, bearer tokens, JWTs, AWS key ids).
   * @default []
   */
  readonly patterns: readonly string[];
  /**
   * pino-style paths to redact (`user.password`, `headers["x-api-key"]`, `*.secret`).
   * @default []
   */
  readonly paths: readonly string[];
  /** What a redacted value is replaced with. @default '[REDACTED]' */
  readonly censor: string;
}

export interface LogsOtlpConfig {
  /** Ship logs over OTLP/HTTP as well as keeping them. @default false */
  readonly enabled: boolean;
  /**
   * OTLP/HTTP logs endpoint. When absent, OTEL_EXPORTER_OTLP_LOGS_ENDPOINT or
   * OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/logs) apply, else http://localhost:4318/v1/logs.
   * @default undefined
   */
  readonly url?: string;
  /**
   * Extra HTTP headers (an API key, say).
   * @default {}
   */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * `http/protobuf` or `http/json`. When absent, OTEL_EXPORTER_OTLP_LOGS_PROTOCOL or
   * OTEL_EXPORTER_OTLP_PROTOCOL apply, else http/protobuf.
   * @default undefined
   */
  readonly protocol?: 'http/protobuf' | 'http/json';
  /** `gzip` or `none`. @default undefined (OTEL_EXPORTER_OTLP_COMPRESSION, else none) */
  readonly compression?: 'gzip' | 'none';
  /**
   * Milliseconds between batch exports; 1 to 86400000 (a day).
   * @default 1000
   */
  readonly exportIntervalMillis: number;
}

/** How an exporter is run by the exporter manager; every exporter section has these keys. */
export interface ExportRunConfig {
  /**
   * Seconds between exports; > 0 and at most 86400 (a day).
   * @default 15 (Pushgateway, InfluxDB), 5 (Elasticsearch)
   */
  readonly interval: number;
  /**
   * Items (points, documents) per request; 1 to 1000000.
   * @default 5000
   */
  readonly batchSize: number;
  /**
   * Seconds one request may take before it is aborted and retried; > 0 and at most 3600.
   * @default 10
   */
  readonly timeout: number;
  /**
   * Items waiting while the backend is unreachable (1 to 10000000); past it the oldest are dropped
   * and counted.
   * @default 100000
   */
  readonly maxQueueSize: number;
}

/** Pushing metrics to a Prometheus Pushgateway. */
export interface PrometheusExporterConfig extends ExportRunConfig {
  /** Push metrics to a Pushgateway every `interval`. @default false */
  readonly enabled: boolean;
  /**
   * http(s) URL of the Pushgateway; required when enabled.
   * @default undefined
   * @example 'http://localhost:9091'
   */
  readonly pushgatewayUrl?: string;
  /** The `job` grouping label. @default 'datalineagepy' (the Python library's job name, so dashboards keep matching) */
  readonly jobName: string;
  /**
   * The `instance` grouping label.
   * @default undefined
   * @example 'production-01'
   */
  readonly instance?: string;
  /**
   * Extra Pushgateway grouping labels; keys are used exactly as written.
   * @default {}
   * @example { region: 'eu-west-1' }
   */
  readonly groupingLabels: Readonly<Record<string, string>>;
  /**
   * `PUT` replaces the group's metrics on every push; `POST` replaces only those of the same name.
   * @default 'PUT'
   */
  readonly method: 'PUT' | 'POST';
  /** Delete the group when monitoring stops (batch jobs). @default false */
  readonly deleteOnShutdown: boolean;
  /** Basic-auth user, for a Pushgateway behind `--web.config.file`. @default undefined */
  readonly username?: string;
  /** Basic-auth password. @default undefined */
  readonly password?: string;
}

/** Writing metrics to InfluxDB 1.x (database) or 2.x (org, bucket, token). */
export interface InfluxDbExporterConfig extends ExportRunConfig {
  /** Write metrics to InfluxDB every `interval`. @default false */
  readonly enabled: boolean;
  /** Base URL of InfluxDB. @default 'http://localhost:8086' */
  readonly url: string;
  /** The InfluxDB 1.x database. @default 'datalineagepy' */
  readonly database: string;
  /** InfluxDB 1.x user, sent as basic auth (never in the URL). @default undefined */
  readonly username?: string;
  /** InfluxDB 1.x password. @default undefined */
  readonly password?: string;
  /** InfluxDB 1.x retention policy. @default undefined (the database's default) */
  readonly retentionPolicy?: string;
  /** Create the 1.x database if it does not exist. @default false */
  readonly createDatabase: boolean;
  /** InfluxDB 2.x organization (with `bucket` and `token`). @default undefined */
  readonly org?: string;
  /** InfluxDB 2.x bucket. @default undefined */
  readonly bucket?: string;
  /** InfluxDB 2.x API token; giving one selects the 2.x API. @default undefined */
  readonly token?: string;
  /** Timestamp precision of the written points. @default 'ms' */
  readonly precision: 'ns' | 'us' | 'ms' | 's';
}

/** Shipping logs to Elasticsearch with ECS field names. */
export interface ElasticsearchExporterConfig extends ExportRunConfig {
  /** Ship logs to Elasticsearch every `interval`. @default false */
  readonly enabled: boolean;
  /** Base URL of Elasticsearch. @default 'http://localhost:9200' */
  readonly url: string;
  /** Daily indices are `<index_prefix>-YYYY.MM.DD`. @default 'datalineagepy' */
  readonly indexPrefix: string;
  /** `daily` indices, or one `datastream`. @default 'daily', or 'datastream' when `dataStream` is given */
  readonly index?: 'daily' | 'datastream';
  /** The data stream's name when `index` is `datastream`. @default 'logs-datalineage-default' */
  readonly dataStream?: string;
  /** Basic-auth user. @default undefined */
  readonly username?: string;
  /** Basic-auth password. @default undefined */
  readonly password?: string;
  /** An Elasticsearch API key (base64 `id:key`), instead of username and password. @default undefined */
  readonly apiKey?: string;
}

/** Metrics over OTLP/HTTP (logs have `logs.otlp`). */
export interface OtlpExporterConfig {
  /** Export metrics over OTLP/HTTP every `interval`. @default false */
  readonly enabled: boolean;
  /**
   * OTLP/HTTP metrics endpoint. When absent, OTEL_EXPORTER_OTLP_METRICS_ENDPOINT or
   * OTEL_EXPORTER_OTLP_ENDPOINT (+ /v1/metrics) apply, else http://localhost:4318/v1/metrics.
   * @default undefined
   */
  readonly url?: string;
  /**
   * `http/protobuf` or `http/json`. When absent, OTEL_EXPORTER_OTLP_METRICS_PROTOCOL or
   * OTEL_EXPORTER_OTLP_PROTOCOL apply, else http/protobuf.
   * @default undefined
   */
  readonly protocol?: 'http/protobuf' | 'http/json';
  /** Extra HTTP headers (an API key, say), over OTEL_EXPORTER_OTLP_HEADERS. @default {} */
  readonly headers: Readonly<Record<string, string>>;
  /** `gzip` or `none`. @default undefined (OTEL_EXPORTER_OTLP_COMPRESSION, else none) */
  readonly compression?: 'gzip' | 'none';
  /** Seconds between exports; > 0 and at most 86400 (a day). @default 60 */
  readonly interval: number;
  /**
   * Seconds one export may take (at most `interval`: exports never overlap); > 0 and at most 3600.
   * @default 10
   */
  readonly timeout: number;
}

/** External systems that receive metrics and logs: Pushgateway, InfluxDB, Elasticsearch, OTLP. */
export interface ExportersConfig {
  /** Metrics to a Prometheus Pushgateway. */
  readonly prometheus: PrometheusExporterConfig;
  /** Metrics to InfluxDB. */
  readonly influxdb: InfluxDbExporterConfig;
  /** Logs to Elasticsearch. */
  readonly elasticsearch: ElasticsearchExporterConfig;
  /** Metrics over OTLP. */
  readonly otlp: OtlpExporterConfig;
}

/** The complete, validated configuration: every option present, deep-frozen. */
export interface MonitoringConfig {
  /**
   * The OpenTelemetry `service.name` of this process.
   * @default 'datalineage'
   */
  readonly serviceName: string;
  /**
   * Extra OpenTelemetry resource attributes; keys are used exactly as written.
   * @default {}
   * @example { 'deployment.environment': 'production' }
   */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  /** The SDK's own diagnostics. */
  readonly diagnostics: DiagnosticsConfig;
  /**
   * On SIGTERM or SIGINT, flush logs and metrics before the process goes (then let the signal
   * take its course when nothing else handles it; a second signal exits at once).
   * @default true
   */
  readonly handleSignals: boolean;
  /**
   * Seconds `stop()` — and so a SIGTERM or SIGINT — may take to deliver what is queued: pending
   * notifications, the OTLP log batch, every exporter's queue; > 0 and at most 3600. What is still
   * queued then is dropped and counted (`shutdown` in the exporters' drops), and the process goes.
   * @default 10
   */
  readonly shutdownTimeout: number;
  /** The web dashboard (`dashboard:` in the guide's YAML file). */
  readonly dashboard: DashboardConfig;
  /** The metrics collector and its scrape endpoint. */
  readonly metrics: MetricsConfig;
  /** The alert manager. */
  readonly alerts: AlertsConfig;
  /** The log aggregator. */
  readonly logs: LogsConfig;
  /** Prometheus Pushgateway, InfluxDB and Elasticsearch; all off by default. */
  readonly exporters: ExportersConfig;
}

/** Every option optional at every depth; records and arrays are given whole. */
export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? string extends keyof T
      ? T
      : { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/**
 * What users pass: any subset of {@link MonitoringConfig}. The type names the camelCase keys;
 * at run time the guide's snake_case spellings (`auto_refresh`, `pushgateway_url`, …) are
 * accepted at every level too, as YAML files use them.
 */
export type MonitoringConfigInput = DeepPartial<MonitoringConfig>;

// Every number has an upper bound as well as a lower one, so a hostile or mistyped value fails
// here, at setup, rather than later as a timer that fires at once, an allocation that aborts the
// process or a queue that exhausts memory. Each bound carries its reason, quoted when it bites
// (`must be at most 10000000 (…), got 10000000000000`); docs/security.md lists them.

/** An upper bound and why it is there. */
interface Limit {
  readonly max: number;
  readonly why: string;
}

const DAY = 86_400;
/** Periods of timers, in seconds. */
const PERIOD: Limit = {
  max: DAY,
  why: 'a period longer than a day is no schedule at all, and timers take at most 2^31-1 ms',
};
/** How long one attempt (a request, a notification, a stop) may take, in seconds. */
const ATTEMPT: Limit = { max: 3600, why: 'an attempt that takes longer than an hour is a hung one' };
/** How long an alert waits or holds, in seconds. */
const ALERT_TIME: Limit = { max: 7 * DAY, why: 'an alert timed in more than a week alerts no one' };
/** History kept in process memory, in seconds. */
const HISTORY: Limit = {
  max: 30 * DAY,
  why: 'history is kept in process memory; keep longer history in Prometheus',
};

/** Series held by the collector. */
const SERIES: Limit = {
  max: 1_000_000,
  why: 'each series keeps ~500 bytes in the collector and a line in every scrape; more would exhaust memory',
};

// Small builders keep the rules readable next to the keys they constrain.

// `prefault({})` runs `{}` through the section, so a missing section gets its keys' defaults; every
// key is defaulted or optional, which is what makes the `{}` cast true.
const section = <T extends z.core.$ZodLooseShape>(shape: T) => {
  const object = z.strictObject(shape);
  return object.prefault({} as z.input<typeof object>);
};
const positive = (value: number, limit: Limit) => z.number().gt(0).max(limit.max, limit.why).default(value);
const nonNegative = (value: number, limit: Limit) =>
  z.number().min(0).max(limit.max, limit.why).default(value);
const atLeast = (min: number, value: number, limit: Limit) =>
  z.int().min(min).max(limit.max, limit.why).default(value);
/** A list of at most `limit.max` items. */
const upTo = <T extends z.ZodType>(element: T, limit: Limit) => z.array(element).max(limit.max, limit.why);
// 0 asks the OS for a free port (tests, side-by-side instances); the status reports the real one.
const port = (value: number) => z.int().min(0).max(65535).default(value);
// Not z.httpUrl(): it demands a dotted domain name and so rejects the guide's http://localhost:9091.
const httpUrl = () => z.url({ protocol: /^https?$/ });
const stringRecord = () => z.record(z.string(), z.string()).default(() => ({}));

/** Reports each element that breaks the order at its own index, so the path points at it. */
const strictlyIncreasing = (values: readonly number[], ctx: z.core.$RefinementCtx<number[]>): void => {
  for (let i = 1; i < values.length; i++) {
    const previous = values[i - 1]!;
    const value = values[i]!;
    if (!(value > previous)) {
      ctx.addIssue({
        code: 'custom',
        path: [i],
        input: value,
        message: `must be strictly increasing: ${value} is not greater than the previous value ${previous}`,
      });
    }
  }
};

/** The exporter manager's keys, shared by every exporter section. */
const exportRun = (interval: number) => ({
  interval: positive(interval, PERIOD),
  batchSize: atLeast(1, 5000, {
    max: 1_000_000,
    why: 'one request carries the batch; a larger body is refused by the backends',
  }),
  timeout: positive(10, ATTEMPT),
  maxQueueSize: atLeast(1, 100_000, {
    max: 10_000_000,
    why: 'each queued item is held in memory until sent; more would exhaust memory',
  }),
});

/** prom-client's default buckets (seconds). */
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Validates one configuration object (camelCase keys) and fills in every default. */
export const monitoringConfigSchema = z.strictObject({
  serviceName: z.string().min(1).default('datalineage'),
  resourceAttributes: stringRecord(),
  handleSignals: z.boolean().default(true),
  shutdownTimeout: positive(10, {
    max: 3600,
    why: 'a stop that takes longer than an hour is a hung one; orchestrators kill long before',
  }),
  diagnostics: section({
    level: z.enum(['none', 'error', 'warn', 'info', 'debug']).default('error'),
  }),
  dashboard: section({
    enabled: z.boolean().default(true),
    host: z.string().min(1).default('127.0.0.1'),
    port: port(8080),
    debug: z.boolean().default(false),
    autoRefresh: positive(30, PERIOD),
    maxDataPoints: atLeast(2, 100, {
      max: 10_000,
      why: 'each chart series keeps this many samples in memory and sends them to every browser',
    }),
    theme: z.enum(['dark', 'light']).default('dark'),
    sampleInterval: positive(5, PERIOD),
    auth: section({
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      token: z.string().min(16, 'a bearer token needs at least 16 characters').optional(),
    }).superRefine((auth, ctx) => {
      if ((auth.username === undefined) !== (auth.password === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [auth.username === undefined ? 'username' : 'password'],
          message: 'give username and password together',
        });
      }
      if (auth.token !== undefined && auth.username !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['token'],
          message: 'give a token or a username and password, not both',
        });
      }
    }),
    allowUnauthenticated: z.boolean().default(false),
    tls: section({
      keyFile: z.string().min(1).optional(),
      certFile: z.string().min(1).optional(),
    }).superRefine((tls, ctx) => {
      if ((tls.keyFile === undefined) !== (tls.certFile === undefined)) {
        ctx.addIssue({
          code: 'custom',
          path: [tls.keyFile === undefined ? 'keyFile' : 'certFile'],
          message: 'give keyFile and certFile together',
        });
      }
    }),
  }),
  metrics: section({
    enabled: z.boolean().default(true),
    runtime: z.boolean().default(true),
    retentionPeriod: nonNegative(3600, HISTORY),
    maxMetrics: atLeast(1, 100_000, SERIES),
    cleanupInterval: positive(300, PERIOD),
    aggregationInterval: positive(60, PERIOD),
    cardinalityLimit: atLeast(1, 2000, SERIES),
    idleSeriesExpiry: nonNegative(0, {
      max: 30 * DAY,
      why: 'a series idle for a month is gone; 0 keeps series for good',
    }),
    histogramBuckets: upTo(z.number(), {
      max: 256,
      why: 'each histogram series keeps a count per bucket, and every scrape writes a line per bucket',
    })
      .min(1)
      .superRefine(strictlyIncreasing)
      .default(() => [...DEFAULT_BUCKETS]),
    summary: section({
      quantiles: upTo(z.number().gt(0).lt(1), {
        max: 64,
        why: 'every scrape computes and writes each quantile of every summary series',
      })
        .min(1)
        .superRefine(strictlyIncreasing)
        .default(() => [0.5, 0.9, 0.95, 0.99]),
      maxAgeSeconds: positive(600, {
        max: 7 * DAY,
        why: 'a quantile over more than a week of data says nothing of now',
      }),
      ageBuckets: atLeast(1, 5, { max: 60, why: 'each age bucket is one more sketch per summary series' }),
      relativeAccuracy: z.number().min(0.0001).lt(0.5).default(0.01),
    }),
    endpoint: section({
      enabled: z.boolean().default(false),
      host: z.string().min(1).default('127.0.0.1'),
      port: port(9464),
      path: z.string().startsWith('/').default('/metrics'),
    }),
  }),
  alerts: section({
    enabled: z.boolean().default(true),
    evaluationInterval: positive(60, PERIOD),
    minDuration: nonNegative(120, ALERT_TIME),
    maxFrequency: nonNegative(3600, {
      max: 365 * DAY,
      why: 'a year is already "never repeat" (Alertmanager users write 8760h for it)',
    }),
    resolveTimeout: nonNegative(300, ALERT_TIME),
    groupBy: z.array(z.string().min(1)).default(() => ['alertname']),
    groupWait: nonNegative(30, ALERT_TIME),
    groupInterval: nonNegative(300, ALERT_TIME),
    sendResolved: z.boolean().default(true),
    inhibitFrom: z.enum(['critical', 'high', 'medium', 'low', 'info', 'none']).default('critical'),
    escalation: z
      .strictObject({
        after: nonNegative(900, ALERT_TIME),
        channels: z.array(z.string().min(1)).default(() => []),
      })
      .refine((escalation) => escalation.channels.length > 0, {
        message: 'needs at least one channel in "channels"',
      })
      .optional(),
    delivery: section({
      timeout: positive(10, ATTEMPT),
      retries: atLeast(0, 3, {
        max: 100,
        why: 'a receiver that fails a hundred attempts is down, not flaky',
      }),
    }),
    rules: z
      .array(
        z.strictObject({
          name: z.string().min(1),
          metricName: z.string().min(1),
          condition: z.string().min(1).optional(),
          // Any finite number: it is only compared with.
          threshold: z.number().optional(),
          severity: z.string().min(1).optional(),
          description: z.string().optional(),
          evaluationPeriod: z.number().gt(0).max(ALERT_TIME.max, ALERT_TIME.why).optional(),
          minDuration: z.number().min(0).max(ALERT_TIME.max, ALERT_TIME.why).optional(),
          keepFiringFor: z.number().min(0).max(ALERT_TIME.max, ALERT_TIME.why).optional(),
          aggregation: z.string().min(1).optional(),
          labels: z.record(z.string(), z.string()).optional(),
          annotations: z.record(z.string(), z.string()).optional(),
          matchers: z.record(z.string(), z.string()).optional(),
          channels: z.array(z.string().min(1)).optional(),
        }),
      )
      .default(() => []),
    channels: z
      .array(
        z.record(z.string(), z.unknown()).refine((channel) => typeof channel.type === 'string', {
          message: 'needs a "type": email, webhook, slack or alertmanager',
        }),
      )
      .default(() => []),
  }),
  logs: section({
    enabled: z.boolean().default(true),
    maxEntries: atLeast(1, 1_000_000, {
      max: 10_000_000,
      why: 'each entry keeps ~127 bytes plus its text; more would exhaust memory',
    }),
    retentionDays: positive(30, {
      max: 3650,
      why: 'more than ten years is a typo; the store is bounded by max_entries either way',
    }),
    processingQueueSize: atLeast(1, 10_000, {
      max: 1_000_000,
      why: 'each queued line is held in memory until exported; more would exhaust memory',
    }),
    cleanupInterval: positive(3600, PERIOD),
    maxMessageBytes: atLeast(64, 65_536, {
      max: 1_048_576,
      why: 'a longer message is a dump, not a log line, and max_entries of them must fit in memory',
    }),
    maxAttributeValueBytes: atLeast(64, 16_384, {
      max: 1_048_576,
      why: 'a longer value is a dump, not a field, and max_entries lines of them must fit in memory',
    }),
    maxAttributeBytes: atLeast(256, 65_536, {
      max: 16_777_216,
      why: "a line's fields are kept with it, and max_entries lines of them must fit in memory",
    }),
    sampling: section({
      ratio: z.number().min(0).max(1).default(1),
      levels: z
        .strictObject({
          DEBUG: z.number().min(0).max(1).optional(),
          INFO: z.number().min(0).max(1).optional(),
          WARNING: z.number().min(0).max(1).optional(),
        })
        .default(() => ({})),
    }),
    redaction: section({
      enabled: z.boolean().default(true),
      keys: z.array(z.string().min(1)).default(() => []),
      patterns: z
        .array(
          z.string().refine(
            (pattern) => {
              try {
                new RegExp(pattern);
                return true;
              } catch {
                return false;
              }
            },
            { message: 'is not a valid regular expression' },
          ),
        )
        .default(() => []),
      paths: z.array(z.string().min(1)).default(() => []),
      censor: z.string().default('[REDACTED]'),
    }),
    otlp: section({
      enabled: z.boolean().default(false),
      url: httpUrl().optional(),
      headers: stringRecord(),
      protocol: z.enum(['http/protobuf', 'http/json']).optional(),
      compression: z.enum(['gzip', 'none']).optional(),
      exportIntervalMillis: atLeast(1, 1000, { max: PERIOD.max * 1000, why: PERIOD.why }),
    }),
    searchTimeBudgetMs: atLeast(1, 2000, {
      max: 60_000,
      why: 'a search runs within one request, which clients and proxies give up on long before',
    }),
  }),
  exporters: section({
    prometheus: section({
      enabled: z.boolean().default(false),
      pushgatewayUrl: httpUrl().optional(),
      jobName: z.string().min(1).default('datalineagepy'),
      instance: z.string().min(1).optional(),
      groupingLabels: stringRecord(),
      method: z.enum(['PUT', 'POST']).default('PUT'),
      deleteOnShutdown: z.boolean().default(false),
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      ...exportRun(15),
    }),
    influxdb: section({
      enabled: z.boolean().default(false),
      url: httpUrl().default('http://localhost:8086'),
      database: z.string().min(1).default('datalineagepy'),
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      retentionPolicy: z.string().min(1).optional(),
      createDatabase: z.boolean().default(false),
      org: z.string().min(1).optional(),
      bucket: z.string().min(1).optional(),
      token: z.string().min(1).optional(),
      precision: z.enum(['ns', 'us', 'ms', 's']).default('ms'),
      ...exportRun(15),
    }),
    elasticsearch: section({
      enabled: z.boolean().default(false),
      url: httpUrl().default('http://localhost:9200'),
      indexPrefix: z.string().min(1).default('datalineagepy'),
      index: z.enum(['daily', 'datastream']).optional(),
      dataStream: z.string().min(1).optional(),
      username: z.string().min(1).optional(),
      password: z.string().min(1).optional(),
      apiKey: z.string().min(1).optional(),
      ...exportRun(5),
    }),
    otlp: section({
      enabled: z.boolean().default(false),
      url: httpUrl().optional(),
      protocol: z.enum(['http/protobuf', 'http/json']).optional(),
      headers: stringRecord(),
      compression: z.enum(['gzip', 'none']).optional(),
      interval: positive(60, PERIOD),
      timeout: positive(10, ATTEMPT),
    }),
  }),
});

// The documented interfaces above are what users read; these checks keep them and the schema
// from drifting apart (a mismatch is a compile error here, not a surprise at run time).
type DeepReadonly<T> = T extends readonly (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const outputMatchesInterface: Same<
  DeepReadonly<z.output<typeof monitoringConfigSchema>>,
  DeepReadonly<MonitoringConfig>
> = true;
const inputCoversInterface: MonitoringConfigInput extends DeepReadonly<z.input<typeof monitoringConfigSchema>>
  ? true
  : false = true;
void outputMatchesInterface;
void inputCoversInterface;

/** Recursively freezes plain objects and arrays, so shared configuration cannot be changed in place. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/** The configuration used when nothing is set. */
export const DEFAULT_CONFIG: MonitoringConfig = deepFreeze(monitoringConfigSchema.parse({}));
