// The log aggregator: the guide's log_aggregator on OpenTelemetry. addLog() emits through its own
// LoggerProvider; a LogPipeline samples, redacts and truncates; the aggregator is the pipeline's
// processor that keeps records in a bounded store, after a bounded queue that never blocks the
// caller. Anything else emitting on that LoggerProvider (pino or winston instrumentations, the
// OpenTelemetry logs API) lands in the same store and the same exports.
import { type Context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor, type ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { diagnostics } from '../internal/diag.js';
import type { MetricsCollector } from '../metrics/collector.js';
import type { BoundCounter } from '../metrics/counter.js';
import type { BoundHistogram } from '../metrics/histogram.js';
import { countOverTime, errorRate, topLoggers } from './analysis.js';
import { LogFilter, type LogFilterOptions } from './filter.js';
import { levelName, toLogLevel } from './levels.js';
import { minePatterns, type Template } from './patterns.js';
import { LogPipeline, levelOf, type PipelineDropReason, type SamplingOptions } from './pipeline.js';
import { Redactor, type RedactorOptions } from './redact.js';
import {
  entryAt,
  RESERVED_ATTRIBUTES,
  type SearchOptions,
  type SearchResult,
  searchStore,
} from './search.js';
import { type EvictionReason, LogStore, type StoredRecord } from './store.js';
import { errorInfo, messageText, plainValue, truncateUtf8 } from './stringify.js';
import { type LogEntry, type LogError, type LogInput, LogLevel, type LogSink, LogSource } from './types.js';

export interface LogAggregatorOptions {
  /** When false, addLog() and emitted records are ignored. @default true */
  enabled?: boolean;
  /** Entries kept; the oldest go first. @default 1000000 */
  maxEntries?: number;
  /** Entries older than this many days are evicted. @default 30 */
  retentionDays?: number;
  /** Records waiting to be stored; more are dropped and counted. @default 10000 */
  processingQueueSize?: number;
  /** Seconds between retention sweeps while started. @default 3600 */
  cleanupInterval?: number;
  /** Longest message, in UTF-8 bytes; longer ones are cut with a marker. @default 65536 */
  maxMessageBytes?: number;
  /** Keep only a share of records below ERROR. */
  sampling?: SamplingOptions;
  /**
   * Secrets replaced before storage and export. Default keys (password, token, authorization…)
   * and value patterns (card numbers, bearer tokens, JWTs) apply unless `enabled: false`.
   */
  redaction?: RedactorOptions & { enabled?: boolean };
  /** Resource of the LoggerProvider (service.name …). */
  resource?: Resource;
  /** More processors after the pipeline, e.g. a BatchLogRecordProcessor exporting over OTLP. */
  exportProcessors?: LogRecordProcessor[];
  /** Where the aggregator's own metrics and `logs_total{level,source}` go. */
  metrics?: MetricsCollector;
  /** Time limit of one search, in milliseconds. @default 2000 */
  searchTimeBudgetMs?: number;
  /** Clock (epoch ms) and random source, for tests. */
  now?: () => number;
  random?: () => number;
}

export type LogDropReason = PipelineDropReason | 'queue_full' | 'invalid_input' | 'store_error';

export interface LogAggregatorStats {
  enabled: boolean;
  running: boolean;
  received: number;
  stored: number;
  dropped: Record<string, number>;
  evicted: Record<EvictionReason, number>;
  truncated: number;
  invalidLevels: number;
  invalidTimestamps: number;
  queueLength: number;
  entries: number;
  capacity: number;
  /** Milliseconds the last search took. */
  lastSearchMs: number;
  /** Estimated bytes held: columns plus message text and extraData. */
  memoryEstimateBytes: number;
}

/** Options of the analysis calls: which entries (a filter) and how many at most. */
export interface AnalysisScope {
  filter?: LogFilter | LogFilterOptions;
  /** Newest entries considered at most. @default 100000 */
  maxEntries?: number;
}

const DAY_MS = 86_400_000;
const LEVELS: ReadonlySet<number> = new Set(Object.values(LogLevel));

/** Only own string, number and boolean values, and no key the aggregator reserves. */
function isFlatPlain(
  extra: Readonly<Record<string, unknown>> | undefined,
): extra is Readonly<Record<string, unknown>> {
  if (
    extra === undefined ||
    extra === null ||
    typeof extra !== 'object' ||
    Object.getPrototypeOf(extra) !== Object.prototype
  ) {
    return extra === undefined;
  }
  for (const key in extra) {
    const type = typeof extra[key];
    if ((type !== 'string' && type !== 'number' && type !== 'boolean') || RESERVED_ATTRIBUTES.has(key))
      return false;
  }
  return true;
}
const VALID_ID = /^[0-9a-f]+$/;

function toFilter(filter: LogFilter | LogFilterOptions | undefined): LogFilter {
  if (filter === undefined) return LogFilter.ALL;
  return filter instanceof LogFilter ? filter : new LogFilter(filter);
}

export class LogAggregator implements LogSink {
  /** The OpenTelemetry LoggerProvider feeding this aggregator; register it globally to capture other emitters. */
  readonly loggerProvider: LoggerProvider;
  private readonly store: LogStore;
  private readonly pipeline: LogPipeline;
  /** Records accepted but not stored yet, already in the compact form the store keeps. */
  private readonly queue: StoredRecord[] = [];
  private readonly queueSize: number;
  private readonly retentionMs: number;
  private readonly cleanupMs: number;
  private readonly maxMessageBytes: number;
  private readonly searchBudget: number;
  private readonly now: () => number;
  /** The injected clock, if any; without one OpenTelemetry stamps records itself. */
  private readonly clock: (() => number) | undefined;
  private readonly loggers = new Map<string, { logger: Logger; shared: boolean }>();
  private readonly sharedLogger: { logger: Logger; shared: boolean };
  private readonly redactor: Redactor | undefined;
  private invalidTimestamps = 0;
  private drainScheduled = false;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private running = false;
  private readonly isEnabled: boolean;

  private received = 0;
  private stored = 0;
  private readonly dropped: Record<string, number> = {};
  private readonly evicted: Record<EvictionReason, number> = { capacity: 0, age: 0 };
  private truncated = 0;
  private invalidLevels = 0;
  private lastSearchMs = 0;
  private readonly self: SelfMetrics | undefined;

  /** @throws RangeError / TypeError on invalid options (setup errors). */
  constructor(options: LogAggregatorOptions = {}) {
    this.isEnabled = options.enabled ?? true;
    this.store = new LogStore(options.maxEntries ?? 1_000_000);
    this.queueSize = positiveInteger(options.processingQueueSize ?? 10_000, 'processingQueueSize');
    this.retentionMs = positive(options.retentionDays ?? 30, 'retentionDays') * DAY_MS;
    this.cleanupMs = positive(options.cleanupInterval ?? 3600, 'cleanupInterval') * 1000;
    this.maxMessageBytes = options.maxMessageBytes ?? 65_536;
    this.searchBudget = positive(options.searchTimeBudgetMs ?? 2000, 'searchTimeBudgetMs');
    this.now = options.now ?? Date.now;
    this.clock = options.now;
    this.self =
      options.metrics === undefined ? undefined : new SelfMetrics(options.metrics, () => this.store.size);
    this.store.onEvict = (reason, count) => {
      this.evicted[reason] += count;
      this.self?.evicted(reason, count);
    };
    const redaction = options.redaction;
    const redactor = redaction?.enabled === false ? undefined : new Redactor(redaction ?? {});
    this.redactor = redactor?.active ? redactor : undefined;
    // The store's processor is an inner object: the aggregator's own shutdown() shuts the
    // LoggerProvider down, which must not call back into it.
    const storeProcessor: LogRecordProcessor = {
      onEmit: (record) => this.accept(record),
      forceFlush: async () => this.drain(),
      shutdown: async () => this.drain(),
    };
    const pipeline = new LogPipeline({
      downstream: [storeProcessor, ...(options.exportProcessors ?? [])],
      redactor,
      sampling: options.sampling,
      maxMessageBytes: this.maxMessageBytes,
      random: options.random,
      onDrop: (reason) => this.drop(reason),
      onTruncate: () => {
        this.truncated++;
      },
    });
    this.pipeline = pipeline;
    const received = {
      onEmit: () => {
        if (!this.isEnabled) return;
        this.received++;
        this.self?.received.inc();
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    this.loggerProvider = new LoggerProvider({
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      processors: [received, pipeline],
    });
    this.sharedLogger = { logger: this.loggerProvider.getLogger('(other loggers)'), shared: true };
    // Bound, so `const add = logs.addLog` and callbacks keep working.
    this.addLog = this.addLog.bind(this);
  }

  // ---------------------------------------------------------------- ingestion

  /**
   * Add a log entry; never throws and never blocks. The guide's
   * `log_aggregator.add_log(level=…, message=…, logger_name=…, source=…, extra_data=…)`.
   * @example
   * aggregator.addLog({ level: LogLevel.INFO, message: 'Operation completed', loggerName: 'datalineage.tracker',
   *   source: LogSource.APPLICATION, extraData: { duration: 0.25, records: 1000 } });
   */
  addLog(input: LogInput): void {
    if (!this.isEnabled) return;
    try {
      const { level, valid } =
        typeof input.level === 'number' && LEVELS.has(input.level)
          ? { level: input.level as LogLevel, valid: true }
          : toLogLevel(input.level);
      if (!valid) {
        this.invalidLevels++;
        diagnostics.warnOnce(
          'DLM_LOG_INVALID_LEVEL',
          safeString(input.level),
          `log level ${JSON.stringify(safeString(input.level))} is not a level; logged as INFO. Use LogLevel.DEBUG … LogLevel.CRITICAL.`,
        );
      }
      const source = input.source ?? LogSource.APPLICATION;
      const extra = input.extraData;
      const loggerName = typeof input.loggerName === 'string' ? input.loggerName : 'default';
      const logger = this.loggerFor(loggerName);
      const traceOnly = typeof input.traceId === 'string' && typeof input.spanId !== 'string';
      // Flat extraData of strings, numbers and booleans goes to OpenTelemetry as it is (it copies
      // attributes anyway); anything else is made plain first, so OpenTelemetry drops nothing.
      let attributes = isFlatPlain(extra) ? extra : undefined;
      if (
        attributes === undefined ||
        source !== LogSource.APPLICATION ||
        input.error !== undefined ||
        logger.shared ||
        traceOnly
      ) {
        const copy: Record<string, unknown> = {};
        if (extra !== undefined && extra !== null && typeof extra === 'object') {
          for (const key of Object.keys(extra)) {
            if (!RESERVED_ATTRIBUTES.has(key)) copy[key] = plainValue(extra[key]);
          }
        }
        if (source !== LogSource.APPLICATION) copy['log.source'] = String(source);
        if (logger.shared) copy['logger.name'] = loggerName;
        if (traceOnly) copy.trace_id = String(input.traceId).toLowerCase();
        if (input.error !== undefined) {
          const error = errorInfo(input.error) ?? { type: 'Error', message: this.text(input.error) };
          copy['exception.type'] = error.type;
          copy['exception.message'] = error.message;
          if (error.stack !== undefined) copy['exception.stacktrace'] = error.stack;
        }
        attributes = copy;
      }
      logger.logger.emit({
        timestamp: this.timestampOf(input.timestamp),
        severityNumber: level,
        severityText: levelName(level),
        body: typeof input.message === 'string' ? input.message : this.text(input.message),
        attributes: attributes as Record<string, never>,
        context: traceOnly ? undefined : contextFor(input.traceId, input.spanId),
      });
    } catch (error) {
      this.received++;
      this.drop('invalid_input');
      diagnostics.warnOnce(
        'DLM_LOG_INVALID_INPUT',
        safeString(error),
        `a log entry could not be added: ${safeString(error)}`,
      );
    }
  }

  /** Redact a structured value by key (for bridges that format objects into text). */
  redactValue<T>(value: T): T {
    if (this.redactor === undefined || value === null || typeof value !== 'object') return value;
    try {
      return this.redactor.redactValue(plainValue(value) as T);
    } catch {
      return value;
    }
  }

  /**
   * Text of a non-string message or error. Objects are redacted by key before they become text:
   * after JSON.stringify only the value patterns could still find a secret.
   */
  private text(value: unknown): string {
    if (
      this.redactor === undefined ||
      value === null ||
      typeof value !== 'object' ||
      value instanceof Error
    ) {
      return messageText(value);
    }
    return messageText(this.redactor.redactValue(plainValue(value)));
  }

  /**
   * An HrTime for OpenTelemetry (which reads small numbers as performance.now() offsets), or
   * undefined to let it stamp the record. An invalid timestamp becomes now, counted.
   */
  private timestampOf(given: number | Date | undefined): [number, number] | undefined {
    if (given === undefined && this.clock === undefined) return undefined;
    let ms = given instanceof Date ? given.getTime() : given;
    if (ms !== undefined && (typeof ms !== 'number' || !Number.isFinite(ms))) {
      this.invalidTimestamps++;
      diagnostics.warnOnce(
        'DLM_LOG_INVALID_TIMESTAMP',
        'timestamp',
        `log timestamp ${safeString(given)} is not a time; the entry is stamped with the current time. Pass epoch milliseconds or a valid Date.`,
      );
      ms = undefined;
    }
    if (ms === undefined) {
      if (this.clock === undefined) return undefined;
      ms = this.clock();
    }
    return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1e6)];
  }

  /**
   * The OpenTelemetry logger for a name (its instrumentation scope). OpenTelemetry keeps every
   * logger it hands out, so past 1,000 names one shared logger carries the name as `logger.name`.
   */
  private loggerFor(name: string): { logger: Logger; shared: boolean } {
    let logger = this.loggers.get(name);
    if (logger === undefined) {
      if (this.loggers.size >= 1000) return this.sharedLogger;
      logger = { logger: this.loggerProvider.getLogger(name), shared: false };
      this.loggers.set(name, logger);
    }
    return logger;
  }

  /** Keep what the pipeline passed on, through the bounded queue. */
  private accept(record: ReadWriteLogRecord): void {
    if (!this.isEnabled) return;
    if (this.queue.length >= this.queueSize) {
      this.drop('queue_full');
      return;
    }
    this.queue.push(toStored(record, this.maxMessageBytes));
    if (!this.drainScheduled) {
      this.drainScheduled = true;
      setImmediate(() => this.drain());
    }
  }

  /** Move queued records into the store. Runs after the current tick; reads call it first. */
  private drain(): void {
    this.drainScheduled = false;
    const queue = this.queue;
    if (queue.length === 0) return;
    try {
      for (let i = 0; i < queue.length; i++) {
        const record = queue[i] as StoredRecord;
        this.store.append(record);
        this.self?.stored(record);
      }
      this.stored += queue.length;
    } catch (error) {
      // Never reached in normal operation; if it were, the batch is dropped and counted rather
      // than retried forever or thrown out of a timer into the host application.
      this.drop('store_error');
      diagnostics.error('DLM_LOG_STORE_FAILED', `storing logs failed: ${safeString(error)}`);
    } finally {
      queue.length = 0;
    }
  }

  private drop(reason: LogDropReason): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
    this.self?.dropped(reason);
  }

  // ---------------------------------------------------------------- reading

  /**
   * Entries matching `filter`, newest first; `nextCursor` pages back in time.
   * @throws TypeError / InvalidSearchPatternError for an invalid filter, limit or cursor.
   * @example
   * const { entries, nextCursor } = aggregator.searchLogs(
   *   new LogFilter({ minLevel: LogLevel.WARNING, messageContains: 'error' }), { limit: 100 });
   */
  searchLogs(filter?: LogFilter | LogFilterOptions, options: SearchOptions = {}): SearchResult {
    const compiled = toFilter(filter);
    if (options === null || typeof options !== 'object')
      throw new TypeError('searchLogs: options must be an object such as { limit: 100 }');
    this.drain();
    this.expire();
    const result = searchStore(this.store, compiled, {
      timeBudgetMs: this.searchBudget,
      ...options,
      notBefore: this.now() - this.retentionMs,
    });
    this.lastSearchMs = result.tookMs;
    this.self?.searched(result.tookMs);
    return result;
  }

  /** One entry by id, if still stored. */
  getLog(id: number): LogEntry | undefined {
    this.drain();
    return Number.isInteger(id) && this.store.has(id) ? entryAt(this.store, id) : undefined;
  }

  /** Counts per level, source or logger in time buckets (`'30s'`, `'5m'`, `'1h'`, `'1d'`). */
  countOverTime(
    options: {
      bucket: string | number;
      by: 'level' | 'source' | 'logger';
      from?: number;
      to?: number;
    } & AnalysisScope,
  ) {
    const entries = this.scope(options); // newest first
    const to = options.to ?? this.now();
    const from = options.from ?? entries.at(-1)?.timestamp ?? to;
    return countOverTime(entries, { bucket: options.bucket, by: options.by, from, to });
  }

  /** Share of ERROR and CRITICAL entries in a time range. */
  errorRate(options: { from?: number; to?: number; bucket?: string | number } & AnalysisScope = {}) {
    const to = options.to ?? this.now();
    const from = options.from ?? to - 3_600_000;
    const entries = this.scope({
      ...options,
      filter: { ...filterOptions(options.filter), timeRange: [from, to] },
    });
    return errorRate(entries, {
      from,
      to,
      ...(options.bucket === undefined ? {} : { bucket: options.bucket }),
    });
  }

  /** Loggers with the most entries. */
  topLoggers(options: { limit?: number; minLevel?: LogLevel } & AnalysisScope = {}) {
    return topLoggers(this.scope(options), {
      ...(options.limit === undefined ? {} : { limit: options.limit }),
      ...(options.minLevel === undefined ? {} : { minLevel: options.minLevel }),
    });
  }

  /** Message templates (Drain), with counts and an example each, over the newest matching entries. */
  patterns(options: { limit?: number } & AnalysisScope = {}): Template[] {
    const entries = this.scope({ maxEntries: 50_000, ...options });
    return minePatterns(entries).slice(0, options.limit ?? 50);
  }

  /** The newest entries matching a scope, for the analysis functions. */
  private scope(scope: AnalysisScope): LogEntry[] {
    const filter = toFilter(scope.filter);
    const max = scope.maxEntries ?? 100_000;
    const entries: LogEntry[] = [];
    let cursor: string | undefined;
    do {
      const page = this.searchLogs(filter, {
        limit: Math.min(10_000, max - entries.length),
        ...(cursor ? { cursor } : {}),
      });
      entries.push(...page.entries);
      cursor = page.nextCursor;
    } while (cursor !== undefined && entries.length < max);
    return entries;
  }

  // ---------------------------------------------------------------- lifecycle

  /**
   * Add an export processor after setup (an exporter that ships logs, e.g. to Elasticsearch): it
   * sees every record the store does — sampled, redacted, truncated — synchronously in `onEmit`,
   * and is flushed by `flush()` and shut down with the aggregator. Returns a function that
   * removes it again.
   */
  addExportProcessor(processor: LogRecordProcessor): () => void {
    return this.pipeline.addDownstream(processor);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cleanupTimer = setInterval(() => this.expire(), Math.min(this.cleanupMs, 2_147_483_647));
    this.cleanupTimer.unref();
  }

  /** Store everything queued and flush the export processors (OTLP): nothing accepted is lost. */
  async flush(): Promise<void> {
    this.drain();
    try {
      await this.loggerProvider.forceFlush();
    } catch (error) {
      diagnostics.warn('DLM_LOG_FLUSH_FAILED', `flushing log exports failed: ${String(error)}`);
    }
    this.drain();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.cleanupTimer !== undefined) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    await this.flush();
  }

  /** Final: flush and shut the LoggerProvider and its exporters down. Idempotent. */
  async shutdown(): Promise<void> {
    await this.stop();
    this.shuttingDown ??= this.loggerProvider.shutdown();
    await this.shuttingDown;
  }

  private shuttingDown: Promise<void> | undefined;

  /** Evict entries past retention. */
  private expire(): void {
    this.store.evictBefore(this.now() - this.retentionMs);
  }

  clear(): void {
    this.drain();
    this.store.clear();
  }

  stats(): LogAggregatorStats {
    return {
      enabled: this.isEnabled,
      running: this.running,
      received: this.received,
      stored: this.stored,
      dropped: { ...this.dropped },
      evicted: { ...this.evicted },
      truncated: this.truncated,
      invalidLevels: this.invalidLevels,
      invalidTimestamps: this.invalidTimestamps,
      queueLength: this.queue.length,
      entries: this.store.size,
      capacity: this.store.capacity,
      lastSearchMs: this.lastSearchMs,
      memoryEstimateBytes: this.store.memoryEstimate(),
    };
  }
}

