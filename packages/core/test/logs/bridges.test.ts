// The logger bridges, driven through real pino and winston loggers and the real console object,
// into a sink that only collects what it is given.
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import winston from 'winston';
import { LogHandler } from '../../src/logs/bridges/log-handler.js';
import { type LogInput, LogLevel, type LogSink, LogSource } from '../../src/logs/types.js';

class CollectingSink implements LogSink {
  readonly inputs: LogInput[] = [];
  addLog(input: LogInput): void {
    this.inputs.push(input);
  }
  get last(): LogInput | undefined {
    return this.inputs.at(-1);
  }
}

class ThrowingSink implements LogSink {
  calls = 0;
  addLog(): void {
    this.calls++;
    throw new Error('sink is down');
  }
}

class ValidationError extends Error {
  code = 'E_VALID';
}

function setup(options?: ConstructorParameters<typeof LogHandler>[1]) {
  const sink = new CollectingSink();
  return { sink, handler: new LogHandler(sink, options) };
}

describe('LogHandler.pinoDestination', () => {
  it('maps every pino level, message, name and the default source', () => {
    const { sink, handler } = setup();
    const logger = pino({ name: 'api', level: 'trace' }, handler.pinoDestination());
    logger.trace('t');
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    logger.fatal('f');
    expect(sink.inputs.map((i) => [i.level, i.message])).toEqual([
      [LogLevel.DEBUG, 't'],
      [LogLevel.DEBUG, 'd'],
      [LogLevel.INFO, 'i'],
      [LogLevel.WARNING, 'w'],
      [LogLevel.ERROR, 'e'],
      [LogLevel.CRITICAL, 'f'],
    ]);
    expect(sink.inputs.every((i) => i.loggerName === 'api' && i.source === LogSource.APPLICATION)).toBe(true);
  });

  it('keeps child bindings and merged fields in extraData, but not pid, hostname, level, time or msg', () => {
    const { sink, handler } = setup();
    const logger = pino({}, handler.pinoDestination());
    logger
      .child({ requestId: 'r1' })
      .child({ user: 7 })
      .info({ route: { path: '/a' } }, 'hello %s', 'you');
    expect(sink.last).toMatchObject({ message: 'hello you', level: LogLevel.INFO });
    expect(sink.last?.extraData).toEqual({ requestId: 'r1', user: 7, route: { path: '/a' } });
  });

  it('uses the handler logger name and source when pino has no name', () => {
    const { sink, handler } = setup({ loggerName: 'jobs', source: LogSource.AUDIT });
    pino({}, handler.pinoDestination()).info('x');
    expect(sink.last).toMatchObject({ loggerName: 'jobs', source: 'audit' });
  });

  it('keeps a logged error as type, message and stack, and its own properties in extraData', () => {
    const { sink, handler } = setup();
    const logger = pino({}, handler.pinoDestination());
    const error = new ValidationError('bad input');
    logger.error(error);
    expect(sink.last).toMatchObject({
      level: LogLevel.ERROR,
      message: 'bad input',
      error: { type: 'ValidationError', message: 'bad input', stack: error.stack },
      extraData: { err: { code: 'E_VALID' } },
    });
    logger.warn({ err: new TypeError('nope') }, 'retrying');
    expect(sink.last?.message).toBe('retrying');
    expect(sink.last?.error).toMatchObject({ type: 'TypeError', message: 'nope' });
    expect(sink.last?.extraData).toBeUndefined();
  });

  it('honours epoch-millisecond, ISO and epoch-second timestamps', () => {
    const { sink, handler } = setup();
    pino({ timestamp: () => ',"time":1700000000123' }, handler.pinoDestination()).info('ms');
    pino({ timestamp: () => ',"time":"2024-05-06T07:08:09.010Z"' }, handler.pinoDestination()).info('iso');
    pino({ timestamp: () => ',"time":1700000000' }, handler.pinoDestination()).info('s');
    pino({ timestamp: pino.stdTimeFunctions.isoTimeNano }, handler.pinoDestination()).info('nano');
    pino({ timestamp: false }, handler.pinoDestination()).info('none');
    expect(sink.inputs.map((i) => i.timestamp)).toEqual([
      1700000000123,
      Date.parse('2024-05-06T07:08:09.010Z'),
      1700000000000,
      expect.any(Number),
      undefined,
    ]);
    expect(Math.abs((sink.inputs[3]?.timestamp as number) - Date.now())).toBeLessThan(60_000);
  });

  it('maps level labels from formatters.level, including custom levels through the logger', () => {
    const { sink, handler } = setup();
    const logger = pino(
      { customLevels: { audit: 45 }, formatters: { level: (label) => ({ level: label }) } },
      handler.pinoDestination(),
    );
    logger.warn('w');
    logger.audit('a'); // 45: between warn and error, unknown to toLogLevel by name
    expect(sink.inputs.map((i) => i.level)).toEqual([LogLevel.WARNING, LogLevel.WARNING]);
  });

  it('takes trace_id and span_id as trace context', () => {
    const { sink, handler } = setup();
    const ids = {
      trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
      span_id: '00f067aa0ba902b7',
      trace_flags: '01',
    };
    pino({ mixin: () => ids }, handler.pinoDestination()).info('traced');
    expect(sink.last).toMatchObject({ traceId: ids.trace_id, spanId: ids.span_id });
    expect(sink.last?.extraData).toEqual({ trace_flags: '01' });
  });

  it('passes malformed lines on as INFO messages marked unparsed, never throwing', () => {
    const { sink, handler } = setup();
    const destination = handler.pinoDestination();
    expect(() => destination.write('not json at all\n[1,2]\r\n')).not.toThrow();
    expect(sink.inputs).toEqual([
      {
        message: 'not json at all',
        level: LogLevel.INFO,
        source: 'application',
        extraData: { unparsed: true },
      },
      { message: '[1,2]', level: LogLevel.INFO, source: 'application', extraData: { unparsed: true } },
    ]);
    expect(handler.failures).toBe(0);
  });

  it('splits several lines in one chunk and joins a line split across chunks', () => {
    const { sink, handler } = setup();
    const destination = handler.pinoDestination();
    destination.write('{"level":30,"msg":"a"}\n{"level":40,"msg":"b"}\n{"level":50,');
    expect(sink.inputs.map((i) => i.message)).toEqual(['a', 'b']);
    destination.write('"msg":"c"}\r\n{"level":60,"msg":"d"}');
    expect(sink.inputs.map((i) => i.message)).toEqual(['a', 'b', 'c']);
    destination.flush();
    expect(sink.inputs.map((i) => [i.message, i.level])).toEqual([
      ['a', LogLevel.INFO],
      ['b', LogLevel.WARNING],
      ['c', LogLevel.ERROR],
      ['d', LogLevel.CRITICAL],
    ]);
  });

  it('drops lines below minLevel', () => {
    const { sink, handler } = setup({ minLevel: LogLevel.WARNING });
    const logger = pino({}, handler.pinoDestination());
    logger.info('quiet');
    logger.warn('loud');
    expect(sink.inputs.map((i) => i.message)).toEqual(['loud']);
  });

  it('never throws into the logger call when the sink throws, and counts the failures', () => {
    const sink = new ThrowingSink();
    const handler = new LogHandler(sink);
    const logger = pino({}, handler.pinoDestination());
    expect(() => {
      logger.info('one');
      logger.error(new Error('two'));
    }).not.toThrow();
    expect(sink.calls).toBe(2);
    expect(handler.failures).toBe(2);
  });
});

