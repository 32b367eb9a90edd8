// Delivery of notifications to channels, in one shared place: each attempt bounded by a timeout
// that holds even when a channel ignores its AbortSignal, retries with exponential backoff and
// full jitter, Retry-After honoured, per-channel statistics, and error messages scrubbed of the
// channel's secrets. Channels only translate a notification and send it once; the HTTP channels
// share `sendHttp` so every one of them reports failures as a `DeliveryError` the same way.
import { diagnostics } from '../../internal/diag.js';
import type { Notification, NotificationChannel } from '../types.js';

/** What `DeliveryError` carries besides its message. */
export interface DeliveryErrorOptions {
  /** The HTTP status the receiver answered, when it answered. */
  status?: number;
  /** How long the receiver asked us to wait (its `Retry-After`), in ms. */
  retryAfterMs?: number;
  /**
   * Whether another attempt may succeed.
   * @default from `status`: 408, 429 and 5xx are retryable, other statuses are not; true without a status
   */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * Thrown by channels when a delivery failed in a way `deliver` should know about: the HTTP status,
 * whether retrying can help, and how long the receiver asked us to wait.
 *
 * @example
 * throw new DeliveryError('webhook answered HTTP 503', { status: 503, retryAfterMs: 2_000 });
 */
export class DeliveryError extends Error {
  override readonly name = 'DeliveryError';
  /** Stable, never reused. */
  readonly code = 'DLM_CHANNEL_DELIVERY';
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;

  constructor(message: string, options: DeliveryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.retryable =
      options.retryable ?? (options.status === undefined ? true : isRetryableStatus(options.status));
  }
}

/** 408 and 429 ask for a later attempt and 5xx may pass; any other 4xx will fail the same way again. */
export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 429 || status >= 500;
}

/**
 * A `Retry-After` header in ms: delta-seconds or an HTTP date (RFC 9110 §10.2.3); undefined when
 * absent or unreadable. A date in the past means "now" (0).
 *
 * @example parseRetryAfter('120') // 120_000
 * @example parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', now)
 */
export function parseRetryAfter(
  value: string | null | undefined,
  now: number = Date.now(),
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // Only a date with a weekday or month name: Date.parse reads bare numbers like "1.5" as years.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

// ---------------------------------------------------------------------------------------------
// HTTP, shared by the webhook, Slack and Alertmanager channels

/** How much of an error response's body goes into the error message. */
const BODY_SNIPPET_CHARS = 300;

/**
 * Sends one HTTP request and resolves on a 2xx answer. Anything else rejects with a
 * `DeliveryError` naming `target` (the caller's masked description of the receiver, never the raw
 * URL, which may hold a secret), the status, the start of the body and any `Retry-After`.
 * Redirects are not followed: a 301/302 would turn the POST into a GET and lose the payload while
 * reporting success.
 */
export async function sendHttp(
  url: string,
  init: { method: string; headers: Readonly<Record<string, string>>; body: string },
  target: string,
  signal: AbortSignal,
): Promise<void> {
  let response: Response;
  try {
    response = await fetch(url, { ...init, signal, redirect: 'manual' });
  } catch (error) {
    if (signal.aborted) throw signal.reason ?? error;
    throw new DeliveryError(`${target}: request failed: ${fetchFailure(error)}`, { cause: error });
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => {});
    return;
  }
  const body = await readSnippet(response);
  const redirect =
    response.status >= 300 && response.status < 400
      ? ` (a redirect; configure the URL it points to${response.headers.has('location') ? `: ${response.headers.get('location')}` : ''})`
      : '';
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  throw new DeliveryError(
    `${target} answered HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}${redirect}${body ? `: ${body}` : ''}`,
    {
      status: response.status,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
      retryable: redirect === '' && isRetryableStatus(response.status),
    },
  );
}

/** undici reports every network failure as "fetch failed"; the reason is in `cause`. */
function fetchFailure(error: unknown): string {
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (cause instanceof Error) return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/** The first characters of a response body, whitespace collapsed; reads no further than needed. */
async function readSnippet(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = '';
  try {
    while (text.length <= BODY_SNIPPET_CHARS) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
  } catch {
    // A body cut short still says something; keep what arrived.
  } finally {
    reader.cancel().catch(() => {});
  }
  text = text.replace(/\s+/g, ' ').trim();
  return text.length > BODY_SNIPPET_CHARS ? `${text.slice(0, BODY_SNIPPET_CHARS)}…` : text;
}

// ---------------------------------------------------------------------------------------------
// Secrets: channels register theirs at construction; error messages and stats are scrubbed

/** What a secret is replaced with, as the log redactor writes it. */
export const REDACTED = '[REDACTED]';

/**
 * Shorter values are not scrubbed: replacing every "ab" in a message would make it unreadable
 * while protecting nothing a two-character password could protect.
 */
const MIN_SECRET_LENGTH = 3;

const secretsByChannel = new WeakMap<NotificationChannel, readonly string[]>();

/**
 * Declares values that must never appear in a delivery error or in stats for `channel`: passwords,
 * tokens, secret URL paths and their encoded forms. Channels call it from their constructor.
 */
export function registerSecrets(channel: NotificationChannel, secrets: Iterable<string | undefined>): void {
  const list = new Set<string>();
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= MIN_SECRET_LENGTH) list.add(secret);
  }
  // Longest first, so a secret that contains another is replaced whole.
  secretsByChannel.set(
    channel,
    [...list].sort((a, b) => b.length - a.length),
  );
}

