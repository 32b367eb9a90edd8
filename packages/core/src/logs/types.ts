// Public types of the log aggregator: levels, sources, what goes in (LogInput) and what comes
// out (LogEntry).

/**
 * Log levels, valued as OpenTelemetry severity numbers so they order and map without tables:
 * DEBUG 5, INFO 9, WARNING 13, ERROR 17, CRITICAL 21 (OpenTelemetry's DEBUG, INFO, WARN, ERROR, FATAL).
 */
export const LogLevel = {
  DEBUG: 5,
  INFO: 9,
  WARNING: 13,
  ERROR: 17,
  CRITICAL: 21,
} as const;
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];
export type LogLevelName = keyof typeof LogLevel;

/** Where a log line comes from, as in the guide. */
export const LogSource = {
  APPLICATION: 'application',
  SYSTEM: 'system',
  SECURITY: 'security',
  AUDIT: 'audit',
  PERFORMANCE: 'performance',
  CUSTOM: 'custom',
} as const;
export type LogSource = (typeof LogSource)[keyof typeof LogSource];

/** An error kept with a log entry (OpenTelemetry's exception.* attributes). */
export interface LogError {
  readonly type: string;
  readonly message: string;
  readonly stack?: string;
}

/** What `addLog()` and the logger bridges take. Only `message` is required. */
export interface LogInput {
  /**
   * A LogLevel, or anything a logger uses: OpenTelemetry severity numbers (1–24), pino's 30–60,
   * winston and syslog names
   * (`warn`, `verbose`, `silly`, `emerg`…), level names in any case (`warning`, `WARN`, `fatal`).
   * Anything else becomes INFO, with a counted warning.
   * @default LogLevel.INFO
   */
  level?: LogLevel | number | string;
  /** The message; non-strings are stringified safely (circular objects, BigInt, Error). */
  message: unknown;
  /** @default 'default' */
  loggerName?: string;
  /** @default LogSource.APPLICATION */
  source?: LogSource | string;
  /** Structured fields, searchable by equality and existence. */
  extraData?: Readonly<Record<string, unknown>>;
  /** Epoch milliseconds or a Date. @default now */
  timestamp?: number | Date;
  /** An error to keep as exception type, message and stack. */
  error?: unknown;
  /** W3C trace and span ids (hex); taken from the active OpenTelemetry context when absent. */
  traceId?: string;
  spanId?: string;
}

/** A stored log entry, as search returns it. */
export interface LogEntry {
  /** Sequence number: unique and increasing within the process. */
  readonly id: number;
  /** Epoch milliseconds. */
  readonly timestamp: number;
  readonly level: LogLevel;
  readonly levelName: LogLevelName;
  readonly message: string;
  readonly loggerName: string;
  readonly source: string;
  readonly extraData: Readonly<Record<string, unknown>>;
  readonly error?: LogError;
  readonly traceId?: string;
  readonly spanId?: string;
}

/** Anything that accepts log input: the aggregator, or a test double for the bridges. */
export interface LogSink {
  addLog(input: LogInput): void;
  /**
   * Redact a structured value by key before a bridge turns it into text (a console argument, say);
   * after formatting, only value patterns could still find a secret.
   */
  redactValue?<T>(value: T): T;
}
