// The guide's `LogHandler` for Node: bridges that feed pino, winston and console output into a
// LogSink (the log aggregator). Each bridge only translates its logger's record shape into a
// LogInput; storage, bounds and search belong to the sink. Logging is a telemetry path, so no
// bridge ever throws into the logging call: failures are counted in `failures` and reported once
// through the SDK's diagnostics.
import { format } from 'node:util';
import TransportStream from 'winston-transport';
import { diagnostics } from '../../internal/diag.js';
import { fromPinoLevel, toLogLevel } from '../levels.js';
import { type LogError, type LogInput, LogLevel, type LogSink, LogSource } from '../types.js';

/** Options of a {@link LogHandler}. */
export interface LogHandlerOptions {
  /**
   * The source stamped on entries that do not name one.
   * @default LogSource.APPLICATION
   * @example new LogHandler(aggregator, { source: LogSource.SECURITY })
   */
  source?: LogSource | string;
  /**
   * The logger name of entries whose record carries none (no pino `name`, no winston `label` or
   * `loggerName`). Left to the sink when unset, which uses 'default'.
   * @default undefined
   * @example new LogHandler(aggregator, { loggerName: 'api' })
   */
  loggerName?: string;
  /**
   * Entries below this level are dropped before they reach the sink (the logger's own level
   * still applies first).
   * @default LogLevel.DEBUG (everything)
   * @example new LogHandler(aggregator, { minLevel: LogLevel.WARNING })
   */
  minLevel?: LogLevel;
}

/** A record for {@link LogHandler.handle}: a LogInput whose level may be anything a logger uses. */
export interface LogHandlerRecord extends Omit<LogInput, 'level'> {
  level?: unknown;
}

/** Keys pino uses for its own fields, when they are not the defaults. */
export interface PinoDestinationOptions {
  /** pino's `messageKey`. @default 'msg' @example { messageKey: 'message' } */
  messageKey?: string;
  /** pino's `errorKey`. @default 'err' @example { errorKey: 'error' } */
  errorKey?: string;
}

/** A pino destination stream writing into the sink. */
export interface PinoDestination {
  write(chunk: string | Uint8Array): void;
  /** Hands on a trailing line that arrived without its newline; pino calls it from `logger.flush()`. */
  flush(callback?: (error?: Error) => void): void;
}

/** Options of {@link LogHandler.captureConsole}. */
export interface ConsoleCaptureOptions {
  /**
   * Still print to the real console. With several captures active, printing stops as soon as one
   * of them says false.
   * @default true
   * @example handler.captureConsole({ passthrough: false }) // silence the console, keep the logs
   */
  passthrough?: boolean;
  /** The logger name of captured entries. @default 'console' @example { loggerName: 'stdout' } */
  loggerName?: string;
}

/** An active console capture; `restore()` (or `using`) puts the original methods back. */
export interface ConsoleCapture extends Disposable {
  restore(): void;
}

type Fields = Record<string | symbol, unknown>;

/** The subset of pino's metadata a destination receives when it sets `Symbol.for('pino.metadata')`. */
interface PinoLoggerLike {
  levels?: { values?: Record<string, unknown> };
}

/**
 * Feeds Node loggers into a log sink: `pinoDestination()` for pino, `winstonTransport()` for
 * winston, `captureConsole()` for console, `handle()` for anything else.
 *
 * @example
 * const handler = new LogHandler(aggregator, { source: LogSource.APPLICATION });
 * const logger = pino({ name: 'myapp' }, handler.pinoDestination());
 * logger.info('Application started');
 * logger.error(new Error('Database connection failed'));
 */
export class LogHandler {
  #failures = 0;
  readonly #sink: LogSink;
  readonly #source: string;
  readonly #loggerName: string | undefined;
  readonly #minLevel: LogLevel;
  #console: ConsoleCapture | undefined;

  constructor(sink: LogSink, options: LogHandlerOptions = {}) {
    // Setup errors are the caller's to fix now; only the record path must never throw.
    if (typeof sink?.addLog !== 'function') {
      throw new TypeError('LogHandler: the sink must have an addLog(input) method (the log aggregator).');
    }
    const { minLevel = LogLevel.DEBUG } = options;
    if (!Object.values(LogLevel).includes(minLevel)) {
      throw new RangeError(
        `LogHandler: minLevel ${String(minLevel)} is not a LogLevel (use LogLevel.WARNING…).`,
      );
    }
    this.#sink = sink;
    this.#source = options.source ?? LogSource.APPLICATION;
    this.#loggerName = options.loggerName;
    this.#minLevel = minLevel;
  }

