// One exporter as the manager runs it: its bounded queue, its timers, the send loop (one request
// at a time), backoff, and its counts. Every item that enters is, in the end, exported, dropped
// and counted with a reason, or still queued: none goes missing uncounted.
import { diagnostics, within } from '@datalineage/core';
import { BoundedQueue } from './queue.js';
import type { ExportCounts } from './self-metrics.js';
import type { ResolvedSettings } from './settings.js';
import { type DropReason, ExportError, type Exporter, type SendResult } from './types.js';

/** One exporter's statistics. */
export interface ExporterStats {
  readonly kind: string;
  /** The exporter's configuration, secrets masked. */
  readonly config: Record<string, unknown>;
  /** Items waiting, including a batch in flight. */
  readonly queued: number;
  /** Items the backend took. */
  readonly exported: number;
  /** Requests that failed (each retry that fails counts again). */
  readonly failed: number;
  /** Requests that were retries of a failed one. */
  readonly retried: number;
  /** Items dropped, by reason. */
  readonly dropped: Readonly<Record<string, number>>;
  /** Snapshots replaced by a newer one before they were sent (`supersedes` exporters): not a loss. */
  readonly superseded: number;
  /** Ticks whose collection failed. */
  readonly collectErrors: number;
  readonly lastSuccess?: string;
  readonly lastError?: string;
  readonly lastErrorAt?: string;
  /** When the next retry is due, while backing off. */
  readonly retryAt?: string;
  /** Milliseconds the last request took. */
  readonly lastRequestMs: number;
}

export interface SlotContext {
  readonly now: () => number;
  readonly random: () => number;
  readonly counts: ExportCounts | undefined;
}

/** Distinct drop reasons kept per exporter; more (free-form reasons from a backend) count as `other`. */
const MAX_REASONS = 32;

/** Waits for `promise`, at most `ms`; never rejects. The timer keeps a stop running to its deadline. */
async function bounded(promise: Promise<unknown> | undefined, ms: number): Promise<void> {
  await within(promise, ms, true);
}

function message(error: unknown): string {
  try {
    if (error instanceof Error) return error.message || error.name;
    return typeof error === 'string' ? error : String(error);
  } catch {
    return '[unprintable error]';
  }
}

/** Keeps a partial answer within its batch: indexes in range, each once, retry and rejected apart. */
function checked(
  result: SendResult | undefined,
  size: number,
): {
  retry: number[];
  rejected: Array<{ index: number; reason: string }>;
  dropped: Array<[string, number]>;
  retryAfterMs: number | undefined;
} {
  const valid = (index: unknown): index is number =>
    typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < size;
  const rejected = new Map<number, string>();
  for (const entry of Array.isArray(result?.rejected) ? result.rejected : []) {
    if (valid(entry?.index) && !rejected.has(entry.index)) {
      rejected.set(
        entry.index,
        typeof entry.reason === 'string' && entry.reason !== '' ? entry.reason : 'rejected',
      );
    }
  }
  const retry = [
    ...new Set(
      (Array.isArray(result?.retry) ? result.retry : []).filter(
        (index) => valid(index) && !rejected.has(index),
      ),
    ),
  ].sort((a, b) => a - b);
  let room = size - retry.length - rejected.size;
  const dropped: Array<[string, number]> = [];
  for (const [reason, count] of Object.entries(result?.dropped ?? {})) {
    const n = Math.max(0, Math.min(Number.isFinite(count) ? Math.floor(count) : 0, room));
    if (n > 0) dropped.push([reason, n]);
    room -= n;
  }
  const after = result?.retryAfterMs;
  return {
    retry,
    rejected: [...rejected].map(([index, reason]) => ({ index, reason })),
    dropped,
    retryAfterMs: typeof after === 'number' && Number.isFinite(after) && after >= 0 ? after : undefined,
  };
}

