// Every accepted line is kept: the store is written inside the call that logs, so a synchronous
// burst loses nothing the store has room for, a search right after the call sees the line, and
// only the store's own bounds (capacity, age) and sampling remove lines — each counted. Export
// queues are the exporters' own: when one fills or throws, the store still has every line.
import { BatchLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import winston from 'winston';
import { LogAggregator, LogHandler, LogLevel } from '../../src/index.js';

const BURST = 200_000;
/** Every 50th line of a burst is an ERROR: 4,000 of 200,000. */
const isError = (i: number) => i % 50 === 0;

function errorsFound(logs: LogAggregator): number {
  let found = 0;
  let cursor: string | undefined;
  do {
    const page = logs.searchLogs(
      { minLevel: LogLevel.ERROR },
      { limit: 1000, ...(cursor ? { cursor } : {}) },
    );
    found += page.entries.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return found;
}

describe('a synchronous burst', () => {
  it('of 200,000 lines with every 50th an ERROR stores all 200,000 and finds exactly 4,000 ERRORs', () => {
    const logs = new LogAggregator();
    for (let i = 0; i < BURST; i++) {
      logs.addLog({
        level: isError(i) ? LogLevel.ERROR : LogLevel.INFO,
        message: `record ${i} processed`,
        loggerName: 'batch',
        extraData: { record: i },
      });
    }
    // No tick has passed: what the store holds now is what the calls stored.
    expect(logs.stats()).toMatchObject({ received: BURST, stored: BURST, entries: BURST, dropped: {} });
    expect(errorsFound(logs)).toBe(BURST / 50);
    const [newest] = logs.searchLogs(undefined, { limit: 1 }).entries;
    expect(newest).toMatchObject({
      message: `record ${BURST - 1} processed`,
      extraData: { record: BURST - 1 },
    });
  });

  it('is searchable line by line: a search right after addLog returns sees the line', () => {
    const logs = new LogAggregator();
    for (let i = 0; i < 2000; i++) {
      logs.addLog({ message: `line ${i}`, extraData: { i } });
      const [newest] = logs.searchLogs(undefined, { limit: 1 }).entries;
      expect(newest?.message).toBe(`line ${i}`);
      expect(logs.getLog(newest?.id ?? -1)?.extraData).toEqual({ i });
    }
  });

  it('larger than the store keeps the newest maxEntries lines and counts the rest as evicted, not dropped', () => {
    const logs = new LogAggregator({ maxEntries: 1_000_000 });
    const total = 2_000_000;
    for (let i = 0; i < total; i++) logs.addLog({ level: isError(i) ? 'error' : 'info', message: `m${i}` });
    expect(logs.stats()).toMatchObject({
      received: total,
      stored: total,
      entries: 1_000_000,
      dropped: {},
      evicted: { capacity: 1_000_000, age: 0 },
    });
    const page = logs.searchLogs(undefined, { limit: 2 });
    expect(page.entries.map((e) => e.message)).toEqual([`m${total - 1}`, `m${total - 2}`]);
    const oldest = logs.searchLogs({ messageContains: 'm1000000' }, { limit: 2 }).entries.at(-1);
    expect(oldest?.message).toBe('m1000000');
    expect(logs.searchLogs({ messageContains: 'm999999' }).entries).toHaveLength(0);
    expect(errorsFound(logs)).toBe(1_000_000 / 50);
  });

  it('under sampling keeps every ERROR and counts exactly what it sampled out', () => {
    const logs = new LogAggregator({ sampling: { ratio: 0 } });
    for (let i = 0; i < BURST; i++) logs.addLog({ level: isError(i) ? 'error' : 'debug', message: `s${i}` });
    expect(logs.stats()).toMatchObject({
      received: BURST,
      stored: BURST / 50,
      dropped: { sampled: BURST - BURST / 50 },
    });
    expect(errorsFound(logs)).toBe(BURST / 50);
  });

  it('through the OpenTelemetry logs API stores every record as it is emitted', () => {
    const logs = new LogAggregator();
    const logger = logs.loggerProvider.getLogger('otel');
    for (let i = 0; i < BURST; i++) {
      logger.emit({ severityNumber: isError(i) ? 17 : 9, body: `otel ${i}`, attributes: { i } });
    }
    expect(logs.stats()).toMatchObject({ received: BURST, stored: BURST });
    expect(errorsFound(logs)).toBe(BURST / 50);
    expect(logs.searchLogs(undefined, { limit: 1 }).entries[0]).toMatchObject({
      loggerName: 'otel',
      message: `otel ${BURST - 1}`,
      extraData: { i: BURST - 1 },
    });
  });
});

describe('a burst through the logger bridges', () => {
  it('from pino stores every line and every ERROR', () => {
    const logs = new LogAggregator();
    const logger = pino({ name: 'api' }, new LogHandler(logs).pinoDestination());
    for (let i = 0; i < BURST; i++) {
      if (isError(i)) logger.error({ record: i }, 'record failed');
      else logger.info({ record: i }, 'record processed');
    }
    expect(logs.stats()).toMatchObject({ received: BURST, stored: BURST });
    expect(errorsFound(logs)).toBe(BURST / 50);
    expect(logs.searchLogs(undefined, { limit: 1 }).entries[0]).toMatchObject({
      loggerName: 'api',
      extraData: { record: BURST - 1 },
    });
  });

  it('from winston stores every line and every ERROR', () => {
    const logs = new LogAggregator();
    const logger = winston.createLogger({
      level: 'info',
      transports: [new LogHandler(logs, { loggerName: 'worker' }).winstonTransport()],
    });
    for (let i = 0; i < BURST; i++) {
      if (isError(i)) logger.error('record failed', { record: i });
      else logger.info('record processed', { record: i });
    }
    expect(logs.stats()).toMatchObject({ received: BURST, stored: BURST });
    expect(errorsFound(logs)).toBe(BURST / 50);
    expect(logs.searchLogs(undefined, { limit: 1 }).entries[0]).toMatchObject({
      loggerName: 'worker',
      extraData: { record: BURST - 1 },
    });
    logger.close();
  });

  it('from console stores every line and every ERROR', () => {
    const logs = new LogAggregator();
    const capture = new LogHandler(logs).captureConsole({ passthrough: false });
    try {
      for (let i = 0; i < BURST; i++) {
        if (isError(i)) console.error('record %d failed', i);
        else console.log('record %d processed', i);
      }
    } finally {
      capture.restore();
    }
    expect(logs.stats()).toMatchObject({ received: BURST, stored: BURST });
    expect(errorsFound(logs)).toBe(BURST / 50);
    expect(logs.searchLogs(undefined, { limit: 1 }).entries[0]?.message).toBe(
      `record ${BURST - 1} processed`,
    );
  });
});

describe('export queues are the exporters’ own', () => {
  /** An exporter whose requests never finish, like a hung receiver. */
  const hung: LogRecordExporter = {
    export: () => {},
    forceFlush: async () => {},
    shutdown: async () => {},
  };

  it('a full batch queue drops from that export only; the store keeps every line', async () => {
    const batch = new BatchLogRecordProcessor({
      exporter: hung,
      maxQueueSize: 100,
      scheduledDelayMillis: 60_000,
    });
    const logs = new LogAggregator({ exportProcessors: [batch] });
    for (let i = 0; i < 5000; i++) logs.addLog({ level: isError(i) ? 'error' : 'info', message: `e${i}` });
    expect(logs.stats()).toMatchObject({ received: 5000, stored: 5000, entries: 5000, dropped: {} });
    expect(errorsFound(logs)).toBe(100);
    const buffered = (batch as unknown as { _finishedLogRecords: unknown[] })._finishedLogRecords;
    expect(buffered).toHaveLength(100);
  });

  it('an export processor that throws costs that export the line, counted; the store and the next exporter have it', () => {
    const seen: string[] = [];
    const logs = new LogAggregator({
      exportProcessors: [
        {
          onEmit: () => {
            throw new Error('exporter bug');
          },
          forceFlush: async () => {},
          shutdown: async () => {},
        },
        {
          onEmit: (record) => void seen.push(String(record.body)),
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    for (let i = 0; i < 10; i++) logs.addLog({ message: `x${i}`, extraData: { password: 'hunter2', i } });
    expect(logs.stats()).toMatchObject({ received: 10, stored: 10, exportErrors: 10, dropped: {} });
    expect(seen).toHaveLength(10);
  });

  it('hands exporters the cleaned line with its attributes, and the store the same line', () => {
    const attributes: unknown[] = [];
    const logs = new LogAggregator({
      exportProcessors: [
        {
          onEmit: (record) => void attributes.push(record.attributes),
          forceFlush: async () => {},
          shutdown: async () => {},
        },
      ],
    });
    logs.addLog({
      level: 'error',
      message: 'card 4111 1111 1111 1111 declined',
      source: 'audit',
      extraData: { password: 'hunter2', order: 'o-1' },
      error: new TypeError('declined'),
      traceId: '0af7651916cd43dd8448eb211c80319c',
    });
    expect(attributes).toEqual([
      expect.objectContaining({
        password: '[REDACTED]',
        order: 'o-1',
        'log.source': 'audit',
        trace_id: '0af7651916cd43dd8448eb211c80319c',
        'exception.type': 'TypeError',
        'exception.message': 'declined',
      }),
    ]);
    expect(logs.searchLogs().entries[0]).toMatchObject({
      message: 'card [REDACTED] declined',
      extraData: { password: '[REDACTED]', order: 'o-1' },
      error: { type: 'TypeError', message: 'declined' },
    });
  });
});

describe('a disabled aggregator', () => {
  it('stores and counts nothing, from addLog, the bridges or the OpenTelemetry logs API', () => {
    const logs = new LogAggregator({ enabled: false });
    logs.addLog({ message: 'ignored' });
    pino({}, new LogHandler(logs).pinoDestination()).info('ignored too');
    logs.loggerProvider.getLogger('otel').emit({ body: 'and this', severityNumber: 17 });
    expect(logs.stats()).toMatchObject({ enabled: false, received: 0, stored: 0, entries: 0 });
  });
});

describe('what addLog keeps', () => {
  it('is a copy of extraData: the caller reusing its object changes no stored line', () => {
    const logs = new LogAggregator();
    const extra: Record<string, unknown> = { step: 1 };
    logs.addLog({ message: 'first', extraData: extra });
    extra.step = 2;
    logs.addLog({ message: 'second', extraData: extra });
    expect(logs.searchLogs().entries.map((e) => e.extraData.step)).toEqual([2, 1]);
  });
});
