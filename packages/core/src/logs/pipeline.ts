// The first and only processor on the aggregator's LoggerProvider: sampling, redaction and
// truncation happen here, once, before any downstream processor (the store, OTLP export) sees a
// record — so a sampled-out line goes nowhere and a secret reaches neither the store nor the wire.

import type { Context } from '@opentelemetry/api';
import type { LogRecordProcessor, ReadWriteLogRecord } from '@opentelemetry/sdk-logs';
import { operationStorage } from '../operations/context.js';
import { fromSeverityNumber, toLogLevel } from './levels.js';
import type { Redactor } from './redact.js';
import { truncateUtf8 } from './stringify.js';
import { LogLevel } from './types.js';

/** Keep-ratios for sampling; ERROR and CRITICAL are always kept. */
export interface SamplingOptions {
  /**
   * Share of records kept at every level below ERROR, in [0, 1].
   * @default 1
   */
  ratio?: number;
  /** Per-level share, overriding `ratio` (`{ DEBUG: 0.01, INFO: 0.1 }`). */
  levels?: Partial<Record<'DEBUG' | 'INFO' | 'WARNING', number>>;
}

export type PipelineDropReason = 'sampled' | 'pipeline_error';

export interface LogPipelineOptions {
  downstream: LogRecordProcessor[];
  redactor?: Redactor | undefined;
  sampling?: SamplingOptions | undefined;
  /** Longest message kept, in UTF-8 bytes; longer ones are cut with a marker. @default 65536 */
  maxMessageBytes?: number;
  /** Random numbers in [0, 1) for sampling; tests pass their own. @default Math.random */
  random?: () => number;
  onDrop?: (reason: PipelineDropReason) => void;
  onTruncate?: () => void;
}

function ratioOf(value: number | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
    throw new RangeError(`sampling ${what} must be a number in [0, 1], got ${value}`);
  }
  return value;
}

/** The level of a record, from its severity number or text. */
export function levelOf(record: Pick<ReadWriteLogRecord, 'severityNumber' | 'severityText'>): LogLevel {
  if (record.severityNumber !== undefined && record.severityNumber > 0)
    return fromSeverityNumber(record.severityNumber);
  return record.severityText === undefined ? LogLevel.INFO : toLogLevel(record.severityText).level;
}

export class LogPipeline implements LogRecordProcessor {
  private readonly downstream: LogRecordProcessor[];
  private readonly redactor: Redactor | undefined;
  /** Keep-probability by level value (only levels below ERROR are sampled). */
  private readonly keep: ReadonlyMap<number, number>;
  private readonly sampling: boolean;
  private readonly maxMessageBytes: number;
  private readonly random: () => number;
  private readonly onDrop: (reason: PipelineDropReason) => void;
  private readonly onTruncate: () => void;

  /** Add a processor after the ones given at construction; returns a function that removes it. */
  addDownstream(processor: LogRecordProcessor): () => void {
    this.downstream.push(processor);
    return () => {
      const index = this.downstream.indexOf(processor);
      if (index >= 0) this.downstream.splice(index, 1);
    };
  }

  /** @throws RangeError on an invalid sampling ratio or message limit (setup errors). */
  constructor(options: LogPipelineOptions) {
    this.downstream = [...options.downstream];
    this.redactor = options.redactor?.active ? options.redactor : undefined;
    const ratio = ratioOf(options.sampling?.ratio, 'ratio') ?? 1;
    const keep = new Map<number, number>();
    for (const name of ['DEBUG', 'INFO', 'WARNING'] as const) {
      keep.set(LogLevel[name], ratioOf(options.sampling?.levels?.[name], `levels.${name}`) ?? ratio);
    }
    this.keep = keep;
    this.sampling = [...keep.values()].some((p) => p < 1);
    this.maxMessageBytes = options.maxMessageBytes ?? 65_536;
    if (!Number.isInteger(this.maxMessageBytes) || this.maxMessageBytes < 64) {
      throw new RangeError(`maxMessageBytes must be an integer ≥ 64, got ${options.maxMessageBytes}`);
    }
    this.random = options.random ?? Math.random;
    this.onDrop = options.onDrop ?? (() => {});
    this.onTruncate = options.onTruncate ?? (() => {});
  }

  onEmit(record: ReadWriteLogRecord, context?: Context): void {
    try {
      if (this.sampling) {
        const p = this.keep.get(levelOf(record));
        if (p !== undefined && p < 1 && (p === 0 || this.random() >= p)) {
          this.onDrop('sampled');
          return;
        }
      }
      this.clean(record);
      // Inside a monitored operation, the record says which one (unless it names one itself).
      const operation = operationStorage.getStore();
      if (operation !== undefined && record.attributes.operation === undefined) {
        record.setAttribute('operation', operation.operation);
      }
    } catch {
      // Never let a record through half-cleaned: a redaction failure drops it, counted.
      this.onDrop('pipeline_error');
      return;
    }
    let failed = false;
    for (const processor of this.downstream) {
      try {
        processor.onEmit(record, context);
      } catch {
        failed = true;
      }
    }
    if (failed) this.onDrop('pipeline_error');
  }

  /**
   * Redact, then truncate, mutating the record before anyone reads it: truncating first could cut
   * a secret in half where no pattern recognises it any more.
   */
  private clean(record: ReadWriteLogRecord): void {
    const original = record.body;
    if (typeof original === 'string') {
      let body = this.redactor === undefined ? original : this.redactor.redactText(original);
      if (body.length > this.maxMessageBytes / 3) {
        const cut = truncateUtf8(body, this.maxMessageBytes);
        if (cut.truncatedBytes > 0) {
          body = cut.text;
          this.onTruncate();
        }
      }
      if (body !== original) record.setBody(body);
    } else if (original !== undefined && original !== null && this.redactor !== undefined) {
      const redacted = this.redactor.redactValue(original);
      if (redacted !== original) record.setBody(redacted);
    }
    if (this.redactor !== undefined) {
      const attributes = record.attributes;
      const redacted = this.redactor.redactValue(attributes);
      if (redacted !== attributes) {
        for (const key of Object.keys(redacted)) {
          if (redacted[key] !== attributes[key]) record.setAttribute(key, redacted[key]);
        }
      }
    }
  }

  async forceFlush(): Promise<void> {
    await Promise.all(this.downstream.map((processor) => processor.forceFlush()));
  }

  async shutdown(): Promise<void> {
    await Promise.all(this.downstream.map((processor) => processor.shutdown()));
  }
}