export class Slot<T> {
  readonly queue: BoundedQueue<T>;
  /** Items taken for the request in flight. */
  private inFlight = 0;
  private sending: Promise<void> | undefined;
  private ticking: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Consecutive failed requests, for the backoff. */
  private failures = 0;
  private retryAt = 0;
  /** Set by `close()`: sends stop at this time, and nothing new is queued until `start()`. */
  private deadline: number | undefined;
  private closedReason: DropReason | undefined;
  /** Bumped when a close gives up on a request still in flight: its late outcome is ignored. */
  private generation = 0;
  /** A timed-out request that ignored its abort and is still running: no new one starts before it ends. */
  private abandoned: Promise<unknown> | undefined;
  private detach: (() => void) | undefined;
  private exported = 0;
  private failed = 0;
  private retried = 0;
  private superseded = 0;
  private collectErrors = 0;
  private readonly dropped: Record<string, number> = {};
  private lastSuccess: number | undefined;
  private lastError: string | undefined;
  private lastErrorAt: number | undefined;
  private lastRequestMs = 0;

  constructor(
    readonly name: string,
    readonly exporter: Exporter<T>,
    readonly settings: ResolvedSettings,
    private readonly context: SlotContext,
  ) {
    this.queue = new BoundedQueue(settings.maxQueueSize);
    this.detach = exporter.attach?.((items) => this.enqueue(items));
  }

