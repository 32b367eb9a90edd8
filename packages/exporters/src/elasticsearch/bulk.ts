// Log records as Elasticsearch sees them: an ECS document per record, serialised once when the
// record is emitted (queued items are immutable strings, safe to send twice), the `_bulk` NDJSON
// body, and the `_bulk` answer read item by item into a SendResult.
//
// Documents follow ecs-logging (https://github.com/elastic/ecs-logging/blob/main/spec/spec.json):
// `@timestamp`, `log.level` and `message` first, leaf fields as dotted top-level keys
// (`log.level` must not be nested; `service.name`, `trace.id`, `log.logger` are written the same
// way), which Elasticsearch expands into the same objects as nested JSON would.
import { randomBytes } from 'node:crypto';
import { diagnostics, type LogLevel, levelName, toLogLevel } from '@datalineage/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import { ExportError, type SendResult } from '../export/types.js';

/** The ECS version the documents follow. */
export const ECS_VERSION = '8.11.0';

/** One queued document: where it goes, its `_id`, and its source already serialised. */
export interface EcsDocItem {
  /** Unique per record and stable across resends: a `create` of an existing `_id` answers 409. */
  readonly id: string;
  /** The daily index or the data stream. */
  readonly index: string;
  /** The ECS document as one line of JSON. */
  readonly source: string;
}

/** Where documents go. */
export type EcsTarget =
  | { readonly kind: 'daily'; readonly prefix: string }
  | { readonly kind: 'datastream'; readonly name: string };

export interface EcsEncoderOptions {
  readonly target: EcsTarget;
  /** `service.name` of every document. @default the record's resource `service.name` */
  readonly serviceName?: string | undefined;
  /** Start of every `_id`. @default 12 random characters, so ids of two processes never meet */
  readonly idPrefix?: string;
}

/**
 * Attributes the aggregator uses for the entry itself (its `RESERVED_ATTRIBUTES`): they become
 * ECS fields, not extra data.
 */
const RESERVED: ReadonlySet<string> = new Set([
  'log.source',
  'logger.name',
  'trace_id',
  'exception.type',
  'exception.message',
  'exception.stacktrace',
]);

/** Longest text made of a non-string body (an object logged through the OpenTelemetry API). */
const MAX_BODY_TEXT = 65_536;
/** Logger and source fragments kept; past it they are built per record (names are user data). */
const MAX_CACHED = 1024;

/** `,"log.level":"…"` per level value, built once. */
const LEVEL_FRAGMENTS: ReadonlyMap<number, string> = new Map(
  [5, 9, 13, 17, 21].map((level) => [level, `,"log.level":"${levelName(level as LogLevel).toLowerCase()}"`]),
);

/** `000` … `999`. */
const MILLIS: readonly string[] = Array.from({ length: 1000 }, (_, ms) => String(ms).padStart(3, '0'));

/**
 * Turns records into {@link EcsDocItem}s. Everything constant (service name, level and logger
 * fragments, today's index) is built once; a record costs its timestamp, message and extra data.
 */
export class EcsEncoder {
  private readonly target: EcsTarget;
  private readonly idPrefix: string;
  private sequence = 0;
  /** `,"service.name":"…"` from the options, or undefined to read the resource. */
  private readonly fixedService: string | undefined;
  private lastResource: unknown;
  private lastServiceFragment = '';
  private readonly loggerFragments = new Map<string, string>();
  private readonly sourceFragments = new Map<string, string>();
  private lastDay = '';
  private lastSecond = Number.NaN;
  /** `YYYY-MM-DDTHH:MM:SS.` of {@link lastSecond}. */
  private secondPrefix = '';
  private lastDayIndex = '';

  constructor(options: EcsEncoderOptions) {
    this.target = options.target;
    this.idPrefix = options.idPrefix ?? `${randomBytes(9).toString('base64url')}-`;
    this.fixedService =
      options.serviceName === undefined
        ? undefined
        : `,"service.name":${JSON.stringify(options.serviceName)}`;
  }

