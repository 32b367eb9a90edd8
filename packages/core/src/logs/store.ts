// The log store: a bounded ring of entries in columns (typed arrays for time, level, source and
// logger; plain arrays for strings and objects), so a million entries cost about 60 bytes each
// beyond their text, and a scan touches only the columns a filter needs. Entries are addressed by
// sequence number; the oldest are evicted first, by count or by age, and counted.
import type { LogError, LogLevel } from './types.js';

/** What the store keeps of one log record. */
export interface StoredRecord {
  timestamp: number;
  level: LogLevel;
  source: string;
  loggerName: string;
  message: string;
  /** The record's attributes (extraData plus reserved keys), shared, never mutated. */
  attributes: Readonly<Record<string, unknown>> | undefined;
  error: LogError | undefined;
  traceId: string | undefined;
  spanId: string | undefined;
}

const SEGMENT = 16_384;
/** The largest store: each entry keeps ~120 bytes beyond its text, and the columns are allocated as it fills. */
const MAX_CAPACITY = 10_000_000;

/** One block of columns; allocated when the ring first reaches it. */
class Segment {
  readonly times: Float64Array;
  readonly levels: Uint8Array;
  readonly sources: Uint8Array;
  readonly loggers: Uint32Array;
  readonly messages: Array<string | undefined>;
  readonly attributes: Array<Readonly<Record<string, unknown>> | undefined>;
  readonly errors: Array<LogError | undefined>;
  readonly traces: Array<string | undefined>;
  readonly spans: Array<string | undefined>;

  constructor(size: number) {
    this.times = new Float64Array(size);
    this.levels = new Uint8Array(size);
    this.sources = new Uint8Array(size);
    this.loggers = new Uint32Array(size);
    this.messages = new Array(size).fill(undefined);
    this.attributes = new Array(size).fill(undefined);
    this.errors = new Array(size).fill(undefined);
    this.traces = new Array(size).fill(undefined);
    this.spans = new Array(size).fill(undefined);
  }
}

/**
 * Interns short strings (logger names, sources) as small integers. Bounded: past `limit` names,
 * new ones share the overflow name, which is interned first so the bound cannot be missed.
 */
class Interner {
  readonly names: string[];
  private readonly ids: Map<string, number>;

  constructor(
    private readonly limit: number,
    overflowName: string,
  ) {
    this.names = [overflowName];
    this.ids = new Map([[overflowName, 0]]);
  }

  id(name: string): number {
    let id = this.ids.get(name);
    if (id === undefined) {
      if (this.names.length >= this.limit) return 0;
      id = this.names.length;
      this.names.push(name);
      this.ids.set(name, id);
    }
    return id;
  }

  /** The id of `name` if it was ever stored (for filters); undefined otherwise. */
  find(name: string): number | undefined {
    return this.ids.get(name);
  }
}

export type EvictionReason = 'capacity' | 'age';