/** `text` with every registered secret of `channel` replaced by `[REDACTED]`. */
export function scrubSecrets(channel: NotificationChannel, text: string): string {
  let scrubbed = text;
  for (const secret of secretsByChannel.get(channel) ?? []) scrubbed = scrubbed.split(secret).join(REDACTED);
  return scrubbed;
}

/**
 * A URL for display: scheme and host only, with `/[REDACTED]` when there was more. Webhook URLs
 * (Slack's `/services/T…/B…/secret`, Discord's, Teams') carry their credential in the path.
 *
 * @example maskUrl('https://hooks.slack.com/services/T0/B0/abc') // 'https://hooks.slack.com/[REDACTED]'
 */
export function maskUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const rest = parsed.pathname !== '/' || parsed.search !== '' || parsed.hash !== '';
    return rest ? `${parsed.origin}/${REDACTED}` : parsed.origin;
  } catch {
    return REDACTED;
  }
}

// ---------------------------------------------------------------------------------------------
// deliver()

/** Options of {@link deliver}. */
export interface DeliveryOptions {
  /**
   * Limit of one attempt, in ms. A receiver that does not answer in time counts as a failed,
   * retryable attempt; the caller is released even when the channel ignores its AbortSignal.
   * @default 10_000
   */
  timeoutMs?: number;
  /**
   * Attempts after the first one, for retryable failures only.
   * @default 3
   */
  retries?: number;
  /**
   * Base of the exponential backoff: before retry n the wait is random × min(maxBackoffMs, backoffMs × 2^(n-1)).
   * @default 500
   */
  backoffMs?: number;
  /**
   * Cap of the exponential backoff, in ms.
   * @default 10_000
   */
  maxBackoffMs?: number;
  /**
   * The longest `Retry-After` that is waited for. A receiver asking for more ends the delivery
   * (failed), rather than holding the notification that long or retrying before it allows.
   * @default 60_000
   */
  maxRetryAfterMs?: number;
  /**
   * Waits between attempts; tests pass a fake to capture the delays.
   * @default a setTimeout promise
   */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Source of the jitter, in [0, 1).
   * @default Math.random
   */
  random?: () => number;
}

/** The outcome of {@link deliver}. */
export interface DeliveryResult {
  readonly ok: boolean;
  /** Attempts made, 1 + retries used. */
  readonly attempts: number;
  /** The last failure, scrubbed of the channel's secrets; absent when `ok`. */
  readonly error?: string;
}

// Ref'd, like the attempt timer: a pending retry is work the caller awaits (see attemptOnce).
const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Delivers `notification` through `channel`, retrying retryable failures. Never throws and never
 * hangs for longer than its timeouts and waits add up to.
 *
 * @example
 * const result = await deliver(channel, notification, { timeoutMs: 5_000 });
 * stats.record(channel, result);
 */
export async function deliver(
  channel: NotificationChannel,
  notification: Notification,
  options: DeliveryOptions = {},
): Promise<DeliveryResult> {
  const timeoutMs = positive(options.timeoutMs, 10_000);
  const retries = Math.floor(nonNegative(options.retries, 3));
  const backoffMs = nonNegative(options.backoffMs, 500);
  const maxBackoffMs = nonNegative(options.maxBackoffMs, 10_000);
  const maxRetryAfterMs = nonNegative(options.maxRetryAfterMs, 60_000);
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  for (let attempt = 1; ; attempt++) {
    const error = await attemptOnce(channel, notification, timeoutMs);
    if (error === undefined) return { ok: true, attempts: attempt };

    let message = errorMessage(error);
    const retryable = !(error instanceof DeliveryError) || error.retryable;
    const retryAfterMs = error instanceof DeliveryError ? error.retryAfterMs : undefined;
    let delay = Math.min(maxBackoffMs, backoffMs * 2 ** (attempt - 1)) * clamp01(random());
    if (retryAfterMs !== undefined) {
      if (retryAfterMs > maxRetryAfterMs) {
        message += ` (asked to retry after ${Math.ceil(retryAfterMs / 1000)} s, more than maxRetryAfterMs ${maxRetryAfterMs} ms: not retried)`;
        return fail(channel, attempt, message);
      }
      // The receiver said when; retrying sooner would only be refused again.
      delay = retryAfterMs;
    }
    if (!retryable || attempt > retries) return fail(channel, attempt, message);
    try {
      await sleep(delay);
    } catch {
      // A failing injected sleep must not turn into a throw; retry at once.
    }
  }
}