describe('LogHandler.winstonTransport', () => {
  it('maps every winston npm level', () => {
    const { sink, handler } = setup();
    const logger = winston.createLogger({ level: 'silly', transports: [handler.winstonTransport()] });
    for (const level of ['error', 'warn', 'info', 'http', 'verbose', 'debug', 'silly'])
      logger.log(level, level);
    expect(sink.inputs.map((i) => [i.message, i.level])).toEqual([
      ['error', LogLevel.ERROR],
      ['warn', LogLevel.WARNING],
      ['info', LogLevel.INFO],
      ['http', LogLevel.INFO],
      ['verbose', LogLevel.DEBUG],
      ['debug', LogLevel.DEBUG],
      ['silly', LogLevel.DEBUG],
    ]);
  });

  it('maps syslog levels and passes unknown custom levels on for the sink to count', () => {
    const { sink, handler } = setup();
    const syslog = winston.createLogger({
      levels: winston.config.syslog.levels,
      level: 'debug',
      transports: [handler.winstonTransport()],
    });
    syslog.emerg('e');
    syslog.crit('c');
    syslog.warning('w');
    syslog.notice('n');
    const cli = winston.createLogger({
      levels: winston.config.cli.levels,
      level: 'silly',
      transports: [handler.winstonTransport()],
    });
    cli.log('prompt', 'p');
    expect(sink.inputs.map((i) => i.level)).toEqual([
      LogLevel.CRITICAL,
      LogLevel.CRITICAL,
      LogLevel.WARNING,
      LogLevel.INFO,
      'prompt',
    ]);
  });

  it('reads the timestamp of format.combine(format.timestamp(), format.json())', () => {
    const { sink, handler } = setup();
    const { format } = winston;
    const logger = winston.createLogger({
      format: format.combine(format.timestamp({ format: () => '2024-05-06T07:08:09.010Z' }), format.json()),
      transports: [handler.winstonTransport()],
    });
    logger.info('stamped', { orderId: 12 });
    expect(sink.last).toMatchObject({
      message: 'stamped',
      level: LogLevel.INFO,
      timestamp: Date.parse('2024-05-06T07:08:09.010Z'),
      extraData: { orderId: 12 },
    });
    expect(sink.last?.extraData).toEqual({ orderId: 12 });
  });

  it('keeps an unreadable timestamp in extraData rather than dropping it', () => {
    const { sink, handler } = setup();
    const { format } = winston;
    const logger = winston.createLogger({
      format: format.timestamp({ format: () => 'yesterday-ish' }),
      transports: [handler.winstonTransport()],
    });
    logger.info('x');
    expect(sink.last?.timestamp).toBeUndefined();
    expect(sink.last?.extraData).toEqual({ timestamp: 'yesterday-ish' });
  });

  it('reads the uncolored level and message under format.colorize()', () => {
    const { sink, handler } = setup();
    const { format } = winston;
    for (const colorize of [format.colorize(), format.colorize({ all: true })]) {
      const logger = winston.createLogger({
        format: format.combine(colorize, format.simple()),
        transports: [handler.winstonTransport()],
      });
      logger.warn('careful');
    }
    expect(sink.inputs.map((i) => [i.level, i.message])).toEqual([
      [LogLevel.WARNING, 'careful'],
      [LogLevel.WARNING, 'careful'],
    ]);
  });

  it('takes the logger name from defaultMeta loggerName or format.label, and child metadata as extraData', () => {
    const { sink, handler } = setup({ loggerName: 'fallback' });
    const named = winston.createLogger({
      defaultMeta: { loggerName: 'api', service: 'checkout' },
      transports: [handler.winstonTransport()],
    });
    named.child({ requestId: 'r1' }).info('from child', { items: 3 });
    expect(sink.last).toMatchObject({ loggerName: 'api', message: 'from child' });
    expect(sink.last?.extraData).toEqual({ service: 'checkout', requestId: 'r1', items: 3 });

    const labelled = winston.createLogger({
      format: winston.format.label({ label: 'worker' }),
      transports: [handler.winstonTransport()],
    });
    labelled.info('labelled');
    expect(sink.last?.loggerName).toBe('worker');

    winston.createLogger({ transports: [handler.winstonTransport()] }).info('plain');
    expect(sink.last?.loggerName).toBe('fallback');
  });

  it('keeps errors logged directly, after a message, through format.errors() and under an error key', () => {
    const { sink, handler } = setup();
    const logger = winston.createLogger({ transports: [handler.winstonTransport()] });
    const withErrors = winston.createLogger({
      format: winston.format.errors({ stack: true }),
      transports: [handler.winstonTransport()],
    });

    logger.error(new ValidationError('direct'));
    expect(sink.last).toMatchObject({
      level: LogLevel.ERROR,
      message: 'direct',
      error: { type: 'ValidationError', message: 'direct', stack: expect.stringContaining('direct') },
      extraData: { code: 'E_VALID' },
    });

    // The name winston leaves in the stack is 'Error'; the class is found in the splat arguments.
    logger.error('while saving', new ValidationError('after a message'));
    expect(sink.last?.message).toBe('while saving after a message');
    expect(sink.last?.error).toMatchObject({ type: 'ValidationError', message: 'after a message' });
    expect(sink.last?.error).toHaveProperty('stack', expect.stringMatching(/^Error: after a message\n/));

    withErrors.error(new RangeError('via format'));
    expect(sink.last?.error).toMatchObject({ type: 'RangeError', message: 'via format' });

    const keyed = new Error('under a key');
    logger.warn('meta error', { error: keyed, attempt: 2 });
    expect(sink.last).toMatchObject({
      level: LogLevel.WARNING,
      message: 'meta error',
      error: { type: 'Error', message: 'under a key', stack: keyed.stack },
    });
    expect(sink.last?.extraData).toEqual({ attempt: 2 });

    logger.log({ level: 'error', message: new Error('as the message') as unknown as string });
    expect(sink.last).toMatchObject({ message: 'as the message', error: { message: 'as the message' } });
  });

  it('calls back for every entry, so winston keeps writing to it', () => {
    const { sink, handler } = setup();
    const logger = winston.createLogger({ transports: [handler.winstonTransport()] });
    for (let i = 0; i < 100; i++) logger.info(`m${i}`);
    expect(sink.inputs).toHaveLength(100);
  });

  it('never throws into the logger call when the sink throws, and counts the failures', () => {
    const sink = new ThrowingSink();
    const handler = new LogHandler(sink);
    const logger = winston.createLogger({ transports: [handler.winstonTransport()] });
    expect(() => {
      for (let i = 0; i < 30; i++) logger.error('boom');
    }).not.toThrow();
    expect(sink.calls).toBe(30);
    expect(handler.failures).toBe(30);
  });

  it('drops entries below minLevel', () => {
    const { sink, handler } = setup({ minLevel: LogLevel.ERROR });
    const logger = winston.createLogger({ transports: [handler.winstonTransport()] });
    logger.warn('no');
    logger.error('yes');
    expect(sink.inputs.map((i) => i.message)).toEqual(['yes']);
  });
});