export class LogStore {
  /** Sequence number the next entry gets. */
  private nextSeq = 0;
  /** Sequence number of the oldest entry still stored. */
  private oldestSeq = 0;
  private readonly ringSize: number;
  private readonly segmentSize: number;
  private readonly segments: Array<Segment | undefined>;
  readonly loggers = new Interner(65_536, '(other loggers)');
  readonly sources = new Interner(256, '(other sources)');
  /** UTF-16 code units of the messages held, for the memory estimate. */
  private textUnits = 0;
  /** False once an entry arrives with an older timestamp than its predecessor. */
  private ordered = true;
  private lastTimestamp = Number.NEGATIVE_INFINITY;
  /** Called for each eviction, with its reason (the aggregator counts them). */
  onEvict: (reason: EvictionReason, count: number) => void = () => {};

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > MAX_CAPACITY) {
      throw new RangeError(
        `maxEntries must be an integer from 1 to ${MAX_CAPACITY} (each entry keeps ~120 bytes plus its text), got ${capacity}`,
      );
    }
    const count = Math.ceil(capacity / SEGMENT);
    // Even segments just large enough: capacity 16,385 takes two of 8,193, not two of 16,384.
    this.segmentSize = Math.ceil(capacity / count);
    this.ringSize = count * this.segmentSize;
    this.segments = new Array(count).fill(undefined);
  }

  get size(): number {
    return this.nextSeq - this.oldestSeq;
  }

  /** The sequence numbers stored: [oldest, newest]; empty when oldest > newest. */
  get oldest(): number {
    return this.oldestSeq;
  }

  get newest(): number {
    return this.nextSeq - 1;
  }

  /** True while timestamps arrived in order, so time ranges can be found by binary search. */
  get timeOrdered(): boolean {
    return this.ordered;
  }

  append(record: StoredRecord): number {
    if (this.size >= this.capacity) this.evictOldest();
    const seq = this.nextSeq++;
    const index = seq % this.ringSize;
    const segmentIndex = Math.floor(index / this.segmentSize);
    let segment = this.segments[segmentIndex];
    if (segment === undefined) {
      segment = new Segment(this.segmentSize);
      this.segments[segmentIndex] = segment;
    }
    const at = index - segmentIndex * this.segmentSize;
    segment.times[at] = record.timestamp;
    segment.levels[at] = record.level;
    segment.sources[at] = this.sources.id(record.source);
    segment.loggers[at] = this.loggers.id(record.loggerName);
    segment.messages[at] = record.message;
    this.textUnits += record.message.length;
    segment.attributes[at] = record.attributes;
    segment.errors[at] = record.error;
    segment.traces[at] = record.traceId;
    segment.spans[at] = record.spanId;
    // The aggregator only appends finite timestamps; order is tracked for binary search.
    if (record.timestamp < this.lastTimestamp) this.ordered = false;
    else this.lastTimestamp = record.timestamp;
    return seq;
  }

  /** Where entry `seq` lives: its segment and offset. The caller checks `has(seq)`. */
  locate(seq: number): { segment: Segment; at: number } {
    const index = seq % this.ringSize;
    const segmentIndex = Math.floor(index / this.segmentSize);
    return { segment: this.segments[segmentIndex] as Segment, at: index - segmentIndex * this.segmentSize };
  }

  has(seq: number): boolean {
    return seq >= this.oldestSeq && seq < this.nextSeq;
  }

  timestampOf(seq: number): number {
    const { segment, at } = this.locate(seq);
    return segment.times[at] as number;
  }

  /**
   * Evict entries older than `cutoff` (epoch ms) from the oldest end. An out-of-order newer entry
   * stops the sweep; searches skip anything older than the cutoff all the same.
   */
  evictBefore(cutoff: number): void {
    let count = 0;
    while (this.size > 0 && this.timestampOf(this.oldestSeq) < cutoff) {
      this.release(this.oldestSeq);
      this.oldestSeq++;
      count++;
    }
    if (count > 0) this.onEvict('age', count);
  }

  private evictOldest(): void {
    this.release(this.oldestSeq);
    this.oldestSeq++;
    this.onEvict('capacity', 1);
  }

  /** Drop an evicted slot's references, so its strings and objects can be collected. */
  private release(seq: number): void {
    const { segment, at } = this.locate(seq);
    this.textUnits -= segment.messages[at]?.length ?? 0;
    segment.messages[at] = undefined;
    segment.attributes[at] = undefined;
    segment.errors[at] = undefined;
    segment.traces[at] = undefined;
    segment.spans[at] = undefined;
  }

  clear(): void {
    for (let seq = this.oldestSeq; seq < this.nextSeq; seq++) this.release(seq);
    this.oldestSeq = this.nextSeq;
    this.ordered = true;
    this.lastTimestamp = Number.NEGATIVE_INFINITY;
  }

  /**
   * Estimated bytes held: the columns, the message text (two bytes per code unit at most), and
   * about 100 bytes of attributes per entry.
   */
  memoryEstimate(): number {
    let bytes = 0;
    for (const segment of this.segments) {
      if (segment !== undefined) bytes += segment.times.length * (8 + 1 + 1 + 4 + 5 * 8);
    }
    return bytes + this.textUnits * 2 + this.size * 100;
  }
}
