// The Elasticsearch exporter's encoding: 100,000 aggregator records to ECS documents and their
// `_bulk` NDJSON bodies (batches of 5,000), against a naive peer in the same process that builds
// the equivalent nested document per record and JSON.stringify-s it with its action line.
// Run: node --conditions=@datalineage/source --import tsx bench/elasticsearch.bench.ts
import { pathToFileURL } from 'node:url';
import { LogAggregator, LogLevel, LogSource } from '@datalineage/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { EcsEncoder, encodeBulk } from '../packages/exporters/src/elasticsearch/bulk.js';
import { type CaseResult, formatRate, throughput } from './harness.js';

const RECORDS = 100_000;
const BATCH = 5000;
const ROUTES = ['/api/lineage', '/api/datasets', '/api/jobs', '/health', '/api/users'];

export interface BulkEncodingResult {
  readonly result: CaseResult;
  /** Output bytes per record (action line and document), per implementation. */
  readonly bytesPerRecord: Record<string, number>;
  /** MB/s of NDJSON produced, per implementation. */
  readonly megabytesPerSecond: Record<string, number>;
}

/** Records as the exporter's processor sees them: a real aggregator's, sampled into an array. */
function records(count: number): ReadableLogRecord[] {
  const aggregator = new LogAggregator({
    maxEntries: 1000,
    resource: resourceFromAttributes({ 'service.name': 'lineage-api' }),
  });
  const captured: ReadableLogRecord[] = [];
  aggregator.addExportProcessor({
    onEmit: (record) => captured.push(record),
    forceFlush: async () => {},
    shutdown: async () => {},
  });
  const error = new Error('connection reset by peer');
  for (let i = 0; i < count; i++) {
    const failed = i % 50 === 0;
    aggregator.addLog({
      level: failed ? LogLevel.ERROR : i % 10 === 0 ? LogLevel.WARNING : LogLevel.INFO,
      message: `request ${i} completed in ${i % 250} ms`,
      loggerName: `http.${i % 8}`,
      source: i % 20 === 0 ? LogSource.PERFORMANCE : LogSource.APPLICATION,
      extraData: { route: ROUTES[i % 5] as string, status: failed ? 500 : 200, duration: (i % 250) / 1000 },
      ...(failed ? { error } : {}),
      ...(i % 3 === 0
        ? {
            traceId: (i * 7919).toString(16).padStart(32, '0'),
            spanId: (i * 104729).toString(16).padStart(16, '0'),
          }
        : {}),
    });
  }
  aggregator.clear();
  return captured;
}

const LEVELS: Record<number, string> = { 5: 'debug', 9: 'info', 13: 'warning', 17: 'error', 21: 'critical' };
const RESERVED = new Set([
  'log.source',
  'logger.name',
  'trace_id',
  'exception.type',
  'exception.message',
  'exception.stacktrace',
]);

/** The peer: a nested ECS object per record, JSON.stringify-ed with its action line. */
function naiveLine(record: ReadableLogRecord, sequence: number): string {
  const attributes = record.attributes as Record<string, unknown>;
  const [seconds, nanos] = record.hrTime;
  const timestamp = new Date(seconds * 1000 + Math.floor(nanos / 1e6)).toISOString();
  const extra: Record<string, unknown> = {};
  let hasExtra = false;
  for (const key of Object.keys(attributes)) {
    if (!RESERVED.has(key)) {
      extra[key] = attributes[key];
      hasExtra = true;
    }
  }
  const document: Record<string, unknown> = {
    '@timestamp': timestamp,
    log: { level: LEVELS[record.severityNumber ?? 9] ?? 'info', logger: record.instrumentationScope.name },
    message: record.body,
    ecs: { version: '8.11.0' },
    service: { name: record.resource.attributes['service.name'] },
    labels: { source: attributes['log.source'] ?? 'application' },
  };
  if (record.spanContext !== undefined) {
    document.trace = { id: record.spanContext.traceId };
    document.span = { id: record.spanContext.spanId };
  }
  if (attributes['exception.type'] !== undefined) {
    document.error = {
      type: attributes['exception.type'],
      message: attributes['exception.message'],
      stack_trace: attributes['exception.stacktrace'],
    };
  }
  if (hasExtra) document.datalineage = { extra };
  const action = {
    create: {
      _index: `datalineagepy-${timestamp.slice(0, 10).replaceAll('-', '.')}`,
      _id: `naive-${sequence}`,
    },
  };
  return `${JSON.stringify(action)}\n${JSON.stringify(document)}\n`;
}

/** Encoding throughput of ours and the naive peer over the same records. */
export async function benchBulkEncoding(count = RECORDS): Promise<BulkEncodingResult> {
  const input = records(count);
  let sink = 0; // keeps the output observable, so nothing is optimised away
  const ours = (ops: number) => {
    const encoder = new EcsEncoder({ target: { kind: 'daily', prefix: 'datalineagepy' } });
    let bytes = 0;
    for (let start = 0; start < ops; start += BATCH) {
      const end = Math.min(ops, start + BATCH);
      const items = new Array(end - start);
      for (let i = start; i < end; i++)
        items[i - start] = encoder.encode(input[i % count] as ReadableLogRecord);
      bytes += encodeBulk(items).length;
    }
    sink += bytes;
    return bytes;
  };
  const naive = (ops: number) => {
    let bytes = 0;
    for (let start = 0; start < ops; start += BATCH) {
      const end = Math.min(ops, start + BATCH);
      let body = '';
      for (let i = start; i < end; i++) body += naiveLine(input[i % count] as ReadableLogRecord, i);
      bytes += body.length;
    }
    sink += bytes;
    return bytes;
  };
  const sizing = new EcsEncoder({ target: { kind: 'daily', prefix: 'datalineagepy' } });
  const bytesPerRecord = {
    datalineage: Buffer.byteLength(encodeBulk(input.map((r) => sizing.encode(r)))) / count,
    naive: Buffer.byteLength(input.map((r, i) => naiveLine(r, i)).join('')) / count,
  };
  const result = await throughput(
    `ECS + NDJSON encoding, ${count.toLocaleString('en')} records`,
    [
      { name: 'datalineage', run: (ops) => void ours(ops) },
      { name: 'naive', run: (ops) => void naive(ops) },
    ],
    { ops: count, rounds: 7, warmup: 20_000 },
  );
  if (sink === 0) throw new Error('nothing was encoded');
  const megabytesPerSecond = Object.fromEntries(
    Object.entries(result.medians).map(([name, rate]) => [
      name,
      (rate * (bytesPerRecord[name as 'naive'] ?? 0)) / 1e6,
    ]),
  );
  return { result, bytesPerRecord, megabytesPerSecond };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  console.log(`node ${process.version}`);
  const { result, bytesPerRecord, megabytesPerSecond } = await benchBulkEncoding();
  const ours = result.medians.datalineage as number;
  for (const [name, rate] of Object.entries(result.medians)) {
    console.log(
      `${result.name.padEnd(44)} ${name.padEnd(12)} ${formatRate(rate)} records/s  ${(megabytesPerSecond[name] ?? 0).toFixed(1)} MB/s  ${(bytesPerRecord[name as 'naive'] ?? 0).toFixed(0)} B/record${name === 'datalineage' ? '' : `  (ours ${(ours / rate).toFixed(2)}×)`}`,
    );
  }
}
