// TEST SERVER implementing the Elasticsearch _bulk wire contract (no Elasticsearch can run here):
// POST /_bulk with an NDJSON body (Content-Type: application/x-ndjson, else 406), an action and
// metadata line then a source line per document, the last line ending in `\n`; `create` and
// `index` actions; documents kept in memory per index by `_id`; answered with the real response
// shape `{ took, errors, items: [{ create: { _index, _id, status, result } | { …, error } }] }`
// (201 created, 409 version_conflict_engine_exception for a `create` of an existing `_id`) and
// the `filter_path` common option. As Elasticsearch 8 does, it refuses a `_type` in an action
// (the whole request, 400), treats `logs-*-*` as data streams (built-in `logs` template: only
// `create`, `@timestamp` required), and checks basic or ApiKey auth when configured (401 with
// WWW-Authenticate). Not implemented: `update`/`delete` actions, `/<index>/_bulk`, mappings
// (mapping errors are injected). Stricter than Elasticsearch: `application/json` is refused too.
// Contract: https://www.elastic.co/guide/en/elasticsearch/reference/current/docs-bulk.html and
// https://www.elastic.co/guide/en/elasticsearch/reference/current/common-options.html (filter_path).
//
// Fault injection for tests: whole requests refused with a status (and Retry-After), items
// throttled (429) for their first attempts, items refused with a mapping error, requests that
// hang, and requests indexed whose response is lost (the socket destroyed before answering).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { restartable } from './restartable.js';

/** A document as stored. */
export interface StoredDocument {
  /** The index or data stream it was written to (as the action named it). */
  readonly index: string;
  readonly id: string;
  readonly action: 'create' | 'index';
  readonly source: Record<string, unknown>;
}

/** One request to `/_bulk`, as the server handled it. */
export interface BulkExchange {
  /** Epoch ms when the request had arrived in full. */
  readonly at: number;
  /** The request's query string, e.g. `?filter_path=…`. */
  readonly query: string;
  /** The HTTP status answered (or that would have been, for a lost response); 0 for a hung request. */
  readonly status: number;
  /** Per item status, for a processed bulk request. */
  readonly items: readonly number[];
  readonly outcome: 'answered' | 'lost' | 'hung';
}

export interface ElasticsearchServerOptions {
  /** Require these credentials. @default none required */
  auth?: { username: string; password: string } | { apiKey: string };
}

