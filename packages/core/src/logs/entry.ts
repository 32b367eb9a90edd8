// A log line in the form the store keeps (a StoredRecord), built from what addLog() is given or
// from an OpenTelemetry record another emitter made, and the OpenTelemetry attributes an export
// processor reads for a line addLog() built. Nothing here throws for bad input: it is counted and
// replaced (an invalid level becomes INFO, an invalid time becomes now).
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { diagnostics } from '../internal/diag.js';
import { levelOf, toLogLevel } from './levels.js';
import {
  type AttributeLimits,
  boundName,
  DROPPED_KEYS,
  fitsFlat,
  MAX_ATTRIBUTE_KEYS,
  preCut,
  REDACTION_MARGIN,
} from './limits.js';
import type { Redactor } from './redact.js';
import { RESERVED_ATTRIBUTES } from './search.js';
import type { StoredRecord } from './store.js';
import { errorInfo, messageText, plainValue, safeString, setOwn, truncateUtf8 } from './stringify.js';
import { type LogError, type LogInput, LogLevel, LogSource } from './types.js';

const LEVELS: ReadonlySet<unknown> = new Set(Object.values(LogLevel));
const VALID_ID = /^[0-9a-f]+$/;

/** A line addLog() built, on its way through OpenTelemetry into the store. */
export interface InputEntry extends StoredRecord {
  /** The span given with the line (W3C ids), or undefined to take the active context's. */
  readonly span: { traceId: string; spanId: string } | undefined;
  /** True when the caller gave a timestamp (OpenTelemetry then observes the line now). */
  readonly timed: boolean;
  /** True when extraData certainly fits the attribute limits; else the pipeline measures and cuts it. */
  readonly attributesFit: boolean;
}

/** What one line may hold (see limits.ts); the aggregator's options set them. */
export interface LineLimits {
  /** UTF-8 bytes of the message (`maxMessageBytes`). */
  readonly messageBytes: number;
  readonly attributes: AttributeLimits;
}

/**
 * Turns addLog() input into an entry: the level, the message as text, a copy of extraData that
 * the caller can no longer change, the error, the ids. Counts invalid levels and timestamps.
 */
export class InputReader {
  invalidLevels = 0;
  invalidTimestamps = 0;

  constructor(
    private readonly redactor: Redactor | undefined,
    private readonly now: () => number,
    private readonly limits: LineLimits,
  ) {}

  /** @throws only for input that cannot be read at all (a Proxy that throws on every access). */
  read(input: LogInput): InputEntry {
    const level = LEVELS.has(input.level) ? (input.level as LogLevel) : this.levelOf(input.level);
    const message =
      typeof input.message === 'string'
        ? preCut(input.message, this.limits.messageBytes)
        : this.text(input.message);
    const given = input.timestamp;
    const timestamp = given === undefined ? this.now() : this.timeOf(given);
    const source = input.source ?? LogSource.APPLICATION;
    let traceId: string | undefined;
    let span: InputEntry['span'];
    if (typeof input.traceId === 'string') {
      span = spanOf(input.traceId, input.spanId);
      // A trace id alone is kept for search (and exported as `trace_id`), with no span invented.
      traceId =
        span?.traceId ??
        (typeof input.spanId === 'string' ? undefined : boundName(input.traceId.toLowerCase()));
    }
    const { attributes, fits } = extraDataCopy(input.extraData, this.limits.attributes);
    return {
      timestamp,
      level,
      source: boundName(typeof source === 'string' ? source : String(source)),
      loggerName: typeof input.loggerName === 'string' ? boundName(input.loggerName) : 'default',
      message,
      attributes,
      error: input.error === undefined ? undefined : this.errorOf(input.error),
      traceId,
      spanId: span?.spanId,
      span,
      timed: given !== undefined,
      attributesFit: fits,
    };
  }

  private levelOf(raw: unknown): LogLevel {
    const { level, valid } = toLogLevel(raw);
    if (!valid) {
      this.invalidLevels++;
      diagnostics.warnOnce(
        'DLM_LOG_INVALID_LEVEL',
        printable(raw),
        `log level ${JSON.stringify(printable(raw))} is not a level; logged as INFO. Use LogLevel.DEBUG … LogLevel.CRITICAL.`,
      );
    }
    return level;
  }

  private timeOf(given: number | Date): number {
    const ms = given instanceof Date ? given.getTime() : given;
    if (typeof ms === 'number' && Number.isFinite(ms)) return ms;
    this.invalidTimestamps++;
    diagnostics.warnOnce(
      'DLM_LOG_INVALID_TIMESTAMP',
      'timestamp',
      `log timestamp ${printable(given)} is not a time; the entry is stamped with the current time. Pass epoch milliseconds or a valid Date.`,
    );
    return this.now();
  }

  private errorOf(error: unknown): LogError {
    const info = errorInfo(error);
    if (info === undefined) return { type: 'Error', message: this.text(error) };
    const bytes = this.limits.messageBytes;
    const type = boundName(info.type);
    const message = preCut(info.message, bytes);
    return info.stack === undefined ? { type, message } : { type, message, stack: preCut(info.stack, bytes) };
  }

