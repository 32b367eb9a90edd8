// TEST SERVER implementing the OTLP/HTTP wire contract (no OpenTelemetry Collector can run here).
// Spec: https://opentelemetry.io/docs/specs/otlp/#otlphttp
//
// What it implements: POST /v1/metrics carrying an ExportMetricsServiceRequest and POST /v1/logs
// carrying an ExportLogsServiceRequest, each in the binary protobuf encoding
// (Content-Type: application/x-protobuf) or the JSON encoding (Content-Type: application/json),
// optionally gzip-compressed (Content-Encoding: gzip). Success is 200 with an empty
// Export<signal>ServiceResponse in the request's encoding; failures are 4xx/5xx with a
// google.rpc.Status body in the request's encoding (400 for a body that does not decode, 404 for
// another path, 405 for another method, 415 for another content type or encoding).
// Protobuf is decoded with protobufjs from otlp.proto (field numbers of open-telemetry/opentelemetry-proto,
// see that file). Both encodings are normalized to the OTLP/JSON shape (camelCase fields, 64-bit
// integers as strings, trace and span ids as hex), then to flat metrics and log records, so a
// test checks the same things whatever the exporter sent.
// Fault hooks: `failNext` answers the next requests with a status (and Retry-After), `hangNext`
// never answers them (the client's timeout is what ends them).
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { restartable } from './restartable.js';

// ---------------------------------------------------------------------------------------------
// OTLP/JSON shapes (as sent by exporters, and as protobuf is normalized to)

/** OTLP AnyValue in JSON form. */
export type AnyValueJson =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string | number }
  | { doubleValue: number }
  | { arrayValue: { values?: AnyValueJson[] } }
  | { kvlistValue: { values?: KeyValueJson[] } }
  | { bytesValue: string };

export interface KeyValueJson {
  key: string;
  value?: AnyValueJson;
}

type Int64Json = string | number;

interface ResourceJson {
  attributes?: KeyValueJson[];
}

interface ScopeJson {
  name?: string;
  version?: string;
}

interface PointJson {
  attributes?: KeyValueJson[];
  startTimeUnixNano?: Int64Json;
  timeUnixNano?: Int64Json;
  asDouble?: number;
  asInt?: Int64Json;
  count?: Int64Json;
  sum?: number;
  min?: number;
  max?: number;
  bucketCounts?: Int64Json[];
  explicitBounds?: number[];
  scale?: number;
  zeroCount?: Int64Json;
  positive?: { offset?: number; bucketCounts?: Int64Json[] };
  negative?: { offset?: number; bucketCounts?: Int64Json[] };
  quantileValues?: Array<{ quantile?: number; value?: number }>;
}

interface MetricJson {
  name?: string;
  description?: string;
  unit?: string;
  gauge?: { dataPoints?: PointJson[] };
  sum?: { dataPoints?: PointJson[]; aggregationTemporality?: number; isMonotonic?: boolean };
  histogram?: { dataPoints?: PointJson[]; aggregationTemporality?: number };
  exponentialHistogram?: { dataPoints?: PointJson[]; aggregationTemporality?: number };
  summary?: { dataPoints?: PointJson[] };
}

/** An ExportMetricsServiceRequest in OTLP/JSON shape. */
export interface ExportMetricsRequestJson {
  resourceMetrics?: Array<{
    resource?: ResourceJson;
    scopeMetrics?: Array<{ scope?: ScopeJson; metrics?: MetricJson[] }>;
  }>;
}

interface LogRecordJson {
  timeUnixNano?: Int64Json;
  observedTimeUnixNano?: Int64Json;
  severityNumber?: number;
  severityText?: string;
  body?: AnyValueJson;
  attributes?: KeyValueJson[];
  traceId?: string;
  spanId?: string;
  eventName?: string;
}

/** An ExportLogsServiceRequest in OTLP/JSON shape. */
export interface ExportLogsRequestJson {
  resourceLogs?: Array<{
    resource?: ResourceJson;
    scopeLogs?: Array<{ scope?: ScopeJson; logRecords?: LogRecordJson[] }>;
  }>;
}

