// The only processor on the aggregator's LoggerProvider. Every line passes here once, inside the
// call that logged it: it is sampled, redacted and truncated, written to the store, and handed to
// the export processors (OTLP, Elasticsearch), whose queues are the only asynchronous part. A
// sampled-out line goes nowhere; a secret reaches neither the store nor the wire.
//
// Lines come in two ways. addLog() builds its entry itself, cleans it, and hands it over across
// `Logger.emit`, so the store keeps that entry as it is (no copy of the OpenTelemetry record);
// records of other emitters (the OpenTelemetry logs API) are cleaned on the record and read into
// an entry here.
import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { diagnostics } from '../internal/diag.js';
import { operationStorage } from '../operations/context.js';
import { type InputEntry, printable, recordEntry } from './entry.js';
import { levelOf } from './levels.js';
import {
  type AttributeLimits,
  boundAttributes,
  DEFAULT_ATTRIBUTE_LIMITS,
  fitsFlat,
  preCut,
} from './limits.js';
import type { Redactor } from './redact.js';
import type { StoredRecord } from './store.js';
import { truncateUtf8 } from './stringify.js';
import { type LogError, LogLevel } from './types.js';

/** Keep-ratios for sampling; ERROR and CRITICAL are always kept. */
export interface SamplingOptions {
  /**
   * Share of records kept at every level below ERROR, in [0, 1].
   * @default 1
   */
  ratio?: number;
  /** Per-level share, overriding `ratio` (`{ DEBUG: 0.01, INFO: 0.1 }`). */
  levels?: Partial<Record<'DEBUG' | 'INFO' | 'WARNING', number>>;
}

export type PipelineDropReason = 'sampled' | 'pipeline_error' | 'store_error';

export interface LogPipelineOptions {
  /** When false, records emitted on the provider are ignored. @default true */
  enabled?: boolean;
  /** Writes a kept line to the store; called synchronously, once per line. */
  store: (entry: StoredRecord) => void;
  redactor?: Redactor | undefined;
  sampling?: SamplingOptions | undefined;
  /** Longest message (and error message and stack) kept, in UTF-8 bytes; longer ones are cut with a marker. @default 65536 */
  maxMessageBytes?: number;
  /** Bounds of a line's extraData (see limits.ts). @default 16384 bytes a value, 65536 a line */
  attributeLimits?: AttributeLimits;
  /** Random numbers in [0, 1) for sampling; tests pass their own. @default Math.random */
  random?: () => number;
  /** Called for every line that reaches the pipeline, before sampling. */
  onReceived?: () => void;
  onDrop?: (reason: PipelineDropReason) => void;
  onTruncate?: () => void;
  /** A line's extraData was cut to its limits. */
  onAttributesCut?: () => void;
  /** An export processor threw from `onEmit`: that export lost the line; the store has it. */
  onExportError?: () => void;
}

function ratioOf(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`sampling ${what} must be a number in [0, 1], got ${value}`);
  }
  return value;
}

const ignore = (): void => {};

export class LogPipeline implements LogRecordProcessor {
  private readonly exporters: LogRecordProcessor[] = [];
  /** False for a disabled aggregator. (Not `enabled`: OpenTelemetry calls a processor's `enabled`.) */
  private readonly accepting: boolean;
  private readonly store: (entry: StoredRecord) => void;
  private readonly redactor: Redactor | undefined;
  /** Keep-probability by level value (only levels below ERROR are sampled). */
  private readonly keepRatio: ReadonlyMap<number, number>;
  private readonly sampling: boolean;
  private readonly maxMessageBytes: number;
  private readonly random: () => number;
  private readonly onReceived: () => void;
  private readonly onDrop: (reason: PipelineDropReason) => void;
  private readonly onTruncate: () => void;
  private readonly onAttributesCut: () => void;
  private readonly onExportError: () => void;
  private readonly attributeLimits: AttributeLimits;
  /** The entry addLog() is emitting right now; its record's onEmit takes it. */
  private handed: InputEntry | undefined;