  /** The document for a record; never throws (a record that defeats encoding gets a minimal one). */
  encode(record: ReadableLogRecord): EcsDocItem {
    const id = `${this.idPrefix}${(++this.sequence).toString(36)}`;
    try {
      const { timestamp, source } = this.document(record);
      return { id, index: this.indexFor(timestamp), source };
    } catch (error) {
      diagnostics.warnOnce(
        'DLM_ES_ENCODE_FAILED',
        'encode',
        `a log record could not be turned into an Elasticsearch document (${errorText(error)}); it is sent with its message only.`,
      );
      const timestamp = new Date().toISOString();
      const message = `[unencodable log record] ${fallbackText(record)}`;
      const source = `{"@timestamp":"${timestamp}","log.level":"info","message":${JSON.stringify(message)},"ecs.version":"${ECS_VERSION}"}`;
      return { id, index: this.indexFor(timestamp), source };
    }
  }

  private document(record: ReadableLogRecord): { timestamp: string; source: string } {
    const timestamp = this.isoTime(record.hrTime);
    const attributes = (record.attributes ?? {}) as Readonly<Record<string, unknown>>;
    const body = record.body;
    let json = `{"@timestamp":"${timestamp}"`;
    json += LEVEL_FRAGMENTS.get(levelOf(record)) ?? ',"log.level":"info"';
    json += `,"message":${JSON.stringify(typeof body === 'string' ? body : bodyText(body))}`;
    json += `,"ecs.version":"${ECS_VERSION}"`;
    const loggerName = attributes['logger.name'];
    json += this.loggerFragment(
      typeof loggerName === 'string' ? loggerName : record.instrumentationScope.name,
    );
    json += this.fixedService ?? this.serviceFragment(record);
    const logSource = attributes['log.source'];
    json += this.sourceFragment(typeof logSource === 'string' ? logSource : 'application');
    const span = record.spanContext;
    const traceId = span?.traceId ?? attributes.trace_id;
    if (typeof traceId === 'string') json += `,"trace.id":${JSON.stringify(traceId)}`;
    if (span !== undefined) json += `,"span.id":${JSON.stringify(span.spanId)}`;
    const errorType = attributes['exception.type'];
    const errorMessage = attributes['exception.message'];
    if (errorType !== undefined || errorMessage !== undefined) {
      json += `,"error.type":${JSON.stringify(typeof errorType === 'string' ? errorType : 'Error')}`;
      json += `,"error.message":${JSON.stringify(typeof errorMessage === 'string' ? errorMessage : '')}`;
      const stack = attributes['exception.stacktrace'];
      if (typeof stack === 'string') json += `,"error.stack_trace":${JSON.stringify(stack)}`;
    }
    const extra = extraJson(attributes);
    if (extra !== undefined) json += `,"datalineage.extra":${extra}`;
    const source = `${json}}`;
    // The pieces above form a rope; flatten it now, while they are young garbage. A queued rope
    // keeps a dozen objects per record alive into the old generation: about 1.5× slower to
    // encode, measured in bench/elasticsearch.bench.ts. (V8 flattens a rope on charCodeAt.)
    source.charCodeAt(0);
    return { timestamp, source };
  }

  /**
   * ISO 8601 UTC with milliseconds. Records come in bursts within one second: the date and time up
   * to the second is formatted once per second, the milliseconds per record.
   */
  private isoTime(hrTime: readonly [number, number] | undefined): string {
    const seconds = hrTime?.[0];
    const nanos = hrTime?.[1];
    if (
      seconds === undefined ||
      !Number.isInteger(seconds) ||
      nanos === undefined ||
      !(nanos >= 0 && nanos < 1e9)
    )
      return isoTime(hrTime);
    if (seconds !== this.lastSecond) {
      const iso = isoTime([seconds, 0]);
      // Years past 9999 or before 0 are written with six digits and a sign: no cache for those.
      if (iso.length !== 24) return isoTime(hrTime);
      this.lastSecond = seconds;
      this.secondPrefix = iso.slice(0, 20);
    }
    return `${this.secondPrefix}${MILLIS[Math.floor(nanos / 1e6)]}Z`;
  }

