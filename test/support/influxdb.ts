/**
 * A real InfluxDB 1.x (Debian package `influxdb`) for tests: started on a free loopback port with
 * its data in a temp dir, queried through its HTTP API, stopped and started again on the same
 * port and data (for outage tests), and stopped by PID. A missing binary fails, never skips.
 */
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, type RunningProcess, startProcess, tempDir } from './processes.js';

const INFLUXD = '/usr/bin/influxd';

export interface InfluxQueryResult {
  readonly series: ReadonlyArray<{
    readonly name: string;
    readonly tags?: Readonly<Record<string, string>>;
    readonly columns: readonly string[];
    readonly values: ReadonlyArray<readonly unknown[]>;
  }>;
}

export interface InfluxServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Runs an InfluxQL statement; throws on an error in the answer. */
  query(q: string, db?: string): Promise<InfluxQueryResult>;
  /** Rows of a SELECT as objects keyed by column (tags included when grouped by them). */
  rows(q: string, db: string): Promise<Array<Record<string, unknown>>>;
  /** Stops the server, keeping its data (an outage). */
  pause(): Promise<void>;
  /** Starts it again on the same port with the same data. */
  resume(): Promise<void>;
  /** Stops it and deletes its data. */
  stop(): Promise<void>;
}

export async function startInfluxDB(): Promise<InfluxServer> {
  const dir = await tempDir('influxdb');
  const port = await freePort();
  const rpc = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const config = join(dir, 'influxdb.conf');
  await writeFile(
    config,
    [
      'reporting-disabled = true',
      `bind-address = "127.0.0.1:${rpc}"`,
      '[meta]',
      `  dir = "${join(dir, 'meta')}"`,
      '[data]',
      `  dir = "${join(dir, 'data')}"`,
      `  wal-dir = "${join(dir, 'wal')}"`,
      '  query-log-enabled = false',
      '[http]',
      `  bind-address = "127.0.0.1:${port}"`,
      '  log-enabled = false',
      '[monitor]',
      '  store-enabled = false',
      '[logging]',
      '  level = "warn"',
      '',
    ].join('\n'),
  );
  const launch = () =>
    startProcess({
      binary: INFLUXD,
      debianPackage: 'influxdb',
      args: ['run', '-config', config],
      readyUrl: `${url}/ping`,
    });
  let process: RunningProcess | undefined;
  try {
    process = await launch();
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }

  const query = async (q: string, db?: string): Promise<InfluxQueryResult> => {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db !== undefined) params.set('db', db);
    const response = await fetch(`${url}/query`, { method: 'POST', body: params });
    const body = (await response.json()) as {
      error?: string;
      results?: Array<{ error?: string; series?: InfluxQueryResult['series'] }>;
    };
    const error = body.error ?? body.results?.find((r) => r.error !== undefined)?.error;
    if (!response.ok || error !== undefined)
      throw new Error(`InfluxDB query ${q} failed: ${error ?? response.status}`);
    return { series: body.results?.flatMap((r) => r.series ?? []) ?? [] };
  };

  return {
    url,
    query,
    async rows(q, db) {
      const { series } = await query(q, db);
      return series.flatMap((s) =>
        s.values.map((row) => ({
          ...s.tags,
          ...Object.fromEntries(s.columns.map((column, i) => [column, row[i]])),
        })),
      );
    },
    async pause() {
      await process?.stop();
      process = undefined;
    },
    async resume() {
      process ??= await launch();
    },
    async stop() {
      await process?.stop();
      process = undefined;
      await rm(dir, { recursive: true, force: true });
    },
  };
}
