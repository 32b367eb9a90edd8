// The ExporterManager with scripted exporters: sends never overlap, the queue drops its oldest
// exactly, failures back off (with jitter, honouring Retry-After), per-item outcomes keep order,
// hanging sends time out, stop() flushes within its deadline, and nothing throws into the app.
import { MetricsCollector } from '@datalineage/core';
import { describe, expect, it } from 'vitest';
import { metric, value } from '../../../core/test/metrics/support.js';
import { ExporterManager } from '../../src/export/manager.js';
import { ExportError, type Exporter, ExporterConfigError, type SendResult } from '../../src/export/types.js';

type Script = (batch: readonly number[], signal: AbortSignal) => Promise<SendResult | undefined>;

/** An exporter of numbers: `collect` hands out what was staged; `send` follows the script. */
class Scripted implements Exporter<number> {
  readonly kind = 'scripted';
  readonly sent: number[][] = [];
  readonly delivered: number[] = [];
  staged: number[] = [];
  concurrent = 0;
  maxConcurrent = 0;
  enqueue: ((items: readonly number[]) => void) | undefined;

  constructor(private script: Script = async () => undefined) {}

  use(script: Script): void {
    this.script = script;
  }

  collect(): number[] {
    const items = this.staged;
    this.staged = [];
    return items;
  }

  async send(batch: readonly number[], signal: AbortSignal): Promise<SendResult | undefined> {
    this.sent.push([...batch]);
    this.concurrent++;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.concurrent);
    try {
      const result = await this.script(batch, signal);
      const refused = new Set([...(result?.retry ?? []), ...(result?.rejected ?? []).map((r) => r.index)]);
      batch.forEach((item, i) => {
        if (!refused.has(i)) this.delivered.push(item);
      });
      return result;
    } finally {
      this.concurrent--;
    }
  }

  describe(): Record<string, unknown> {
    return { kind: 'scripted', token: '[REDACTED]' };
  }
}

