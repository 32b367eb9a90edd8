// What the OTLP metric reader and log processor share: the protocol, compression and timeout
// options with their OTEL_EXPORTER_OTLP_* fallbacks, checked at setup, and the bookkeeping behind
// `stats()`. URL and headers stay with OpenTelemetry's exporter, which reads its variables itself
// (from process.env, at construction); this file only checks that the ones in effect are usable,
// so a typo fails at setup instead of exporting to localhost, and learns the header values so no
// error in `stats()` repeats them.
import { diagnostics } from '@datalineage/core';
import type { PushMetricExporter } from '@opentelemetry/sdk-metrics';
import { scrub, secretsOf, urlSecrets } from '../export/secrets.js';
import { ExporterConfigError } from '../export/types.js';

/** How OTLP/HTTP requests are encoded. gRPC is not supported by this SDK. */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

/** Compression of OTLP/HTTP request bodies. */
export type OtlpCompression = 'gzip' | 'none';

/** The signal part of the OTEL_EXPORTER_OTLP_<SIGNAL>_* variables. */
export type OtlpSignal = 'METRICS' | 'LOGS';

/** What an OTLP exporter did since it was created. */
export interface OtlpExportStats {
  /** Export requests the backend accepted (after OpenTelemetry's own retries). */
  exported: number;
  /** Export requests that failed for good: refused, unreachable or timed out, retries included. */
  failed: number;
  /** Data points (metrics) or log records in the accepted requests. */
  exportedItems: number;
  /** Data points (metrics) or log records in the failed requests. */
  failedItems: number;
  /** Why the last failed request failed; header values and URL credentials are masked. */
  lastError?: string;
  /** When the last failure happened, ISO 8601. */
  lastFailure?: string;
  /** When the backend last accepted a request, ISO 8601. */
  lastSuccess?: string;
  /** Log records dropped because the export queue was full (logs only). */
  dropped?: number;
}

/** The result OpenTelemetry exporters hand to their callback. */
export type ExportResult = Parameters<Parameters<PushMetricExporter['export']>[1]>[0];

/** `ExportResultCode.SUCCESS` of @opentelemetry/core, which this package does not depend on. */
const EXPORT_SUCCESS = 0;

const PROTOCOLS: ReadonlySet<string> = new Set<OtlpProtocol>(['http/protobuf', 'http/json']);
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_ERROR_DATA = 200;

/** A variable's value, or undefined when unset or blank (as OpenTelemetry reads them). */
export function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** The first of `names` that is set, with its value. */
function firstEnv(env: NodeJS.ProcessEnv, names: readonly string[]) {
  for (const name of names) {
    const value = envValue(env, name);
    if (value !== undefined) return { name, value };
  }
  return undefined;
}

function signalVariables(signal: OtlpSignal, suffix: string): string[] {
  return [`OTEL_EXPORTER_OTLP_${signal}_${suffix}`, `OTEL_EXPORTER_OTLP_${suffix}`];
}

function checkProtocol(value: unknown, key: string): OtlpProtocol {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (typeof text === 'string' && PROTOCOLS.has(text)) return text as OtlpProtocol;
  if (text === 'grpc') {
    throw new ExporterConfigError(
      'otlp',
      key,
      "'grpc' is not supported by this SDK: use 'http/protobuf' (port 4318 of an OpenTelemetry " +
        'Collector), or run a Collector that receives OTLP/HTTP and forwards over gRPC',
    );
  }
  throw new ExporterConfigError(
    'otlp',
    key,
    `${JSON.stringify(value)} is not a protocol: use 'http/protobuf' or 'http/json'`,
  );
}

/**
 * The protocol in effect: the option, else OTEL_EXPORTER_OTLP_<SIGNAL>_PROTOCOL, else
 * OTEL_EXPORTER_OTLP_PROTOCOL, else `fallback`. Throws for `grpc` and unknown values.
 */
export function resolveProtocol(
  option: unknown,
  signal: OtlpSignal,
  env: NodeJS.ProcessEnv,
  fallback: OtlpProtocol,
): OtlpProtocol {
  if (option !== undefined) return checkProtocol(option, 'protocol');
  const fromEnv = firstEnv(env, signalVariables(signal, 'PROTOCOL'));
  return fromEnv === undefined ? fallback : checkProtocol(fromEnv.value, fromEnv.name);
}