function positive(value: number, what: string): number {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new RangeError(`${what} must be a positive number, got ${value}`);
  }
  return value;
}

function positiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1)
    throw new RangeError(`${what} must be a positive integer, got ${value}`);
  return value;
}

/** String() that cannot throw (a null-prototype object or a Proxy can make it). */
function safeString(value: unknown): string {
  try {
    return String(value);
  } catch {
    return '[unprintable]';
  }
}

function filterOptions(filter: LogFilter | LogFilterOptions | undefined): LogFilterOptions {
  if (filter === undefined) return {};
  if (filter instanceof LogFilter)
    throw new TypeError('errorRate takes filter options, not a LogFilter, so it can add the time range');
  return filter;
}

/** A context carrying the given trace and span ids, or undefined to use the active one. */
function contextFor(traceId: unknown, spanId: unknown): Context | undefined {
  if (typeof traceId !== 'string' || typeof spanId !== 'string') return undefined;
  const trace32 = traceId.toLowerCase();
  const span16 = spanId.toLowerCase();
  if (trace32.length !== 32 || !VALID_ID.test(trace32) || span16.length !== 16 || !VALID_ID.test(span16)) {
    return undefined;
  }
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: trace32,
    spanId: span16,
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
}

/** What the store keeps of an OpenTelemetry log record. */
function toStored(record: ReadWriteLogRecord, maxMessageBytes: number): StoredRecord {
  const [seconds, nanos] = record.hrTime;
  const body = record.body;
  let message = typeof body === 'string' ? body : messageText(body);
  if (message.length > maxMessageBytes / 3 && typeof body !== 'string')
    message = truncateUtf8(message, maxMessageBytes).text;
  const attributes = record.attributes as Record<string, unknown>;
  let extra = false;
  for (const key in attributes) {
    if (!RESERVED_ATTRIBUTES.has(key)) {
      extra = true;
      break;
    }
  }
  let error: LogError | undefined;
  const type = attributes['exception.type'];
  const errorMessage = attributes['exception.message'];
  if (type !== undefined || errorMessage !== undefined) {
    const stack = attributes['exception.stacktrace'];
    error = {
      type: typeof type === 'string' ? type : 'Error',
      message: typeof errorMessage === 'string' ? errorMessage : '',
      ...(typeof stack === 'string' ? { stack } : {}),
    };
  }
  const span = record.spanContext;
  const source = attributes['log.source'];
  const loggerName = attributes['logger.name'];
  const traceId = attributes.trace_id;
  return {
    timestamp: seconds * 1000 + nanos / 1e6,
    level: levelOf(record),
    source: typeof source === 'string' ? source : LogSource.APPLICATION,
    loggerName: typeof loggerName === 'string' ? loggerName : record.instrumentationScope.name,
    message,
    attributes: extra ? attributes : undefined,
    error,
    traceId: span?.traceId ?? (typeof traceId === 'string' ? traceId : undefined),
    spanId: span?.spanId,
  };
}

