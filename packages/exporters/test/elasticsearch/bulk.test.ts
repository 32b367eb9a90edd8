// ECS documents from real aggregator records, the _bulk NDJSON body, and _bulk answers read
// item by item.
import { LogAggregator, type LogAggregatorOptions, LogLevel, LogSource } from '@datalineage/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { describe, expect, it } from 'vitest';
import { EcsEncoder, type EcsTarget, encodeBulk, parseBulkResponse } from '../../src/elasticsearch/bulk.js';
import { ExportError } from '../../src/export/types.js';

const DAILY: EcsTarget = { kind: 'daily', prefix: 'datalineagepy' };
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';

/** A real aggregator and the records its export processors see. */
function capture(options: LogAggregatorOptions = {}) {
  const aggregator = new LogAggregator(options);
  const records: ReadableLogRecord[] = [];
  aggregator.addExportProcessor({
    onEmit: (record) => records.push(record),
    forceFlush: async () => {},
    shutdown: async () => {},
  });
  return { aggregator, records };
}

function parse(source: string): Record<string, unknown> {
  return JSON.parse(source) as Record<string, unknown>;
}

describe('ECS documents', () => {
  it('carry every field of a log entry, agreeing with what the store keeps', () => {
    const { aggregator, records } = capture({
      resource: resourceFromAttributes({ 'service.name': 'lineage-api' }),
      retentionDays: 36_500, // the entry is from 2024
    });
    const error = new TypeError('column "id" is missing');
    aggregator.addLog({
      level: LogLevel.ERROR,
      message: 'Operation failed',
      loggerName: 'datalineage.tracker',
      source: LogSource.SECURITY,
      extraData: { user: 'u1', attempts: 3, ok: false },
      timestamp: Date.UTC(2024, 4, 17, 8, 30, 15, 42),
      error,
      traceId: TRACE_ID,
      spanId: SPAN_ID,
    });
    const item = new EcsEncoder({ target: DAILY, idPrefix: 'p-' }).encode(records[0] as ReadableLogRecord);
    expect(item.id).toBe('p-1');
    expect(item.index).toBe('datalineagepy-2024.05.17');
    const document = parse(item.source);
    expect(document).toEqual({
      '@timestamp': '2024-05-17T08:30:15.042Z',
      'log.level': 'error',
      message: 'Operation failed',
      'ecs.version': '8.11.0',
      'log.logger': 'datalineage.tracker',
      'service.name': 'lineage-api',
      labels: { source: 'security' },
      'trace.id': TRACE_ID,
      'span.id': SPAN_ID,
      'error.type': 'TypeError',
      'error.message': 'column "id" is missing',
      'error.stack_trace': error.stack,
      'datalineage.extra': { user: 'u1', attempts: 3, ok: false },
    });
    // ecs-logging puts these three first, for people reading the JSON.
    expect(Object.keys(document).slice(0, 3)).toEqual(['@timestamp', 'log.level', 'message']);
    expect(Object.keys(document).some((key) => key.startsWith('_'))).toBe(false);

    const [entry] = aggregator.searchLogs().entries;
    expect(entry).toBeDefined();
    expect(document['log.logger']).toBe(entry?.loggerName);
    expect(document.labels).toEqual({ source: entry?.source });
    expect(document['datalineage.extra']).toEqual(entry?.extraData);
    expect(document['error.stack_trace']).toBe(entry?.error?.stack);
    expect(document['trace.id']).toBe(entry?.traceId);
    expect(document['span.id']).toBe(entry?.spanId);
    expect(Date.parse(document['@timestamp'] as string)).toBe(entry?.timestamp);
  });

  it('take service.name from the configuration before the resource', () => {
    const { aggregator, records } = capture({
      resource: resourceFromAttributes({ 'service.name': 'from-resource' }),
    });
    aggregator.addLog({ message: 'hello' });
    const encoder = new EcsEncoder({ target: DAILY, serviceName: 'from-config' });
    expect(parse(encoder.encode(records[0] as ReadableLogRecord).source)['service.name']).toBe('from-config');
    expect(
      parse(new EcsEncoder({ target: DAILY }).encode(records[0] as ReadableLogRecord).source)['service.name'],
    ).toBe('from-resource');
  });

  it('leave out trace, span, error and extra data that a record does not have', () => {
    const { aggregator, records } = capture();
    aggregator.addLog({ message: 'plain' });
    const document = parse(new EcsEncoder({ target: DAILY }).encode(records[0] as ReadableLogRecord).source);
    for (const key of ['trace.id', 'span.id', 'error.type', 'error.message', 'error.stack_trace']) {
      expect(document).not.toHaveProperty([key]);
    }
    expect(document).not.toHaveProperty(['datalineage.extra']);
    expect(document['log.logger']).toBe('default');
    expect(document.labels).toEqual({ source: 'application' });
    expect(document['log.level']).toBe('info');
  });

  it('name levels in lowercase: debug, info, warning, error, critical', () => {
    const { aggregator, records } = capture();
    for (const level of [LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR, LogLevel.CRITICAL])
      aggregator.addLog({ level, message: 'm' });
    // Records from other emitters carry OpenTelemetry severities: FATAL4 (24) is critical, WARN2 warning.
    const otel = aggregator.loggerProvider.getLogger('otel');
    otel.emit({ severityNumber: 24, body: 'm' });
    otel.emit({ severityNumber: 14, body: 'm' });
    otel.emit({ severityText: 'warn', body: 'm' });
    const encoder = new EcsEncoder({ target: DAILY });
    expect(records.map((record) => parse(encoder.encode(record).source)['log.level'])).toEqual([
      'debug',
      'info',
      'warning',
      'error',
      'critical',
      'critical',
      'warning',
      'warning',
    ]);
  });

  it('stamp @timestamp in UTC with milliseconds and go to the index of their UTC day', () => {
    const timezone = process.env.TZ;
    process.env.TZ = 'America/Los_Angeles'; // local dates would differ from UTC ones here
    try {
      const { aggregator, records } = capture();
      aggregator.addLog({ message: 'last', timestamp: Date.UTC(2024, 1, 29, 23, 59, 59, 999) });
      aggregator.addLog({ message: 'first', timestamp: Date.UTC(2024, 2, 1, 0, 0, 0, 0) });
      aggregator.addLog({ message: 'new year', timestamp: new Date('2025-01-01T07:59:59.001Z') });
      const encoder = new EcsEncoder({ target: DAILY });
      const items = records.map((record) => encoder.encode(record));
      expect(items.map((item) => parse(item.source)['@timestamp'])).toEqual([
        '2024-02-29T23:59:59.999Z',
        '2024-03-01T00:00:00.000Z',
        '2025-01-01T07:59:59.001Z',
      ]);
      expect(items.map((item) => item.index)).toEqual([
        'datalineagepy-2024.02.29',
        'datalineagepy-2024.03.01',
        'datalineagepy-2025.01.01',
      ]);
    } finally {
      if (timezone === undefined) delete process.env.TZ;
      else process.env.TZ = timezone;
    }
  });

  it('all go to the data stream in datastream mode', () => {
    const { aggregator, records } = capture();
    aggregator.addLog({ message: 'a', timestamp: Date.UTC(2024, 0, 1) });
    aggregator.addLog({ message: 'b', timestamp: Date.UTC(2024, 5, 1) });
    const encoder = new EcsEncoder({ target: { kind: 'datastream', name: 'logs-lineage-prod' } });
    expect(records.map((record) => encoder.encode(record).index)).toEqual([
      'logs-lineage-prod',
      'logs-lineage-prod',
    ]);
  });

  it('have an _id of their own, and encoders of two processes never share one', () => {
    const { aggregator, records } = capture();
    for (let i = 0; i < 1000; i++) aggregator.addLog({ message: `m${i}` });
    const first = new EcsEncoder({ target: DAILY });
    const ids = records.map((record) => first.encode(record).id);
    expect(new Set(ids).size).toBe(1000);
    const second = new EcsEncoder({ target: DAILY });
    const other = second.encode(records[0] as ReadableLogRecord).id;
    expect(ids).not.toContain(other);
    expect(other).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it('carry a body that is not a string as its JSON text', () => {
    const { aggregator, records } = capture();
    aggregator.loggerProvider
      .getLogger('otel')
      .emit({ severityNumber: 13, body: { order: 7, items: ['a', 'b'] }, attributes: { region: 'eu' } });
    const document = parse(new EcsEncoder({ target: DAILY }).encode(records[0] as ReadableLogRecord).source);
    expect(document.message).toBe('{"order":7,"items":["a","b"]}');
    expect(document['log.logger']).toBe('otel');
    expect(document['datalineage.extra']).toEqual({ region: 'eu' });
  });

  it('survive extra data JSON cannot hold (BigInt, cycles)', () => {
    const cycle: Record<string, unknown> = { name: 'loop' };
    cycle.self = cycle;
    // The aggregator makes extraData plain before OpenTelemetry sees it; another emitter, or a
    // processor before ours, may not.
    const record = {
      hrTime: [1_720_000_000, 0],
      severityNumber: 9,
      body: 'odd',
      attributes: { big: 12345678901234567890n, cycle, shared: [cycle, cycle] },
      resource: resourceFromAttributes({}),
      instrumentationScope: { name: 'raw' },
    } as unknown as ReadableLogRecord;
    const document = parse(new EcsEncoder({ target: DAILY }).encode(record).source);
    expect(document.message).toBe('odd');
    expect(document['datalineage.extra']).toEqual({
      big: '12345678901234567890',
      cycle: { name: 'loop', self: '[Circular]' },
      shared: [
        { name: 'loop', self: '[Circular]' },
        { name: 'loop', self: '[Circular]' },
      ],
    });
  });

  it('are still written, message only, for a record that cannot be encoded', () => {
    const broken = {
      hrTime: [Number.NaN, Number.NaN],
      body: 'the message',
      attributes: {},
      resource: { attributes: {} },
      // No instrumentationScope: reading the logger name throws.
    } as unknown as ReadableLogRecord;
    const item = new EcsEncoder({ target: DAILY }).encode(broken);
    const document = parse(item.source);
    expect(document.message).toBe('[unencodable log record] the message');
    expect(Number.isNaN(Date.parse(document['@timestamp'] as string))).toBe(false);
    expect(item.index).toMatch(/^datalineagepy-\d{4}\.\d{2}\.\d{2}$/);
  });
});

describe('the _bulk body', () => {
  it('has a create action and the source per item, every line ending in a newline, no _type', () => {
    const { aggregator, records } = capture();
    for (const message of ['one', 'two', 'three'])
      aggregator.addLog({ message, timestamp: Date.UTC(2024, 6, 4) });
    const encoder = new EcsEncoder({ target: DAILY });
    const items = records.map((record) => encoder.encode(record));
    const body = encodeBulk(items);
    expect(body.endsWith('\n')).toBe(true);
    const lines = body.split('\n');
    expect(lines.pop()).toBe(''); // the last line ends in \n too
    expect(lines).toHaveLength(6);
    items.forEach((item, i) => {
      expect(JSON.parse(lines[2 * i] as string)).toEqual({
        create: { _index: 'datalineagepy-2024.07.04', _id: item.id },
      });
      expect(lines[2 * i + 1]).toBe(item.source);
    });
    expect(body).not.toContain('_type');
    expect(encodeBulk(items)).toBe(body); // items are immutable: a resend is the same request
  });

  it('keeps unicode, newlines, quotes and control characters in messages intact', () => {
    const { aggregator, records } = capture();
    const message = 'line one\nline two\r\n"quoted" \\ back\tslash é ✓ 😀 \u2028 \u0001 end';
    aggregator.addLog({ message, extraData: { note: 'ünïcødé\n"x"' } });
    const body = encodeBulk([new EcsEncoder({ target: DAILY }).encode(records[0] as ReadableLogRecord)]);
    const lines = body.split('\n');
    expect(lines).toHaveLength(3); // action, source, and the empty rest after the final newline
    const document = parse(lines[1] as string);
    expect(document.message).toBe(message);
    expect(document['datalineage.extra']).toEqual({ note: 'ünïcødé\n"x"' });
  });
});

describe('_bulk answers', () => {
  const item = (status: number, type?: string) => ({
    create: {
      _index: 'datalineagepy-2024.07.04',
      _id: `id-${status}`,
      status,
      ...(type === undefined ? {} : { error: { type, reason: `${type} happened` } }),
    },
  });

  it('mean every item was taken when errors is false', () => {
    expect(parseBulkResponse(JSON.stringify({ took: 3, errors: false, items: [item(201)] }), 1, 'ES')).toBe(
      undefined,
    );
  });

  it('are read item by item: taken, 409 taken, 429 and 5xx retried, the rest refused by error type', () => {
    const items = [
      item(201),
      item(200),
      item(409, 'version_conflict_engine_exception'),
      item(429, 'es_rejected_execution_exception'),
      item(503, 'unavailable_shards_exception'),
      item(400, 'mapper_parsing_exception'),
      item(400, 'document_parsing_exception'),
      item(404, 'index_not_found_exception'),
      item(400),
      item(500, 'exception'),
    ];
    expect(parseBulkResponse(JSON.stringify({ took: 5, errors: true, items }), items.length, 'ES')).toEqual({
      retry: [3, 4, 9],
      rejected: [
        { index: 5, reason: 'mapper_parsing_exception' },
        { index: 6, reason: 'document_parsing_exception' },
        { index: 7, reason: 'index_not_found_exception' },
        { index: 8, reason: 'http_400' },
      ],
    });
  });

  it('are read the same in the filter_path shape (status and error type only)', () => {
    const text = JSON.stringify({
      errors: true,
      items: [
        { create: { status: 201 } },
        { create: { status: 429, error: { type: 'es_rejected_execution_exception' } } },
        { index: { status: 400, error: { type: 'document_parsing_exception' } } },
      ],
    });
    expect(parseBulkResponse(text, 3, 'ES')).toEqual({
      retry: [1],
      rejected: [{ index: 2, reason: 'document_parsing_exception' }],
    });
  });

  it('with errors but only conflicts mean every item is there', () => {
    const text = JSON.stringify({
      errors: true,
      items: [item(201), item(409, 'version_conflict_engine_exception')],
    });
    expect(parseBulkResponse(text, 2, 'ES')).toBe(undefined);
  });

  it.each([
    ['not JSON', '<html>502 Bad Gateway</html>', 1],
    ['not an object', '"ok"', 1],
    ['without the errors flag', JSON.stringify({ items: [item(201)] }), 1],
    ['with fewer items than the batch', JSON.stringify({ errors: true, items: [item(201)] }), 2],
    ['with an item without status', JSON.stringify({ errors: true, items: [{ create: { _id: 'x' } }] }), 1],
    ['cut short', JSON.stringify({ errors: true, items: [item(201), item(429)] }).slice(0, 40), 2],
  ])('%s make the whole batch a retry (create with _id makes resending safe)', (_case, text, count) => {
    let thrown: unknown;
    try {
      parseBulkResponse(text, count, 'Elasticsearch http://es:9200');
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ExportError);
    expect((thrown as ExportError).retryable).toBe(true);
    expect((thrown as ExportError).message).toContain('Elasticsearch http://es:9200');
  });
});
