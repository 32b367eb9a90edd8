// The log aggregator: the guide's log_aggregator on OpenTelemetry. addLog() emits through its own
// LoggerProvider, whose one processor, the LogPipeline, samples, redacts and truncates each line,
// writes it to a bounded store and hands it to the export processors, all inside the logging call:
// an accepted line is searchable when the call returns. Anything else emitting on that
// LoggerProvider (pino or winston instrumentations, the OpenTelemetry logs API) lands in the same
// store and the same exports. Search and analysis read the store.
import { context, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import { millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { LoggerProvider, type LogRecordProcessor } from '@opentelemetry/sdk-logs';
import { diagnostics } from '../internal/diag.js';
import type { MetricsCollector } from '../metrics/collector.js';
import { countOverTime, errorRate, topLoggers } from './analysis.js';
import { exportAttributes, type InputEntry, InputReader, printable } from './entry.js';
import { LogFilter, type LogFilterOptions } from './filter.js';
import { levelName } from './levels.js';
import { DEFAULT_ATTRIBUTE_LIMITS } from './limits.js';
import { minePatterns, PatternMiner, type Template } from './patterns.js';
import { LogPipeline, type PipelineDropReason, type SamplingOptions } from './pipeline.js';
import { Redactor, type RedactorOptions } from './redact.js';
import { entryAt, entrySize, type SearchOptions, type SearchResult, searchStore } from './search.js';
import { SelfMetrics } from './self-metrics.js';
import { type EvictionReason, LogStore, type StoredRecord } from './store.js';
import { plainValue } from './stringify.js';
import type { LogEntry, LogInput, LogLevel, LogSink } from './types.js';

export interface LogAggregatorOptions {
  /** When false, addLog() and emitted records are ignored. @default true */
  enabled?: boolean;
  /** Entries kept; past it the oldest are evicted (counted as `capacity`). @default 1000000 */
  maxEntries?: number;
  /** Entries older than this many days are evicted (counted as `age`). @default 30 */
  retentionDays?: number;
  /** Seconds between retention sweeps while started. @default 3600 */
  cleanupInterval?: number;
  /** Longest message, in UTF-8 bytes; longer ones are cut with a marker. @default 65536 */
  maxMessageBytes?: number;
  /**
   * Longest string value in a line's extraData (at any depth), in UTF-8 bytes; longer ones are
   * cut with a marker. @default 16384
   */
  maxAttributeValueBytes?: number;
  /**
   * Most of a line's extraData as a whole, in UTF-8 bytes (keys, strings, 8 for any other value);
   * keys past it, or past 128 keys, are left out and a `…` key says how many. @default 65536
   */
  maxAttributeBytes?: number;
  /** Keep only a share of records below ERROR. */
  sampling?: SamplingOptions;
  /**
   * Secrets replaced before storage and export. Default keys (password, token, authorization…)
   * and value patterns (card numbers, bearer tokens, JWTs) apply unless `enabled: false`.
   */
  redaction?: RedactorOptions & { enabled?: boolean };
  /** Resource of the LoggerProvider (service.name …). */
  resource?: Resource;
  /**
   * Processors that export what the store keeps, e.g. a BatchLogRecordProcessor shipping over
   * OTLP. Their queues are theirs: a full one drops from that export only.
   */
  exportProcessors?: LogRecordProcessor[];
  /** Where the aggregator's own metrics and `logs_total{level,source}` go. */
  metrics?: MetricsCollector;
  /** Time limit of one search, in milliseconds. @default 2000 */
  searchTimeBudgetMs?: number;
  /** Clock (epoch ms) and random source, for tests. */
  now?: () => number;
  random?: () => number;
}

/** Why a line was not stored. */
export type LogDropReason = PipelineDropReason | 'invalid_input';

export interface LogAggregatorStats {
  enabled: boolean;
  running: boolean;
  /** Lines that reached the aggregator: stored, plus dropped. */
  received: number;
  stored: number;
  /** Lines not stored, by reason (`sampled`, `invalid_input`, `pipeline_error`, `store_error`). */
  dropped: Record<string, number>;
  /** Stored lines evicted since, by reason: `capacity` (maxEntries) and `age` (retentionDays). */
  evicted: Record<EvictionReason, number>;
  /** Lines whose message (or error text) was cut to `maxMessageBytes`. */
  truncated: number;
  /** Lines whose extraData was cut to the attribute limits. */
  attributesTruncated: number;
  invalidLevels: number;
  invalidTimestamps: number;
  /** Times an export processor threw while taking a line (that export lost it; the store has it). */
  exportErrors: number;
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
/** OpenTelemetry keeps every logger it hands out: past this many names, one shared logger. */
const MAX_SCOPES = 1000;

function toFilter(filter: LogFilter | LogFilterOptions | undefined): LogFilter {
  if (filter === undefined) return LogFilter.ALL;
  return filter instanceof LogFilter ? filter : new LogFilter(filter);
}

interface Scope {
  readonly logger: Logger;
  /** The shared logger: the line's logger name travels as the `logger.name` attribute. */
  readonly shared: boolean;
}

export class LogAggregator implements LogSink {
  /** The OpenTelemetry LoggerProvider feeding this aggregator; register it globally to capture other emitters. */
  readonly loggerProvider: LoggerProvider;
  private readonly store: LogStore;
  private readonly pipeline: LogPipeline;
  private readonly reader: InputReader;
  private readonly retentionMs: number;
  private readonly cleanupMs: number;
  private readonly searchBudget: number;
  private readonly now: () => number;
  private readonly scopes = new Map<string, Scope>();
  private readonly sharedScope: Scope;
  private readonly redactor: Redactor | undefined;
  private cleanupTimer: NodeJS.Timeout | undefined;
  private running = false;
  private closed = false;
  private readonly isEnabled: boolean;

  private received = 0;
  private stored = 0;
  private readonly dropped: Record<string, number> = {};
  private readonly evicted: Record<EvictionReason, number> = { capacity: 0, age: 0 };
  private truncated = 0;
  private attributesTruncated = 0;
  private exportErrors = 0;
  private lastSearchMs = 0;
  private readonly self: SelfMetrics | undefined;

  /** @throws RangeError / TypeError on invalid options (setup errors). */
  constructor(options: LogAggregatorOptions = {}) {
    this.isEnabled = options.enabled ?? true;
    this.store = new LogStore(options.maxEntries ?? 1_000_000);
    this.retentionMs = positive(options.retentionDays ?? 30, 'retentionDays') * DAY_MS;
    this.cleanupMs = positive(options.cleanupInterval ?? 3600, 'cleanupInterval') * 1000;
    this.searchBudget = positive(options.searchTimeBudgetMs ?? 2000, 'searchTimeBudgetMs');
    this.now = options.now ?? Date.now;
    this.self =
      options.metrics === undefined
        ? undefined
        : new SelfMetrics(options.metrics, () => ({
            received: this.received,
            stored: this.stored,
            dropped: this.dropped,
            evicted: this.evicted,
            entries: this.store.size,
          }));
    this.store.onEvict = (reason, count) => {
      this.evicted[reason] += count;
    };
    const redaction = options.redaction;
    const redactor = redaction?.enabled === false ? undefined : new Redactor(redaction ?? {});
    this.redactor = redactor?.active ? redactor : undefined;
    const maxMessageBytes = options.maxMessageBytes ?? 65_536;
    const attributeLimits = {
      valueBytes: byteLimit(
        options.maxAttributeValueBytes ?? DEFAULT_ATTRIBUTE_LIMITS.valueBytes,
        'maxAttributeValueBytes',
        64,
      ),
      totalBytes: byteLimit(
        options.maxAttributeBytes ?? DEFAULT_ATTRIBUTE_LIMITS.totalBytes,
        'maxAttributeBytes',
        256,
      ),
    };
    this.reader = new InputReader(this.redactor, this.now, {
      messageBytes: maxMessageBytes,
      attributes: attributeLimits,
    });
    this.pipeline = new LogPipeline({
      enabled: this.isEnabled,
      store: (entry) => this.keep(entry),
      redactor: this.redactor,
      sampling: options.sampling,
      maxMessageBytes,
      attributeLimits,
      random: options.random,
      onReceived: () => {
        this.received++;
      },
      onDrop: (reason) => this.drop(reason),
      onTruncate: () => {
        this.truncated++;
      },
      onAttributesCut: () => {
        this.attributesTruncated++;
      },
      onExportError: () => {
        this.exportErrors++;
        diagnostics.warnOnce(
          'DLM_LOG_EXPORT_PROCESSOR_FAILED',
          'onEmit',
          'a log export processor threw while taking a line; that export lost it, the store keeps it.',
        );
      },
    });
    for (const processor of options.exportProcessors ?? []) this.pipeline.addExporter(processor);
    // The pipeline is the provider's only processor, and an inner object: the aggregator's own
    // shutdown() shuts the provider down, which must not call back into it.
    this.loggerProvider = new LoggerProvider({
      ...(options.resource === undefined ? {} : { resource: options.resource }),
      processors: [this.pipeline],
    });
    this.sharedScope = { logger: this.loggerProvider.getLogger('(other loggers)'), shared: true };
    // Bound, so `const add = logs.addLog` and callbacks keep working.
    this.addLog = this.addLog.bind(this);
  }

  // ---------------------------------------------------------------- ingestion

  /**
   * Add a log entry; never throws. It is stored (or dropped, counted) when the call returns. The
   * guide's `log_aggregator.add_log(level=…, message=…, logger_name=…, source=…, extra_data=…)`.
   * @example
   * aggregator.addLog({ level: LogLevel.INFO, message: 'Operation completed', loggerName: 'datalineage.tracker',
   *   source: LogSource.APPLICATION, extraData: { duration: 0.25, records: 1000 } });
   */
  addLog(input: LogInput): void {
    if (!this.isEnabled || this.closed) return;
    let entry: InputEntry;
    try {
      entry = this.reader.read(input);
    } catch (error) {
      this.received++;
      this.drop('invalid_input');
      diagnostics.warnOnce(
        'DLM_LOG_INVALID_INPUT',
        printable(error),
        `a log entry could not be added: ${printable(error)}`,
      );
      return;
    }
    this.pipeline.ingest(entry, this.emit);
  }

  /**
   * Emits a cleaned entry as an OpenTelemetry log record. The record carries attributes only when
   * an export processor will read them: the store keeps the entry itself, so without exports
   * OpenTelemetry's copy and validation of every attribute would be work nobody reads.
   */
  private readonly emit = (entry: InputEntry): void => {
    const scope = this.scopeOf(entry.loggerName);
    const time = millisToHrTime(entry.timestamp);
    scope.logger.emit({
      timestamp: time,
      observedTimestamp: entry.timed ? millisToHrTime(Date.now()) : time,
      severityNumber: entry.level,
      severityText: levelName(entry.level),
      body: entry.message,
      attributes: this.pipeline.exporting
        ? (exportAttributes(entry, scope.shared) as Record<string, never>)
        : undefined,
      context: entry.span === undefined ? context.active() : spanContext(entry.span),
    });
  };

  /** Redact a structured value by key (for bridges that format objects into text). */
  redactValue<T>(value: T): T {
    if (this.redactor === undefined || value === null || typeof value !== 'object') return value;
    try {
      return this.redactor.redactValue(plainValue(value) as T);
    } catch {
      return value;
    }
  }

  /** The OpenTelemetry logger (instrumentation scope) of a logger name. */
  private scopeOf(name: string): Scope {
    let scope = this.scopes.get(name);
    if (scope === undefined) {
      if (this.scopes.size >= MAX_SCOPES) return this.sharedScope;
      scope = { logger: this.loggerProvider.getLogger(name), shared: false };
      this.scopes.set(name, scope);
    }
    return scope;
  }

  /** Writes a line the pipeline kept. */
  private keep(entry: StoredRecord): void {
    this.store.append(entry);
    this.stored++;
    this.self?.stored(entry.level, entry.source);
  }

  private drop(reason: LogDropReason): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + 1;
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

  /**
   * searchLogs for callers that must not hold the event loop, such as an HTTP API: the scan runs
   * in slices of at most `sliceMs`, yielding to other work between them, for up to `timeBudgetMs`
   * in all (wall time); past it, what was found comes back with `truncated` and a `nextCursor`.
   * @throws TypeError / InvalidSearchPatternError for an invalid filter, limit or cursor.
   * @example
   * const page = await aggregator.searchLogsAsync({ regex: 'timeout|refused' }, { limit: 100, sliceMs: 10 });
   */
  async searchLogsAsync(
    filter?: LogFilter | LogFilterOptions,
    options: SearchOptions & {
      /** The longest one slice may hold the event loop, in milliseconds. @default 10 */
      sliceMs?: number;
    } = {},
  ): Promise<SearchResult> {
    const compiled = toFilter(filter);
    if (options === null || typeof options !== 'object')
      throw new TypeError('searchLogsAsync: options must be an object such as { limit: 100 }');
    const { sliceMs = 10, timeBudgetMs = this.searchBudget, limit = 100 } = options;
    if (typeof sliceMs !== 'number' || !(sliceMs > 0))
      throw new TypeError(`searchLogsAsync: sliceMs must be a positive number, got ${sliceMs}`);
    const started = performance.now();
    const entries: LogEntry[] = [];
    let bytesLeft = options.maxBytes ?? Number.POSITIVE_INFINITY;
    let scanned = 0;
    let cursor = options.cursor;
    for (;;) {
      this.expire();
      const page = searchStore(this.store, compiled, {
        limit: limit - entries.length,
        timeBudgetMs: sliceMs,
        maxBytes: bytesLeft,
        ...(cursor === undefined ? {} : { cursor }),
        notBefore: this.now() - this.retentionMs,
      });
      entries.push(...page.entries);
      scanned += page.scanned;
      for (const entry of page.entries) bytesLeft -= entrySize(entry);
      const tookMs = performance.now() - started;
      const done = page.truncated === undefined || page.nextCursor === undefined || bytesLeft <= 0;
      if (done || tookMs >= timeBudgetMs) {
        this.lastSearchMs = tookMs;
        this.self?.searched(tookMs);
        const result: SearchResult = { entries, scanned, tookMs };
        if (page.nextCursor !== undefined) result.nextCursor = page.nextCursor;
        if (!done) {
          result.truncated = {
            reason: `time budget of ${timeBudgetMs} ms exhausted after ${scanned} entries`,
          };
        }
        return result;
      }
      cursor = page.nextCursor;
      await yieldToLoop();
    }
  }

  /** One entry by id, if still stored. */
  getLog(id: number): LogEntry | undefined {
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

  /**
   * patterns() for callers that must not hold the event loop: entries are read and mined in small
   * pages with a yield between them, for up to `timeBudgetMs` in all (then the templates of what
   * was mined so far come back).
   */
  async patternsAsync(
    options: { limit?: number; sliceMs?: number; timeBudgetMs?: number } & AnalysisScope = {},
  ): Promise<Template[]> {
    const filter = toFilter(options.filter);
    const max = options.maxEntries ?? 50_000;
    const budget = options.timeBudgetMs ?? this.searchBudget;
    const started = performance.now();
    const miner = new PatternMiner();
    let mined = 0;
    let cursor: string | undefined;
    do {
      const page = await this.searchLogsAsync(filter, {
        // Mining one page must fit a slice too: 250 messages of at most 1,024 mined characters.
        limit: Math.min(250, max - mined),
        ...(options.sliceMs === undefined ? {} : { sliceMs: options.sliceMs }),
        timeBudgetMs: Math.max(1, budget - (performance.now() - started)),
        ...(cursor === undefined ? {} : { cursor }),
      });
      for (const entry of page.entries) miner.add(entry.message, entry);
      mined += page.entries.length;
      cursor = page.nextCursor;
      await yieldToLoop();
    } while (cursor !== undefined && mined < max && performance.now() - started < budget);
    return miner.templates({ limit: options.limit ?? 50 });
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
    return this.pipeline.addExporter(processor);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.cleanupTimer = setInterval(() => this.expire(), Math.min(this.cleanupMs, 2_147_483_647));
    this.cleanupTimer.unref();
  }

  /** Flush the export processors (OTLP): what their queues hold is sent. The store needs none. */
  async flush(): Promise<void> {
    try {
      await this.loggerProvider.forceFlush();
    } catch (error) {
      diagnostics.warn('DLM_LOG_FLUSH_FAILED', `flushing log exports failed: ${String(error)}`);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.cleanupTimer !== undefined) clearInterval(this.cleanupTimer);
    this.cleanupTimer = undefined;
    await this.flush();
  }

  /** Final: flush and shut the LoggerProvider and its exporters down. Idempotent. */
  async shutdown(): Promise<void> {
    this.closed = true;
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
      attributesTruncated: this.attributesTruncated,
      invalidLevels: this.reader.invalidLevels,
      invalidTimestamps: this.reader.invalidTimestamps,
      exportErrors: this.exportErrors,
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

/** A byte bound: an integer from `min` to 16 MiB. */
function byteLimit(value: number, what: string, min: number): number {
  if (!Number.isInteger(value) || value < min || value > 16 * 1024 * 1024) {
    throw new RangeError(`${what} must be an integer from ${min} to 16777216 (16 MiB), got ${value}`);
  }
  return value;
}

/** Lets the event loop run what is waiting (a scrape, another request) before going on. */
function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function filterOptions(filter: LogFilter | LogFilterOptions | undefined): LogFilterOptions {
  if (filter === undefined) return {};
  if (filter instanceof LogFilter)
    throw new TypeError('errorRate takes filter options, not a LogFilter, so it can add the time range');
  return filter;
}

/** A context carrying a span given with the line. */
function spanContext(span: { traceId: string; spanId: string }) {
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId: span.traceId,
    spanId: span.spanId,
    traceFlags: TraceFlags.NONE,
    isRemote: true,
  });
}
