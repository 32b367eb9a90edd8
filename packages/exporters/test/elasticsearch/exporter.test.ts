// The Elasticsearch exporter through a real ExporterManager and a real LogAggregator, against the
// _bulk test server: delivery value by value, partial failures, lost answers, Retry-After,
// credentials, unreachable and hanging backends, bounded queues, data streams, flushing stop.
import { inspect } from 'node:util';
import { LogAggregator, LogLevel, LogSource } from '@datalineage/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type ElasticsearchServer,
  type ElasticsearchServerOptions,
  startElasticsearchServer,
} from '../../../../test/support/elasticsearch-server.js';
import {
  ElasticsearchConfig,
  type ElasticsearchOptions,
  type ElasticsearchSnakeOptions,
} from '../../src/elasticsearch/config.js';
import { ElasticsearchExporter } from '../../src/elasticsearch/exporter.js';
import { ExporterManager, type ExportSettings } from '../../src/export/manager.js';
import { ExporterConfigError } from '../../src/export/types.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const FAST: ExportSettings = { interval: 0.05, backoffMs: 10, maxBackoffMs: 40, timeout: 0.5 };

async function server(options: ElasticsearchServerOptions = {}): Promise<ElasticsearchServer> {
  const started = await startElasticsearchServer(options);
  cleanups.push(() => started.close());
  return started;
}

/** An aggregator, an exporter on it and a manager running it (not started: tests drive it). */
function setup(options: ElasticsearchOptions & ElasticsearchSnakeOptions, settings: ExportSettings = {}) {
  const aggregator = new LogAggregator({
    resource: resourceFromAttributes({ 'service.name': 'lineage-api' }),
  });
  const exporter = new ElasticsearchExporter(new ElasticsearchConfig(options), aggregator);
  const manager = new ExporterManager({ defaults: FAST });
  const name = manager.addExporter(exporter, settings);
  cleanups.push(async () => {
    await manager.stop(200);
    await aggregator.shutdown();
  });
  const stats = () => {
    const all = manager.stats()[name];
    if (all === undefined) throw new Error(`no stats for ${name}`);
    return all;
  };
  return { aggregator, exporter, manager, stats };
}

function addNumbered(aggregator: LogAggregator, count: number, from = 0): void {
  for (let n = from; n < from + count; n++)
    aggregator.addLog({ message: `record ${n}`, loggerName: 'numbers', extraData: { n } });
}

/** The `n` of every stored document, sorted. */
function numbers(es: ElasticsearchServer): number[] {
  return es
    .documents()
    .map((doc) => (doc.source['datalineage.extra'] as { n: number }).n)
    .sort((a, b) => a - b);
}

const range = (count: number, from = 0) => Array.from({ length: count }, (_, i) => from + i);

