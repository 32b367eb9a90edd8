/**
 * A real Prometheus server for end-to-end tests: scrapes the given targets, answers PromQL, and
 * explains itself when a test waits in vain (last query result plus each target's health and
 * last scrape error). Also `promtool check metrics`, the reference linter for expositions.
 */
import { spawn } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  freePort,
  OutputTail,
  type RunningProcess,
  requireBinary,
  startProcess,
  tempDir,
} from './processes.js';

const PROMETHEUS = '/usr/bin/prometheus';
const PROMTOOL = '/usr/bin/promtool';
const DEBIAN_PACKAGE = 'prometheus';
const WAIT_POLL_MS = 250;
const PROMTOOL_TIMEOUT_MS = 10_000;

/** Options for {@link startPrometheus}. */
export interface StartPrometheusOptions {
  /** `host:port` of each endpoint the `app` job scrapes. @example ['127.0.0.1:9464'] */
  targets: string[];
  /** Global and `app` job scrape interval; also the rule evaluation interval. @default '1s' */
  scrapeInterval?: string;
  /** Path scraped on every target. @default '/metrics' */
  metricsPath?: string;
  /**
   * More top-level prometheus.yml keys (`rule_files`, `alerting`, …), merged into the generated
   * config: `global` keys override the defaults, `scrape_configs` are appended after the `app` job.
   * @example { rule_files: ['rules.yml'] }
   */
  extraConfig?: Record<string, unknown>;
  /**
   * Files written beside prometheus.yml before start, by relative path, e.g. the rule files that
   * `extraConfig.rule_files` names. @default {}
   */
  files?: Record<string, string>;
}

/** One element of an instant vector (or a scalar, with empty `metric`). */
export interface PromSample {
  metric: Record<string, string>;
  value: number;
}

/** An active target from `/api/v1/targets`. */
export interface PromTarget {
  scrapePool: string;
  scrapeUrl: string;
  labels: Record<string, string>;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
  lastScrape: string;
}

/** A running Prometheus; `stop()` it in `afterAll`. */
export interface PrometheusServer {
  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  port: number;
  /** Evaluates `promql` now, via `/api/v1/query`. Throws on a PromQL error or a range-vector result. */
  query(promql: string): Promise<PromSample[]>;
  /**
   * Polls `promql` every 250 ms until `predicate` accepts the result; on timeout throws an Error
   * with the last result and every target's health and last scrape error.
   * @default timeoutMs 15_000
   */
  waitForQuery(
    promql: string,
    predicate: (result: PromSample[]) => boolean,
    timeoutMs?: number,
  ): Promise<PromSample[]>;
  /** Active scrape targets with their health. */
  targets(): Promise<PromTarget[]>;
  /** Stops the server and deletes its config and data. */
  stop(): Promise<void>;
  /** The process, for its output. */
  process: RunningProcess;
}

