// The SDK's one quiet diagnostics channel. Problems on the record/collect paths are reported
// here (once per cause), never thrown into the host application.
import { diag as otelDiag } from '@opentelemetry/api';

/** How much the SDK says about itself on the console. */
export type DiagLevel = 'none' | 'error' | 'warn' | 'info' | 'debug';

const RANK: Record<DiagLevel, number> = { none: 0, error: 1, warn: 2, info: 3, debug: 4 };

/** Where diagnostics go besides OpenTelemetry's `diag` API; tests swap it to capture output. */
export interface DiagSink {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
}

const consoleSink: DiagSink = {
  error: (m) => console.error(m),
  warn: (m) => console.warn(m),
  info: (m) => console.info(m),
  debug: (m) => console.debug(m),
};

const otel = otelDiag.createComponentLogger({ namespace: '@datalineage/monitoring' });
const noop = (): void => {};

/**
 * Messages carry a stable code (`DLM_…`) so users can search for them; codes are never reused.
 * Every message also goes to OpenTelemetry's `diag`, which is silent unless the user set a logger.
 */
/**
 * Causes reported per code at most. Causes can carry names from data (a metric name, a level a
 * caller passed): past this many, one line says so and the rest stay silent, so no input can flood
 * the host's stderr. The counts stay exact in the SDK's metrics and status.
 */
const MAX_CAUSES_PER_CODE = 100;

export class Diagnostics {
  /** Causes already reported, by code. */
  private readonly seen = new Map<string, Set<string>>();
  private sink: DiagSink = consoleSink;
  error: (code: string, message: string) => void = noop;
  warn: (code: string, message: string) => void = noop;
  info: (code: string, message: string) => void = noop;
  debug: (code: string, message: string) => void = noop;

  constructor(level: DiagLevel = 'error') {
    this.setLevel(level);
  }

  /**
   * debug becomes a no-op function when disabled; the other levels always forward to
   * OpenTelemetry's `diag` (itself a no-op until a logger is set) and print only when enabled.
   * They fire once per cause (warnOnce), never per measurement.
   */
  setLevel(level: DiagLevel): void {
    const rank = RANK[level];
    const emit =
      (name: keyof DiagSink, min: number) =>
      (code: string, message: string): void => {
        const line = `[datalineage-monitoring] ${code}: ${message}`;
        otel[name](line);
        if (rank >= min) this.sink[name](line);
      };
    this.error = emit('error', 1);
    this.warn = emit('warn', 2);
    this.info = emit('info', 3);
    this.debug = rank >= 4 ? emit('debug', 4) : noop;
  }

  setSink(sink: DiagSink): void {
    this.sink = sink;
  }

  /**
   * Warn the first time a cause is seen; `cause` groups repeats (e.g. code + metric name). At most
   * 100 causes per code are reported, then one line saying the rest are not.
   */
  warnOnce(code: string, cause: string, message: string): void {
    let causes = this.seen.get(code);
    if (causes === undefined) {
      causes = new Set();
      this.seen.set(code, causes);
    }
    if (causes.has(cause)) return;
    if (causes.size >= MAX_CAUSES_PER_CODE) {
      if (causes.size === MAX_CAUSES_PER_CODE) {
        causes.add('\u0000suppressed'); // one marker: the notice is printed once
        this.warn(
          code,
          `${MAX_CAUSES_PER_CODE} different causes reported; further ones are not printed (the SDK's metrics and status still count them).`,
        );
      }
      return;
    }
    causes.add(cause);
    this.warn(code, message);
  }
}

/** The process-wide diagnostics instance used by every component of the SDK. */
export const diagnostics = new Diagnostics();
