// Line protocol encoding: escaping of every part, field types, precision, and refusal of what
// cannot be written. What InfluxDB itself makes of the lines is in influxdb.test.ts.
import { describe, expect, it } from 'vitest';
import { InfluxDBConfig } from '../../src/influxdb/config.js';
import { encodePoint, type Point } from '../../src/influxdb/line-protocol.js';

const point = (overrides: Partial<Point> = {}): Point => ({
  measurement: 'operations.total',
  tags: {},
  fields: { value: { float: 1 } },
  time: 1_700_000_000_123,
  ...overrides,
});

describe('encodePoint', () => {
  it('writes measurement, sorted tags, fields and the timestamp', () => {
    expect(
      encodePoint(
        point({
          tags: { stage: 'load', method: 'GET' },
          fields: { value: { float: 2.5 }, count: { int: 3 } },
        }),
        'ms',
      ),
    ).toBe('operations.total,method=GET,stage=load value=2.5,count=3i 1700000000123');
  });

  it('escapes commas, equals signs and spaces everywhere, and double quotes in the measurement and field keys', () => {
    expect(
      encodePoint(
        point({
          measurement: 'a b,c=d"',
          tags: { 'k e,y=': 'v a,l=ue"' },
          fields: { 'f x=,"': { float: 1 } },
        }),
        'ms',
      ),
    ).toBe('a\\ b\\,c\\=d\\",k\\ e\\,y\\==v\\ a\\,l\\=ue" f\\ x\\=\\,\\"=1 1700000000123');
  });

  it('refuses what InfluxDB 1.6 skips or reads twice: a leading tab or NUL, a backslash before an escape in the measurement', () => {
    expect(encodePoint(point({ measurement: '\tm' }), 'ms')).toEqual({
      unwritable: 'the measurement starts with a tab or NUL',
    });
    expect(encodePoint(point({ fields: { '\u0000f': { float: 1 } } }), 'ms')).toEqual({
      unwritable: 'field key "\\u0000f" starts with a tab or NUL',
    });
    // An even run is fine in tags (below) but not in the measurement, which InfluxDB unescapes twice.
    expect(encodePoint(point({ measurement: 'a\\\\,b' }), 'ms')).toEqual({
      unwritable: 'the measurement has a backslash before a separator or at its end',
    });
  });

  it('renames a field called time to time_, and refuses the point when time_ is taken too', () => {
    expect(encodePoint(point({ fields: { time: { int: 1 } } }), 'ms')).toBe(
      'operations.total time_=1i 1700000000123',
    );
    expect(encodePoint(point({ fields: { time: { int: 1 }, time_: { int: 2 } } }), 'ms')).toEqual({
      unwritable: 'fields "time" and "time_" cannot both be written',
    });
  });

  it('keeps backslashes that cannot be misread, and refuses the ones that would swallow a separator', () => {
    expect(encodePoint(point({ tags: { path: 'C:\\temp\\x' } }), 'ms')).toBe(
      'operations.total,path=C:\\temp\\x value=1 1700000000123',
    );
    // An even run before an escaped comma reads back right: `\\\,` is `\\` + `\,`.
    expect(encodePoint(point({ tags: { t: 'a\\\\,b' } }), 'ms')).toBe(
      'operations.total,t=a\\\\\\,b value=1 1700000000123',
    );
    expect(encodePoint(point({ tags: { t: 'ends\\' } }), 'ms')).toEqual({
      unwritable: 'the value of tag "t" has a backslash before a separator or at its end',
    });
    expect(encodePoint(point({ tags: { t: 'a\\,b' } }), 'ms')).toHaveProperty('unwritable');
    expect(encodePoint(point({ measurement: 'm\\' }), 'ms')).toHaveProperty('unwritable');
    expect(encodePoint(point({ tags: { t: 'two\nlines' } }), 'ms')).toEqual({
      unwritable: 'the value of tag "t" contains a line break',
    });
  });

  it('leaves out empty tag values, renames a tag called time, and keeps unicode as is', () => {
    expect(encodePoint(point({ tags: { empty: '', time: 'noon', ü: 'é ñ' } }), 'ms')).toBe(
      'operations.total,time_=noon,ü=é\\ ñ value=1 1700000000123',
    );
  });

  it('types fields by what they are, never by their value: integers with i, floats without', () => {
    expect(
      encodePoint(point({ fields: { value: { float: 5 }, count: { int: 5 }, big: { float: 1e21 } } }), 'ms'),
    ).toBe('operations.total value=5,count=5i,big=1e+21 1700000000123');
    expect(encodePoint(point({ fields: { value: { float: -0 } } }), 'ms')).toBe(
      'operations.total value=-0 1700000000123',
    );
  });

  it('leaves out non-finite fields and refuses a point with none left', () => {
    expect(encodePoint(point({ fields: { a: { float: Number.NaN }, b: { float: 2 } } }), 'ms')).toBe(
      'operations.total b=2 1700000000123',
    );
    expect(encodePoint(point({ fields: { a: { float: Number.POSITIVE_INFINITY } } }), 'ms')).toEqual({
      unwritable: 'no field has a finite value',
    });
  });

  it.each([
    ['s', '1700000000'],
    ['ms', '1700000000123'],
    ['us', '1700000000123000'],
    ['ns', '1700000000123000000'],
  ] as const)('writes timestamps in %s', (precision, stamp) => {
    expect(encodePoint(point(), precision)).toBe(`operations.total value=1 ${stamp}`);
  });
});

describe('InfluxDBConfig', () => {
  it('has the guide’s defaults and accepts its keys', () => {
    const config = new InfluxDBConfig();
    expect(config).toMatchObject({
      url: 'http://localhost:8086',
      database: 'datalineagepy',
      version: 1,
      precision: 'ms',
    });
    expect(new InfluxDBConfig({ retention_policy: 'week', create_database: true })).toMatchObject({
      retentionPolicy: 'week',
      createDatabase: true,
    });
  });

  it('fails at setup naming the option', () => {
    expect(() => new InfluxDBConfig({ url: 'db:8086' })).toThrow(/influxdb exporter option url/);
    expect(() => new InfluxDBConfig({ url: 'http://u:p@db:8086' })).toThrow(/not in the URL/);
    expect(() => new InfluxDBConfig({ username: 'u' })).toThrow(
      /password: give username and password together/,
    );
    expect(() => new InfluxDBConfig({ version: 2, org: 'o', bucket: 'b' })).toThrow(/token/);
    expect(() => new InfluxDBConfig({ token: 't', org: 'o' })).toThrow(/bucket/);
    expect(() => new InfluxDBConfig({ precision: 'm' as never })).toThrow(/precision/);
  });
});