  /**
   * Text of a non-string message or error. Objects are redacted by key before they become text:
   * after JSON.stringify only the value patterns could still find a secret.
   */
  private text(value: unknown): string {
    const chars = this.limits.messageBytes + REDACTION_MARGIN;
    if (
      this.redactor === undefined ||
      value === null ||
      typeof value !== 'object' ||
      value instanceof Error
    ) {
      return preCut(messageText(value, chars), this.limits.messageBytes);
    }
    return preCut(
      messageText(this.redactor.redactValue(plainValue(value, chars)), chars),
      this.limits.messageBytes,
    );
  }
}

/**
 * extraData as the store keeps it: a copy, so a caller reusing its object cannot change a stored
 * line. Flat objects of strings, numbers and booleans (the common case) are copied shallowly;
 * anything else is made plain (Dates, BigInt, Errors, cycles), as OpenTelemetry would otherwise
 * drop such values on export. Keys the aggregator reserves for itself are left out. `fits` is
 * true when the copy certainly fits the attribute limits; otherwise long texts are already cut to
 * what redaction needs to see, and the pipeline cuts the rest after redacting.
 */
function extraDataCopy(
  extra: unknown,
  limits: AttributeLimits,
): { attributes: Record<string, unknown> | undefined; fits: boolean } {
  if (extra === undefined || extra === null || typeof extra !== 'object') return NONE;
  const object = extra as Record<string, unknown>;
  if (Object.getPrototypeOf(object) === Object.prototype && fitsFlat(object, limits, RESERVED_ATTRIBUTES)) {
    for (const _ in object) return { attributes: { ...object }, fits: true };
    return NONE;
  }
  // Measured and cut after redaction; here only what would cost memory or redaction time goes.
  const copy: Record<string, unknown> = {};
  const keys = Object.keys(object).filter((key) => !RESERVED_ATTRIBUTES.has(key));
  const kept = keys.length > MAX_ATTRIBUTE_KEYS ? MAX_ATTRIBUTE_KEYS - 1 : keys.length;
  const chars = limits.valueBytes + REDACTION_MARGIN;
  for (let i = 0; i < kept; i++) {
    const key = keys[i] as string;
    setOwn(copy, key, plainValue(object[key], chars));
  }
  if (kept < keys.length) {
    setOwn(copy, DROPPED_KEYS, `${keys.length - kept} more keys left out (log attribute limits)`);
  }
  for (const _ in copy) return { attributes: copy, fits: false };
  return NONE;
}

const NONE = { attributes: undefined, fits: true } as const;

/** The given W3C ids when both are valid hex of the right length, lower-cased. */
function spanOf(traceId: string, spanId: unknown): InputEntry['span'] {
  if (typeof spanId !== 'string') return undefined;
  const trace32 = traceId.toLowerCase();
  const span16 = spanId.toLowerCase();
  if (trace32.length !== 32 || !VALID_ID.test(trace32) || span16.length !== 16 || !VALID_ID.test(span16)) {
    return undefined;
  }
  return { traceId: trace32, spanId: span16 };
}

/**
 * The attributes an export processor (OTLP, Elasticsearch) reads for a line addLog() built: its
 * extraData, and what the entry carries beside it under OpenTelemetry's names.
 * @param sharedScope the line's logger name is not its instrumentation scope (past 1,000 names)
 */
export function exportAttributes(entry: InputEntry, sharedScope: boolean): Record<string, unknown> {
  const attributes: Record<string, unknown> = { ...entry.attributes };
  if (entry.source !== LogSource.APPLICATION) attributes['log.source'] = entry.source;
  if (sharedScope) attributes['logger.name'] = entry.loggerName;
  if (entry.traceId !== undefined && entry.span === undefined) attributes.trace_id = entry.traceId;
  const error = entry.error;
  if (error !== undefined) {
    attributes['exception.type'] = error.type;
    attributes['exception.message'] = error.message;
    if (error.stack !== undefined) attributes['exception.stacktrace'] = error.stack;
  }
  return attributes;
}

/** What the store keeps of a record another emitter made (the OpenTelemetry logs API, say). */
export function recordEntry(record: ReadableLogRecord, maxMessageBytes: number): StoredRecord {
  const [seconds, nanos] = record.hrTime;
  const body = record.body;
  let message = typeof body === 'string' ? body : messageText(body, maxMessageBytes + REDACTION_MARGIN);
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
    source: typeof source === 'string' ? boundName(source) : LogSource.APPLICATION,
    loggerName: boundName(typeof loggerName === 'string' ? loggerName : record.instrumentationScope.name),
    message,
    attributes: extra ? attributes : undefined,
    error,
    traceId: span?.traceId ?? (typeof traceId === 'string' ? boundName(traceId) : undefined),
    spanId: span?.spanId,
  };
}

/** A value as text for a diagnostic message, never throwing. */
export function printable(value: unknown): string {
  return safeString(value, '[unprintable]');
}