  /** @throws RangeError on an invalid sampling ratio or message limit (setup errors). */
  constructor(options: LogPipelineOptions) {
    this.accepting = options.enabled ?? true;
    this.store = options.store;
    this.redactor = options.redactor?.active ? options.redactor : undefined;
    const ratio = ratioOf(options.sampling?.ratio, 'ratio') ?? 1;
    const keep = new Map<number, number>();
    for (const name of ['DEBUG', 'INFO', 'WARNING'] as const) {
      keep.set(LogLevel[name], ratioOf(options.sampling?.levels?.[name], `levels.${name}`) ?? ratio);
    }
    this.keepRatio = keep;
    this.sampling = [...keep.values()].some((p) => p < 1);
    this.maxMessageBytes = options.maxMessageBytes ?? 65_536;
    if (!Number.isInteger(this.maxMessageBytes) || this.maxMessageBytes < 64) {
      throw new RangeError(`maxMessageBytes must be an integer ≥ 64, got ${options.maxMessageBytes}`);
    }
    this.random = options.random ?? Math.random;
    this.onReceived = options.onReceived ?? ignore;
    this.onDrop = options.onDrop ?? ignore;
    this.onTruncate = options.onTruncate ?? ignore;
    this.onAttributesCut = options.onAttributesCut ?? ignore;
    this.attributeLimits = options.attributeLimits ?? DEFAULT_ATTRIBUTE_LIMITS;
    this.onExportError = options.onExportError ?? ignore;
  }

  /** OpenTelemetry asks this before it builds a record: a disabled aggregator wants none. */
  enabled(): boolean {
    return this.accepting;
  }

  /** True when an export processor will read the records: only then do they need attributes. */
  get exporting(): boolean {
    return this.exporters.length > 0;
  }

  /** Add an export processor; returns a function that removes it. */
  addExporter(processor: LogRecordProcessor): () => void {
    this.exporters.push(processor);
    return () => {
      const index = this.exporters.indexOf(processor);
      if (index >= 0) this.exporters.splice(index, 1);
    };
  }

  /**
   * A line addLog() built: sampled and cleaned here, then `emit` sends it through OpenTelemetry,
   * whose call to onEmit stores it. Stored by the time this returns, unless sampled out.
   */
  ingest(entry: InputEntry, emit: (entry: InputEntry) => void): void {
    this.onReceived();
    if (this.sampledOut(entry.level)) {
      this.onDrop('sampled');
      return;
    }
    try {
      this.cleanEntry(entry);
    } catch {
      this.onDrop('pipeline_error');
      return;
    }
    // Saved and restored: a line logged while this one is emitted (a console capture seeing
    // OpenTelemetry's own diagnostics) takes its own turn without taking this one's entry.
    const outer = this.handed;
    this.handed = entry;
    try {
      emit(entry);
    } catch (error) {
      diagnostics.warnOnce(
        'DLM_LOG_EMIT_FAILED',
        'emit',
        `OpenTelemetry failed to emit a log record (${printable(error)}); the line is stored, its export may be lost.`,
      );
    } finally {
      // Not passed on by OpenTelemetry (a logger it disabled): stored all the same.
      if (this.handed === entry) this.keep(entry);
      this.handed = outer;
    }
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    const handed = this.handed;
    if (handed !== undefined) {
      this.handed = undefined;
      if (handed.traceId === undefined && record.spanContext !== undefined) {
        handed.traceId = record.spanContext.traceId;
        handed.spanId = record.spanContext.spanId;
      }
      this.keep(handed);
      this.export(record, context);
      return;
    }
    if (!this.accepting) return; // for SDKs that do not ask enabled() first
    this.onReceived();
    if (this.sampledOut(levelOf(record))) {
      this.onDrop('sampled');
      return;
    }
    let entry: StoredRecord;
    try {
      this.cleanRecord(record);
      entry = recordEntry(record, this.maxMessageBytes);
      if (entry.attributes !== undefined && !fitsFlat(entry.attributes, this.attributeLimits)) {
        this.boundAttributes(entry);
      }
      if (entry.error !== undefined) entry.error = mapErrorText(entry.error, (text) => this.truncate(text));
    } catch {
      // Never let a record through half-cleaned: a redaction failure drops it, counted.
      this.onDrop('pipeline_error');
      return;
    }
    this.keep(entry);
    this.export(record, context);
  }