  /** `<prefix>-YYYY.MM.DD` from the document's UTC date, or the data stream. */
  private indexFor(timestamp: string): string {
    if (this.target.kind === 'datastream') return this.target.name;
    const day = timestamp.slice(0, 10);
    if (day !== this.lastDay) {
      this.lastDay = day;
      this.lastDayIndex = `${this.target.prefix}-${day.replaceAll('-', '.')}`;
    }
    return this.lastDayIndex;
  }

  private loggerFragment(name: string): string {
    let fragment = this.loggerFragments.get(name);
    if (fragment === undefined) {
      fragment = `,"log.logger":${JSON.stringify(name)}`;
      if (this.loggerFragments.size < MAX_CACHED) this.loggerFragments.set(name, fragment);
    }
    return fragment;
  }

  private sourceFragment(source: string): string {
    let fragment = this.sourceFragments.get(source);
    if (fragment === undefined) {
      fragment = `,"labels":{"source":${JSON.stringify(source)}}`;
      if (this.sourceFragments.size < MAX_CACHED) this.sourceFragments.set(source, fragment);
    }
    return fragment;
  }

  /** The resource's `service.name`; one LoggerProvider has one resource, so the last one is kept. */
  private serviceFragment(record: ReadableLogRecord): string {
    const resource = record.resource;
    if (resource !== this.lastResource) {
      const name = resource?.attributes?.['service.name'];
      this.lastResource = resource;
      this.lastServiceFragment = typeof name === 'string' ? `,"service.name":${JSON.stringify(name)}` : '';
    }
    return this.lastServiceFragment;
  }
}

/**
 * The `_bulk` body: a `create` action and the source per item, each line ending in `\n`, the
 * last one included. `create`, never `index`: data streams take nothing else, and it makes a
 * resent document a 409 instead of a second copy. No `_type` (Elasticsearch 8 refuses it).
 */
export function encodeBulk(items: readonly EcsDocItem[]): string {
  let body = '';
  for (const item of items) {
    // Index names and ids need no escaping: the config forbids `"` and `\` in names, ids are
    // base64url and base-36 digits.
    body += `{"create":{"_index":"${item.index}","_id":"${item.id}"}}\n${item.source}\n`;
  }
  return body;
}

/**
 * What a 2xx `_bulk` answer says about each item. `errors: false`: all were taken. Otherwise per
 * item: 2xx taken; 409 (the `_id` exists: a resend of an item the backend already had) taken;
 * 429 and 5xx to retry; any other status refused for good, counted under its error type
 * (`document_parsing_exception`, `mapper_parsing_exception`, …).
 * @param target names the backend in errors, e.g. `Elasticsearch http://es:9200`
 * @throws ExportError (retryable) for an answer that is not a `_bulk` response for this batch
 */
export function parseBulkResponse(text: string, count: number, target: string): SendResult | undefined {
  let answer: unknown;
  try {
    answer = JSON.parse(text);
  } catch {
    throw malformed(target, `a body that is not JSON: ${snippet(text)}`);
  }
  if (answer === null || typeof answer !== 'object') throw malformed(target, 'a body that is not an object');
  const { errors, items } = answer as { errors?: unknown; items?: unknown };
  if (errors === false) return undefined;
  if (errors !== true) throw malformed(target, 'no "errors" flag');
  if (!Array.isArray(items) || items.length !== count) {
    throw malformed(target, `${Array.isArray(items) ? items.length : 'no'} items for a batch of ${count}`);
  }
  const retry: number[] = [];
  const rejected: Array<{ index: number; reason: string }> = [];
  for (let index = 0; index < count; index++) {
    const entry = items[index] as Record<string, unknown> | null;
    // Each item is `{ "<action>": { status, error? } }`.
    const outcome = (entry !== null && typeof entry === 'object' ? Object.values(entry)[0] : undefined) as
      | { status?: unknown; error?: { type?: unknown } }
      | undefined;
    const status = outcome?.status;
    if (typeof status !== 'number') throw malformed(target, `item ${index} has no status`);
    if ((status >= 200 && status < 300) || status === 409) continue;
    if (status === 429 || status >= 500) {
      retry.push(index);
      continue;
    }
    const type = outcome?.error?.type;
    rejected.push({ index, reason: typeof type === 'string' && type !== '' ? type : `http_${status}` });
  }
  if (retry.length === 0 && rejected.length === 0) return undefined;
  return {
    ...(retry.length === 0 ? {} : { retry }),
    ...(rejected.length === 0 ? {} : { rejected }),
  };
}

