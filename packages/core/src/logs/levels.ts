// Mapping every logger's idea of a level onto LogLevel: pino's numbers, winston's and syslog's
// names, OpenTelemetry severity numbers, and level names in any case.
import { LogLevel, type LogLevelName } from './types.js';

const NAMES: ReadonlyMap<string, LogLevel> = new Map<string, LogLevel>([
  ['trace', LogLevel.DEBUG],
  ['debug', LogLevel.DEBUG],
  ['silly', LogLevel.DEBUG],
  ['verbose', LogLevel.DEBUG],
  ['http', LogLevel.INFO],
  ['info', LogLevel.INFO],
  ['informational', LogLevel.INFO],
  ['notice', LogLevel.INFO],
  ['log', LogLevel.INFO],
  ['warn', LogLevel.WARNING],
  ['warning', LogLevel.WARNING],
  ['error', LogLevel.ERROR],
  ['err', LogLevel.ERROR],
  ['crit', LogLevel.CRITICAL],
  ['critical', LogLevel.CRITICAL],
  ['fatal', LogLevel.CRITICAL],
  ['alert', LogLevel.CRITICAL],
  ['emerg', LogLevel.CRITICAL],
  ['emergency', LogLevel.CRITICAL],
]);

const LEVEL_NAMES: ReadonlyMap<LogLevel, LogLevelName> = new Map(
  (Object.entries(LogLevel) as Array<[LogLevelName, LogLevel]>).map(([name, value]) => [value, name]),
);

/** The name of a level (`LogLevel.WARNING` → 'WARNING'). */
export function levelName(level: LogLevel): LogLevelName {
  return LEVEL_NAMES.get(level) ?? 'INFO';
}

/** An OpenTelemetry severity number (1–24) → LogLevel: TRACE and DEBUG → DEBUG, … FATAL → CRITICAL. */
export function fromSeverityNumber(severity: number): LogLevel {
  if (severity <= 8) return LogLevel.DEBUG;
  if (severity <= 12) return LogLevel.INFO;
  if (severity <= 16) return LogLevel.WARNING;
  if (severity <= 20) return LogLevel.ERROR;
  return LogLevel.CRITICAL;
}

/** pino's numeric levels: 10 trace, 20 debug, 30 info, 40 warn, 50 error, 60 fatal. */
export function fromPinoLevel(level: number): LogLevel {
  if (level < 30) return LogLevel.DEBUG;
  if (level < 40) return LogLevel.INFO;
  if (level < 50) return LogLevel.WARNING;
  if (level < 60) return LogLevel.ERROR;
  return LogLevel.CRITICAL;
}

/**
 * Any level a caller may pass. Numbers 1–24 are OpenTelemetry severities; 30, 40, 50 and 60 are
 * pino's (pino's 10 and 20 fall in OpenTelemetry's range: the pino bridge maps those itself).
 * `valid` is false when nothing matched; the level is then INFO.
 */
export function toLogLevel(input: unknown): { level: LogLevel; valid: boolean } {
  if (input === undefined || input === null) return { level: LogLevel.INFO, valid: true };
  if (typeof input === 'number' && Number.isInteger(input)) {
    if (input >= 1 && input <= 24) return { level: fromSeverityNumber(input), valid: true };
    if (input >= 10 && input <= 60 && input % 10 === 0) return { level: fromPinoLevel(input), valid: true };
    return { level: LogLevel.INFO, valid: false };
  }
  if (typeof input === 'string') {
    const level = NAMES.get(input.trim().toLowerCase());
    if (level !== undefined) return { level, valid: true };
  }
  return { level: LogLevel.INFO, valid: false };
}

/** The level of an OpenTelemetry record, from its severity number, else its severity text. */
export function levelOf(record: {
  readonly severityNumber?: number;
  readonly severityText?: string;
}): LogLevel {
  if (record.severityNumber !== undefined && record.severityNumber > 0)
    return fromSeverityNumber(record.severityNumber);
  return record.severityText === undefined ? LogLevel.INFO : toLogLevel(record.severityText).level;
}