async function until(condition: () => boolean, what: string, timeoutMs = 3000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('ElasticsearchExporter', () => {
  it('delivers every log as an ECS document into the daily index, value by value', async () => {
    const es = await server();
    const { aggregator, manager, stats } = setup({ url: es.url, indexPrefix: 'lineage' });
    const at = Date.UTC(2024, 8, 30, 23, 59, 59, 500);
    aggregator.addLog({
      level: LogLevel.WARNING,
      message: 'Slow query: 2.5 s — „Straße“ 😀\nsecond line',
      loggerName: 'datalineage.db',
      source: LogSource.PERFORMANCE,
      extraData: { table: 'orders', rows: 1200 },
      timestamp: at,
    });
    aggregator.addLog({
      level: LogLevel.CRITICAL,
      message: 'Lineage graph corrupted',
      loggerName: 'datalineage.graph',
      error: new RangeError('node 42 has no parent'),
      timestamp: at + 500, // the next UTC day
    });
    await manager.exportNow();

    expect(es.documents('lineage-2024.09.30').map((doc) => doc.source)).toEqual([
      {
        '@timestamp': '2024-09-30T23:59:59.500Z',
        'log.level': 'warning',
        message: 'Slow query: 2.5 s — „Straße“ 😀\nsecond line',
        'ecs.version': '8.11.0',
        'log.logger': 'datalineage.db',
        'service.name': 'lineage-api',
        labels: { source: 'performance' },
        'datalineage.extra': { table: 'orders', rows: 1200 },
      },
    ]);
    const [critical] = es.documents('lineage-2024.10.01');
    expect(critical?.action).toBe('create');
    expect(critical?.source).toMatchObject({
      '@timestamp': '2024-10-01T00:00:00.000Z',
      'log.level': 'critical',
      message: 'Lineage graph corrupted',
      'log.logger': 'datalineage.graph',
      'error.type': 'RangeError',
      'error.message': 'node 42 has no parent',
    });
    expect(critical?.source['error.stack_trace']).toContain('RangeError: node 42 has no parent');
    expect(es.documents()).toHaveLength(2);
    expect(es.requests).toBe(1);
    // Only what the exporter reads comes back: not hundreds of bytes per item.
    expect(decodeURIComponent(es.exchanges[0]?.query ?? '')).toBe(
      '?filter_path=errors,items.*.status,items.*.error.type',
    );
    expect(stats()).toMatchObject({ exported: 2, failed: 0, queued: 0, dropped: {} });
  });

  it('retries throttled items until they arrive once, drops mapping errors by reason, delivers the rest once', async () => {
    const es = await server();
    const n = (source: Record<string, unknown>) => (source['datalineage.extra'] as { n: number }).n;
    es.throttle((source) => n(source) % 5 === 1, 2); // 1, 6, 11, 16: 429 twice, then taken
    es.rejectMapping((source) => n(source) % 7 === 3); // 3, 10, 17: refused for good
    const { aggregator, manager, stats } = setup({ url: es.url });
    addNumbered(aggregator, 20);
    await manager.exportNow();
    await manager.stop(); // waits out the backoff and sends the throttled items again

    const refused = [3, 10, 17];
    expect(numbers(es)).toEqual(range(20).filter((i) => !refused.includes(i)));
    const ids = es.documents().map((doc) => doc.id);
    expect(new Set(ids).size).toBe(ids.length);
    // First request: 20 items; then the four throttled ones, twice.
    expect(es.exchanges.map((exchange) => exchange.items.length)).toEqual([20, 4, 4]);
    expect(es.exchanges[2]?.items).toEqual([201, 201, 201, 201]);
    expect(stats()).toMatchObject({
      exported: 17,
      dropped: { document_parsing_exception: 3 },
      queued: 0,
      failed: 2,
      retried: 2,
    });
  });

  it('counts a batch indexed before its answer was lost as delivered once, through the 409s of the resend', async () => {
    const es = await server();
    es.loseResponses(1);
    const { aggregator, manager, stats } = setup({ url: es.url });
    addNumbered(aggregator, 10);
    await manager.exportNow();
    expect(stats()).toMatchObject({ exported: 0, failed: 1, queued: 10 });
    expect(es.documents()).toHaveLength(10); // indexed, but the exporter never heard
    await manager.stop();

    expect(es.exchanges.map((exchange) => exchange.outcome)).toEqual(['lost', 'answered']);
    expect(es.exchanges[1]?.items).toEqual(Array(10).fill(409));
    expect(numbers(es)).toEqual(range(10));
    expect(stats()).toMatchObject({ exported: 10, failed: 1, retried: 1, queued: 0, dropped: {} });
  });

  it.each([503, 429])('waits out the Retry-After of a whole-request %i, then delivers', async (status) => {
    const es = await server();
    es.failNext(1, status, { retryAfter: '1' });
    const { aggregator, manager, stats } = setup({ url: es.url });
    addNumbered(aggregator, 5);
    await manager.exportNow();
    expect(stats().lastError).toContain(`HTTP ${status}`);
    expect(stats().retryAt).toBeDefined();
    await manager.stop();

    expect(es.exchanges).toHaveLength(2);
    const [first, second] = es.exchanges;
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(990);
    expect(numbers(es)).toEqual(range(5));
    expect(stats()).toMatchObject({ exported: 5, failed: 1, retried: 1, dropped: {} });
  });

  it('reports wrong credentials clearly, counts the failure and the dropped logs, and never throws into the app', async () => {
    const es = await server({ auth: { username: 'elastic', password: 'the-right-one' } });
    const password = 'Wr0ng-S3cret-Passw0rd';
    const { aggregator, manager, stats } = setup({ url: es.url, username: 'elastic', password });
    addNumbered(aggregator, 3);
    await manager.exportNow();
    const after = stats();
    expect(after.lastError).toMatch(/Elasticsearch http:\/\/127\.0\.0\.1:\d+ answered HTTP 401/);
    expect(after.lastError).toContain('check the credentials');
    expect(after.lastError).toContain('security_exception');
    expect(after).toMatchObject({ failed: 1, exported: 0, queued: 0, dropped: { rejected: 3 } });
    expect(() => addNumbered(aggregator, 2, 3)).not.toThrow();
    expect(aggregator.searchLogs().entries).toHaveLength(5);
    expect(es.documents()).toHaveLength(0);
    expect(JSON.stringify(manager.stats())).not.toContain(password);
  });

  it('authenticates with basic credentials, and with an API key', async () => {
    const basic = await server({ auth: { username: 'elastic', password: 'p@ss:word' } });
    const keyed = await server({
      auth: { apiKey: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==' },
    });
    const one = setup({ url: basic.url, username: 'elastic', password: 'p@ss:word' });
    const two = setup({
      url: keyed.url,
      api_key: 'VnVhQ2ZHY0JDZGJrUW0tZTVhT3g6dWkybHAyYXhUTm1zeWFrdzl0dk5udw==',
    });
    one.aggregator.addLog({ message: 'basic' });
    two.aggregator.addLog({ message: 'api key' });
    await Promise.all([one.manager.exportNow(), two.manager.exportNow()]);
    expect(basic.documents().map((doc) => doc.source.message)).toEqual(['basic']);
    expect(keyed.documents().map((doc) => doc.source.message)).toEqual(['api key']);
    expect(one.stats().config).toMatchObject({ auth: 'basic', username: 'elastic', password: '[REDACTED]' });
    expect(two.stats().config).toMatchObject({ auth: 'apiKey', apiKey: '[REDACTED]' });
  });

  it('never shows the password or API key in its statistics, even when the backend echoes them', async () => {
    const password = 'pa55-word-never-shown';
    const apiKey = 'c2VjcmV0LWlkOnNlY3JldC1rZXktbmV2ZXItc2hvd24=';
    const basicHeader = Buffer.from(`elastic:${password}`).toString('base64');
    const basicEs = await server({ auth: { username: 'elastic', password: 'other' } });
    const keyEs = await server({ auth: { apiKey: 'another-key' } });
    // A proxy that echoes the request headers in its error page.
    basicEs.failNext(1, 401, { body: `denied: Authorization: Basic ${basicHeader} (${password})` });
    keyEs.failNext(1, 403, { body: `denied: Authorization: ApiKey ${apiKey}` });
    const aggregator = new LogAggregator();
    const manager = new ExporterManager({ defaults: FAST });
    cleanups.push(() => manager.stop(200));
    const basic = new ElasticsearchExporter(
      { url: basicEs.url.replace('//', `//elastic:${password}@`) },
      aggregator,
    );
    const keyed = new ElasticsearchExporter({ url: keyEs.url, apiKey }, aggregator);
    manager.addExporter(basic, { name: 'basic' });
    manager.addExporter(keyed, { name: 'key' });
    aggregator.addLog({ message: 'first' });
    await manager.exportNow();
    const echoed = JSON.stringify(manager.stats());
    expect(echoed).toContain('[REDACTED]');
    expect(manager.stats().basic?.lastError).toContain('HTTP 401');
    expect(manager.stats().key?.lastError).toContain('HTTP 403');
    aggregator.addLog({ message: 'second' }); // now the servers' own 401 answers
    await new Promise((resolve) => setTimeout(resolve, 60)); // past the backoff
    await manager.exportNow();
    expect(manager.stats().basic?.failed).toBe(2);
    const text = [
      echoed,
      JSON.stringify(manager.stats()),
      inspect(basic, { depth: 1 }),
      inspect(keyed, { depth: 1 }),
    ].join();
    for (const secret of [password, apiKey, basicHeader]) expect(text).not.toContain(secret);
    expect(manager.stats().basic?.config).toMatchObject({ url: basicEs.url, username: 'elastic' });
  });

  it('counts failures against an unreachable URL and keeps the queue bounded, every drop counted', async () => {
    const closed = await startElasticsearchServer();
    await closed.close();
    const { aggregator, manager, stats } = setup({ url: closed.url }, { maxQueueSize: 5 });
    addNumbered(aggregator, 12);
    await manager.exportNow();
    const after = stats();
    expect(after.lastError).toContain('request failed');
    expect(after.failed).toBe(1);
    expect(after.queued).toBe(5);
    expect(after.dropped.queue_full).toBe(12 - after.queued - after.exported);
    addNumbered(aggregator, 4, 12);
    expect(stats().queued).toBe(5);
    expect(stats().dropped.queue_full).toBe(16 - 5);
  });

  it('gives up on a hanging server at the timeout, counted, with the queue bounded meanwhile', async () => {
    const es = await server();
    es.hang(1);
    const { aggregator, manager, stats } = setup({ url: es.url }, { maxQueueSize: 5, timeout: 0.2 });
    addNumbered(aggregator, 3);
    const pending = manager.exportNow();
    await until(() => es.exchanges.length === 1, 'the request to arrive');
    addNumbered(aggregator, 6, 3); // 6 queued behind the 3 in flight: one over
    expect(stats().dropped.queue_full).toBe(1);
    await pending;
    const after = stats();
    expect(after.lastError).toContain('timed out after 200 ms');
    expect(after.failed).toBe(1);
    expect(after.queued).toBe(5);
    // The batch back from its timeout is older than what queued meanwhile: it makes way.
    expect(after.dropped.queue_full).toBe(9 - after.queued - after.exported);
    await manager.stop();
    expect(numbers(es)).toEqual(range(5, 4));
    expect(stats()).toMatchObject({ exported: 5, queued: 0, dropped: { queue_full: 4 } });
  });

  it('writes into the data stream with create actions', async () => {
    const es = await server();
    const defaults = setup({ url: es.url, index: 'datastream' });
    const named = setup({ url: es.url, data_stream: 'logs-lineage-prod' });
    defaults.aggregator.addLog({ message: 'to the default stream' });
    named.aggregator.addLog({ message: 'to the named stream' });
    await Promise.all([defaults.manager.exportNow(), named.manager.exportNow()]);
    expect(es.documents('logs-datalineage-default').map((doc) => doc.source.message)).toEqual([
      'to the default stream',
    ]);
    expect(es.documents('logs-lineage-prod').map((doc) => doc.source.message)).toEqual([
      'to the named stream',
    ]);
    expect(es.documents().every((doc) => doc.action === 'create')).toBe(true);
    expect(es.exchanges.flatMap((exchange) => exchange.items)).toEqual([201, 201]);
    expect(defaults.stats().config).toMatchObject({
      index: 'datastream',
      dataStream: 'logs-datalineage-default',
    });
  });

  it('flushes on stop: logs added right before stop() are in Elasticsearch afterwards', async () => {
    const es = await server();
    const { aggregator, manager, stats } = setup({ url: es.url }, { interval: 3600 });
    manager.start();
    addNumbered(aggregator, 7);
    await manager.stop();
    expect(numbers(es)).toEqual(range(7));
    expect(stats()).toMatchObject({ exported: 7, queued: 0 });
  });
});

describe('the test server', () => {
  it('refuses what Elasticsearch 8 refuses', async () => {
    const es = await server({ auth: { apiKey: 'key' } });
    const post = (body: string, headers: Record<string, string>) =>
      fetch(`${es.url}/_bulk`, { method: 'POST', body, headers });
    const ndjson = { 'content-type': 'application/x-ndjson', authorization: 'ApiKey key' };
    const unauthorised = await post('{"create":{"_index":"a"}}\n{}\n', {
      'content-type': 'application/x-ndjson',
    });
    expect(unauthorised.status).toBe(401);
    expect(unauthorised.headers.get('www-authenticate')).toContain('Basic realm="security"');
    expect(
      (await post('{"create":{"_index":"a"}}\n{}\n', { ...ndjson, 'content-type': 'text/plain' })).status,
    ).toBe(406);
    const typed = await post('{"index":{"_index":"a","_type":"_doc","_id":"1"}}\n{}\n', ndjson);
    expect(typed.status).toBe(400);
    expect(await typed.text()).toContain('Action/metadata line [1] contains an unknown parameter [_type]');
    expect((await post('{"create":{"_index":"a","_id":"1"}}\n{}', ndjson)).status).toBe(400);
    const stream = await post(
      '{"index":{"_index":"logs-x-default","_id":"1"}}\n{"@timestamp":"2024-01-01"}\n',
      ndjson,
    );
    expect(await stream.json()).toMatchObject({ errors: true, items: [{ index: { status: 400 } }] });
    expect(es.documents()).toHaveLength(0);
    const filtered = await fetch(`${es.url}/_bulk?filter_path=errors,items.*.status`, {
      method: 'POST',
      body: '{"create":{"_index":"a","_id":"1"}}\n{}\n',
      headers: ndjson,
    });
    expect(await filtered.json()).toEqual({ errors: false, items: [{ create: { status: 201 } }] });
  });
});

describe('ElasticsearchConfig', () => {
  it('has the guide defaults', () => {
    const config = new ElasticsearchConfig();
    expect(config.toJSON()).toEqual({
      url: 'http://localhost:9200',
      index: 'daily',
      indexPrefix: 'datalineagepy',
      auth: 'none',
    });
  });

  it('accepts the guide snake_case spellings', () => {
    const config = new ElasticsearchConfig({
      index_prefix: 'lineage',
      api_key: 'a2V5OnNlY3JldA==',
      service_name: 'svc',
    });
    expect(config).toMatchObject({ indexPrefix: 'lineage', auth: 'apiKey', serviceName: 'svc' });
    expect(config.apiKey).toBe('a2V5OnNlY3JldA==');
  });

  it('takes credentials out of the URL as basic auth', () => {
    const config = new ElasticsearchConfig({ url: 'https://elastic:s%40cret@es.example:9200/proxy/' });
    expect(config.url).toBe('https://es.example:9200/proxy');
    expect(config.auth).toBe('basic');
    expect(config.username).toBe('elastic');
    expect(config.password).toBe('s@cret');
  });

  it('keeps secrets out of JSON and console output', () => {
    const config = new ElasticsearchConfig({ username: 'elastic', password: 'hunter2-secret' });
    const keyed = new ElasticsearchConfig({ apiKey: 'a2V5OnNlY3JldC1rZXk=' });
    for (const text of [JSON.stringify(config), inspect(config, { depth: 5 }), String(Object.values(config))])
      expect(text).not.toContain('hunter2-secret');
    expect(`${JSON.stringify(keyed)}${inspect(keyed)}`).not.toContain('a2V5OnNlY3JldC1rZXk=');
    expect(JSON.stringify(config)).toContain('[REDACTED]');
  });

  it('uses the data stream mode when a data stream is named', () => {
    expect(new ElasticsearchConfig({ dataStream: 'logs-app-prod' })).toMatchObject({
      index: 'datastream',
      dataStream: 'logs-app-prod',
    });
  });

  it.each<[string, Record<string, unknown>, string]>([
    ['a non-http URL', { url: 'ftp://es:21' }, 'url'],
    ['something that is not a URL', { url: 'es:9200 please' }, 'url'],
    ['a URL with a query', { url: 'http://es:9200/?pretty' }, 'url'],
    ['an uppercase prefix', { indexPrefix: 'Lineage' }, 'indexPrefix'],
    ['a prefix with a space', { index_prefix: 'my logs' }, 'index_prefix'],
    ['a prefix with a comma', { indexPrefix: 'a,b' }, 'indexPrefix'],
    ['a prefix with a wildcard', { indexPrefix: 'logs*' }, 'indexPrefix'],
    ['a prefix starting with _', { indexPrefix: '_logs' }, 'indexPrefix'],
    ['a prefix starting with -', { indexPrefix: '-logs' }, 'indexPrefix'],
    ['an empty prefix', { indexPrefix: '' }, 'indexPrefix'],
    ['a username without a password', { username: 'elastic' }, 'password'],
    ['a password without a username', { password: 'pw' }, 'username'],
    ['basic auth and an API key', { username: 'u', password: 'p', api_key: 'k' }, 'api_key'],
    ['an unknown index mode', { index: 'weekly' }, 'index'],
    ['an invalid data stream', { index: 'datastream', dataStream: 'Logs-App-Prod' }, 'dataStream'],
    ['a data stream with daily indices', { index: 'daily', dataStream: 'logs-a-b' }, 'dataStream'],
    ['a misspelt option', { indexPrefx: 'lineage' }, 'indexPrefx'],
    ['an option given twice', { indexPrefix: 'a', index_prefix: 'b' }, 'index_prefix'],
  ])('refuses %s, naming the option', (_case, options, key) => {
    let thrown: unknown;
    try {
      new ElasticsearchConfig(options as ElasticsearchOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ExporterConfigError);
    expect((thrown as ExporterConfigError).key).toBe(key);
    expect((thrown as ExporterConfigError).message).toContain(`elasticsearch exporter option ${key}:`);
  });

  it('needs a log aggregator to export from', () => {
    expect(() => new ElasticsearchExporter({}, undefined as unknown as LogAggregator)).toThrow(
      /needs the log aggregator/,
    );
  });
});
