// The log aggregator's own metrics: lines received, stored, dropped and evicted by reason, search
// latency, entries held, and `logs_total{level,source}` for alerting on error-log rates.
//
// The counts live in plain numbers the aggregator keeps anyway and reach the counters in their
// `collect` callbacks, which run before every scrape, export and evaluation: the logging call
// pays an addition, not three counter updates (measured: 0.36 µs of a 1.8 µs line).
import type { MetricsCollector } from '../metrics/collector.js';
import type { BoundCounter } from '../metrics/counter.js';
import type { BoundHistogram } from '../metrics/histogram.js';
import { levelName } from './levels.js';
import { LogLevel } from './types.js';

/** Running totals the aggregator keeps; read at collection time. */
export interface LogCounts {
  readonly received: number;
  readonly stored: number;
  readonly dropped: Readonly<Record<string, number>>;
  readonly evicted: Readonly<Record<string, number>>;
  readonly entries: number;
}

/** Sources counted separately in logs_total, as many as the store interns; the rest share one. */
const MAX_SOURCES = 256;
const OTHER_SOURCES = '(other sources)';
const LEVELS: readonly LogLevel[] = [
  LogLevel.DEBUG,
  LogLevel.INFO,
  LogLevel.WARNING,
  LogLevel.ERROR,
  LogLevel.CRITICAL,
];

/** logs_total of one source: counts by level (DEBUG … CRITICAL), and what was reported of them. */
interface SourceTally {
  readonly source: string;
  readonly counts: number[];
  readonly reported: number[];
  readonly counters: Array<BoundCounter | undefined>;
}

export class SelfMetrics {
  private readonly searchDuration: BoundHistogram;
  private readonly tallies = new Map<string, SourceTally>();

  constructor(
    private readonly collector: MetricsCollector,
    counts: () => LogCounts,
  ) {
    this.total(
      'datalineage_monitoring_logs_received_total',
      'Log records received by the aggregator.',
      () => counts().received,
    );
    this.total(
      'datalineage_monitoring_logs_stored_total',
      'Log records stored by the aggregator.',
      () => counts().stored,
    );
    this.byReason(
      'datalineage_monitoring_logs_dropped_total',
      'Log records not stored, by reason (sampled, invalid_input, …).',
      () => counts().dropped,
    );
    this.byReason(
      'datalineage_monitoring_logs_evicted_total',
      'Stored log records evicted, by reason (capacity, age).',
      () => counts().evicted,
    );
    this.searchDuration = collector
      .histogram('datalineage_monitoring_log_search_duration_seconds', {
        description: 'Time taken by log searches.',
        buckets: [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      })
      .bind();
    collector.gauge('datalineage_monitoring_log_entries', {
      description: 'Log records held in the store.',
      collect: () => collector.setGauge('datalineage_monitoring_log_entries', counts().entries),
    });
    collector.counter('logs_total', {
      description:
        'Log records stored, by level and source: alert on error-log rates with rate(logs_total{level="ERROR"}[5m]).',
      labelNames: ['level', 'source'],
      collect: () => this.reportLogsTotal(),
    });
  }

  /** Count a stored line in logs_total; reported at the next collection. */
  stored(level: LogLevel, source: string): void {
    let tally = this.tallies.get(source);
    if (tally === undefined) tally = this.tally(this.tallies.size < MAX_SOURCES ? source : OTHER_SOURCES);
    // LogLevel values are 5, 9, 13, 17, 21: their index is (level - 5) / 4.
    (tally.counts[(level - LogLevel.DEBUG) >> 2] as number)++;
  }

  searched(ms: number): void {
    this.searchDuration.observe(ms / 1000);
  }

  private tally(source: string): SourceTally {
    let tally = this.tallies.get(source);
    if (tally === undefined) {
      tally = { source, counts: [0, 0, 0, 0, 0], reported: [0, 0, 0, 0, 0], counters: [] };
      this.tallies.set(source, tally);
    }
    return tally;
  }

  private reportLogsTotal(): void {
    for (const tally of this.tallies.values()) {
      for (let i = 0; i < LEVELS.length; i++) {
        const delta = (tally.counts[i] as number) - (tally.reported[i] as number);
        if (delta === 0) continue;
        let counter = tally.counters[i];
        if (counter === undefined) {
          counter = this.collector
            .counter('logs_total')
            .bind({ level: levelName(LEVELS[i] as LogLevel), source: tally.source });
          tally.counters[i] = counter;
        }
        counter.inc(delta);
        tally.reported[i] = tally.counts[i] as number;
      }
    }
  }

  /** A counter that reports a running total at collection time. */
  private total(name: string, description: string, read: () => number): void {
    let reported = 0;
    const counter = this.collector
      .counter(name, {
        description,
        collect: () => {
          const total = read();
          if (total > reported) counter.inc(total - reported);
          reported = total;
        },
      })
      .bind();
  }

  /** The same for running totals by reason. */
  private byReason(name: string, description: string, read: () => Readonly<Record<string, number>>): void {
    const reported = new Map<string, { counter: BoundCounter; value: number }>();
    const family = this.collector.counter(name, {
      description,
      labelNames: ['reason'],
      collect: () => {
        for (const [reason, total] of Object.entries(read())) {
          let seen = reported.get(reason);
          if (seen === undefined) {
            seen = { counter: family.bind({ reason }), value: 0 };
            reported.set(reason, seen);
          }
          if (total > seen.value) seen.counter.inc(total - seen.value);
          seen.value = total;
        }
      },
    });
  }
}