  private sampledOut(level: number): boolean {
    if (!this.sampling) return false;
    const p = this.keepRatio.get(level);
    return p !== undefined && p < 1 && (p === 0 || this.random() >= p);
  }

  private keep(entry: StoredRecord): void {
    try {
      this.store(entry);
    } catch (error) {
      // Never reached in normal operation; if it were, the line is counted rather than thrown
      // into the application's logging call.
      this.onDrop('store_error');
      diagnostics.error('DLM_LOG_STORE_FAILED', `storing a log line failed: ${printable(error)}`);
    }
  }

  private export(record: ReadWriteLogRecord, context: Context | undefined): void {
    for (const processor of this.exporters) {
      try {
        processor.onEmit(record, context);
      } catch {
        this.onExportError();
      }
    }
  }

  /**
   * Redact, then truncate: truncating first could cut a secret in half where no pattern
   * recognises it any more. The entry is addLog's own copy, so it is changed in place.
   */
  private cleanEntry(entry: InputEntry): void {
    const redactor = this.redactor;
    entry.message = this.truncate(
      redactor === undefined ? entry.message : redactor.redactText(entry.message),
    );
    if (redactor !== undefined) {
      if (entry.attributes !== undefined) entry.attributes = redactor.redactValue(entry.attributes);
      if (entry.error !== undefined)
        entry.error = mapErrorText(entry.error, (text) => redactor.redactText(text));
    }
    if (!entry.attributesFit) this.boundAttributes(entry);
    if (entry.error !== undefined) entry.error = mapErrorText(entry.error, (text) => this.truncate(text));
    // Inside a monitored operation, the line says which one (unless it names one itself).
    const operation = operationStorage.getStore();
    if (operation !== undefined && entry.attributes?.operation === undefined) {
      entry.attributes = { ...entry.attributes, operation: operation.operation };
    }
  }

  /** The same on a record another emitter made, through its setters. */
  private cleanRecord(record: ReadWriteLogRecord): void {
    const redactor = this.redactor;
    const original = record.body;
    if (typeof original === 'string') {
      const text = preCut(original, this.maxMessageBytes);
      const body = this.truncate(redactor === undefined ? text : redactor.redactText(text));
      if (body !== original) record.setBody(body);
    } else if (original !== undefined && original !== null && redactor !== undefined) {
      const redacted = redactor.redactValue(original);
      if (redacted !== original) record.setBody(redacted);
    }
    if (redactor !== undefined) {
      const attributes = record.attributes;
      const redacted = redactor.redactValue(attributes);
      if (redacted !== attributes) {
        for (const key of Object.keys(redacted)) {
          if (redacted[key] !== attributes[key]) record.setAttribute(key, redacted[key]);
        }
      }
    }
    const operation = operationStorage.getStore();
    if (operation !== undefined && record.attributes.operation === undefined) {
      record.setAttribute('operation', operation.operation);
    }
  }

  /** Cuts a line's extraData to the attribute limits, counted. */
  private boundAttributes(entry: StoredRecord): void {
    if (entry.attributes === undefined) return;
    const { attributes, cut } = boundAttributes(entry.attributes, this.attributeLimits);
    entry.attributes = attributes;
    if (cut) this.onAttributesCut();
  }

  private truncate(text: string): string {
    // A UTF-16 unit is at most 3 UTF-8 bytes: shorter texts need no counting.
    if (text.length <= this.maxMessageBytes / 3) return text;
    const cut = truncateUtf8(text, this.maxMessageBytes);
    if (cut.truncatedBytes === 0) return text;
    this.onTruncate();
    return cut.text;
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.exporters.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.exporters.map((processor) => processor.shutdown()));
  }
}

/** An error with `map` applied to its message and stack; the same object when neither changed. */
function mapErrorText(error: LogError, map: (text: string) => string): LogError {
  const message = map(error.message);
  const stack = error.stack === undefined ? undefined : map(error.stack);
  if (message === error.message && stack === error.stack) return error;
  return stack === undefined ? { type: error.type, message } : { type: error.type, message, stack };
}
