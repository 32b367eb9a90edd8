// Property: a summary's quantiles, as Prometheus scrapes them, are within the configured relative
// accuracy (1% by default) of the exact quantiles of whatever was recorded — any mix of signs,
// zeros, magnitudes over fifteen orders and values too small to index — and its count and sum
// are exact. The rank estimated is floor(q·(n−1)) of the sorted values (DDSketch's definition).
import { MetricsCollector } from '@datalineage/core';
import { PrometheusReader } from '@datalineage/exporters';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { propertyRuns, propertyTimeout } from './runs.js';

const QUANTILES = [0.5, 0.9, 0.95, 0.99];
const ALPHA = 0.01;
/** Values this small share the sketch's zero bin: their estimate is 0, off by at most this much. */
const MIN_INDEXABLE = 1e-9;

/** sign · 10^u with u in [-3, 12]: fifteen orders of magnitude, as latencies and sizes span. */
const magnitude = fc
  .tuple(fc.boolean(), fc.double({ min: -3, max: 12, noNaN: true }))
  .map(([negative, exponent]) => (negative ? -1 : 1) * 10 ** exponent);
const sample = fc.oneof(
  { weight: 8, arbitrary: magnitude },
  { weight: 1, arbitrary: fc.constantFrom(0, -0) },
  { weight: 1, arbitrary: fc.double({ min: -MIN_INDEXABLE / 2, max: MIN_INDEXABLE / 2, noNaN: true }) },
);
/** Shapes: a spread of everything, or one tight cluster (the hard case for bin boundaries). */
const distribution = fc.oneof(
  fc.array(sample, { minLength: 1, maxLength: 3000, size: 'max' }),
  fc
    .tuple(
      magnitude,
      fc.array(fc.double({ min: 0.999, max: 1.001, noNaN: true }), {
        minLength: 1,
        maxLength: 500,
        size: 'max',
      }),
    )
    .map(([center, factors]) => factors.map((f) => center * f)),
);

function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.floor(q * (sorted.length - 1))] as number;
}

describe('summary quantiles of random distributions', () => {
  it(
    'stay within the relative accuracy of the exact quantiles, with exact count and sum',
    async () => {
      await fc.assert(
        fc.asyncProperty(distribution, async (values) => {
          const collector = new MetricsCollector();
          const reader = new PrometheusReader({ collector });
          new MeterProvider({ readers: [reader] });
          for (const value of values) collector.recordSummary('job.latency', value);
          const { body } = await reader.scrape();

          const scraped = new Map<string, number>();
          for (const [, key, text] of body.matchAll(
            /^job_latency(\{quantile="[^"]+"\}|_count|_sum) (\S+)$/gm,
          ))
            scraped.set(key as string, Number(text));
          expect(scraped.get('_count')).toBe(values.length);
          expect(scraped.get('_sum')).toBe(values.reduce((a, b) => a + b, 0) + 0);

          const sorted = [...values].sort((a, b) => a - b);
          for (const q of QUANTILES) {
            const exact = exactQuantile(sorted, q);
            const estimate = scraped.get(`{quantile="${q}"}`) as number;
            const bound =
              Math.abs(exact) < MIN_INDEXABLE ? MIN_INDEXABLE : ALPHA * Math.abs(exact) * (1 + 1e-9);
            expect(
              Math.abs(estimate - exact),
              `q=${q} exact ${exact} estimate ${estimate}`,
            ).toBeLessThanOrEqual(bound);
          }
        }),
        { numRuns: propertyRuns(300) },
      );
    },
    propertyTimeout(30_000),
  );
});