// ---------------------------------------------------------------------------------------------
// What tests read

export interface ReceivedLog {
  serviceName: string | undefined;
  /** Resource attributes. */
  resource: Record<string, unknown>;
  scope: string | undefined;
  timeUnixNano: string | undefined;
  severityNumber: number | undefined;
  severityText: string | undefined;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string | undefined;
  spanId: string | undefined;
}

export type MetricType = 'gauge' | 'sum' | 'histogram' | 'exponentialHistogram' | 'summary' | 'none';

export interface ReceivedDataPoint {
  attributes: Record<string, unknown>;
  startTimeUnixNano: string | undefined;
  timeUnixNano: string | undefined;
  /** Gauge and sum points. */
  value?: number;
  /** Histogram, exponential histogram and summary points. */
  count?: number;
  sum?: number;
  min?: number;
  max?: number;
  /** Histogram points: one count per bucket, `explicitBounds.length + 1` of them. */
  bucketCounts?: number[];
  explicitBounds?: number[];
  /** Exponential histogram points. */
  scale?: number;
  zeroCount?: number;
  positive?: { offset: number; bucketCounts: number[] };
  negative?: { offset: number; bucketCounts: number[] };
  /** Summary points. */
  quantileValues?: Array<{ quantile: number; value: number }>;
}

export interface ReceivedMetric {
  serviceName: string | undefined;
  /** Resource attributes. */
  resource: Record<string, unknown>;
  scope: string | undefined;
  name: string;
  description: string;
  unit: string;
  type: MetricType;
  /** AggregationTemporality: 1 delta, 2 cumulative; undefined for gauges and summaries. */
  aggregationTemporality: number | undefined;
  isMonotonic: boolean | undefined;
  dataPoints: ReceivedDataPoint[];
}

export type OtlpSignal = 'metrics' | 'logs';
export type OtlpEncoding = 'json' | 'protobuf';

interface RequestBase {
  path: string;
  encoding: OtlpEncoding;
  /** Sent with Content-Encoding: gzip. */
  gzip: boolean;
  /** The request headers as Node received them (names lower-cased). */
  headers: IncomingHttpHeaders;
  /** Body size on the wire, compressed when `gzip`. */
  wireBytes: number;
  /** The status answered; 0 while a hung request is unanswered. */
  status: number;
}

/** One export request that reached /v1/metrics or /v1/logs and decoded. */
export type ReceivedRequest =
  | (RequestBase & { signal: 'metrics'; payload: ExportMetricsRequestJson })
  | (RequestBase & { signal: 'logs'; payload: ExportLogsRequestJson });

export interface FailOptions {
  /** Sent as Retry-After, in seconds. */
  retryAfterSeconds?: number;
  /** The Status message in the answer's body. @default 'injected failure <status>' */
  message?: string;
  /** Only requests of this signal; others pass. @default both */
  signal?: OtlpSignal;
}