describe('LogHandler.captureConsole', () => {
  const methods = ['debug', 'log', 'info', 'warn', 'error', 'trace'] as const;
  type Method = (typeof methods)[number];
  const real = {} as Record<Method, Console[Method]>;
  // Stand-ins for the real methods: they record what would have been printed, and their identity
  // shows whether restore() put back exactly what was there.
  let printed: Record<Method, ReturnType<typeof vi.fn>>;

  beforeEach(() => {
    printed = {} as typeof printed;
    for (const method of methods) {
      real[method] = console[method];
      printed[method] = vi.fn();
      console[method] = printed[method] as Console[Method];
    }
  });

  afterEach(() => {
    for (const method of methods) console[method] = real[method];
  });

  it('sends each console method to the sink at its level, formatted like console, and still prints', () => {
    const { sink, handler } = setup();
    const capture = handler.captureConsole();
    console.debug('d');
    console.log('%s has %d items', 'cart', 3, { extra: true });
    console.info('i');
    console.warn('w');
    console.error('e');
    console.trace('t');
    capture.restore();
    expect(sink.inputs.map((i) => [i.level, i.message, i.loggerName])).toEqual([
      [LogLevel.DEBUG, 'd', 'console'],
      [LogLevel.INFO, 'cart has 3 items { extra: true }', 'console'],
      [LogLevel.INFO, 'i', 'console'],
      [LogLevel.WARNING, 'w', 'console'],
      [LogLevel.ERROR, 'e', 'console'],
      [LogLevel.DEBUG, 't', 'console'],
    ]);
    expect(printed.log).toHaveBeenCalledWith('%s has %d items', 'cart', 3, { extra: true });
    for (const method of methods) expect(printed[method]).toHaveBeenCalledTimes(1);
  });

  it('keeps an Error argument as the error and its headline in the message', () => {
    const { sink, handler } = setup();
    const capture = handler.captureConsole({ loggerName: 'stdio' });
    const error = new TypeError('50%d off');
    console.error('checkout failed:', error);
    console.error(error, 'tail');
    capture.restore();
    expect(sink.inputs[0]).toMatchObject({
      level: LogLevel.ERROR,
      message: 'checkout failed: TypeError: 50%d off',
      loggerName: 'stdio',
      error: { type: 'TypeError', message: '50%d off', stack: error.stack },
    });
    expect(sink.inputs[1]?.message).toBe('TypeError: 50%d off tail');
  });

  it('prints nothing with passthrough off', () => {
    const { sink, handler } = setup();
    const capture = handler.captureConsole({ passthrough: false });
    console.log('silent');
    console.error('silent too');
    capture.restore();
    expect(sink.inputs).toHaveLength(2);
    expect(printed.log).not.toHaveBeenCalled();
    expect(printed.error).not.toHaveBeenCalled();
  });

  it('puts the original methods back exactly, idempotently, and by dispose', () => {
    const { sink, handler } = setup();
    const capture = handler.captureConsole();
    expect(console.log).not.toBe(printed.log);
    capture.restore();
    capture.restore();
    for (const method of methods) expect(console[method]).toBe(printed[method]);
    console.log('after restore');
    expect(sink.inputs).toHaveLength(0);
    expect(printed.log).toHaveBeenCalledWith('after restore');

    const again = handler.captureConsole();
    again[Symbol.dispose]();
    for (const method of methods) expect(console[method]).toBe(printed[method]);
  });

  it('does not double-wrap when captured twice, by one handler or by two', () => {
    const { sink, handler } = setup();
    const other = setup();
    const first = handler.captureConsole();
    const second = handler.captureConsole();
    expect(second).toBe(first);
    const wrapped = console.log;
    const third = other.handler.captureConsole();
    expect(console.log).toBe(wrapped);
    console.log('once');
    expect(sink.inputs).toHaveLength(1);
    expect(other.sink.inputs).toHaveLength(1);
    expect(printed.log).toHaveBeenCalledTimes(1);

    first.restore();
    console.log('only other');
    expect(sink.inputs).toHaveLength(1);
    expect(other.sink.inputs).toHaveLength(2);
    third.restore();
    for (const method of methods) expect(console[method]).toBe(printed[method]);
  });

  it('does not loop when the sink itself logs to the console', () => {
    const inputs: LogInput[] = [];
    const handler = new LogHandler({
      addLog(input) {
        inputs.push(input);
        console.warn('sink saw', input.message);
      },
    });
    const capture = handler.captureConsole();
    console.log('outer');
    capture.restore();
    expect(inputs.map((i) => i.message)).toEqual(['outer']);
    expect(printed.warn).toHaveBeenCalledWith('sink saw', 'outer');
    expect(printed.log).toHaveBeenCalledWith('outer');
  });

  it('never throws into the console call when the sink throws', () => {
    const sink = new ThrowingSink();
    const handler = new LogHandler(sink);
    const capture = handler.captureConsole();
    expect(() => console.error('still printed')).not.toThrow();
    capture.restore();
    expect(handler.failures).toBe(1);
    expect(printed.error).toHaveBeenCalledWith('still printed');
  });

  it('leaves a wrapper installed over its own in place on restore, and stops capturing through it', () => {
    const { sink, handler } = setup();
    const capture = handler.captureConsole();
    const ours = console.log;
    const theirs = (...args: unknown[]): void => ours(...args);
    console.log = theirs;
    capture.restore();
    expect(console.log).toBe(theirs);
    console.log('through both');
    expect(sink.inputs).toHaveLength(0);
    expect(printed.log).toHaveBeenCalledWith('through both');

    const recaptured = handler.captureConsole();
    console.log('once only');
    recaptured.restore();
    expect(sink.inputs.map((i) => i.message)).toEqual(['once only']);
  });
});