/** One attempt: resolves with the failure, or undefined on success. Never rejects. */
async function attemptOnce(
  channel: NotificationChannel,
  notification: Notification,
  timeoutMs: number,
): Promise<unknown> {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  // Raced against the send, so a channel that ignores the signal still releases the caller.
  // The timer stays ref'd: it bounds work the caller is awaiting, and an unref'd one would let a
  // process exit in the middle of flushing its alerts.
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = new DeliveryError(`timed out after ${timeoutMs} ms`, { retryable: true });
      controller.abort(error);
      reject(error);
    }, timeoutMs);
  });
  try {
    // The async wrapper turns a synchronous throw from send() into a rejection.
    await Promise.race([(async () => channel.send(notification, controller.signal))(), timedOut]);
    return undefined;
  } catch (error) {
    return error ?? new Error('the channel rejected without a reason');
  } finally {
    clearTimeout(timer);
  }
}

function fail(channel: NotificationChannel, attempts: number, message: string): DeliveryResult {
  const error = scrubSecrets(channel, message);
  diagnostics.warnOnce(
    'DLM_CHANNEL_DELIVERY',
    channel.name,
    `notification channel '${channel.name}' (${channel.kind}) failed after ${attempts} attempt(s): ${error}. ` +
      'Check its configuration and that the receiver is reachable; later failures of this channel are counted, not logged.',
  );
  return { ok: false, attempts, error };
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return typeof error === 'string' ? error : `non-error thrown: ${String(error)}`;
}

const positive = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
const nonNegative = (value: number | undefined, fallback: number): number =>
  value !== undefined && Number.isFinite(value) && value >= 0 ? value : fallback;
const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 1);

// ---------------------------------------------------------------------------------------------
// Statistics

/** Delivery counts of one channel, for status pages. */
export interface ChannelStats {
  /** Notifications delivered. */
  readonly sent: number;
  /** Notifications given up on. */
  readonly failed: number;
  /** Extra attempts made, over all notifications. */
  readonly retried: number;
  /** The last failure, scrubbed of the channel's secrets. */
  readonly lastError?: string;
  /** When the last failure happened (epoch ms). */
  readonly lastErrorAt?: number;
  /** When the last delivery succeeded (epoch ms). */
  readonly lastSuccess?: number;
}

type MutableStats = { -readonly [K in keyof ChannelStats]: ChannelStats[K] };

/**
 * Per-channel delivery counts, keyed by channel name. One entry per configured channel, so it is
 * bounded by the configuration.
 *
 * @example
 * const stats = new DeliveryStats();
 * stats.record(channel, await deliver(channel, notification));
 * stats.get('email'); // { sent: 1, failed: 0, retried: 0, lastSuccess: 1718000000000 }
 */
export class DeliveryStats {
  readonly #byChannel = new Map<string, MutableStats>();

  /** Counts one `deliver` outcome. */
  record(channel: NotificationChannel, result: DeliveryResult, at: number = Date.now()): void {
    let stats = this.#byChannel.get(channel.name);
    if (stats === undefined) {
      stats = { sent: 0, failed: 0, retried: 0 };
      this.#byChannel.set(channel.name, stats);
    }
    stats.retried += Math.max(0, result.attempts - 1);
    if (result.ok) {
      stats.sent += 1;
      stats.lastSuccess = at;
    } else {
      stats.failed += 1;
      // Scrubbed again: a result may come from elsewhere than deliver().
      stats.lastError = scrubSecrets(channel, result.error ?? 'unknown error');
      stats.lastErrorAt = at;
    }
  }

  /** A copy of one channel's counts; undefined before its first delivery. */
  get(name: string): ChannelStats | undefined {
    const stats = this.#byChannel.get(name);
    return stats === undefined ? undefined : { ...stats };
  }

  /** Copies of every channel's counts, by channel name. */
  snapshot(): Record<string, ChannelStats> {
    const out: Record<string, ChannelStats> = {};
    for (const [name, stats] of this.#byChannel) out[name] = { ...stats };
    return out;
  }
}