export interface OtlpServer {
  /** `http://127.0.0.1:<port>`: what OTEL_EXPORTER_OTLP_ENDPOINT takes. */
  readonly baseUrl: string;
  /** `<baseUrl>/v1/metrics` */
  readonly metricsUrl: string;
  /** `<baseUrl>/v1/logs` */
  readonly logsUrl: string;
  /** Every decoded export request, answered well or not, in arrival order. */
  readonly requests: ReceivedRequest[];
  /** Metrics of the accepted (200) requests. */
  readonly metrics: ReceivedMetric[];
  /** Log records of the accepted (200) requests. */
  readonly logs: ReceivedLog[];
  /** Decompressed bodies of the accepted requests as UTF-8 text, to check that no secret is on the wire (protobuf keeps strings as UTF-8 too). */
  readonly bodies: string[];
  /** HTTP requests that arrived, whatever their path or fate. */
  readonly attempts: number;
  /** Answer the next `count` export requests with `status` (after decoding them). */
  failNext(count: number, status: number, options?: FailOptions): void;
  /** Never answer the next `count` export requests. */
  hangNext(count: number, options?: { signal?: OtlpSignal }): void;
  /** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>;
  /** Forget everything received and every pending fault. */
  reset(): void;
  /** Go down as a crash would (connections refused), keeping what was received. */
  pause(): Promise<void>;
  /** Come back on the same port. */
  resume(): Promise<void>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------
// Decoding

const root = protobuf.loadSync(fileURLToPath(new URL('./otlp.proto', import.meta.url)));
const PACKAGE = 'datalineage.test.otlp';
const REQUEST_TYPES: Record<OtlpSignal, protobuf.Type> = {
  metrics: root.lookupType(`${PACKAGE}.ExportMetricsServiceRequest`),
  logs: root.lookupType(`${PACKAGE}.ExportLogsServiceRequest`),
};
const STATUS_TYPE = root.lookupType(`${PACKAGE}.Status`);
const PATHS: Record<string, OtlpSignal> = { '/v1/metrics': 'metrics', '/v1/logs': 'logs' };
/** gRPC status codes for the Status body of an HTTP failure. */
const GRPC_CODES: Record<number, number> = { 400: 3, 404: 12, 415: 3, 429: 8, 502: 14, 503: 14, 504: 14 };

// The proto3 JSON mapping, as OTLP/JSON uses it: camelCase names (protobufjs' default), 64-bit
// integers as decimal strings, enums as numbers; bytes are base64 except ids, which OTLP/JSON
// spells in hex.
const TO_OBJECT: protobuf.IConversionOptions = {
  longs: String,
  enums: Number,
  bytes: String,
  defaults: false,
  arrays: false,
  oneofs: false,
};
const HEX_ID_FIELDS = new Set(['traceId', 'spanId']);

function idsToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToHex);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, inner]) => [
      key,
      HEX_ID_FIELDS.has(key) && typeof inner === 'string'
        ? Buffer.from(inner, 'base64').toString('hex')
        : idsToHex(inner),
    ]),
  );
}

function decodePayload(signal: OtlpSignal, encoding: OtlpEncoding, body: Buffer): unknown {
  if (encoding === 'json') return JSON.parse(body.toString('utf8')) as unknown;
  const type = REQUEST_TYPES[signal];
  return idsToHex(type.toObject(type.decode(body), TO_OBJECT));
}

export function decodeAnyValue(value: AnyValueJson | undefined): unknown {
  if (value === undefined) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(decodeAnyValue);
  if ('kvlistValue' in value) return attributesOf(value.kvlistValue.values);
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

export function attributesOf(list: KeyValueJson[] | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)]));
}

const text = (value: Int64Json | undefined) => (value === undefined ? undefined : String(value));
const nums = (values: Int64Json[] | undefined) => (values ?? []).map(Number);

function toPoint(point: PointJson): ReceivedDataPoint {
  const out: ReceivedDataPoint = {
    attributes: attributesOf(point.attributes),
    startTimeUnixNano: text(point.startTimeUnixNano),
    timeUnixNano: text(point.timeUnixNano),
  };
  if (point.asDouble !== undefined) out.value = point.asDouble;
  if (point.asInt !== undefined) out.value = Number(point.asInt);
  if (point.count !== undefined) out.count = Number(point.count);
  if (point.sum !== undefined) out.sum = point.sum;
  if (point.min !== undefined) out.min = point.min;
  if (point.max !== undefined) out.max = point.max;
  if (point.bucketCounts !== undefined) out.bucketCounts = nums(point.bucketCounts);
  if (point.explicitBounds !== undefined) out.explicitBounds = [...point.explicitBounds];
  if (point.scale !== undefined) out.scale = point.scale;
  if (point.zeroCount !== undefined) out.zeroCount = Number(point.zeroCount);
  for (const side of ['positive', 'negative'] as const) {
    const buckets = point[side];
    if (buckets !== undefined)
      out[side] = { offset: buckets.offset ?? 0, bucketCounts: nums(buckets.bucketCounts) };
  }
  if (point.quantileValues !== undefined) {
    out.quantileValues = point.quantileValues.map((q) => ({
      quantile: q.quantile ?? 0,
      value: q.value ?? 0,
    }));
  }
  return out;
}

