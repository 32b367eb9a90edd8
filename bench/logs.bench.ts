// The log benchmark: addLog (pipeline, redaction, store) against pino writing to a no-op stream
// and the raw OpenTelemetry logger with a batch processor; one synchronous burst of 1,000,000
// lines; searchLogs over 1,000,000 entries; bytes per stored entry.
import { LogAggregator, LogLevel } from '@datalineage/core';
import { BatchLogRecordProcessor, LoggerProvider, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import pino from 'pino';
import { type CaseResult, throughput } from './harness.js';

const ROUTES = ['/api/lineage', '/api/datasets', '/api/jobs', '/health', '/api/users'];
const yieldNow = () => new Promise((resolve) => setImmediate(resolve));

/** An OTLP-less exporter: accepts every batch at once. */
const noopExporter: LogRecordExporter = {
  export: (_records, done) => done({ code: 0 }),
  forceFlush: async () => {},
  shutdown: async () => {},
};

/** The benchmark's log line number i: a message and three attributes, as an HTTP access log. */
export function benchLine(i: number) {
  return {
    message: `request ${i} completed in ${i % 250} ms`,
    extra: { route: ROUTES[i % 5] as string, status: i % 20 === 0 ? 500 : 200, duration: (i % 250) / 1000 },
  };
}

/** Line number i into the aggregator, as every ingestion figure logs it; every 20th an ERROR by default. */
export function addBenchLine(aggregator: LogAggregator, i: number, errorEvery = 20): void {
  const { message, extra } = benchLine(i);
  aggregator.addLog({
    level: i % errorEvery === 0 ? LogLevel.ERROR : LogLevel.INFO,
    message,
    loggerName: 'http',
    extraData: extra,
  });
}

/**
 * The raw OpenTelemetry peer: a LoggerProvider with a batch processor whose exporter accepts every
 * batch at once. `emitLine(i)` logs line number i as the aggregator's figures do.
 */
export function otelPeer(): { emitLine: (i: number) => void; provider: LoggerProvider } {
  const provider = new LoggerProvider({
    processors: [
      new BatchLogRecordProcessor({
        exporter: noopExporter,
        maxQueueSize: 10_000,
        scheduledDelayMillis: 100,
      }),
    ],
  });
  const logger = provider.getLogger('bench');
  const emitLine = (i: number) => {
    const { message, extra } = benchLine(i);
    logger.emit({ body: message, severityNumber: i % 20 === 0 ? 17 : 9, attributes: extra });
  };
  return { emitLine, provider };
}

export async function ingestionCase(scale: number): Promise<{ result: CaseResult; dropped: number }> {
  // BENCH_LOGS_REDACTION=off shows what the redaction pass costs, which neither peer does. A
  // second aggregator in the same run would not: its million retained lines slow every peer.
  const redaction = process.env.BENCH_LOGS_REDACTION !== 'off';
  const aggregator = new LogAggregator({ maxEntries: 1_000_000, redaction: { enabled: redaction } });
  const logger = pino({ level: 'info', base: null }, { write() {} });
  const otel = otelPeer();
  // Yield every 5,000 lines, as a server does between requests.
  const batched = (record: (i: number) => void) => async (n: number) => {
    for (let i = 0; i < n; i++) {
      record(i);
      if (i % 5000 === 4999) await yieldNow();
    }
    await yieldNow();
  };
  const result = await throughput(
    `addLog ingestion (store${redaction ? ' + redaction' : ', redaction off'})`,
    [
      {
        name: 'datalineage',
        run: batched((i) => addBenchLine(aggregator, i)),
      },
      {
        name: 'pino',
        run: batched((i) => {
          const { message, extra } = benchLine(i);
          if (i % 20 === 0) logger.error(extra, message);
          else logger.info(extra, message);
        }),
      },
      {
        name: 'otel',
        run: batched(otel.emitLine),
      },
    ],
    { ops: Math.round(200_000 * scale), rounds: 9, warmup: 50_000 },
  );
  const dropped = Object.values(aggregator.stats().dropped).reduce((a, b) => a + b, 0);
  await otel.provider.shutdown();
  return { result, dropped };
}

export interface BurstFigures {
  lines: number;
  kept: number;
  errorsFound: number;
  linesPerSecond: number;
  /** Largest heap seen during the burst (sampled every 10,000 lines), in MB. */
  peakHeapMb: number;
  /** Heap after a full GC once the burst is stored, in MB. */
  retainedHeapMb: number;
}

/**
 * One synchronous loop of `lines` addLog calls into a default aggregator (redaction on, store of
 * 1,000,000), every 50th line an ERROR: what is kept, how fast, how much heap.
 */
export function burstCase(lines: number): BurstFigures {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const aggregator = new LogAggregator();
  let peak = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  for (let i = 0; i < lines; i++) {
    addBenchLine(aggregator, i, 50);
    if (i % 10_000 === 9999) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  let errorsFound = 0;
  let cursor: string | undefined;
  do {
    const page = aggregator.searchLogs(
      { minLevel: LogLevel.ERROR },
      { limit: 10_000, timeBudgetMs: 60_000, ...(cursor ? { cursor } : {}) },
    );
    errorsFound += page.entries.length;
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  gc?.();
  const kept = aggregator.stats().entries;
  const retained = process.memoryUsage().heapUsed;
  return {
    lines,
    kept,
    errorsFound,
    linesPerSecond: lines / seconds,
    peakHeapMb: peak / 2 ** 20,
    retainedHeapMb: retained / 2 ** 20,
  };
}

export interface SearchFigures {
  name: string;
  p50: number;
  p90: number;
  matches: number;
}

/** p50/p90 of searches over `entries` stored lines, a mix of levels, loggers and attributes. */
export async function searchCases(
  entries: number,
): Promise<{ figures: SearchFigures[]; bytesPerEntry: number }> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const heap = () => {
    gc?.();
    gc?.();
    const { heapUsed, arrayBuffers } = process.memoryUsage();
    return heapUsed + arrayBuffers;
  };
  // Messages exist before the store does, so the heap delta is what storing costs beyond the text.
  const messages = Array.from(
    { length: entries },
    (_, i) => `request ${i} completed in ${i % 250} ms on worker ${i % 7}`,
  );
  const base = Date.UTC(2026, 10, 1);
  let now = base;
  const aggregator = new LogAggregator({
    maxEntries: entries,
    now: () => now,
    redaction: { enabled: false },
  });
  const before = heap();
  for (let i = 0; i < entries; i++) {
    now = base + i * 10;
    aggregator.addLog({
      level: i % 50 === 0 ? LogLevel.ERROR : i % 10 === 0 ? LogLevel.WARNING : LogLevel.INFO,
      message: messages[i] as string,
      loggerName: `svc.${i % 20}`,
      extraData: { route: ROUTES[i % 5] as string, status: i % 50 === 0 ? 500 : 200, user: `u${i % 1000}` },
    });
    if (i % 10_000 === 9999) await yieldNow();
  }
  aggregator.searchLogs(undefined, { limit: 1 }); // drain the queue
  const bytesPerEntry = (heap() - before) / entries;
  const end = base + entries * 10;
  const cases: Array<
    [string, ConstructorParameters<typeof import('@datalineage/core').LogFilter>[0], number]
  > = [
    ['level = ERROR, first page', { minLevel: LogLevel.ERROR }, 100],
    [
      'level ≥ WARNING + substring, first page',
      { minLevel: LogLevel.WARNING, messageContains: 'WORKER 3' },
      100,
    ],
    ['attribute equality, first page', { attributes: { user: 'u42' } }, 100],
    ['time range (last 10%), first page', { timeRange: [end - entries, end] }, 100],
    ['level = CRITICAL (no match: full scan)', { minLevel: LogLevel.CRITICAL }, 100],
    ['substring, no match (full scan)', { messageContains: 'no such text' }, 100],
    ['attribute equality, all 1000 matches', { attributes: { user: 'u42' } }, 10_000],
  ];
  const figures: SearchFigures[] = [];
  for (const [name, filter, limit] of cases) {
    const times: number[] = [];
    let matches = 0;
    for (let run = 0; run < 15; run++) {
      const result = aggregator.searchLogs(filter, { limit, timeBudgetMs: 60_000 });
      times.push(result.tookMs);
      matches = result.entries.length;
    }
    times.sort((a, b) => a - b);
    figures.push({ name, p50: times[7] as number, p90: times[13] as number, matches });
  }
  return { figures, bytesPerEntry };
}