/** The aggregator's own metrics, and `logs_total{level,source}` for alerting on error-log rates. */
class SelfMetrics {
  readonly received: BoundCounter;
  private readonly storedTotal: BoundCounter;
  private readonly droppedCounters = new Map<string, BoundCounter>();
  private readonly evictedCounters = new Map<string, BoundCounter>();
  private readonly searchDuration: BoundHistogram;
  /** logs_total handles by level, then source: no key string built per record. */
  private readonly byLevel = new Map<number, Map<string, BoundCounter>>();

  constructor(
    private readonly collector: MetricsCollector,
    size: () => number,
  ) {
    this.received = collector
      .counter('datalineage_monitoring_logs_received_total', {
        description: 'Log records received by the aggregator.',
      })
      .bind();
    this.storedTotal = collector
      .counter('datalineage_monitoring_logs_stored_total', {
        description: 'Log records stored by the aggregator.',
      })
      .bind();
    collector.counter('datalineage_monitoring_logs_dropped_total', {
      description: 'Log records dropped before storage, by reason (sampled, queue_full, …).',
      labelNames: ['reason'],
    });
    collector.counter('datalineage_monitoring_logs_evicted_total', {
      description: 'Stored log records evicted, by reason (capacity, age).',
      labelNames: ['reason'],
    });
    this.searchDuration = collector
      .histogram('datalineage_monitoring_log_search_duration_seconds', {
        description: 'Time taken by log searches.',
        buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      })
      .bind();
    collector.gauge('datalineage_monitoring_log_entries', {
      description: 'Log records held in the store.',
      collect: () => collector.setGauge('datalineage_monitoring_log_entries', size()),
    });
    collector.counter('logs_total', {
      description:
        'Log records stored, by level and source: alert on error-log rates with rate(logs_total{level="ERROR"}[5m]).',
      labelNames: ['level', 'source'],
    });
  }

  stored(record: StoredRecord): void {
    this.storedTotal.inc();
    let bySource = this.byLevel.get(record.level);
    if (bySource === undefined) {
      bySource = new Map();
      this.byLevel.set(record.level, bySource);
    }
    let counter = bySource.get(record.source);
    if (counter === undefined) {
      counter = this.collector
        .counter('logs_total')
        .bind({ level: levelName(record.level), source: record.source });
      if (bySource.size < 256) bySource.set(record.source, counter); // sources are bounded by the store too
    }
    counter.inc();
  }

  dropped(reason: string): void {
    this.bound(this.droppedCounters, 'datalineage_monitoring_logs_dropped_total', reason).inc();
  }

  evicted(reason: string, count: number): void {
    this.bound(this.evictedCounters, 'datalineage_monitoring_logs_evicted_total', reason).inc(count);
  }

  searched(ms: number): void {
    this.searchDuration.observe(ms / 1000);
  }

  private bound(cache: Map<string, BoundCounter>, metric: string, reason: string): BoundCounter {
    let counter = cache.get(reason);
    if (counter === undefined) {
      counter = this.collector.counter(metric).bind({ reason });
      cache.set(reason, counter);
    }
    return counter;
  }
}
