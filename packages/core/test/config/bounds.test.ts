// Every number of the configuration has an upper bound as well as a lower one, and says why when it
// bites (the adversarial trial's case 4: DATALINEAGE_LOG_MAX_ENTRIES=10000000000000 was accepted and
// aborted the process 22 s later). The bounds are read from the schema itself, so a new numeric
// option without one fails here; the table below is the figure each must keep.

import { describe, expect, it } from 'vitest';
import type * as z from 'zod';
import { monitoringConfigSchema, parseConfig } from '../../src/config/index.js';
import { errorOf } from './support.js';

interface NumberOption {
  /** Dotted camelCase path; `[]` is an item of a list. */
  readonly path: string;
  /** `number` for a value, `list` for the length of a list of numbers. */
  readonly kind: 'number' | 'list';
  readonly max: number | undefined;
  /** False for `lt` (exclusive). */
  readonly inclusive: boolean;
}

type Def = { type: string; [key: string]: unknown };
type Check = { _zod: { def: { check: string; value?: number; maximum?: number; inclusive?: boolean } } };

function defOf(schema: unknown): Def {
  return (schema as z.core.$ZodType)._zod.def as unknown as Def;
}

function checksOf(def: Def): Check['_zod']['def'][] {
  return ((def.checks as Check[] | undefined) ?? []).map((check) => check._zod.def);
}

/** Every number and list of numbers of a schema, found by walking its definition. */
function numberOptions(schema: unknown, path: string): NumberOption[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'optional':
    case 'default':
    case 'prefault':
    case 'nullable':
    case 'readonly':
      return numberOptions(def.innerType, path);
    case 'pipe':
      return numberOptions(def.in, path);
    case 'object':
      return Object.entries(def.shape as Record<string, unknown>).flatMap(([key, child]) =>
        numberOptions(child, path === '' ? key : `${path}.${key}`),
      );
    case 'record':
      return numberOptions(def.valueType, `${path}.*`);
    case 'array': {
      const items = numberOptions(def.element, `${path}[]`);
      if (defOf(def.element).type !== 'number') return items;
      const length = checksOf(def).find((check) => check.check === 'max_length');
      return [{ path, kind: 'list', max: length?.maximum, inclusive: true }, ...items];
    }
    case 'number': {
      const upper = checksOf(def).find((check) => check.check === 'less_than');
      return [{ path, kind: 'number', max: upper?.value, inclusive: upper?.inclusive ?? true }];
    }
    default:
      return [];
  }
}

const OPTIONS = numberOptions(monitoringConfigSchema, '');

/** Numbers that are only compared with (thresholds, bucket boundaries): any finite number will do. */
const COMPARED_ONLY = new Set(['alerts.rules[].threshold', 'metrics.histogramBuckets[]']);

/** The bound of every number: the figure docs/security.md quotes. */
const BOUNDS: Readonly<Record<string, number>> = {
  shutdownTimeout: 3600,
  'dashboard.port': 65_535,
  'dashboard.autoRefresh': 86_400,
  'dashboard.maxDataPoints': 10_000,
  'dashboard.sampleInterval': 86_400,
  'metrics.retentionPeriod': 2_592_000,
  'metrics.maxMetrics': 1_000_000,
  'metrics.cleanupInterval': 86_400,
  'metrics.aggregationInterval': 86_400,
  'metrics.cardinalityLimit': 1_000_000,
  'metrics.idleSeriesExpiry': 2_592_000,
  'metrics.histogramBuckets': 256,
  'metrics.summary.quantiles': 64,
  'metrics.summary.quantiles[]': 1,
  'metrics.summary.maxAgeSeconds': 604_800,
  'metrics.summary.ageBuckets': 60,
  'metrics.summary.relativeAccuracy': 0.5,
  'metrics.endpoint.port': 65_535,
  'alerts.evaluationInterval': 86_400,
  'alerts.minDuration': 604_800,
  'alerts.maxFrequency': 31_536_000,
  'alerts.resolveTimeout': 604_800,
  'alerts.groupWait': 604_800,
  'alerts.groupInterval': 604_800,
  'alerts.escalation.after': 604_800,
  'alerts.delivery.timeout': 3600,
  'alerts.delivery.retries': 100,
  'alerts.rules[].evaluationPeriod': 604_800,
  'alerts.rules[].minDuration': 604_800,
  'alerts.rules[].keepFiringFor': 604_800,
  'logs.maxEntries': 10_000_000,
  'logs.retentionDays': 3650,
  'logs.processingQueueSize': 1_000_000,
  'logs.cleanupInterval': 86_400,
  'logs.maxMessageBytes': 1_048_576,
  'logs.maxAttributeValueBytes': 1_048_576,
  'logs.maxAttributeBytes': 16_777_216,
  'logs.sampling.ratio': 1,
  'logs.sampling.levels.DEBUG': 1,
  'logs.sampling.levels.INFO': 1,
  'logs.sampling.levels.WARNING': 1,
  'logs.otlp.exportIntervalMillis': 86_400_000,
  'logs.searchTimeBudgetMs': 60_000,
  ...Object.fromEntries(
    ['prometheus', 'influxdb', 'elasticsearch'].flatMap((exporter) => [
      [`exporters.${exporter}.interval`, 86_400],
      [`exporters.${exporter}.batchSize`, 1_000_000],
      [`exporters.${exporter}.timeout`, 3600],
      [`exporters.${exporter}.maxQueueSize`, 10_000_000],
    ]),
  ),
  'exporters.otlp.interval': 86_400,
  'exporters.otlp.timeout': 3600,
};

