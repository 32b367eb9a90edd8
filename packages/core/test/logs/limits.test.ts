// What one log line may hold: string values, extraData as a whole, keys, names, error texts — cut
// where the line enters, after redaction, counted, whatever path the line took.
import { describe, expect, it } from 'vitest';
import { LogAggregator, LogHandler } from '../../src/index.js';
import { DROPPED_KEYS, MAX_ATTRIBUTE_KEYS, MAX_NAME_LENGTH } from '../../src/logs/limits.js';

const MB = 1024 * 1024;
const bytes = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

function newest(logs: LogAggregator) {
  const entry = logs.searchLogs(undefined, { limit: 1 }).entries[0];
  if (entry === undefined) throw new Error('nothing stored');
  return entry;
}

describe('extraData bounds', () => {
  it('cuts a 10 MB string value to maxAttributeValueBytes with a marker, counted, in milliseconds', () => {
    const logs = new LogAggregator();
    const started = performance.now();
    logs.addLog({ message: 'big', extraData: { blob: 'x'.repeat(10 * MB), ok: 'small' } });
    expect(performance.now() - started).toBeLessThan(200);
    const { extraData } = newest(logs);
    expect(Buffer.byteLength(extraData.blob as string)).toBeLessThanOrEqual(16_384);
    expect(extraData.blob).toMatch(/…\[truncated \d+ bytes\]$/);
    expect(extraData.ok).toBe('small');
    expect(logs.stats()).toMatchObject({ stored: 1, attributesTruncated: 1 });
  });

  it('keeps a line within maxAttributeBytes in all, and says how many keys it left out', () => {
    const logs = new LogAggregator({ maxAttributeBytes: 4096, maxAttributeValueBytes: 1024 });
    const extra: Record<string, string> = {};
    for (let i = 0; i < 20; i++) extra[`k${i}`] = 'v'.repeat(1000);
    logs.addLog({ message: 'wide', extraData: extra });
    const { extraData } = newest(logs);
    expect(bytes(extraData)).toBeLessThan(4096 + 200);
    const kept = Object.keys(extraData).filter((key) => key !== DROPPED_KEYS);
    expect(kept.length).toBeGreaterThan(0);
    expect(extraData[DROPPED_KEYS]).toBe(`${20 - kept.length} more keys left out (log attribute limits)`);
  });

  it(`keeps at most ${MAX_ATTRIBUTE_KEYS} keys of a line`, () => {
    const logs = new LogAggregator();
    logs.addLog({
      message: 'keys',
      extraData: Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i])),
    });
    const { extraData } = newest(logs);
    expect(Object.keys(extraData)).toHaveLength(MAX_ATTRIBUTE_KEYS);
    expect(extraData[DROPPED_KEYS]).toBe(
      `${100_000 - (MAX_ATTRIBUTE_KEYS - 1)} more keys left out (log attribute limits)`,
    );
  });

  it('bounds nested values and arrays too', () => {
    const logs = new LogAggregator();
    logs.addLog({
      message: 'nested',
      extraData: {
        deep: { a: { b: 'y'.repeat(MB) } },
        list: Array.from({ length: 100 }, () => 'z'.repeat(5000)),
      },
    });
    const { extraData } = newest(logs);
    expect(bytes(extraData)).toBeLessThan(65_536 + 1024);
    expect(Buffer.byteLength((extraData.deep as { a: { b: string } }).a.b)).toBeLessThanOrEqual(16_384);
  });

  it('redacts before it cuts, so a secret at the cut is masked, not half shown', () => {
    const logs = new LogAggregator({ maxAttributeValueBytes: 1024 });
    const token = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ';
    logs.addLog({
      message: 'jwt at the cut',
      extraData: { auth: `${'x'.repeat(1000)} ${token} tail`, note: 'n' },
    });
    const stored = JSON.stringify(newest(logs));
    expect(stored).not.toContain('eyJhbGciOiJIUzI1NiJ9');
    expect(stored).not.toContain('eyJzdWIi');
  });

  it('bounds lines from other emitters: the OpenTelemetry logs API and the bridges', () => {
    const logs = new LogAggregator();
    logs.loggerProvider.getLogger('otel').emit({ body: 'otel', attributes: { blob: 'q'.repeat(2 * MB) } });
    expect(Buffer.byteLength(newest(logs).extraData.blob as string)).toBeLessThanOrEqual(16_384);
    new LogHandler(logs).handle({ message: 'bridge', extraData: { blob: 'w'.repeat(2 * MB) } });
    expect(Buffer.byteLength(newest(logs).extraData.blob as string)).toBeLessThanOrEqual(16_384);
    expect(logs.stats().attributesTruncated).toBe(2);
  });
});

describe('the rest of a line', () => {
  it('cuts error texts to maxMessageBytes and names to 256 characters', () => {
    const logs = new LogAggregator({ maxMessageBytes: 1024 });
    const error = new Error('m'.repeat(MB));
    error.stack = `Error: ${'s'.repeat(MB)}`;
    logs.addLog({ message: 'failed', error, loggerName: 'l'.repeat(10_000), source: 's'.repeat(10_000) });
    const entry = newest(logs);
    expect(Buffer.byteLength(entry.error?.message ?? '')).toBeLessThanOrEqual(1024);
    expect(Buffer.byteLength(entry.error?.stack ?? '')).toBeLessThanOrEqual(1024);
    expect(entry.loggerName).toHaveLength(MAX_NAME_LENGTH);
    expect(entry.source).toHaveLength(MAX_NAME_LENGTH);
  });

  it('turns a huge object message into bounded text without building all of it', () => {
    const logs = new LogAggregator();
    const message = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, 'x'.repeat(MB)]));
    const started = performance.now();
    logs.addLog({ message });
    expect(performance.now() - started).toBeLessThan(500);
    expect(Buffer.byteLength(newest(logs).message)).toBeLessThanOrEqual(65_536);
  });

  it('refuses limits outside their range at construction, naming the option', () => {
    expect(() => new LogAggregator({ maxAttributeValueBytes: 10 })).toThrow(/maxAttributeValueBytes/);
    expect(() => new LogAggregator({ maxAttributeBytes: 2 ** 40 })).toThrow(/maxAttributeBytes/);
  });
});