  /** Entries that never reached the sink because the sink (or a record's own getters) threw. */
  get failures(): number {
    return this.#failures;
  }

  /**
   * Forwards one record, like Python logging's `emit`: the handler's source and logger name fill
   * in what the record leaves out. Never throws.
   * @example handler.handle({ level: 'warn', message: 'disk almost full', extraData: { free: 0.05 } });
   */
  handle(record: LogHandlerRecord): void {
    this.#guard(() => {
      const { level, value } = resolveLevel(record.level);
      const source = record.source ?? this.#source;
      this.#deliver(
        { ...record, level: value, source, loggerName: record.loggerName ?? this.#loggerName },
        level,
      );
    });
  }

  /**
   * A destination for `pino(options, destination)`. Each NDJSON line pino writes becomes one
   * entry; lines that are not JSON objects are kept as INFO messages with `extraData.unparsed`.
   * Use it as a destination, not as a `transport` (transports run in a worker thread).
   * @example
   * const logger = pino({ name: 'api', level: 'debug' }, handler.pinoDestination());
   * logger.child({ requestId: 'r1' }).warn({ ms: 950 }, 'slow request');
   */
  pinoDestination(options: PinoDestinationOptions = {}): PinoDestination {
    const keys = new Set(['level', 'time', 'pid', 'hostname', 'v', 'name', 'trace_id', 'span_id']);
    const messageKey = options.messageKey ?? 'msg';
    const errorKey = options.errorKey ?? 'err';
    keys.add(messageKey);
    const line = (text: string, logger: PinoLoggerLike | undefined): void => {
      const record = parseObject(text);
      if (record === undefined) {
        this.#deliver(
          {
            level: LogLevel.INFO,
            message: text,
            loggerName: this.#loggerName,
            source: this.#source,
            extraData: { unparsed: true },
          },
          LogLevel.INFO,
        );
        return;
      }
      const { level, value } = pinoLevel(record.level, logger);
      if (level < this.#minLevel) return;
      const extra: Fields = {};
      for (const key of Object.keys(record)) if (!keys.has(key)) extra[key] = record[key];
      const error = takeError(extra, errorKey);
      const timestamp = toTimestamp(record.time);
      // A time we cannot read is kept rather than silently replaced by "now".
      if (timestamp === undefined && record.time !== undefined) extra.time = record.time;
      this.#deliver(
        {
          level: value,
          message: record[messageKey] ?? '',
          loggerName: typeof record.name === 'string' ? record.name : this.#loggerName,
          source: this.#source,
          timestamp,
          error,
          traceId: stringOrUndefined(record.trace_id),
          spanId: stringOrUndefined(record.span_id),
          extraData: nonEmpty(extra),
        },
        level,
      );
    };
    return new PinoLines((text, logger) => this.#guard(() => line(text, logger)));
  }

  /**
   * A winston transport writing into the sink. Reads the uncolored level, `message`,
   * `timestamp` (from `format.timestamp()`), the logger name from `loggerName` or `label`, errors
   * (logged errors, `format.errors()` output, an `error` meta key) and keeps the rest as extraData.
   * @example
   * const logger = winston.createLogger({
   *   defaultMeta: { loggerName: 'api' },
   *   format: winston.format.combine(winston.format.timestamp(), winston.format.json()),
   *   transports: [new winston.transports.Console(), handler.winstonTransport({ level: 'warn' })],
   * });
   */
  winstonTransport(options?: TransportStream.TransportStreamOptions): TransportStream {
    return new SinkTransport(options, (info) =>
      this.#guard(() => {
        const { level, value } = resolveLevel(winstonLevel(info));
        if (level < this.#minLevel) return;
        this.#deliver(this.#fromWinston(info, value), level);
      }),
    );
  }

  /**
   * Sends console.debug/log/info/warn/error/trace calls to the sink as well (DEBUG, INFO, INFO,
   * WARNING, ERROR, DEBUG). Capturing again while active returns the active capture; console
   * output produced while a sink is handling an entry is printed but not captured, so a sink that
   * logs to the console cannot loop.
   * @example
   * using capture = handler.captureConsole({ passthrough: false });
   * console.warn('cache miss for %s', key); // → WARNING 'cache miss for user:1'
   */
  captureConsole(options: ConsoleCaptureOptions = {}): ConsoleCapture {
    if (this.#console !== undefined) return this.#console;
    const loggerName = options.loggerName ?? 'console';
    const active: ActiveCapture = {
      passthrough: options.passthrough ?? true,
      deliver: (level, args) => this.#guard(() => this.#fromConsole(level, args, loggerName)),
    };
    const detach = attachConsole(active);
    let restored = false;
    const restore = (): void => {
      if (restored) return;
      restored = true;
      this.#console = undefined;
      detach();
    };
    this.#console = { restore, [Symbol.dispose]: restore };
    return this.#console;
  }

  #fromWinston(info: Fields, level: LogInput['level']): LogInput {
    const extra: Fields = {};
    for (const key of Object.keys(info)) if (!WINSTON_KEYS.has(key)) extra[key] = info[key];
    let error: LogError | undefined;
    let message = info.message;
    if (info instanceof Error) error = snapshotError(info);
    else if (message instanceof Error) {
      // logger.log({ level, message: err }) without format.errors(): keep the text, not the object.
      error = snapshotError(message);
      message = message.message;
    } else if (isErrorLike(info.error)) {
      error = snapshotError(info.error);
      delete extra.error;
    } else if (typeof info.stack === 'string') {
      // format.errors() and `logger.error('msg', err)` copy the stack onto info but not the
      // error's name; the original error is still in the splat arguments.
      const original = (info[SPLAT] as unknown[] | undefined)?.find((arg) => arg instanceof Error);
      error = original ? { ...snapshotError(original), stack: info.stack } : errorFromStack(info.stack);
    }
    const timestamp = toTimestamp(info.timestamp);
    if (timestamp === undefined && info.timestamp !== undefined) extra.timestamp = info.timestamp;
    const name = info.loggerName ?? info.label;
    return {
      level,
      // format.colorize({ all: true }) colors the message too.
      message:
        typeof message === 'string' && message.includes('\u001b') ? stripAnsi(message) : (message ?? ''),
      loggerName: typeof name === 'string' ? name : this.#loggerName,
      source: this.#source,
      timestamp,
      error,
      traceId: stringOrUndefined(info.trace_id),
      spanId: stringOrUndefined(info.span_id),
      extraData: nonEmpty(extra),
    };
  }

  #fromConsole(level: LogLevel, args: readonly unknown[], loggerName: string): void {
    if (level < this.#minLevel) return;
    let error: LogError | undefined;
    // The stack goes to `error`; the message keeps the one-line "Name: message" form.
    const redact = this.#sink.redactValue;
    const parts = args.map((arg) => {
      if (!(arg instanceof Error)) {
        return redact !== undefined && arg !== null && typeof arg === 'object'
          ? redact.call(this.#sink, arg)
          : arg;
      }
      error ??= snapshotError(arg);
      return errorHeadline(arg);
    });
    // A replaced Error must not become a format string ("100%d done" would eat arguments).
    if (args[0] instanceof Error) parts.unshift('%s');
    this.#deliver({ level, message: format(...parts), loggerName, source: this.#source, error }, level);
  }

  #deliver(input: LogInput, level: LogLevel): void {
    if (level >= this.#minLevel) this.#sink.addLog(input);
  }

  /** Runs one record through; whatever throws is counted, reported once and swallowed. */
  #guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      this.#failures++;
      diagnostics.warnOnce(
        'DLM_LOG_HANDLER_FAILED',
        errorType(error),
        `LogHandler dropped a log entry: ${describeError(error)}. Dropped entries are counted in ` +
          'handler.failures; check the sink passed to new LogHandler().',
      );
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Levels, timestamps and errors shared by the bridges.

/**
 * A level for the sink: the LogLevel when we know it, else the raw value, so that the sink
 * counts the unknown level (as INFO) instead of the bridge hiding it.
 */
function resolveLevel(raw: unknown): { level: LogLevel; value: LogInput['level'] } {
  const { level, valid } = toLogLevel(raw);
  if (valid) return { level, value: level };
  return { level, value: typeof raw === 'number' || typeof raw === 'string' ? raw : String(raw) };
}

/** pino writes numbers, or labels when `formatters.level` is used; custom labels need the logger. */
function pinoLevel(
  raw: unknown,
  logger: PinoLoggerLike | undefined,
): { level: LogLevel; value: LogInput['level'] } {
  if (typeof raw === 'number') {
    // pino's 10 and 20 are OpenTelemetry severities to toLogLevel; map pino numbers here.
    const level = fromPinoLevel(raw);
    return { level, value: level };
  }
  if (typeof raw === 'string') {
    const custom = logger?.levels?.values?.[raw];
    if (typeof custom === 'number') {
      const level = fromPinoLevel(custom);
      return { level, value: level };
    }
  }
  return resolveLevel(raw);
}

/**
 * Epoch milliseconds from a number, Date or date string. Numbers below 1e11 (before 1973 in
 * milliseconds) are read as seconds: pino's `stdTimeFunctions.unixTime` writes seconds.
 */
function toTimestamp(raw: unknown): number | undefined {
  let ms: number | undefined;
  if (typeof raw === 'number') ms = raw < 1e11 ? raw * 1000 : raw;
  else if (typeof raw === 'string') ms = Date.parse(raw);
  else if (raw instanceof Date) ms = raw.getTime();
  return ms !== undefined && Number.isFinite(ms) ? ms : undefined;
}

function isErrorLike(value: unknown): value is { name?: unknown; message?: unknown; stack?: unknown } {
  if (value instanceof Error) return true;
  if (typeof value !== 'object' || value === null) return false;
  const { message, stack } = value as Fields;
  return typeof message === 'string' && (typeof stack === 'string' || 'type' in value);
}

/** Type as pino-std-serializers computes it (constructor name first), so every bridge agrees. */
function snapshotError(error: { name?: unknown; message?: unknown; stack?: unknown }): LogError {
  const ctor = (error as { constructor?: unknown }).constructor;
  const type =
    error instanceof Error && typeof ctor === 'function' && ctor.name !== ''
      ? ctor.name
      : String(error.name ?? 'Error');
  const stack = typeof error.stack === 'string' ? error.stack : undefined;
  return { type, message: String(error.message ?? ''), ...(stack === undefined ? {} : { stack }) };
}

/**
 * Takes pino's serialized error (`{ type, message, stack, ...own properties }`) out of extra;
 * its own properties (`code`, `aggregateErrors`…) stay in extra under the same key.
 */
function takeError(extra: Fields, key: string): LogError | undefined {
  const value = extra[key];
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const { type, message, stack, ...rest } = value as Fields;
  if (typeof message !== 'string' && typeof stack !== 'string') return undefined;
  if (Object.keys(rest).length > 0) extra[key] = rest;
  else delete extra[key];
  return {
    type: typeof type === 'string' ? type : 'Error',
    message: typeof message === 'string' ? message : '',
    ...(typeof stack === 'string' ? { stack } : {}),
  };
}

/** "TypeError: bad input\n    at …" → type and message, when only the stack is left. */
function errorFromStack(stack: string): LogError {
  const newline = stack.indexOf('\n');
  const head = /^([A-Za-z_$][\w$.]*)(?::\s?(.*))?$/.exec(newline === -1 ? stack : stack.slice(0, newline));
  return { type: head?.[1] ?? 'Error', message: head?.[2] ?? '', stack };
}

function errorHeadline(error: Error): string {
  try {
    return String(error);
  } catch {
    return 'Error';
  }
}

function errorType(error: unknown): string {
  try {
    return error instanceof Error ? error.name : typeof error;
  } catch {
    return 'unknown';
  }
}

function describeError(error: unknown): string {
  try {
    return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    return 'an unprintable value';
  }
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function nonEmpty(extra: Fields): Fields | undefined {
  for (const _ in extra) return extra;
  return undefined;
}

function parseObject(text: string): Fields | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Fields)
      : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// pino: a destination stream that splits NDJSON into lines.

/** Pino sets lastLevel, lastLogger… on destinations that set this symbol (as multistream does). */
const PINO_METADATA: unique symbol = Symbol.for('pino.metadata');
/** A line that never ends is passed on as-is rather than buffered without bound. */
const MAX_PENDING = 1 << 20;

class PinoLines implements PinoDestination {
  readonly [PINO_METADATA] = true;
  /** Set by pino before each write: its level table turns custom level labels into numbers. */
  lastLogger: PinoLoggerLike | undefined;
  #pending = '';
  readonly #decoder = new TextDecoder();
  readonly #line: (text: string, logger: PinoLoggerLike | undefined) => void;

  constructor(line: (text: string, logger: PinoLoggerLike | undefined) => void) {
    this.#line = line;
  }

  write(chunk: string | Uint8Array): boolean {
    const text =
      this.#pending + (typeof chunk === 'string' ? chunk : this.#decoder.decode(chunk, { stream: true }));
    let start = 0;
    // A sync destination gets one whole line per call from pino; other writers may batch or split.
    for (let end = text.indexOf('\n'); end !== -1; end = text.indexOf('\n', start)) {
      this.#emit(text.slice(start, end));
      start = end + 1;
    }
    this.#pending = text.slice(start);
    if (this.#pending.length > MAX_PENDING) this.flush();
    return true;
  }

  flush(callback?: (error?: Error) => void): void {
    const rest = this.#pending;
    this.#pending = '';
    if (rest !== '') this.#emit(rest);
    callback?.();
  }

  #emit(raw: string): void {
    const text = raw.endsWith('\r') ? raw.slice(0, -1) : raw; // pino's `crlf: true`
    if (text.trim() !== '') this.#line(text, this.lastLogger);
  }
}

// ---------------------------------------------------------------------------------------------
// winston: a transport.

const LEVEL = Symbol.for('level');
const SPLAT = Symbol.for('splat');
/** Fields winston or its formats own, or that the entry carries elsewhere. */
const WINSTON_KEYS: ReadonlySet<string> = new Set([
  'level',
  'message',
  'timestamp',
  'label',
  'loggerName',
  'stack',
  'trace_id',
  'span_id',
]);
// biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI color codes start with ESC.
const ANSI = /\u001b\[[0-9;]*m/g;

function stripAnsi(text: string): string {
  return text.replace(ANSI, '');
}

/** `format.colorize()` rewrites info.level; the uncolored level stays under Symbol.for('level'). */
function winstonLevel(info: Fields): unknown {
  const level = info[LEVEL] ?? info.level;
  return typeof level === 'string' ? stripAnsi(level) : level;
}

class SinkTransport extends TransportStream {
  readonly #record: (info: Fields) => void;

  constructor(options: TransportStream.TransportStreamOptions | undefined, record: (info: Fields) => void) {
    super(options);
    this.#record = record;
  }

  // winston calls log() synchronously from logger.info(); a throw here would reach the caller.
  override log(info: Fields, callback: () => void): void {
    try {
      this.#record(info);
    } finally {
      callback();
    }
  }
}

// ---------------------------------------------------------------------------------------------
// console: one process-wide patch shared by every capture.

type ConsoleMethod = 'debug' | 'log' | 'info' | 'warn' | 'error' | 'trace';
type ConsoleFunction = (...args: unknown[]) => void;

const CONSOLE_LEVELS: ReadonlyArray<readonly [ConsoleMethod, LogLevel]> = [
  ['debug', LogLevel.DEBUG],
  ['trace', LogLevel.DEBUG],
  ['log', LogLevel.INFO],
  ['info', LogLevel.INFO],
  ['warn', LogLevel.WARNING],
  ['error', LogLevel.ERROR],
];

interface ActiveCapture {
  readonly passthrough: boolean;
  deliver(level: LogLevel, args: readonly unknown[]): void;
}

interface ConsolePatch {
  readonly captures: Set<ActiveCapture>;
  readonly installed: Array<readonly [ConsoleMethod, ConsoleFunction, ConsoleFunction]>;
}

interface ConsoleState {
  patch: ConsolePatch | undefined;
  /** True while captures handle a call: console output from a sink is printed, not captured. */
  dispatching: boolean;
}

// On globalThis so that two copies of this package in one process share one patch.
const STATE = Symbol.for('@datalineage/core.console-capture');

function consoleState(): ConsoleState {
  const global = globalThis as { [STATE]?: ConsoleState };
  global[STATE] ??= { patch: undefined, dispatching: false };
  return global[STATE];
}

function attachConsole(capture: ActiveCapture): () => void {
  const state = consoleState();
  const patch = state.patch ?? installPatch(state);
  patch.captures.add(capture);
  return () => {
    patch.captures.delete(capture);
    if (patch.captures.size > 0) return;
    state.patch = undefined;
    const methods = console as unknown as Record<ConsoleMethod, ConsoleFunction>;
    for (const [method, original, wrapper] of patch.installed) {
      // Someone wrapped console after us: leave their wrapper. Ours stays in their chain as a
      // pass-through, since its capture set is empty and a new capture gets a new patch.
      if (methods[method] === wrapper) methods[method] = original;
    }
  };
}

function installPatch(state: ConsoleState): ConsolePatch {
  const patch: ConsolePatch = { captures: new Set(), installed: [] };
  const methods = console as unknown as Record<ConsoleMethod, ConsoleFunction>;
  for (const [method, level] of CONSOLE_LEVELS) {
    const original = methods[method];
    const wrapper = function (this: unknown, ...args: unknown[]): void {
      if (!state.dispatching && patch.captures.size > 0) {
        let print = true;
        state.dispatching = true;
        try {
          for (const capture of patch.captures) {
            if (!capture.passthrough) print = false;
            capture.deliver(level, args);
          }
        } finally {
          state.dispatching = false;
        }
        if (!print) return;
      }
      Reflect.apply(original, this, args);
    };
    patch.installed.push([method, original, wrapper]);
    methods[method] = wrapper;
  }
  state.patch = patch;
  return patch;
}