/** Bounds whose reason is the bound itself (a port, a share, a probability): no reason is quoted. */
const SELF_EVIDENT = /port$|sampling\.|quantiles\[\]$|relativeAccuracy$/;

/** An input that sets `path` to `value`, with whatever its section needs besides. */
function inputWith(path: string, value: unknown): unknown {
  if (path.startsWith('alerts.rules[].')) {
    const key = path.slice('alerts.rules[].'.length);
    return { alerts: { rules: [{ name: 'r', metricName: 'm', [key]: value }] } };
  }
  if (path === 'metrics.histogramBuckets') {
    return { metrics: { histogramBuckets: Array.from({ length: value as number }, (_, i) => i + 1) } };
  }
  if (path === 'metrics.summary.quantiles') {
    const count = value as number;
    return {
      metrics: { summary: { quantiles: Array.from({ length: count }, (_, i) => (i + 1) / (count + 1)) } },
    };
  }
  const input: Record<string, unknown> = {};
  let node = input;
  const keys = path.split('.');
  for (const key of keys.slice(0, -1)) {
    node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys.at(-1)!] = value;
  if (path === 'alerts.escalation.after') node.channels = ['oncall'];
  return input;
}

describe('every number of the configuration', () => {
  it('is found: the walk sees every numeric option', () => {
    expect(OPTIONS.length).toBeGreaterThan(50);
    expect(OPTIONS.map((option) => option.path)).toContain('logs.maxEntries');
  });

  it('has an upper bound, the one in the table (or is only compared with)', () => {
    const bounds = Object.fromEntries(
      OPTIONS.filter((option) => !COMPARED_ONLY.has(option.path)).map((option) => [option.path, option.max]),
    );
    expect(bounds).toEqual(BOUNDS);
  });

  const bounded = OPTIONS.filter((option) => option.max !== undefined && option.kind === 'number');

  it.each(bounded.filter((option) => !option.path.endsWith('[]')))(
    'accepts $path at its bound and refuses it above, naming the bound and why',
    ({ path, max, inclusive }) => {
      const bound = max as number;
      if (inclusive) expect(() => parseConfig(inputWith(path, bound))).not.toThrow();
      const error = errorOf(() => parseConfig(inputWith(path, 1e13)));
      expect(error.issues).toHaveLength(1);
      const [issue] = error.issues;
      expect(issue?.path.replace(/\[0\]/, '[]')).toBe(path);
      expect(issue?.message).toMatch(
        new RegExp(
          `^must be ${inclusive ? 'at most' : 'less than'} ${bound}( \\(.+\\))?, got 10000000000000$`,
        ),
      );
      if (!SELF_EVIDENT.test(path)) expect(issue?.message).toContain(`${bound} (`);
    },
  );

  it.each(OPTIONS.filter((option) => option.kind === 'list'))(
    'refuses more than $max items in $path, saying why',
    ({ path, max }) => {
      const bound = max as number;
      expect(() => parseConfig(inputWith(path, bound))).not.toThrow();
      const error = errorOf(() => parseConfig(inputWith(path, bound + 1)));
      expect(error.issues[0]?.message).toMatch(
        new RegExp(`^must have at most ${bound} items \\(.+\\), got ${bound + 1}$`),
      );
    },
  );

  it('quotes the reason of the bound that bit, as the trial asked', () => {
    const error = errorOf(() => parseConfig({ logs: { max_entries: 10_000_000_000_000 } }));
    expect(error.message).toContain(
      'logs.max_entries (code): must be at most 10000000 (each entry keeps ~127 bytes plus its text; more would exhaust memory), got 10000000000000',
    );
  });

  it('keeps the defaults and a timer-sized value valid: every bound fits setTimeout', () => {
    for (const option of bounded) {
      if (!/Interval|Timeout|timeout|interval|Millis/.test(option.path)) continue;
      const ms = option.path.endsWith('Millis') ? option.max! : option.max! * 1000;
      expect(ms, option.path).toBeLessThanOrEqual(2 ** 31 - 1);
    }
  });
});
