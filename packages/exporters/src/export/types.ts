// What an exporter is to the ExporterManager: something that turns telemetry into items (points,
// documents, snapshots) and sends a batch of them. Queueing, batching, timers, timeouts, retries
// and statistics live in the manager, once, for every exporter.

/** Why a queued item was dropped; each reason is counted per exporter. */
export type DropReason =
  /** The queue was full: the oldest item made room for a new one. */
  | 'queue_full'
  /** The backend refused the whole batch for good (a 4xx other than 408/429). */
  | 'rejected'
  /** The item cannot be written in the backend's format (a line-protocol tag ending in `\`). */
  | 'unrepresentable'
  /** `stop()`'s deadline passed before the backend took it. */
  | 'shutdown'
  /** The exporter was removed with items still queued. */
  | 'removed'
  /** Items rejected one by one give their own reason: Elasticsearch's error type, say. */
  | (string & {});

/** Per-item outcome of a batch the backend took in part (Elasticsearch `_bulk` with `errors: true`). */
export interface SendResult {
  /** Indexes into the batch of items to send again (rejected with 429 or 5xx). */
  readonly retry?: readonly number[];
  /** Items the backend refused for good, dropped and counted under `reason`. */
  readonly rejected?: ReadonlyArray<{ readonly index: number; readonly reason: string }>;
  /**
   * Items refused for good when the backend only says how many (InfluxDB's `partial write …
   * dropped=N`), counted by reason; the rest of the batch was taken.
   */
  readonly dropped?: Readonly<Record<string, number>>;
  /** Wait at least this long before sending the items to retry. */
  readonly retryAfterMs?: number;
}

/**
 * One exporter. Implementations translate and send; they never retry or queue themselves.
 * Items must be immutable once returned: a batch may be sent more than once.
 */
export interface Exporter<T = unknown> {
  /** What kind of backend this is: `influxdb`, `pushgateway`, `elasticsearch`, `otlp`. */
  readonly kind: string;
  /**
   * A newer item replaces the queued ones instead of queueing behind them: a Pushgateway push is
   * the whole current state, so an older unsent one is worth nothing. @default false
   */
  readonly supersedes?: boolean;
  /**
   * The items of this export tick, typically a metrics snapshot stamped `now`. Exporters fed by
   * `attach` need none. What cannot be exported is reported through `drop` (counted by reason).
   * May throw: the failure is counted and the tick skipped.
   */
  collect?(
    now: number,
    drop: (reason: DropReason, count: number) => void,
  ): readonly T[] | Promise<readonly T[]>;
  /**
   * Called once when the exporter is added: `enqueue` queues items as they come (a log exporter
   * hands over each record). Returns a function that detaches it.
   */
  attach?(enqueue: (items: readonly T[]) => void): () => void;
  /**
   * Send one batch. Resolve when the backend took it (in full, or as `SendResult` says); throw an
   * `ExportError` when it did not — retryable or not. Must stop when `signal` aborts (the timeout).
   */
  send(batch: readonly T[], signal: AbortSignal): Promise<SendResult | undefined>;
  /** The exporter's configuration for status pages, every secret masked. */
  describe(): Record<string, unknown>;
  /** Last words after the final flush on `stop()` (a Pushgateway delete). */
  shutdown?(signal: AbortSignal): Promise<void>;
}

/** What `ExportError` carries besides its message. */
export interface ExportErrorOptions {
  /** The HTTP status the backend answered, when it answered. */
  status?: number;
  /** How long the backend asked us to wait (its `Retry-After`), in ms. */
  retryAfterMs?: number;
  /**
   * Whether another attempt may succeed.
   * @default from `status`: 408, 429 and 5xx are retryable, other statuses are not; true without a status
   */
  retryable?: boolean;
  cause?: unknown;
}

/**
 * Thrown by exporters when a batch did not get through: the HTTP status, whether retrying can
 * help, and how long the backend asked us to wait. Messages never hold a credential.
 * @example throw new ExportError('InfluxDB answered HTTP 503', { status: 503, retryAfterMs: 2_000 });
 */
export class ExportError extends Error {
  override readonly name = 'ExportError';
  /** Stable, never reused. */
  readonly code = 'DLM_EXPORT_FAILED';
  readonly status?: number;
  readonly retryAfterMs?: number;
  readonly retryable: boolean;

  constructor(message: string, options: ExportErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    if (options.status !== undefined) this.status = options.status;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    this.retryable =
      options.retryable ??
      (options.status === undefined
        ? true
        : options.status === 408 || options.status === 429 || options.status >= 500);
  }
}

/** Thrown at setup for an exporter configuration that cannot work; names the key and the fix. */
export class ExporterConfigError extends Error {
  override readonly name = 'ExporterConfigError';
  /** Stable, never reused. */
  readonly code = 'DLM_EXPORTER_CONFIG';

  constructor(
    /** The exporter kind. */
    readonly exporter: string,
    /** The option at fault. */
    readonly key: string,
    message: string,
  ) {
    super(`${exporter} exporter option ${key}: ${message}`);
  }
}