function checkCompression(value: unknown, key: string): OtlpCompression {
  const text = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (text === 'gzip' || text === 'none') return text;
  throw new ExporterConfigError(
    'otlp',
    key,
    `${JSON.stringify(value)} is not a compression: use 'gzip' or 'none'`,
  );
}

/** The option, else OTEL_EXPORTER_OTLP_<SIGNAL>_COMPRESSION, else OTEL_EXPORTER_OTLP_COMPRESSION. */
export function resolveCompression(
  option: unknown,
  signal: OtlpSignal,
  env: NodeJS.ProcessEnv,
): OtlpCompression | undefined {
  if (option !== undefined) return checkCompression(option, 'compression');
  const fromEnv = firstEnv(env, signalVariables(signal, 'COMPRESSION'));
  return fromEnv === undefined ? undefined : checkCompression(fromEnv.value, fromEnv.name);
}

/** A duration option: a positive, finite number of milliseconds. */
export function checkMillis(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ExporterConfigError('otlp', key, `${String(value)} is not a positive number of milliseconds`);
  }
  return value;
}

/** A duration variable: positive milliseconds, or undefined when unset. */
export function envMillis(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = envValue(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ExporterConfigError(
      'otlp',
      name,
      `${JSON.stringify(raw)} is not a positive number of milliseconds`,
    );
  }
  return value;
}

/** A positive integer option (queue and batch sizes). */
export function checkCount(value: unknown, key: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0) {
    throw new ExporterConfigError('otlp', key, `${String(value)} is not a positive integer`);
  }
  return value;
}

function checkUrl(value: unknown, key: string): string {
  let url: URL | undefined;
  try {
    url = typeof value === 'string' ? new URL(value) : undefined;
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new ExporterConfigError(
      'otlp',
      key,
      'is not an http:// or https:// URL (e.g. http://localhost:4318/v1/logs)',
    );
  }
  return value as string;
}

/**
 * Checks the endpoint in effect: the option, else OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT (used as
 * is), else OTEL_EXPORTER_OTLP_ENDPOINT (OpenTelemetry appends `/v1/<signal>`). OpenTelemetry
 * would only warn about a bad one and send to localhost. Returns the URL text it found, if any.
 */
export function checkEndpoint(
  option: unknown,
  signal: OtlpSignal,
  env: NodeJS.ProcessEnv,
): string | undefined {
  if (option !== undefined) return checkUrl(option, 'url');
  const fromEnv = firstEnv(env, signalVariables(signal, 'ENDPOINT'));
  return fromEnv === undefined ? undefined : checkUrl(fromEnv.value, fromEnv.name);
}

/**
 * The exporter's request time limit: the option, else the variable OpenTelemetry reads
 * (OTEL_EXPORTER_OTLP_<SIGNAL>_TIMEOUT, else OTEL_EXPORTER_OTLP_TIMEOUT), checked here because
 * OpenTelemetry would only warn. Undefined when neither option nor variable is set.
 */
export function checkExporterTimeout(
  option: unknown,
  signal: OtlpSignal,
  env: NodeJS.ProcessEnv,
): number | undefined {
  if (option !== undefined) return checkMillis(option, 'timeoutMillis');
  const fromEnv = firstEnv(env, signalVariables(signal, 'TIMEOUT'));
  return fromEnv === undefined ? undefined : envMillis(env, fromEnv.name);
}

/** Header names must be HTTP tokens and values strings; the message never shows a value. */
export function checkHeaders(headers: unknown): Readonly<Record<string, string>> | undefined {
  if (headers === undefined) return undefined;
  if (headers === null || typeof headers !== 'object' || Array.isArray(headers)) {
    throw new ExporterConfigError('otlp', 'headers', 'must be an object of header names to string values');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (!HEADER_NAME.test(name)) {
      throw new ExporterConfigError('otlp', `headers.${name}`, 'is not a valid HTTP header name');
    }
    if (typeof value !== 'string' || /[\r\n]/.test(value)) {
      throw new ExporterConfigError('otlp', `headers.${name}`, 'must be a string without line breaks');
    }
  }
  return headers as Readonly<Record<string, string>>;
}

