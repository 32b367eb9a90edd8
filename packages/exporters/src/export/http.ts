// HTTP for every exporter, in one place: one request with the caller's abort signal, the answer
// read up to a bound, failures turned into an ExportError that names the target (masked, never a
// URL with its credentials), the status, the start of the body and any Retry-After.
import { maskUrl, parseRetryAfter } from '@datalineage/core';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { scrub } from './secrets.js';
import { ExportError } from './types.js';

/** An HTTP answer, whatever its status. */
export interface HttpAnswer {
  readonly status: number;
  readonly headers: Headers;
  /** The body as text, cut at `maxBodyBytes`, the request's secrets already masked. */
  readonly text: string;
}

export interface HttpRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** @default {} */
  readonly headers?: Readonly<Record<string, string>>;
  /** @default no body */
  readonly body?: string | Uint8Array;
  /** Answers longer than this are cut (a `_bulk` answer runs to megabytes). @default 1 MiB */
  readonly maxBodyBytes?: number;
  /** Strings a failure message must not repeat (see `secretsOf`). @default [] */
  readonly secrets?: readonly string[];
}

/**
 * Sends one request. Resolves with any HTTP answer; rejects with an `ExportError` only when no
 * answer came (refused, reset, DNS), or with the signal's reason when it aborted, while reading
 * the body too: the signal bounds the whole request. Redirects are not followed: a 301/302 would
 * turn a POST into a GET and lose the payload while looking fine.
 * @param target how errors name the backend, e.g. `InfluxDB http://db:8086` (see `describeUrl`)
 */
export async function request(
  url: string,
  init: HttpRequest,
  target: string,
  signal: AbortSignal,
): Promise<HttpAnswer> {
  let response: Response;
  try {
    // The SDK's own requests are not the application's telemetry: an HTTP instrumentation must
    // not trace them (and so export spans about exporting).
    response = await context.with(suppressTracing(context.active()), () =>
      fetch(url, {
        method: init.method,
        headers: { ...init.headers },
        ...(init.body === undefined ? {} : { body: init.body }),
        signal,
        redirect: 'manual',
      }),
    );
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    throw new ExportError(scrub(`${target}: request failed: ${fetchFailure(error)}`, init.secrets ?? []), {
      cause: error,
    });
  }
  const text = scrub(await readText(response, init.maxBodyBytes ?? 1 << 20), init.secrets ?? []);
  // The signal cuts the body too (readText keeps what arrived): an answer cut by the time limit is
  // the time limit, not a short answer.
  if (signal.aborted) throw signal.reason ?? new ExportError(`${target}: request aborted`);
  return { status: response.status, headers: response.headers, text };
}

/**
 * The ExportError for a non-2xx answer: status, the start of the body, Retry-After, and whether a
 * retry can help (408, 429 and 5xx).
 */
export function answerError(answer: HttpAnswer, target: string, detail = snippet(answer.text)): ExportError {
  const retryAfterMs = parseRetryAfter(answer.headers.get('retry-after'));
  const redirect =
    answer.status >= 300 && answer.status < 400
      ? ` (a redirect${answer.headers.has('location') ? ` to ${maskUrl(answer.headers.get('location') ?? '')}` : ''}: configure the URL it points to)`
      : '';
  const advice =
    answer.status === 401 || answer.status === 403
      ? ' (check the credentials: username/password, token or API key)'
      : '';
  return new ExportError(
    `${target} answered HTTP ${answer.status}${redirect}${advice}${detail ? `: ${detail}` : ''}`,
    {
      status: answer.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      ...(redirect === '' ? {} : { retryable: false }),
    },
  );
}

/** `Basic …` for a username and password. */
export function basicAuth(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

/**
 * A URL as status pages and errors show it: scheme, host and path, never the userinfo or the
 * query (which may carry `u=…&p=…` or a token).
 * @example describeUrl('http://admin:pw@db:8086/write?db=x&p=pw') // 'http://db:8086/write'
 */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
  } catch {
    return '[invalid URL]';
  }
}

/** undici reports every network failure as "fetch failed"; the reason is in `cause`. */
function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: { message?: unknown; code?: unknown } } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

function snippet(text: string): string {
  const collapsed = text.replace(/\s+/g, ' ').trim();
  return collapsed.length > 300 ? `${collapsed.slice(0, 300)}…` : collapsed;
}

async function readText(response: Response, maxBytes: number): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
    text += decoder.decode();
  } catch {
    // A body cut short still says something; keep what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  return text;
}