/**
 * Some items of the batch may have been indexed already; sending the whole batch again is safe
 * only because every action is a `create` with the item's own `_id`: those come back as 409,
 * which counts as delivered. So a garbled answer is a retry of the whole batch, not a loss.
 */
function malformed(target: string, what: string): ExportError {
  return new ExportError(`${target} answered a _bulk request with ${what}; the batch will be sent again`, {
    retryable: true,
  });
}

/** The level as the aggregator's store reads it: severity number first, then the text. */
function levelOf(record: ReadableLogRecord): number {
  const severity = record.severityNumber;
  if (severity !== undefined && severity > 0) {
    if (severity <= 8) return 5;
    if (severity <= 12) return 9;
    if (severity <= 16) return 13;
    if (severity <= 20) return 17;
    return 21;
  }
  return record.severityText === undefined ? 9 : toLogLevel(record.severityText).level;
}

/** ISO 8601 UTC with milliseconds; the current time for a timestamp that is not one. */
function isoTime(hrTime: readonly [number, number] | undefined): string {
  const ms = hrTime === undefined ? Number.NaN : hrTime[0] * 1000 + Math.floor(hrTime[1] / 1e6);
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? new Date().toISOString() : date.toISOString();
}

/** Extra data as a JSON object, or undefined when there is none. */
function extraJson(attributes: Readonly<Record<string, unknown>>): string | undefined {
  let reserved = false;
  let any = false;
  for (const key in attributes) {
    if (RESERVED.has(key)) reserved = true;
    else any = true;
  }
  if (!any) return undefined;
  let extra = attributes;
  if (reserved) {
    const copy: Record<string, unknown> = {};
    for (const key in attributes) if (!RESERVED.has(key)) copy[key] = attributes[key];
    extra = copy;
  }
  try {
    return JSON.stringify(extra);
  } catch {
    return safeJson(extra);
  }
}

/** Text of a body that is not a string (OpenTelemetry allows maps, arrays, bytes). */
function bodyText(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') return body;
  if (typeof body !== 'object') return String(body);
  let text: string;
  try {
    text = JSON.stringify(body) ?? String(body);
  } catch {
    text = safeJson(body);
  }
  return text.length > MAX_BODY_TEXT ? `${text.slice(0, MAX_BODY_TEXT)}…[truncated]` : text;
}

/** JSON that survives BigInt and cycles; for values the fast path could not serialise. */
function safeJson(value: unknown): string {
  const ancestors: object[] = [];
  try {
    return (
      JSON.stringify(value, function (this: unknown, _key, item: unknown) {
        if (typeof item === 'bigint') return item.toString();
        if (item !== null && typeof item === 'object') {
          // `this` is the object holding `item`: drop the ancestors JSON.stringify has left.
          while (ancestors.length > 0 && ancestors[ancestors.length - 1] !== this) ancestors.pop();
          if (ancestors.includes(item)) return '[Circular]';
          ancestors.push(item);
        }
        return item;
      }) ?? '{}'
    );
  } catch {
    return '{}';
  }
}

/** Whatever text of the body can still be had from a record that failed to encode. */
function fallbackText(record: ReadableLogRecord): string {
  try {
    return bodyText(record.body);
  } catch {
    return '';
  }
}

function errorText(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unprintable error';
  }
}

function snippet(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 200 ? `${collapsed.slice(0, 200)}…` : collapsed;
}