const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ExporterManager', () => {
  it('sends in batches, in order, and never two requests of one exporter at once', async () => {
    const exporter = new Scripted(async () => {
      await sleep(20);
      return undefined;
    });
    const manager = new ExporterManager();
    manager.addExporter(exporter, { batchSize: 100 });
    exporter.staged = range(0, 250);
    const ticks = Promise.all([manager.exportNow(), manager.exportNow(), manager.exportNow()]);
    exporter.staged = range(250, 300);
    await ticks;
    await manager.exportNow();
    expect(exporter.maxConcurrent).toBe(1);
    expect(exporter.delivered).toEqual(range(0, 300));
    expect(exporter.sent.every((batch) => batch.length <= 100)).toBe(true);
    expect(manager.stats().scripted).toMatchObject({ exported: 300, queued: 0, failed: 0 });
  });

  it('drops the oldest items when the queue is full, and counts exactly how many', async () => {
    const exporter = new Scripted(async () => {
      throw new ExportError('down', { status: 503 });
    });
    let now = 0;
    const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
    manager.addExporter(exporter, { maxQueueSize: 100, batchSize: 30 });
    for (let i = 0; i < 5; i++) {
      exporter.staged = range(i * 50, (i + 1) * 50);
      await manager.exportNow();
      now += 10; // past the backoff: every tick tries again
    }
    const stats = manager.stats().scripted;
    expect(stats?.queued).toBe(100);
    expect(stats?.dropped).toEqual({ queue_full: 150 });
    exporter.use(async () => undefined);
    await manager.exportNow();
    expect(exporter.delivered).toEqual(range(150, 250)); // the newest 100, in order
    expect(manager.stats().scripted).toMatchObject({ exported: 100, queued: 0 });
  });

  it('backs off after a failure, with jitter, and waits at least as long as Retry-After asks', async () => {
    let now = 0;
    let fail = true;
    const exporter = new Scripted(async () => {
      if (fail) throw new ExportError('busy', { status: 429, retryAfterMs: 5000 });
      return undefined;
    });
    const manager = new ExporterManager({ now: () => now, random: () => 0.5 });
    manager.addExporter(exporter, { backoffMs: 1000, maxBackoffMs: 60_000 });
    exporter.staged = [1, 2];
    await manager.exportNow();
    expect(manager.stats().scripted?.retryAt).toBe(new Date(5000).toISOString());
    now = 4999;
    fail = false;
    await manager.exportNow(); // still backing off: not sent
    expect(exporter.sent).toHaveLength(1);
    now = 5000;
    await manager.exportNow();
    expect(exporter.delivered).toEqual([1, 2]);
    expect(manager.stats().scripted).toMatchObject({ failed: 1, retried: 1, exported: 2 });

    // Without Retry-After: 1000 × 2^(n−1), half of it fixed, half jittered (0.5 here → 75%).
    const plain = new Scripted(async () => {
      throw new ExportError('refused');
    });
    const second = new ExporterManager({ now: () => now, random: () => 0.5 });
    second.addExporter(plain, { backoffMs: 1000, maxBackoffMs: 3000 });
    plain.staged = [1];
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      await second.exportNow();
      const retryAt = Date.parse(second.stats().scripted?.retryAt ?? '');
      delays.push(retryAt - now);
      now = retryAt;
    }
    expect(delays).toEqual([750, 1500, 2250, 2250]);
  });

  it('retries only the items a partial answer refused, drops the rejected ones by reason, and keeps order', async () => {
    let first = true;
    const exporter = new Scripted(async () => {
      if (!first) return undefined;
      first = false;
      return { retry: [1, 3], rejected: [{ index: 2, reason: 'mapper_parsing_exception' }] };
    });
    let now = 0;
    const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
    manager.addExporter(exporter);
    exporter.staged = [10, 11, 12, 13, 14];
    await manager.exportNow();
    now += 10;
    await manager.exportNow();
    expect(exporter.sent).toEqual([
      [10, 11, 12, 13, 14],
      [11, 13],
    ]);
    expect(exporter.delivered.sort()).toEqual([10, 11, 13, 14]);
    expect(manager.stats().scripted).toMatchObject({
      exported: 4,
      dropped: { mapper_parsing_exception: 1 },
      queued: 0,
    });
  });

  it('drops a batch the backend refuses for good, counted as rejected, with the reason in the status', async () => {
    const exporter = new Scripted(async () => {
      throw new ExportError('backend answered HTTP 401 (check the credentials)', { status: 401 });
    });
    const manager = new ExporterManager();
    manager.addExporter(exporter);
    exporter.staged = [1, 2, 3];
    await manager.exportNow();
    expect(manager.stats().scripted).toMatchObject({ dropped: { rejected: 3 }, queued: 0, failed: 1 });
    expect(manager.stats().scripted?.lastError).toMatch(
      /HTTP 401 \(check the credentials\); 3 items dropped/,
    );
  });

  it('times a hanging send out, keeps its items, and starts no other request until the hanging one ends', async () => {
    let release: (() => void) | undefined;
    const exporter = new Scripted(
      (_, signal) =>
        new Promise((resolve) => {
          // The first request ignores its signal on purpose: the manager must not wait for it,
          // nor start a second one beside it.
          if (release === undefined) release = () => resolve({ retry: [0, 1] });
          else resolve(undefined);
          void signal;
        }),
    );
    let now = 0;
    const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
    manager.addExporter(exporter, { timeout: 0.05 });
    exporter.staged = [1, 2];
    const started = performance.now();
    await manager.exportNow();
    expect(performance.now() - started).toBeLessThan(1000);
    expect(manager.stats().scripted).toMatchObject({ failed: 1, queued: 2 });
    expect(manager.stats().scripted?.lastError).toMatch(/timed out after 50 ms; 2 items kept/);
    now += 10;
    await manager.exportNow(); // the first request still runs: nothing is sent
    expect(exporter.sent).toHaveLength(1);
    expect(manager.stats().scripted?.lastError).toMatch(/ignored its time limit and has not ended/);
    release?.();
    now += 100;
    await manager.exportNow();
    expect(exporter.delivered).toEqual([1, 2]);
    expect(exporter.maxConcurrent).toBe(1);
    expect(manager.stats().scripted?.queued).toBe(0);
  });

  it('keeps to the stop deadline even when a collection or a request never settles, counting what is left', async () => {
    const hangingCollect = new Scripted();
    hangingCollect.collect = () => new Promise<number[]>(() => {}) as never;
    const hangingSend = new Scripted(() => new Promise(() => {}));
    const manager = new ExporterManager({ defaults: { timeout: 60 } });
    manager.addExporter(hangingCollect, { name: 'collect' });
    manager.addExporter(hangingSend, { name: 'send' });
    hangingSend.staged = [1, 2, 3];
    void manager.exportNow('collect');
    void manager.exportNow('send');
    await sleep(20);
    const started = performance.now();
    await manager.stop(300);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(1500);
    expect(manager.stats().send).toMatchObject({ dropped: { shutdown: 3 }, queued: 0 });
  });

  it('counts what removal could not send as removed, and records handed over after stop as shutdown', async () => {
    const exporter = new Scripted(async () => {
      throw new ExportError('down', { status: 503 });
    });
    let enqueue: ((items: readonly number[]) => void) | undefined;
    (exporter as Exporter<number>).attach = (feed) => {
      enqueue = feed;
      return () => {};
    };
    const collector = new MetricsCollector();
    const manager = new ExporterManager({ metrics: collector });
    const name = manager.addExporter(exporter);
    await manager.stop(50);
    enqueue?.([1, 2]);
    expect(manager.stats().scripted?.dropped).toEqual({ shutdown: 2 });
    manager.start();
    enqueue?.([3, 4, 5]);
    await manager.removeExporter(name, 50);
    expect(
      await value(collector, 'datalineage_monitoring_export_dropped_items_total', {
        exporter: name,
        reason: 'removed',
      }),
    ).toBe(3);
  });

  it('keeps a partial answer within its batch: bad indexes ignored, each item counted once', async () => {
    const exporter = new Scripted(async () => ({
      retry: [0, 0, 7, -1, 1.5],
      rejected: [
        { index: 0, reason: 'bad' },
        { index: 0, reason: 'twice' },
        { index: 9, reason: 'out of range' },
      ],
      dropped: { weird: Number.NaN, many: 99 },
    }));
    const manager = new ExporterManager();
    manager.addExporter(exporter);
    exporter.staged = [10, 11, 12];
    await manager.exportNow();
    const stats = manager.stats().scripted;
    // Item 0 rejected (first reason wins), the other two counted as dropped by "many": 3 in all.
    expect(stats?.dropped).toEqual({ bad: 1, many: 2 });
    expect(stats?.exported).toBe(0);
    expect(stats?.queued).toBe(0);
  });

  it('lets two managers report on one collector', async () => {
    const collector = new MetricsCollector();
    const first = new ExporterManager({ metrics: collector });
    const second = new ExporterManager({ metrics: collector });
    const a = new Scripted();
    const b = new Scripted();
    first.addExporter(a, { name: 'a' });
    second.addExporter(b, { name: 'b' });
    a.staged = [1];
    b.staged = [1, 2];
    await first.exportNow();
    await second.exportNow();
    expect(await value(collector, 'datalineage_monitoring_exported_items_total', { exporter: 'a' })).toBe(1);
    expect(await value(collector, 'datalineage_monitoring_exported_items_total', { exporter: 'b' })).toBe(2);
  });

  it('stop() collects a last time, sends until its deadline and counts what is left as shutdown', async () => {
    const exporter = new Scripted(async () => {
      throw new ExportError('down', { status: 503 });
    });
    const manager = new ExporterManager({ defaults: { backoffMs: 20, maxBackoffMs: 20 } });
    manager.addExporter(exporter);
    exporter.staged = [1, 2, 3];
    await manager.exportNow();
    exporter.staged = [4, 5];
    const started = performance.now();
    await manager.stop(200);
    const took = performance.now() - started;
    expect(took).toBeGreaterThanOrEqual(150);
    expect(took).toBeLessThan(1500);
    expect(exporter.sent.length).toBeGreaterThan(3); // kept retrying until the deadline
    expect(manager.stats().scripted).toMatchObject({ dropped: { shutdown: 5 }, queued: 0 });
  });

  it('retries a send that throws synchronously, keeping its items', async () => {
    let now = 0;
    let calls = 0;
    const exporter = new Scripted((() => {
      calls++;
      if (calls === 1) throw new Error('thrown before any promise');
      return Promise.resolve(undefined);
    }) as Script);
    const manager = new ExporterManager({ now: () => now, defaults: { backoffMs: 10, maxBackoffMs: 10 } });
    manager.addExporter(exporter);
    exporter.staged = [1, 2];
    await expect(manager.exportNow()).resolves.toBeUndefined();
    expect(manager.stats().scripted).toMatchObject({ failed: 1, queued: 2 });
    expect(manager.stats().scripted?.lastError).toMatch(/thrown before any promise; 2 items kept/);
    now += 10;
    await manager.exportNow();
    expect(exporter.delivered).toEqual([1, 2]);
  });

  it('never throws into the application: a failing collect or describe is counted', async () => {
    const exporter = new Scripted(() => {
      throw new Error('synchronous throw');
    });
    exporter.collect = () => {
      throw new Error('collect broke');
    };
    exporter.describe = () => {
      throw new Error('describe broke');
    };
    const manager = new ExporterManager();
    manager.addExporter(exporter);
    await expect(manager.exportNow()).resolves.toBeUndefined();
    expect(manager.stats().scripted).toMatchObject({ collectErrors: 1, config: {} });
    expect(manager.stats().scripted?.lastError).toMatch(/collecting for export failed: collect broke/);
  });

  it('feeds exporters that attach, and detaches them on removal, flushing first', async () => {
    const exporter = new Scripted();
    let detached = false;
    exporter.collect = () => [];
    (exporter as Exporter<number>).attach = (enqueue) => {
      exporter.enqueue = enqueue;
      return () => {
        detached = true;
      };
    };
    const manager = new ExporterManager();
    const name = manager.addExporter(exporter);
    exporter.enqueue?.([7, 8, 9]);
    expect(manager.stats().scripted?.queued).toBe(3);
    expect(await manager.removeExporter(name)).toBe(true);
    expect(exporter.delivered).toEqual([7, 8, 9]);
    expect(detached).toBe(true);
    expect(await manager.removeExporter(name)).toBe(false);
  });

  it('names exporters by kind without collisions, and refuses bad settings at setup', () => {
    const manager = new ExporterManager();
    expect(manager.addExporter(new Scripted())).toBe('scripted');
    expect(manager.addExporter(new Scripted())).toBe('scripted-2');
    expect(manager.addExporter(new Scripted(), { name: 'mine' })).toBe('mine');
    expect(() => manager.addExporter(new Scripted(), { name: 'mine' })).toThrow(/exists already/);
    expect(() => manager.addExporter(new Scripted(), { interval: 0 })).toThrow(ExporterConfigError);
    expect(() => manager.addExporter(new Scripted(), { batchSize: 1.5 })).toThrow(
      /batchSize: expected an integer/,
    );
    expect(() => manager.addExporter({} as never)).toThrow(TypeError);
    expect(() => new ExporterManager({ defaults: { maxQueueSize: 0 } })).toThrow(/maxQueueSize/);
    // A zero backoff would hammer a backend that is down.
    expect(() => manager.addExporter(new Scripted(), { backoffMs: 0 })).toThrow(
      /backoffMs: expected a number from 10/,
    );
    expect(() => manager.addExporter(new Scripted(), { backoffMs: 500, maxBackoffMs: 100 })).toThrow(
      /at least backoffMs/,
    );
    expect(manager.names()).toEqual(['scripted', 'scripted-2', 'mine']);
  });

  it('exports on its own timer once started, and reports in self-metrics', async () => {
    const collector = new MetricsCollector();
    const exporter = new Scripted();
    const manager = new ExporterManager({ metrics: collector });
    manager.addExporter(exporter, { interval: 0.02 });
    exporter.staged = [1, 2, 3];
    manager.start();
    await sleep(150);
    expect(exporter.delivered).toEqual([1, 2, 3]); // sent by the timer, before any stop()
    await manager.stop();
    expect(
      await value(collector, 'datalineage_monitoring_exported_items_total', { exporter: 'scripted' }),
    ).toBe(3);
    expect(await metric(collector, 'datalineage_monitoring_export_queue_items')).toBeDefined();
  });
});