/** Header values from OTEL_EXPORTER_OTLP_[<SIGNAL>_]HEADERS (`k=v,k2=v2`, URL-encoded), raw and decoded. */
function envHeaderValues(env: NodeJS.ProcessEnv, signal: OtlpSignal): string[] {
  const values: string[] = [];
  for (const name of signalVariables(signal, 'HEADERS')) {
    for (const pair of (envValue(env, name) ?? '').split(',')) {
      const separator = pair.indexOf('=');
      if (separator <= 0) continue;
      const raw = pair.slice(separator + 1).trim();
      values.push(raw);
      try {
        values.push(decodeURIComponent(raw));
      } catch {
        // Not URL-encoded: the raw value is the one sent.
      }
    }
  }
  return values;
}

/** Everything an error message must not repeat: header values and URL credentials, longest first. */
export function collectSecrets(
  headers: Readonly<Record<string, string>> | undefined,
  url: string | undefined,
  signal: OtlpSignal,
  env: NodeJS.ProcessEnv,
): string[] {
  return secretsOf([...Object.values(headers ?? {}), ...envHeaderValues(env, signal), ...urlSecrets(url)]);
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // OTLPExporterError: `code` is the HTTP status, `data` the response body.
  const { code, data } = error as { code?: unknown; data?: unknown };
  let text =
    typeof code === 'number'
      ? `HTTP ${code}${error.message ? ` ${error.message}` : ''}`
      : error.message || error.name;
  if (typeof data === 'string' && data.trim() !== '') text += `: ${data.trim().slice(0, MAX_ERROR_DATA)}`;
  return text;
}

/**
 * Counts what one exporter did, for `stats()`. Failures are also reported once per cause through
 * the SDK's diagnostics (DLM_OTLP_EXPORT_FAILED), never thrown.
 */
export class ExportStatsRecorder {
  private exported = 0;
  private failed = 0;
  private exportedItems = 0;
  private failedItems = 0;
  private lastError: string | undefined;
  private lastFailure: string | undefined;
  private lastSuccess: string | undefined;

  constructor(
    /** `metrics` or `logs`, for messages. */
    private readonly signal: string,
    private readonly secrets: readonly string[],
  ) {}

  /**
   * Record how an export of `items` data points or records ended, and return the result to hand
   * on: a failure's error is replaced by one with the credentials masked, since OpenTelemetry's
   * processors and readers report it as they get it (to `diag`, where an app may log it).
   */
  settle(result: ExportResult, items: number): ExportResult {
    if (result.code === EXPORT_SUCCESS) {
      this.exported++;
      this.exportedItems += items;
      this.lastSuccess = new Date().toISOString();
      return result;
    }
    const message = this.fail(result.error ?? new Error('export failed'), items);
    return { code: result.code, error: new Error(message) };
  }

  /** Count a failed export; returns its description, credentials masked. */
  fail(error: unknown, items: number): string {
    const message = this.mask(describeError(error));
    this.failed++;
    this.failedItems += items;
    this.lastError = message;
    this.lastFailure = new Date().toISOString();
    diagnostics.warnOnce(
      'DLM_OTLP_EXPORT_FAILED',
      // Once per signal and kind of failure: bodies differ per request and would warn every time.
      `${this.signal}\u0000${message.slice(0, 40)}`,
      `OTLP ${this.signal} export failed: ${message}. Later failures like it are only counted (stats()).`,
    );
    return message;
  }

  snapshot(): OtlpExportStats {
    return {
      exported: this.exported,
      failed: this.failed,
      exportedItems: this.exportedItems,
      failedItems: this.failedItems,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(this.lastFailure === undefined ? {} : { lastFailure: this.lastFailure }),
      ...(this.lastSuccess === undefined ? {} : { lastSuccess: this.lastSuccess }),
    };
  }

  private mask(text: string): string {
    return scrub(text, this.secrets);
  }
}