/** Starts Prometheus on a free loopback port with the `app` job scraping `targets`. */
export async function startPrometheus(options: StartPrometheusOptions): Promise<PrometheusServer> {
  const { targets, scrapeInterval = '1s', metricsPath = '/metrics', extraConfig = {}, files = {} } = options;
  await requireBinary(PROMETHEUS, DEBIAN_PACKAGE);

  const dir = await tempDir('prometheus');
  try {
    return await runPrometheus(dir, { targets, scrapeInterval, metricsPath, extraConfig, files });
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}

async function runPrometheus(
  dir: string,
  options: Required<StartPrometheusOptions>,
): Promise<PrometheusServer> {
  const { targets, scrapeInterval, metricsPath, extraConfig, files } = options;
  const { global = {}, scrape_configs: extraScrapeConfigs = [], ...extraTopLevel } = extraConfig;
  if (!Array.isArray(extraScrapeConfigs)) throw new Error('extraConfig.scrape_configs must be an array');
  const config = {
    ...extraTopLevel,
    global: { scrape_interval: scrapeInterval, evaluation_interval: scrapeInterval, ...(global as object) },
    scrape_configs: [
      {
        job_name: 'app',
        scrape_interval: scrapeInterval,
        metrics_path: metricsPath,
        static_configs: [{ targets }],
      },
      ...extraScrapeConfigs,
    ],
  };
  const configFile = join(dir, 'prometheus.yml');
  // JSON is valid YAML, so no YAML writer is needed.
  await writeFile(configFile, `${JSON.stringify(config, null, 2)}\n`);
  for (const [path, content] of Object.entries(files)) {
    const file = join(dir, path);
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, content);
  }

  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const prometheus = await startProcess({
    binary: PROMETHEUS,
    debianPackage: DEBIAN_PACKAGE,
    args: [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    readyUrl: `${url}/-/ready`,
    removeOnStop: [dir],
    cwd: dir,
  });

  const api = async (path: string): Promise<unknown> => {
    let response: Response;
    try {
      response = await fetch(`${url}${path}`, { signal: AbortSignal.timeout(5_000) });
    } catch (error) {
      throw new Error(
        `GET ${url}${path} failed: ${String(error)}. Prometheus output:\n${prometheus.output()}`,
      );
    }
    const body = (await response.json().catch(() => undefined)) as ApiResponse | undefined;
    if (body?.status !== 'success') {
      throw new Error(
        `GET ${url}${path} answered ${response.status}: ${body?.errorType ?? ''} ${body?.error ?? ''}`.trim(),
      );
    }
    return body.data;
  };

  const query = async (promql: string): Promise<PromSample[]> =>
    parseQueryData(promql, await api(`/api/v1/query?query=${encodeURIComponent(promql)}`));

  const listTargets = async (): Promise<PromTarget[]> => {
    const data = (await api('/api/v1/targets?state=active')) as { activeTargets: PromTarget[] };
    return data.activeTargets;
  };

  const waitForQuery = async (
    promql: string,
    predicate: (result: PromSample[]) => boolean,
    timeoutMs = 15_000,
  ): Promise<PromSample[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const result = await query(promql);
      if (predicate(result)) return result;
      if (Date.now() >= deadline) {
        const health = (await listTargets().catch(() => [])).map(describeTarget).join('\n') || '  (none yet)';
        throw new Error(
          `waitForQuery(${promql}) not satisfied after ${timeoutMs} ms.\n` +
            `Last result: ${formatSamples(result)}\nTargets:\n${health}`,
        );
      }
      await sleep(WAIT_POLL_MS);
    }
  };

  return { url, port, query, waitForQuery, targets: listTargets, stop: prometheus.stop, process: prometheus };
}

interface ApiResponse {
  status: 'success' | 'error';
  data?: unknown;
  errorType?: string;
  error?: string;
}

type QueryData =
  | { resultType: 'vector'; result: Array<{ metric: Record<string, string>; value: [number, string] }> }
  | { resultType: 'scalar' | 'string'; result: [number, string] }
  | { resultType: 'matrix'; result: unknown[] };

function parseQueryData(promql: string, raw: unknown): PromSample[] {
  const data = raw as QueryData;
  switch (data.resultType) {
    case 'vector':
      return data.result.map(({ metric, value }) => ({ metric, value: parsePromValue(value[1]) }));
    case 'scalar':
      return [{ metric: {}, value: parsePromValue(data.result[1]) }];
    default:
      throw new Error(`query ${promql} returned a ${data.resultType}; use an instant vector or scalar`);
  }
}

/** Parses a sample value as Prometheus' JSON API writes it: decimal, `NaN`, `+Inf` or `-Inf`. */
export function parsePromValue(text: string): number {
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  return Number(text);
}

function formatSamples(samples: PromSample[]): string {
  if (samples.length === 0) return '(empty vector)';
  return samples.map(({ metric, value }) => `${JSON.stringify(metric)} ${value}`).join(', ');
}

function describeTarget(target: PromTarget): string {
  const error = target.lastError === '' ? '' : ` lastError=${JSON.stringify(target.lastError)}`;
  return `  ${target.scrapeUrl} health=${target.health} lastScrape=${target.lastScrape}${error}`;
}

/** Result of {@link promtoolCheckMetrics}. */
export interface PromtoolResult {
  /** 0: clean; 1: parse error; 3: lint problems only (promtool 2.42). */
  exitCode: number;
  /** promtool's stdout and stderr, interleaved. */
  output: string;
}

/** Runs `promtool check metrics` with `text` on stdin. */
export async function promtoolCheckMetrics(text: string): Promise<PromtoolResult> {
  await requireBinary(PROMTOOL, DEBIAN_PACKAGE);
  const output = new OutputTail(65_536);
  const child = spawn(PROMTOOL, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => output.push(chunk));
  // promtool may exit on a parse error before reading all of stdin; that EPIPE is not our error.
  child.stdin.on('error', () => {});
  child.stdin.end(text);
  const timer = setTimeout(() => child.kill('SIGKILL'), PROMTOOL_TIMEOUT_MS);
  try {
    const exitCode = await new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) =>
        signal === null
          ? resolve(code ?? -1)
          : reject(new Error(`promtool was killed by ${signal}: ${output}`)),
      );
    });
    return { exitCode, output: output.toString() };
  } finally {
    clearTimeout(timer);
  }
}
