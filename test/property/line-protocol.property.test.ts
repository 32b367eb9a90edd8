// Property: any point — measurement, tag keys and values, field keys of any text (unicode, lone
// surrogates, commas, spaces, equals signs, quotes, backslashes, #, line breaks), float and
// integer values — is either refused by the encoder with a reason, or written to a real InfluxDB
// 1.x and read back exactly: the same measurement, tags, field values and time.
import { encodePoint, type FieldValue, type Point } from '@datalineage/exporters';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxServer, startInfluxDB } from '../support/influxdb.js';
import { propertyRuns, propertyTimeout } from './runs.js';

/** Text that line protocol must escape, or cannot carry at all. */
const name = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 10 }) },
  { weight: 3, arbitrary: fc.stringMatching(/^[a-z ,=\\"'#.\-_]{1,8}$/) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      'a b',
      'a,b',
      'a=b',
      'a\\b',
      'a\\\\,b',
      '#x',
      'x#',
      '"q"',
      'é',
      '\u{1F600}',
      'time',
    ),
  },
);
const tagValue = fc.oneof(name, fc.constant(''));
const fieldValue: fc.Arbitrary<FieldValue> = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((float) => ({ float })),
  fc.maxSafeInteger().map((int) => ({ int })),
);
const point: fc.Arbitrary<Point> = fc
  .record({
    measurement: name,
    tags: fc.dictionary(name, tagValue, { maxKeys: 3 }),
    fields: fc.dictionary(name, fieldValue, { minKeys: 1, maxKeys: 3 }),
    time: fc.integer({ min: 0, max: 4_102_444_800_000 }), // 1970 … 2100, in ms
  })
  // A tag and a field of one name are InfluxDB's own ambiguity (`key` and `key_1`), not an
  // encoding matter; the exporter's fields (value, count, sum…) never meet its tags.
  .filter((p) => {
    const tags = new Set(Object.keys(p.tags).map(stored));
    return Object.keys(p.fields).every((key) => !tags.has(stored(key)));
  });

/** The name InfluxDB 1.x keeps a tag or field key under: `time` is reserved, so `time_`. */
function stored(key: string): string {
  return (key === 'time' ? 'time_' : key).toWellFormed();
}

let influx: InfluxServer;
beforeAll(async () => {
  influx = await startInfluxDB();
}, 60_000);
afterAll(() => influx?.stop());

describe('line protocol of random points', () => {
  it(
    'is refused with a reason, or reads back exactly from a real InfluxDB',
    async () => {
      let run = 0;
      let written = 0;
      await fc.assert(
        fc.asyncProperty(point, async (p) => {
          const line = encodePoint(p, 'ms');
          if (typeof line !== 'string') {
            expect(line.unwritable.length).toBeGreaterThan(0);
            return;
          }
          const db = `property_${++run}`;
          await influx.query(`CREATE DATABASE ${db}`);
          try {
            const response = await fetch(`${influx.url}/write?db=${db}&precision=ms`, {
              method: 'POST',
              body: line,
            });
            expect(response.status, `${await response.text()}\n${JSON.stringify(line)}`).toBe(204);
            const { series } = await influx.query('SELECT * FROM /.*/', db);
            expect(series.map((s) => s.name)).toEqual([p.measurement.toWellFormed()]);
            const [only] = series;
            const row = Object.fromEntries(
              (only?.columns ?? []).map((column, i) => [column, only?.values[0]?.[i]]),
            );
            const tags = Object.entries(p.tags)
              .filter(([, value]) => value !== '')
              .map(([key, value]) => [stored(key), value.toWellFormed()]);
            const fields = Object.entries(p.fields).map(([key, value]) => [
              stored(key),
              ('int' in value ? value.int : value.float) + 0,
            ]);
            const expected = Object.fromEntries([
              ['time', p.time],
              ...tags.map(([k, v]) => [(k as string).toWellFormed(), v]),
              ...fields,
            ]);
            expect(
              Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'number' ? v + 0 : v])),
            ).toEqual(expected);
            expect(only?.values).toHaveLength(1);
            written++;
          } finally {
            await influx.query(`DROP DATABASE ${db}`);
          }
        }),
        { numRuns: propertyRuns(150) },
      );
      // The property is only worth something if most points were written, not refused.
      expect(written).toBeGreaterThan(propertyRuns(60) / 3);
    },
    propertyTimeout(60_000),
  );
});
