// LogFilter: what a search asks for, validated and compiled once at construction, so a bad level,
// an inverted time range or an invalid regex is a clear error before any entry is read.
import { toLogLevel } from './levels.js';
import { compileSearchPattern, type SearchPattern } from './safe-regex.js';
import type { LogLevel } from './types.js';

export interface LogFilterOptions {
  /** Lowest level included: a LogLevel or a name (`'WARNING'`). */
  minLevel?: LogLevel | string;
  /** Highest level included. */
  maxLevel?: LogLevel | string;
  /** Sources included (`LogSource.SECURITY`, or custom names). */
  sources?: readonly string[];
  /** Logger names included, exactly. */
  loggerNames?: readonly string[];
  /** `[start, end]`, both inclusive; either may be undefined (open). Dates or epoch milliseconds. */
  timeRange?: readonly [Date | number | undefined, Date | number | undefined];
  /** Case-insensitive substring of the message. */
  messageContains?: string;
  /**
   * A regular expression the message must match. Runs on a linear-time engine (RE2 semantics:
   * no backreferences or lookaround), so no pattern can hang the process.
   */
  regex?: string | RegExp;
  /** extraData fields that must equal these values (`{ action: 'create_lineage' }`); dotted keys reach into objects. */
  attributes?: Readonly<Record<string, string | number | boolean | null>>;
  /** extraData fields that must be present. */
  hasAttributes?: readonly string[];
  /** Only entries of this trace (hex trace id). */
  traceId?: string;
}

function toTime(value: unknown, what: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || Number.isNaN(ms))
    throw new TypeError(`LogFilter: ${what} is not a valid time (a Date or epoch milliseconds)`);
  return ms;
}

function toLevel(value: LogLevel | string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  const { level, valid } = toLogLevel(value);
  if (!valid) {
    throw new TypeError(
      `LogFilter: ${what} ${JSON.stringify(value)} is not a level; use LogLevel.DEBUG … LogLevel.CRITICAL or a name such as 'WARNING'`,
    );
  }
  return level;
}

/** A short description of a wrong value, for the error: never throws, whatever the value. */
function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a Date';
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** A list of strings, as the option's documentation says, or a TypeError naming it. */
function strings(value: unknown, what: string): readonly string[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string'))
    throw new TypeError(`LogFilter: ${what} must be an array of strings, got ${kindOf(value)}`);
  return value;
}

function text(value: unknown, what: string): string | undefined {
  if (value === undefined || typeof value === 'string') return value;
  throw new TypeError(`LogFilter: ${what} must be a string, got ${kindOf(value)}`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export class LogFilter {
  readonly minLevel: number;
  readonly maxLevel: number;
  readonly sources: ReadonlySet<string> | undefined;
  readonly loggerNames: ReadonlySet<string> | undefined;
  readonly from: number;
  readonly to: number;
  /** The message test (substring and regex), or undefined when the message is not filtered. */
  readonly messageTests: ReadonlyArray<SearchPattern | RegExp>;
  readonly attributes: ReadonlyArray<readonly [string[], string | number | boolean | null]>;
  readonly hasAttributes: ReadonlyArray<string[]>;
  readonly traceId: string | undefined;

  /** @throws TypeError or InvalidSearchPatternError naming the bad option. */
  constructor(options: LogFilterOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError(`LogFilter: options must be an object, got ${kindOf(options)}`);
    this.minLevel = toLevel(options.minLevel, 'minLevel') ?? 0;
    this.maxLevel = toLevel(options.maxLevel, 'maxLevel') ?? 255;
    if (this.minLevel > this.maxLevel) throw new TypeError('LogFilter: minLevel is above maxLevel');
    const sources = strings(options.sources, 'sources');
    this.sources = sources === undefined ? undefined : new Set(sources);
    const loggerNames = strings(options.loggerNames, 'loggerNames');
    this.loggerNames = loggerNames === undefined ? undefined : new Set(loggerNames);
    const range: unknown = options.timeRange ?? [undefined, undefined];
    if (!Array.isArray(range) || range.length > 2)
      throw new TypeError(`LogFilter: timeRange must be [start, end], got ${kindOf(range)}`);
    this.from = toTime(range[0], 'timeRange[0]') ?? Number.NEGATIVE_INFINITY;
    this.to = toTime(range[1], 'timeRange[1]') ?? Number.POSITIVE_INFINITY;
    if (this.from > this.to) throw new TypeError('LogFilter: timeRange starts after it ends');
    const tests: Array<SearchPattern | RegExp> = [];
    const contains = text(options.messageContains, 'messageContains');
    if (contains !== undefined && contains !== '') {
      // A literal with the i flag: linear in V8, and no lower-cased copy of every message.
      tests.push(new RegExp(escapeRegExp(contains), 'i'));
    }
    if (options.regex !== undefined) {
      if (typeof options.regex !== 'string' && !(options.regex instanceof RegExp))
        throw new TypeError(`LogFilter: regex must be a string or a RegExp, got ${kindOf(options.regex)}`);
      tests.push(compileSearchPattern(options.regex));
    }
    this.messageTests = tests;
    const attributes: unknown = options.attributes ?? {};
    if (typeof attributes !== 'object' || attributes === null || Array.isArray(attributes))
      throw new TypeError(
        `LogFilter: attributes must be an object of field values, got ${kindOf(attributes)}`,
      );
    const wanted = Object.entries(attributes);
    for (const [key, value] of wanted) {
      if (value !== null && !['string', 'number', 'boolean'].includes(typeof value)) {
        throw new TypeError(`LogFilter: attributes.${key} must be a string, number, boolean or null`);
      }
    }
    this.attributes = wanted.map(([key, value]) => [key.split('.'), value] as const);
    this.hasAttributes = (strings(options.hasAttributes, 'hasAttributes') ?? []).map((key) => key.split('.'));
    this.traceId = text(options.traceId, 'traceId')?.toLowerCase();
  }

  static readonly ALL = new LogFilter();
}

/** The value at `path` in `attributes`: the whole dotted key first, then nested objects. */
export function attributeAt(
  attributes: Readonly<Record<string, unknown>> | undefined,
  path: readonly string[],
): unknown {
  if (attributes === undefined) return undefined;
  if (path.length === 1) {
    const key = path[0] as string;
    return Object.hasOwn(attributes, key) ? attributes[key] : undefined;
  }
  if (Object.hasOwn(attributes, path.join('.'))) return attributes[path.join('.')];
  let value: unknown = attributes;
  for (const part of path) {
    // Own properties only: a filter on "constructor" must not find Object.prototype's.
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, part)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
