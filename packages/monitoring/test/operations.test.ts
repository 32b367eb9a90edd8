// monitorFunction and monitorOperation through the facade: started/completed/failed counts and
// durations, one ERROR log per failure with the error, errors rethrown unchanged, results and
// `this` untouched, and the operation's name on every log emitted inside — across awaits, nested
// operations, concurrent ones and `using`.
import { describe, expect, it } from 'vitest';
import { metric, value } from '../../core/test/metrics/support.js';
import { LogFilter, loadConfig, MonitoringSystem } from '../src/index.js';

function system() {
  return new MonitoringSystem(
    loadConfig({ config: { dashboard: { enabled: false }, handleSignals: false }, env: {} }),
  );
}

const count = (monitoring: MonitoringSystem, name: string, labels: Record<string, string>) =>
  value(monitoring.metricsCollector, name, labels);

async function durations(
  monitoring: MonitoringSystem,
  labels: Record<string, string>,
): Promise<number | undefined> {
  const data = await metric(monitoring.metricsCollector, 'monitored_operation.duration');
  const key = JSON.stringify(Object.entries(labels).sort());
  const point = data?.dataPoints.find((p) => JSON.stringify(Object.entries(p.attributes).sort()) === key);
  return (point?.value as { count: number } | undefined)?.count;
}

function logsOf(monitoring: MonitoringSystem, operation?: string) {
  return monitoring.logAggregator.searchLogs(
    new LogFilter(operation === undefined ? {} : { attributes: { operation } }),
    { limit: 100 },
  ).entries;
}

describe('monitorFunction', () => {
  it('counts and times sync calls, keeping the result, this and the function’s name', async () => {
    const monitoring = system();
    const counter = {
      base: 10,
      add(n: number) {
        return this.base + n;
      },
    };
    counter.add = monitoring.monitorFunction('add')(counter.add);
    expect(counter.add(5)).toBe(15);
    expect(counter.add(1)).toBe(11);
    expect(counter.add.name).toBe('add');
    expect(await count(monitoring, 'monitored_operation.started', { operation: 'add' })).toBe(2);
    expect(await count(monitoring, 'monitored_operation.completed', { operation: 'add' })).toBe(2);
    expect(await durations(monitoring, { operation: 'add', outcome: 'success' })).toBe(2);
  });

  it('records a thrown error, logs it once with the error, and rethrows the very same error', async () => {
    const monitoring = system();
    const boom = new RangeError('index out of range');
    const fails = monitoring.monitorFunction('parse', { stage: 'load' })(() => {
      throw boom;
    });
    let caught: unknown;
    try {
      fails();
    } catch (error) {
      caught = error;
    }
    expect(caught).toBe(boom);
    expect(
      await count(monitoring, 'monitored_operation.failed', {
        operation: 'parse',
        stage: 'load',
        error_type: 'RangeError',
      }),
    ).toBe(1);
    expect(await durations(monitoring, { operation: 'parse', stage: 'load', outcome: 'error' })).toBe(1);
    const [line] = logsOf(monitoring, 'parse');
    expect(line).toMatchObject({
      levelName: 'ERROR',
      message: 'operation parse failed: index out of range',
      error: { type: 'RangeError', message: 'index out of range' },
    });
  });

  it('records a rejected promise as failed and hands the caller the same rejection', async () => {
    const monitoring = system();
    const reason = new Error('upstream timeout');
    const fetchIt = monitoring.monitorFunction('fetch')(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw reason;
    });
    await expect(fetchIt()).rejects.toBe(reason);
    await new Promise((resolve) => setImmediate(resolve));
    expect(
      await count(monitoring, 'monitored_operation.failed', { operation: 'fetch', error_type: 'Error' }),
    ).toBe(1);
    expect(await count(monitoring, 'monitored_operation.completed', { operation: 'fetch' })).toBeUndefined();
  });

  it('works as a standard method decorator', async () => {
    const monitoring = system();
    class Tracker {
      seen = 0;
      @monitoring.monitorFunction('track')
      async track(rows: number): Promise<number> {
        this.seen += rows;
        monitoring.logAggregator.addLog({ message: `tracked ${rows} rows` });
        return this.seen;
      }
    }
    const tracker = new Tracker();
    expect(await tracker.track(3)).toBe(3);
    expect(await tracker.track(4)).toBe(7);
    expect(await count(monitoring, 'monitored_operation.completed', { operation: 'track' })).toBe(2);
    expect(logsOf(monitoring, 'track').map((e) => e.message)).toEqual(['tracked 4 rows', 'tracked 3 rows']);
  });
});

describe('monitorOperation', () => {
  it('tags every log inside with the operation, across awaits, nesting and concurrency', async () => {
    const monitoring = system();
    const log = (message: string) => monitoring.logAggregator.addLog({ message });
    const work = (name: string, delay: number) =>
      monitoring.monitorOperation(name, async () => {
        log(`${name} begins`);
        await new Promise((resolve) => setTimeout(resolve, delay));
        await monitoring.monitorOperation(`${name}.inner`, async () => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          log(`${name} inner`);
        });
        log(`${name} ends`);
        return name.length;
      });
    expect(await Promise.all([work('alpha', 10), work('beta', 2)])).toEqual([5, 4]);
    log('outside');
    expect(
      logsOf(monitoring, 'alpha')
        .map((e) => e.message)
        .sort(),
    ).toEqual(['alpha begins', 'alpha ends']);
    expect(logsOf(monitoring, 'beta.inner').map((e) => e.message)).toEqual(['beta inner']);
    const outside = logsOf(monitoring).find((e) => e.message === 'outside');
    expect(outside?.extraData.operation).toBeUndefined();
  });

  it('with `using`, holds the operation until disposal, and fail() marks it failed', async () => {
    const monitoring = system();
    {
      using _op = monitoring.monitorOperation('nightly');
      monitoring.logAggregator.addLog({ message: 'inside nightly' });
    }
    monitoring.logAggregator.addLog({ message: 'after nightly' });
    expect(logsOf(monitoring, 'nightly').map((e) => e.message)).toEqual(['inside nightly']);
    expect(await count(monitoring, 'monitored_operation.completed', { operation: 'nightly' })).toBe(1);
    try {
      using op = monitoring.monitorOperation('risky');
      try {
        throw new TypeError('bad row');
      } catch (error) {
        op.fail(error);
        throw error;
      }
    } catch {
      // expected
    }
    expect(
      await count(monitoring, 'monitored_operation.failed', { operation: 'risky', error_type: 'TypeError' }),
    ).toBe(1);
    expect(logsOf(monitoring, 'risky')[0]?.message).toBe('operation risky failed: bad row');
  });
});