function toMetric(metric: MetricJson): Omit<ReceivedMetric, 'serviceName' | 'resource' | 'scope'> {
  const { gauge, sum, histogram, exponentialHistogram, summary } = metric;
  const [type, data]: [MetricType, { dataPoints?: PointJson[] } | undefined] =
    gauge !== undefined
      ? ['gauge', gauge]
      : sum !== undefined
        ? ['sum', sum]
        : histogram !== undefined
          ? ['histogram', histogram]
          : exponentialHistogram !== undefined
            ? ['exponentialHistogram', exponentialHistogram]
            : summary !== undefined
              ? ['summary', summary]
              : ['none', undefined];
  return {
    name: metric.name ?? '',
    description: metric.description ?? '',
    unit: metric.unit ?? '',
    type,
    aggregationTemporality: (sum ?? histogram ?? exponentialHistogram)?.aggregationTemporality,
    isMonotonic: sum?.isMonotonic,
    dataPoints: (data?.dataPoints ?? []).map(toPoint),
  };
}

function serviceNameOf(resource: Record<string, unknown>): string | undefined {
  const name = resource['service.name'];
  return typeof name === 'string' ? name : undefined;
}

export function metricsOf(payload: ExportMetricsRequestJson): ReceivedMetric[] {
  const out: ReceivedMetric[] = [];
  for (const resourceMetrics of payload.resourceMetrics ?? []) {
    const resource = attributesOf(resourceMetrics.resource?.attributes);
    for (const scopeMetrics of resourceMetrics.scopeMetrics ?? []) {
      for (const metric of scopeMetrics.metrics ?? []) {
        out.push({
          serviceName: serviceNameOf(resource),
          resource,
          scope: scopeMetrics.scope?.name,
          ...toMetric(metric),
        });
      }
    }
  }
  return out;
}