  start(): void {
    this.deadline = undefined;
    this.closedReason = undefined;
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.tick().catch(() => {});
    }, this.settings.intervalMs);
    this.timer.unref();
  }

  private pause(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
  }

  /** Queue items; never throws (it runs inside the application's logging calls). */
  enqueue(items: readonly T[]): void {
    if (!Array.isArray(items) || items.length === 0) return;
    if (this.closedReason !== undefined) {
      // Stopped: nothing will send these, so they are counted now rather than kept unseen.
      this.drop(this.closedReason, items.length);
      return;
    }
    if (this.exporter.supersedes === true) this.superseded += this.queue.clear();
    const dropped = this.queue.push(items);
    if (dropped > 0) this.drop('queue_full', dropped);
  }

  /** Collect (one collection at a time), then send what is queued unless backing off. */
  tick(): Promise<void> {
    this.ticking ??= this.collect().finally(() => {
      this.ticking = undefined;
    });
    return this.ticking.then(() => this.pump());
  }

  private async collect(): Promise<void> {
    if (this.exporter.collect === undefined) return;
    try {
      this.enqueue(
        await this.exporter.collect(this.context.now(), (reason, count) => this.drop(reason, count)),
      );
    } catch (error) {
      this.collectErrors++;
      this.fail(`collecting for export failed: ${message(error)}`);
    }
  }

  /** Start sending if nothing is in flight and no backoff is running; resolves when that send loop ends. */
  pump(): Promise<void> {
    if (this.sending !== undefined) return this.sending;
    if (this.deadline === undefined && this.retryAt > this.context.now()) {
      this.scheduleRetry();
      return Promise.resolve();
    }
    this.sending = this.sendAll().finally(() => {
      this.sending = undefined;
    });
    return this.sending;
  }

  /** While running, resume sending when the backoff ends (ticks in between only queue). */
  private scheduleRetry(): void {
    if (this.retryTimer !== undefined || this.timer === undefined) return;
    this.retryTimer = setTimeout(
      () => {
        this.retryTimer = undefined;
        this.pump().catch(() => {});
      },
      Math.max(0, this.retryAt - this.context.now()),
    );
    this.retryTimer.unref();
  }

  /**
   * Send batches until the queue is empty or a request fails. Running, a failure ends the loop
   * (the retry timer resumes it); closing, the loop waits out its backoff until the deadline.
   */
  private async sendAll(): Promise<void> {
    while (this.queue.length > 0) {
      const deadline = this.deadline;
      if (deadline !== undefined) {
        const wait = Math.min(this.retryAt, deadline) - this.context.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (this.context.now() >= deadline) return;
      } else if (this.retryAt > this.context.now()) {
        this.scheduleRetry();
        return;
      }
      if (this.abandoned !== undefined) {
        const left = deadline === undefined ? this.settings.timeoutMs : deadline - this.context.now();
        await bounded(this.abandoned, left);
        if (this.abandoned !== undefined) {
          // Never two requests at once: wait for it, backing off like after a failure.
          this.fail(
            'the previous request ignored its time limit and has not ended; waiting for it before sending more',
          );
          this.backoff(undefined);
          if (deadline === undefined) this.scheduleRetry();
          return;
        }
      }
      const batch = this.queue.take(this.settings.batchSize);
      this.inFlight = batch.length;
      const timeoutMs =
        deadline === undefined
          ? this.settings.timeoutMs
          : Math.max(1, Math.min(this.settings.timeoutMs, deadline - this.context.now()));
      const ok = await this.sendBatch(batch, timeoutMs);
      if (!ok && this.deadline === undefined) {
        this.scheduleRetry();
        return;
      }
    }
  }

  /** One request for one batch; puts back what must be retried. Returns whether it succeeded. */
  private async sendBatch(batch: T[], timeoutMs: number): Promise<boolean> {
    const generation = this.generation;
    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new ExportError(`timed out after ${timeoutMs} ms`, { retryable: true });
        controller.abort(error);
        reject(error);
      }, timeoutMs);
    });
    if (this.failures > 0) this.retried++;
    const started = performance.now();
    // The async wrapper turns a synchronous throw from send() into a rejection.
    const sent = (async () => this.exporter.send(batch, controller.signal))();
    let result: SendResult | undefined;
    let failure: unknown;
    try {
      result = await Promise.race([sent, timedOut]);
    } catch (error) {
      failure = error;
      if (controller.signal.aborted) {
        // A send that ignores its signal gets as long again to give up; after that it is remembered,
        // and no other request starts until it ends.
        await bounded(sent, timeoutMs);
        let settled = false;
        sent.then(
          () => {
            settled = true;
          },
          () => {
            settled = true;
          },
        );
        await Promise.resolve();
        if (!settled) {
          const pending: Promise<unknown> = sent.then(
            () => undefined,
            () => undefined,
          );
          this.abandoned = pending;
          pending.then(() => {
            if (this.abandoned === pending) this.abandoned = undefined;
          });
        }
      }
    } finally {
      clearTimeout(timer);
    }
    this.lastRequestMs = performance.now() - started;
    if (generation !== this.generation) return false; // a close counted these items already
    this.inFlight = 0;
    if (failure !== undefined) return this.failedBatch(batch, failure);
    const { retry, rejected, dropped, retryAfterMs } = checked(result, batch.length);
    for (const { reason } of rejected) this.drop(reason, 1);
    let droppedCount = 0;
    for (const [reason, count] of dropped) {
      this.drop(reason, count);
      droppedCount += count;
    }
    const took = batch.length - retry.length - rejected.length - droppedCount;
    this.exported += took;
    this.context.counts?.exported(this.name, took);
    if (retry.length > 0) {
      this.putBack(retry.map((index) => batch[index] as T));
      this.backoff(retryAfterMs);
      this.failed++;
      this.context.counts?.failed(this.name);
      this.fail(`${retry.length} of ${batch.length} items were refused for now and will be sent again`);
      return false;
    }
    this.failures = 0;
    this.retryAt = 0;
    this.lastSuccess = this.context.now();
    return true;
  }

  private failedBatch(batch: T[], error: unknown): boolean {
    this.failed++;
    this.context.counts?.failed(this.name);
    const retryable = !(error instanceof ExportError) || error.retryable;
    if (retryable) {
      this.putBack(batch);
      // While stopping there is no later retry: what is left at the deadline is counted in close().
      this.fail(
        `${message(error)}; ${batch.length} items ${this.deadline === undefined ? 'kept for a retry' : 'put back for the rest of the stop deadline'}`,
      );
    } else {
      this.drop('rejected', batch.length);
      this.fail(`${message(error)}; ${batch.length} items dropped (the backend refused them for good)`);
    }
    this.backoff(error instanceof ExportError ? error.retryAfterMs : undefined);
    return false;
  }

  private putBack(items: T[]): void {
    if (this.exporter.supersedes === true && this.queue.length > 0) {
      this.superseded += items.length; // a newer snapshot is queued already
      return;
    }
    const dropped = this.queue.unshift(items);
    if (dropped > 0) this.drop('queue_full', dropped);
  }

  private backoff(retryAfterMs: number | undefined): void {
    this.failures++;
    const { backoffMs, maxBackoffMs, maxRetryAfterMs } = this.settings;
    const exponential = Math.min(maxBackoffMs, backoffMs * 2 ** Math.min(30, this.failures - 1));
    // Equal jitter: half fixed, half random, so retries spread out but never come at once.
    let delay = exponential / 2 + (exponential / 2) * this.context.random();
    if (retryAfterMs !== undefined) delay = Math.max(delay, Math.min(retryAfterMs, maxRetryAfterMs));
    this.retryAt = this.context.now() + delay;
  }

  drop(reason: DropReason, count: number): void {
    if (!(count > 0)) return;
    const key = reason in this.dropped || Object.keys(this.dropped).length < MAX_REASONS ? reason : 'other';
    this.dropped[key] = (this.dropped[key] ?? 0) + count;
    this.context.counts?.dropped(this.name, key, count);
  }

  private fail(text: string, always = false): void {
    this.lastError = text;
    this.lastErrorAt = this.context.now();
    if (always) {
      diagnostics.warn('DLM_EXPORT_FAILED', `exporter "${this.name}" (${this.exporter.kind}): ${text}.`);
      return;
    }
    diagnostics.warnOnce(
      'DLM_EXPORT_FAILED',
      this.name,
      `exporter "${this.name}" (${this.exporter.kind}): ${text}. Later failures are counted in its status, not logged.`,
    );
  }

  /**
   * Stop: a last collection, then sending until the queue is empty or `deadline` passes, then the
   * exporter's goodbye; what is left is dropped and counted under `reason`. Nothing here waits
   * past the deadline, not even a collection or a request that never settles.
   */
  async close(deadline: number, reason: DropReason, detach: boolean): Promise<void> {
    this.pause();
    this.deadline = deadline;
    const left = () => deadline - this.context.now();
    await bounded(this.ticking, left());
    if (left() > 0) await bounded(this.collect(), left());
    this.closedReason = reason;
    await bounded(this.sending, left());
    if (left() > 0) await bounded(this.pump(), left());
    // Whatever did not get out: the queue, and a request still hanging past the deadline.
    const leftover = this.queue.clear() + (this.sending === undefined ? 0 : this.inFlight);
    if (this.sending !== undefined) this.generation++;
    this.inFlight = 0;
    if (leftover > 0) {
      this.drop(reason, leftover);
      // Always said, even after an earlier failure was: it is the loss, with its count.
      this.fail(`${leftover} items were still queued when the stop deadline passed`, true);
    }
    if (detach) {
      this.detach?.();
      this.detach = undefined;
    }
    if (this.exporter.shutdown !== undefined && left() > 0) {
      const controller = new AbortController();
      const timer = setTimeout(
        () => controller.abort(new ExportError('shutdown timed out')),
        Math.max(1, Math.min(this.settings.timeoutMs, left())),
      );
      try {
        await bounded(this.exporter.shutdown(controller.signal), Math.max(1, left()));
      } catch (error) {
        this.fail(`shutdown failed: ${message(error)}`);
      } finally {
        clearTimeout(timer);
      }
    }
  }

  stats(): ExporterStats {
    const iso = (at: number | undefined) => (at === undefined ? undefined : new Date(at).toISOString());
    let config: Record<string, unknown>;
    try {
      config = this.exporter.describe();
    } catch {
      config = {};
    }
    const lastSuccess = iso(this.lastSuccess);
    const lastErrorAt = iso(this.lastErrorAt);
    const retryAt = this.retryAt > this.context.now() ? iso(this.retryAt) : undefined;
    return {
      kind: this.exporter.kind,
      config,
      queued: this.queue.length + this.inFlight,
      exported: this.exported,
      failed: this.failed,
      retried: this.retried,
      dropped: { ...this.dropped },
      superseded: this.superseded,
      collectErrors: this.collectErrors,
      ...(lastSuccess === undefined ? {} : { lastSuccess }),
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
      ...(lastErrorAt === undefined ? {} : { lastErrorAt }),
      ...(retryAt === undefined ? {} : { retryAt }),
      lastRequestMs: this.lastRequestMs,
    };
  }
}