describe('LogHandler.handle', () => {
  it('applies the handler defaults and maps any level a logger uses', () => {
    const { sink, handler } = setup({ loggerName: 'generic', source: LogSource.SECURITY });
    handler.handle({ level: 'warn', message: 'w', extraData: { k: 1 } });
    handler.handle({ level: 'CRITICAL', message: 'c', loggerName: 'own', source: 'custom' });
    handler.handle({ message: 'no level' });
    handler.handle({ level: 'loud', message: 'unknown level' });
    expect(sink.inputs).toEqual([
      {
        level: LogLevel.WARNING,
        message: 'w',
        loggerName: 'generic',
        source: 'security',
        extraData: { k: 1 },
      },
      { level: LogLevel.CRITICAL, message: 'c', loggerName: 'own', source: 'custom' },
      { level: LogLevel.INFO, message: 'no level', loggerName: 'generic', source: 'security' },
      // Passed on as-is, so the sink counts the unknown level instead of the bridge hiding it.
      { level: 'loud', message: 'unknown level', loggerName: 'generic', source: 'security' },
    ]);
  });

  it('drops records below minLevel and swallows a throwing sink', () => {
    const { sink, handler } = setup({ minLevel: LogLevel.WARNING });
    handler.handle({ level: LogLevel.INFO, message: 'dropped' });
    handler.handle({ level: LogLevel.ERROR, message: 'kept' });
    expect(sink.inputs.map((i) => i.message)).toEqual(['kept']);

    const throwing = new LogHandler(new ThrowingSink());
    expect(() => throwing.handle({ message: 'x' })).not.toThrow();
    expect(throwing.failures).toBe(1);
  });

  it('refuses a sink without addLog and a minLevel that is not a LogLevel, at construction', () => {
    expect(() => new LogHandler({} as LogSink)).toThrow(TypeError);
    expect(() => new LogHandler(new CollectingSink(), { minLevel: 30 as LogLevel })).toThrow(RangeError);
  });
});