export function logsOf(payload: ExportLogsRequestJson): ReceivedLog[] {
  const out: ReceivedLog[] = [];
  for (const resourceLogs of payload.resourceLogs ?? []) {
    const resource = attributesOf(resourceLogs.resource?.attributes);
    for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
      for (const record of scopeLogs.logRecords ?? []) {
        out.push({
          serviceName: serviceNameOf(resource),
          resource,
          scope: scopeLogs.scope?.name,
          timeUnixNano: text(record.timeUnixNano),
          severityNumber: record.severityNumber,
          severityText: record.severityText,
          body: decodeAnyValue(record.body),
          attributes: attributesOf(record.attributes),
          traceId: record.traceId || undefined,
          spanId: record.spanId || undefined,
        });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The server

interface Fault {
  remaining: number;
  kind: 'fail' | 'hang';
  status: number;
  retryAfterSeconds?: number;
  message?: string;
  signal?: OtlpSignal;
}

function encodingOf(contentType: string | undefined): OtlpEncoding | undefined {
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (mediaType === 'application/json') return 'json';
  if (mediaType === 'application/x-protobuf') return 'protobuf';
  return undefined;
}

/** What to answer one request. */
interface Reply {
  status: number;
  encoding: OtlpEncoding;
  message?: string;
  headers?: Record<string, string>;
}

function send(response: ServerResponse, { status, encoding, message = '', headers = {} }: Reply): void {
  const ok = status >= 200 && status < 300;
  const code = GRPC_CODES[status] ?? 2;
  let body: Uint8Array | string;
  if (encoding === 'json') body = ok ? '{}' : JSON.stringify({ code, message });
  // An empty Export<signal>ServiceResponse encodes to zero bytes.
  else body = ok ? new Uint8Array(0) : STATUS_TYPE.encode({ code, message }).finish();
  const contentType = encoding === 'json' ? 'application/json' : 'application/x-protobuf';
  response.writeHead(status, { 'content-type': contentType, ...headers }).end(body);
}

export async function startOtlpServer(): Promise<OtlpServer> {
  const requests: ReceivedRequest[] = [];
  const metrics: ReceivedMetric[] = [];
  const logs: ReceivedLog[] = [];
  const bodies: string[] = [];
  const faults: Fault[] = [];
  let attempts = 0;

  function takeFault(signal: OtlpSignal): Fault | undefined {
    const fault = faults.find((f) => f.remaining > 0 && (f.signal === undefined || f.signal === signal));
    if (fault !== undefined) fault.remaining--;
    return fault;
  }

  /** Decode and record one request; undefined leaves it hanging. */
  function handle(request: IncomingMessage, wire: Buffer): Reply | undefined {
    attempts++;
    const path = (request.url ?? '').split('?')[0] ?? '';
    const signal = PATHS[path];
    const encoding = encodingOf(request.headers['content-type']);
    if (signal === undefined)
      return { status: 404, encoding: encoding ?? 'json', message: `no OTLP endpoint at ${path}` };
    if (request.method !== 'POST')
      return { status: 405, encoding: encoding ?? 'json', message: 'OTLP/HTTP takes POST' };
    if (encoding === undefined) {
      return {
        status: 415,
        encoding: 'json',
        message: 'Content-Type must be application/x-protobuf or application/json',
      };
    }
    const contentEncoding = (request.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding !== 'gzip' && contentEncoding !== 'identity') {
      return { status: 415, encoding, message: `unsupported Content-Encoding ${contentEncoding}` };
    }
    let body: Buffer;
    let payload: unknown;
    try {
      body = contentEncoding === 'gzip' ? gunzipSync(wire) : wire;
      payload = decodePayload(signal, encoding, body);
    } catch (error) {
      return { status: 400, encoding, message: `request does not decode: ${String(error)}` };
    }
    const received = {
      signal,
      path,
      encoding,
      gzip: contentEncoding === 'gzip',
      headers: request.headers,
      wireBytes: wire.length,
      status: 0,
      payload,
    } as ReceivedRequest;
    requests.push(received);

    const fault = takeFault(signal);
    if (fault?.kind === 'hang') return undefined; // the client's timeout ends it, or close()
    if (fault !== undefined) {
      received.status = fault.status;
      return {
        status: fault.status,
        encoding,
        message: fault.message ?? `injected failure ${fault.status}`,
        headers:
          fault.retryAfterSeconds === undefined ? {} : { 'retry-after': String(fault.retryAfterSeconds) },
      };
    }
    received.status = 200;
    bodies.push(body.toString('utf8'));
    if (received.signal === 'metrics') metrics.push(...metricsOf(received.payload));
    else logs.push(...logsOf(received.payload));
    return { status: 200, encoding };
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const reply = handle(request, Buffer.concat(chunks));
      if (reply !== undefined) send(response, reply);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const lifecycle = restartable(server, port);

  return {
    baseUrl,
    pause: lifecycle.pause,
    resume: lifecycle.resume,
    metricsUrl: `${baseUrl}/v1/metrics`,
    logsUrl: `${baseUrl}/v1/logs`,
    requests,
    metrics,
    logs,
    bodies,
    get attempts() {
      return attempts;
    },
    failNext(count, status, options = {}) {
      faults.push({ remaining: count, kind: 'fail', status, ...options });
    },
    hangNext(count, options = {}) {
      faults.push({ remaining: count, kind: 'hang', status: 0, ...options });
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate()) {
        if (Date.now() > deadline) {
          throw new Error(
            `OTLP server: condition not met after ${timeoutMs} ms; ${requests.length} requests, ` +
              `${metrics.length} metrics, ${logs.length} logs received`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    },
    reset() {
      for (const list of [requests, metrics, logs, bodies, faults]) list.length = 0;
      attempts = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