export interface ElasticsearchServer {
  /** Base URL, e.g. `http://127.0.0.1:43121` (no trailing slash). */
  readonly url: string;
  /** Every HTTP request received, any path. */
  readonly requests: number;
  /** Every `/_bulk` request, in order. */
  readonly exchanges: readonly BulkExchange[];
  /** Raw `/_bulk` request bodies, to check what went over the wire. */
  readonly bodies: readonly string[];
  /** Documents of one index (or all), in the order they were first written. */
  documents(index?: string): StoredDocument[];
  /** Answer the next `count` `/_bulk` requests with `status` (optionally a Retry-After and a body). */
  failNext(count: number, status: number, options?: { retryAfter?: string; body?: string }): void;
  /** Items whose source matches: 429 es_rejected_execution_exception for their first `attempts` tries (by `_id`). */
  throttle(match: (source: Record<string, unknown>) => boolean, attempts: number): void;
  /** Items whose source matches: 400 document_parsing_exception, every time. */
  rejectMapping(match: (source: Record<string, unknown>) => boolean): void;
  /** Never answer the next `count` `/_bulk` requests (nothing is indexed). */
  hang(count?: number): void;
  /** Go down as a crash would (connections refused), keeping the indexed documents. */
  pause(): Promise<void>;
  /** Come back on the same port. */
  resume(): Promise<void>;
  /** Index the next `count` requests, then destroy the socket instead of answering. */
  loseResponses(count: number): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const ACTIONS = new Set(['create', 'index', 'update', 'delete']);
/** Metadata parameters Elasticsearch 8 accepts on an action line. */
const METADATA = new Set([
  '_index',
  '_id',
  'routing',
  'pipeline',
  'require_alias',
  'require_data_stream',
  'if_seq_no',
  'if_primary_term',
  'version',
  'version_type',
  'dynamic_templates',
  'list_executed_pipelines',
]);
const INVALID_INDEX = /[\\/*?"<>|,# :A-Z]|^[-_+.]/;
/** Elasticsearch's built-in `logs` index template makes these data streams. */
const DATA_STREAM = /^logs-[^-]+-[^-]+$/;

function errorBody(status: number, type: string, reason: string): string {
  return JSON.stringify({ error: { root_cause: [{ type, reason }], type, reason }, status });
}

/** The `filter_path` option: comma-separated paths, `*` for any key, arrays filtered element-wise. */
function filterPath(value: unknown, paths: ReadonlyArray<readonly string[]>): unknown {
  if (paths.some((path) => path.length === 0)) return value;
  if (Array.isArray(value)) {
    const kept = value.map((element) => filterPath(element, paths)).filter((v) => v !== undefined);
    return kept.length === 0 ? undefined : kept;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Json = {};
  let any = false;
  for (const [key, child] of Object.entries(value)) {
    const rest = paths.filter((path) => path[0] === '*' || path[0] === key).map((path) => path.slice(1));
    if (rest.length === 0) continue;
    const kept = filterPath(child, rest);
    if (kept !== undefined) {
      out[key] = kept;
      any = true;
    }
  }
  return any ? out : undefined;
}

export async function startElasticsearchServer(
  options: ElasticsearchServerOptions = {},
): Promise<ElasticsearchServer> {
  const indices = new Map<string, Map<string, StoredDocument>>();
  const exchanges: BulkExchange[] = [];
  const bodies: string[] = [];
  const attempts = new Map<string, number>();
  const throttles: Array<{ match: (source: Json) => boolean; attempts: number }> = [];
  const mappingErrors: Array<(source: Json) => boolean> = [];
  let failures: { count: number; status: number; retryAfter?: string; body?: string } = {
    count: 0,
    status: 200,
  };
  let hanging = 0;
  let losing = 0;
  let requests = 0;
  let seqNo = 0;

  const expectedAuth =
    options.auth === undefined
      ? undefined
      : 'apiKey' in options.auth
        ? `ApiKey ${options.auth.apiKey}`
        : `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`;

  function send(response: ServerResponse, status: number, body: string, headers: Json = {}): void {
    response
      .writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers } as Record<
        string,
        string
      >)
      .end(body);
  }

  /** Runs the bulk request; returns the HTTP status and body, or an error status for the whole request. */
  function bulk(text: string, filter: string | null): { status: number; body: string; items: number[] } {
    const whole = (status: number, type: string, reason: string) => ({
      status,
      body: errorBody(status, type, reason),
      items: [],
    });
    if (text.length === 0) {
      return whole(400, 'action_request_validation_exception', 'Validation Failed: 1: no requests added;');
    }
    if (!text.endsWith('\n')) {
      return whole(
        400,
        'illegal_argument_exception',
        'The bulk request must be terminated by a newline [\\n]',
      );
    }
    const lines = text.slice(0, -1).split('\n');
    const operations: Array<{ action: 'create' | 'index'; index: string; id: string; source: string }> = [];
    for (let i = 0; i < lines.length; i++) {
      const lineNumber = i + 1;
      let parsed: unknown;
      try {
        parsed = JSON.parse(lines[i] as string);
      } catch {
        return whole(
          400,
          'x_content_parse_exception',
          `[${lineNumber}:1] Unexpected character in action line`,
        );
      }
      const keys = parsed !== null && typeof parsed === 'object' ? Object.keys(parsed) : [];
      const action = keys[0];
      if (keys.length !== 1 || action === undefined || !ACTIONS.has(action)) {
        return whole(
          400,
          'illegal_argument_exception',
          `Malformed action/metadata line [${lineNumber}], expected one of [create, delete, index, update] but found [${String(action)}]`,
        );
      }
      if (action !== 'create' && action !== 'index') {
        return whole(400, 'illegal_argument_exception', `this test server does not implement [${action}]`);
      }
      const metadata = (parsed as Record<string, Json>)[action] ?? {};
      for (const key of Object.keys(metadata)) {
        if (!METADATA.has(key)) {
          return whole(
            400,
            'illegal_argument_exception',
            `Action/metadata line [${lineNumber}] contains an unknown parameter [${key}]`,
          );
        }
      }
      const index = metadata._index;
      if (typeof index !== 'string') {
        return whole(400, 'action_request_validation_exception', 'Validation Failed: 1: index is missing;');
      }
      const source = lines[i + 1];
      if (source === undefined) {
        return whole(
          400,
          'illegal_argument_exception',
          `The bulk request must be terminated by a newline [\\n]`,
        );
      }
      i++;
      const id = typeof metadata._id === 'string' ? metadata._id : randomUUID().replaceAll('-', '');
      operations.push({ action, index, id, source });
    }

    const items: Json[] = [];
    for (const { action, index, id, source: sourceText } of operations) {
      const fail = (status: number, type: string, reason: string) =>
        items.push({ [action]: { _index: index, _id: id, status, error: { type, reason, index } } });
      if (INVALID_INDEX.test(index)) {
        fail(400, 'invalid_index_name_exception', `Invalid index name [${index}]`);
        continue;
      }
      let source: Json;
      try {
        const parsed: unknown = JSON.parse(sourceText);
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
          throw new Error('not an object');
        source = parsed as Json;
      } catch {
        fail(
          400,
          'document_parsing_exception',
          `[1:1] failed to parse: the source of document [${id}] is not a JSON object`,
        );
        continue;
      }
      const dataStream = DATA_STREAM.test(index);
      if (dataStream && action !== 'create') {
        fail(
          400,
          'illegal_argument_exception',
          `only write ops with an op_type of create are allowed in data streams`,
        );
        continue;
      }
      if (dataStream && source['@timestamp'] === undefined) {
        fail(400, 'document_parsing_exception', 'data stream timestamp field [@timestamp] is missing');
        continue;
      }
      const throttle = throttles.find((t) => t.match(source));
      if (throttle !== undefined) {
        const tried = (attempts.get(id) ?? 0) + 1;
        attempts.set(id, tried);
        if (tried <= throttle.attempts) {
          fail(
            429,
            'es_rejected_execution_exception',
            'rejected execution of coordinating operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, coordinating_operation_bytes=1, max_coordinating_and_primary_bytes=1]',
          );
          continue;
        }
      }
      if (mappingErrors.some((match) => match(source))) {
        fail(
          400,
          'document_parsing_exception',
          `[1:1] failed to parse field [datalineage.extra] of type [long] in document with id '${id}'`,
        );
        continue;
      }
      let documents = indices.get(index);
      if (documents === undefined) {
        documents = new Map();
        indices.set(index, documents);
      }
      const existing = documents.get(id);
      const backing = dataStream
        ? `.ds-${index}-${new Date().toISOString().slice(0, 10).replaceAll('-', '.')}-000001`
        : index;
      if (existing !== undefined && action === 'create') {
        fail(
          409,
          'version_conflict_engine_exception',
          `[${id}]: version conflict, document already exists (current version [1])`,
        );
        continue;
      }
      documents.set(id, { index, id, action, source });
      items.push({
        [action]: {
          _index: backing,
          _id: id,
          _version: existing === undefined ? 1 : 2,
          result: existing === undefined ? 'created' : 'updated',
          _shards: { total: 2, successful: 1, failed: 0 },
          _seq_no: seqNo++,
          _primary_term: 1,
          status: existing === undefined ? 201 : 200,
        },
      });
    }
    const statuses = items.map((item) => (Object.values(item)[0] as { status: number }).status);
    const errors = statuses.some((status) => status >= 300);
    let answer: unknown = { took: 1, errors, items };
    if (filter !== null) {
      const paths = filter.split(',').map((path) => path.trim().split('.'));
      answer = filterPath(answer, paths) ?? {};
    }
    return { status: 200, body: JSON.stringify(answer), items: statuses };
  }

  function handle(request: IncomingMessage, response: ServerResponse, text: string): void {
    requests++;
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== '/_bulk') {
      send(response, 404, errorBody(404, 'resource_not_found_exception', `no handler for [${url.pathname}]`));
      return;
    }
    if (request.method !== 'POST' && request.method !== 'PUT') {
      send(response, 405, errorBody(405, 'method_not_allowed', `Incorrect HTTP method for uri [/_bulk]`));
      return;
    }
    bodies.push(text);
    const at = Date.now();
    const query = url.search;
    if (failures.count > 0) {
      failures.count--;
      const { status, retryAfter, body } = failures;
      exchanges.push({ at, query, status, items: [], outcome: 'answered' });
      send(
        response,
        status,
        body ??
          errorBody(
            status,
            status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception',
            'injected failure',
          ),
        retryAfter === undefined ? {} : { 'retry-after': retryAfter },
      );
      return;
    }
    if (hanging > 0) {
      hanging--;
      exchanges.push({ at, query, status: 0, items: [], outcome: 'hung' });
      return; // the socket stays open until the client gives up or close()
    }
    if (expectedAuth !== undefined && request.headers.authorization !== expectedAuth) {
      exchanges.push({ at, query, status: 401, items: [], outcome: 'answered' });
      const reason =
        request.headers.authorization === undefined
          ? 'missing authentication credentials for REST request [/_bulk]'
          : 'unable to authenticate with provided credentials and anonymous access is not allowed for this request';
      response.setHeader('www-authenticate', ['Basic realm="security" charset="UTF-8"', 'ApiKey']);
      send(response, 401, errorBody(401, 'security_exception', reason));
      return;
    }
    const contentType = String(request.headers['content-type'] ?? '');
    if (contentType.split(';')[0]?.trim().toLowerCase() !== 'application/x-ndjson') {
      exchanges.push({ at, query, status: 406, items: [], outcome: 'answered' });
      send(
        response,
        406,
        JSON.stringify({ error: `Content-Type header [${contentType}] is not supported`, status: 406 }),
      );
      return;
    }
    const result = bulk(text, url.searchParams.get('filter_path'));
    if (losing > 0) {
      losing--;
      exchanges.push({ at, query, status: result.status, items: result.items, outcome: 'lost' });
      request.socket.destroy();
      return;
    }
    exchanges.push({ at, query, status: result.status, items: result.items, outcome: 'answered' });
    send(response, result.status, result.body);
  }

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const lifecycle = restartable(server, port);

  return {
    url: `http://127.0.0.1:${port}`,
    pause: lifecycle.pause,
    resume: lifecycle.resume,
    get requests() {
      return requests;
    },
    exchanges,
    bodies,
    documents(index?: string) {
      const all = index === undefined ? [...indices.values()] : [indices.get(index) ?? new Map()];
      return all.flatMap((documents) => [...documents.values()]);
    },
    failNext(count, status, extra = {}) {
      failures = { count, status, ...extra };
    },
    throttle(match, times) {
      throttles.push({ match, attempts: times });
    },
    rejectMapping(match) {
      mappingErrors.push(match);
    },
    hang(count = Number.POSITIVE_INFINITY) {
      hanging = count;
    },
    loseResponses(count) {
      losing = count;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
