/**
 * Self-test of the end-to-end harness, independent of project code: a plain node:http server
 * serves a hand-written exposition, a real Prometheus scrapes it, and promtool lints expositions.
 * If this fails, e2e failures elsewhere are the harness's fault, not the SDK's.
 */
import { access } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, OutputTail, startProcess, tempDir } from './processes.js';
import {
  type PrometheusServer,
  parsePromValue,
  promtoolCheckMetrics,
  startPrometheus,
} from './prometheus.js';

const EXPOSITION = '# HELP demo_total A demo counter.\n# TYPE demo_total counter\ndemo_total{kind="a"} 42\n';

describe('a real Prometheus scraping a hand-written exposition', () => {
  let app: Server;
  let prometheus: PrometheusServer | undefined;

  beforeAll(async () => {
    app = createServer((request, response) => {
      if (request.url !== '/metrics') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' }).end(EXPOSITION);
    });
    await new Promise<void>((resolve) => app.listen(0, '127.0.0.1', resolve));
    const { port } = app.address() as AddressInfo;
    prometheus = await startPrometheus({ targets: [`127.0.0.1:${port}`] });
  });

  afterAll(async () => {
    await prometheus?.stop();
    await new Promise((resolve) => app?.close(resolve));
  });

  it('reads back demo_total{kind="a"} as 42', async () => {
    const result = await prometheus!.waitForQuery('demo_total{kind="a"}', (r) => r.length > 0, 15_000);
    expect(result).toEqual([
      { metric: { __name__: 'demo_total', instance: expect.any(String), job: 'app', kind: 'a' }, value: 42 },
    ]);
  });

  it('reports the scraped target as up with no error', async () => {
    await prometheus!.waitForQuery('up', (r) => r[0]?.value === 1);
    const targets = await prometheus!.targets();
    expect(targets).toHaveLength(1);
    expect(targets[0]).toMatchObject({ scrapePool: 'app', health: 'up', lastError: '' });
  });

  it('answers scalar queries and parses NaN and +Inf', async () => {
    expect(await prometheus!.query('scalar(demo_total{kind="a"}) * 2')).toEqual([{ metric: {}, value: 84 }]);
    expect((await prometheus!.query('demo_total{kind="a"} * 0 / 0'))[0]?.value).toBeNaN();
    expect((await prometheus!.query('demo_total{kind="a"} / 0'))[0]?.value).toBe(Number.POSITIVE_INFINITY);
  });

  it('rejects invalid PromQL with the server error', async () => {
    await expect(prometheus!.query('demo_total{')).rejects.toThrow(/bad_data/);
  });

  it('explains a timed-out wait with the last result and target health', async () => {
    const wait = prometheus!.waitForQuery('demo_total{kind="never"}', (r) => r.length > 0, 300);
    await expect(wait).rejects.toThrow(
      /Last result: \(empty vector\)\nTargets:\n {2}http:\/\/127\.0\.0\.1:\d+\/metrics health=up/,
    );
  });
});

describe('promtoolCheckMetrics', () => {
  it('passes a well-formed exposition with exit code 0 and no output', async () => {
    expect(await promtoolCheckMetrics(EXPOSITION)).toEqual({ exitCode: 0, output: '' });
  });

  it('fails a syntax error with exit code 1 and names the line', async () => {
    const broken = '# HELP demo_total A demo counter.\n# TYPE demo_total counter\ndemo_total{kind="a"} 4x2\n';
    const { exitCode, output } = await promtoolCheckMetrics(broken);
    expect(exitCode).toBe(1);
    expect(output).toContain(
      'error while linting: text format parsing error in line 3: expected float as value, got "4x2"',
    );
  });

  it('reports a counter without the _total suffix as a lint problem with exit code 3', async () => {
    const unsuffixed = '# HELP demo A demo counter.\n# TYPE demo counter\ndemo{kind="a"} 42\n';
    expect(await promtoolCheckMetrics(unsuffixed)).toEqual({
      exitCode: 3,
      output: 'demo counter metrics should have "_total" suffix\n',
    });
  });
});

describe('the process helper', () => {
  it('names the Debian package when a binary is missing, instead of skipping', async () => {
    const start = startProcess({
      binary: '/usr/bin/no-such-binary',
      args: [],
      debianPackage: 'prometheus',
      readyUrl: 'http://127.0.0.1:1/',
    });
    await expect(start).rejects.toThrow('`apt-get install -y prometheus`');
  });

  it('fails with the last output when the binary exits before it is ready', async () => {
    const [port, dir] = await Promise.all([freePort(), tempDir('harness-test')]);
    const start = startProcess({
      binary: '/usr/bin/prometheus',
      args: [
        '--config.file=/nonexistent/prometheus.yml',
        `--storage.tsdb.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      debianPackage: 'prometheus',
      readyUrl: `http://127.0.0.1:${port}/-/ready`,
      removeOnStop: [dir],
    });
    await expect(start).rejects.toThrow(
      /exited with code \d+ before .* was ready\. Last output:\n[\s\S]*nonexistent/,
    );
    await expect(access(dir)).rejects.toThrow('ENOENT');
  });

  it('keeps only the tail of long output', () => {
    const tail = new OutputTail(5);
    tail.push('abc');
    tail.push('defgh');
    expect(tail.toString()).toBe('[…earlier output dropped…]\ndefgh');
  });

  it('parses the API value spellings NaN, +Inf and -Inf', () => {
    expect(parsePromValue('NaN')).toBeNaN();
    expect(parsePromValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(parsePromValue('-Inf')).toBe(Number.NEGATIVE_INFINITY);
    expect(parsePromValue('1.5e3')).toBe(1500);
  });
});
