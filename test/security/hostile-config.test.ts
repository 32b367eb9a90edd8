/**
 * Hostile configuration (the adversarial trial's cases 4 and 10): bad configuration fails at
 * setup, at once, naming the key and the rule — never echoing a secret's value, never echoing the
 * content of a file that is not configuration. Each case asserts its figure: a time, a memory
 * ceiling, a message.
 *
 * Before the fixes (measured on this two-core machine, loaded): DATALINEAGE_LOG_MAX_ENTRIES=
 * 10000000000000 was accepted, and setup aborted the process 22.3 s later at 3.2 GB RSS ("FATAL
 * ERROR: invalid table size"); 999999999999 set up after 24 s at 4.7 GB RSS. 16,000 keys under
 * resource_attributes took 2.7 s to load; 500,000 keys were still loading after 60 s. A billion
 * laughs surfaced as the yaml library's ReferenceError; 20,000 levels of `[` aborted the process
 * (the RegExp compiler out of memory). /dev/zero as the file grew to 2.5 GB in 6 s; a FIFO blocked
 * for good. `exporters.influxdb.password: 12345678` was reported as `got 12345678`, a URL with
 * credentials was quoted whole, and a file of /etc/shadow lines was quoted line by line as unknown
 * keys.
 *
 * Cases that would hang or exhaust the test process without the fixes (a FIFO, /dev/zero, deep
 * nesting, setup with a huge store, a parse of minutes) run in a child process first — the real
 * `datalineage-monitor` command — watched for time and memory and killed past either.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, ENVIRONMENT_VARIABLES, loadConfig } from '@datalineage/core';
import { afterAll, describe, expect, it } from 'vitest';

const directory = mkdtempSync(join(tmpdir(), 'hostile-config-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A refusal (or a load within the bounds) takes 10–300 ms here; a second leaves room for a busy machine. */
const FAST_MS = 1000;

let written = 0;
function file(text: string, name = `config-${++written}.yaml`): string {
  const path = join(directory, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError `run` throws, and how long it took to throw it. */
function refusal(run: () => unknown): { error: ConfigError; ms: number } {
  const start = performance.now();
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) return { error, ms: performance.now() - start };
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const CLI = ['--conditions=@datalineage/source', '--import', 'tsx', 'packages/monitoring/src/cli/main.ts'];

interface Run {
  readonly code: number | null;
  readonly output: string;
  readonly ms: number;
  readonly peakRssMb: number;
  /** Why the watcher killed the child, if it did. */
  readonly killed?: 'time' | 'memory';
}

/** Runs `datalineage-monitor …args` in a child, killed past `limits.ms` or `limits.rssMb`. */
function cli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  limits = { ms: 20_000, rssMb: 600 },
): Promise<Run> {
  return new Promise((resolve) => {
    const start = performance.now();
    const child = spawn(process.execPath, [...CLI, ...args], {
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => {
      output += chunk;
    });
    child.stderr.on('data', (chunk) => {
      output += chunk;
    });
    let peakRssMb = 0;
    let killed: Run['killed'];
    const watch = setInterval(() => {
      let status: string;
      try {
        status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      } catch {
        return; // it exited between two looks
      }
      peakRssMb = Math.max(peakRssMb, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024);
      if (peakRssMb > limits.rssMb) killed = 'memory';
      else if (performance.now() - start > limits.ms) killed = 'time';
      if (killed !== undefined) child.kill('SIGKILL');
    }, 50);
    child.on('close', (code) => {
      clearInterval(watch);
      resolve({ code, output, ms: performance.now() - start, peakRssMb, ...(killed ? { killed } : {}) });
    });
  });
}

/**
 * The command refuses the file at once, in a child: without the fixes, loading it in this process
 * would hold it past any test timeout (a synchronous parse cannot be interrupted).
 */
async function commandRefuses(path: string, message: string): Promise<void> {
  const run = await cli(['validate-config', path]);
  expect(run.killed, run.output).toBeUndefined();
  expect(run.code).toBe(1);
  expect(run.output).toContain(message);
}

/** The numeric environment variables, each set to 10^13. */
const NUMERIC_VARIABLES = ENVIRONMENT_VARIABLES.filter((variable) => variable.type === 'number');
const HUGE = '10000000000000';

describe('case 4: a hostile number fails at setup, at once, naming the variable and the bound', () => {
  it('DATALINEAGE_LOG_MAX_ENTRIES=10000000000000 (and 999999999999)', () => {
    for (const raw of [HUGE, '999999999999']) {
      const { error, ms } = refusal(() => loadConfig({ env: { DATALINEAGE_LOG_MAX_ENTRIES: raw } }));
      expect(ms).toBeLessThan(FAST_MS);
      expect(error.message).toBe(
        [
          'Invalid monitoring configuration (1 problem):',
          `  - logs.maxEntries (env DATALINEAGE_LOG_MAX_ENTRIES): must be at most 10000000 (each entry keeps ~127 bytes plus its text; more would exhaust memory), got ${raw}`,
        ].join('\n'),
      );
    }
  });

  it.each(NUMERIC_VARIABLES.map((variable) => variable.name))('%s=10000000000000', (name) => {
    const { error, ms } = refusal(() => loadConfig({ env: { [name]: HUGE } }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]).toMatchObject({ source: 'env', origin: name });
    expect(error.issues[0]?.message).toMatch(new RegExp(`^must be at most \\d+( \\(.+\\))?, got ${HUGE}$`));
  });

  it('all of them at once: one ConfigError listing each', () => {
    const env = Object.fromEntries(NUMERIC_VARIABLES.map((variable) => [variable.name, HUGE]));
    const { error, ms } = refusal(() => loadConfig({ env }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(NUMERIC_VARIABLES.length).toBe(9);
    expect(error.issues.map((issue) => issue.origin).sort()).toEqual(Object.keys(env).sort());
  });

  it('the command stops at once, in little memory (before: abort after 22 s at 3.2 GB)', {
    timeout: 60_000,
  }, async () => {
    const run = await cli(['validate-config', 'examples/monitoring-config.yaml'], {
      DATALINEAGE_LOG_MAX_ENTRIES: HUGE,
    });
    expect(run.killed).toBeUndefined();
    expect(run.code).toBe(1);
    expect(run.output).toContain(
      'logs.maxEntries (env DATALINEAGE_LOG_MAX_ENTRIES): must be at most 10000000',
    );
    expect(run.peakRssMb).toBeLessThan(600);
  });
});

describe('case 4: a hostile file is refused before the work it would cause, naming the file', () => {
  const keys = (count: number, indent = '') =>
    Array.from({ length: count }, (_, i) => `${indent}k${i}: v${i}`).join('\n');

  it('500,000 keys (8 MB): refused by size, unread (before: still loading at 60 s)', {
    timeout: 60_000,
  }, async () => {
    const path = file(`${keys(500_000)}\n`);
    await commandRefuses(path, 'a configuration file may have at most 1048576 bytes');
    const { error, ms } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(error.issues).toEqual([
      {
        path: '',
        source: 'file',
        origin: path,
        message: expect.stringMatching(
          /^is \d+ bytes; a configuration file may have at most 1048576 bytes \(1 MiB\); it was named by options\.file$/,
        ),
      },
    ]);
  });

  it('1 MiB of the densest YAML (524,000 list items): refused while lexing', {
    timeout: 60_000,
  }, async () => {
    const path = file(`[${'1,'.repeat(524_000)}1]`);
    await commandRefuses(path, 'the YAML has more than 100000 tokens');
    const { error, ms } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(error.issues[0]?.message).toContain('the YAML has more than 100000 tokens');
  });

  it('16,000 keys under resource_attributes (0.25 MB): refused (before: loaded in 2.7 s); 9,000 load', () => {
    const many = refusal(() =>
      loadConfig({ file: file(`resource_attributes:\n${keys(16_000, '  ')}\n`), env: {} }),
    );
    expect(many.ms).toBeLessThan(FAST_MS);
    expect(many.error.issues[0]?.message).toContain('the YAML has more than 100000 tokens');

    const start = performance.now();
    const config = loadConfig({ file: file(`resource_attributes:\n${keys(9000, '  ')}\n`), env: {} });
    expect(performance.now() - start).toBeLessThan(FAST_MS);
    expect(Object.keys(config.resourceAttributes)).toHaveLength(9000);
  });

  it('a billion laughs: a ConfigError naming the file, not the yaml library’s ReferenceError', () => {
    const lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (const [i, name] of [...'bcdefghi'].entries()) {
      lines.push(`${name}: &${name} [${Array(9).fill(`*${'abcdefghi'[i]}`).join(',')}]`);
    }
    const path = file(`${lines.join('\n')}\n`);
    const { error, ms } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(error.issues).toEqual([
      {
        path: '',
        source: 'file',
        origin: path,
        message: 'the YAML has 490329054 keys and list items (aliases expanded); at most 10000 are read',
      },
    ]);
  });

  it('an anchor used 101 times (the library’s own alias bomb check): a ConfigError naming the file', () => {
    const path = file(`a: &a [1]\nresource_attributes: [${Array(101).fill('*a').join(', ')}]\n`);
    const { error } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(error.issues[0]).toMatchObject({ origin: path, message: expect.stringContaining('alias bomb') });
  });

  it('a directory and a file over 1 MiB: refused at once', () => {
    const big = file(`# ${'x'.repeat(1_048_576)}\n`);
    for (const [path, message] of [
      [directory, 'is a directory, not a regular file'],
      [big, 'is 1048579 bytes; a configuration file may have at most 1048576 bytes (1 MiB)'],
    ] as const) {
      const { error, ms } = refusal(() => loadConfig({ file: path, env: {} }));
      expect(ms).toBeLessThan(FAST_MS);
      expect(error.issues).toEqual([
        { path: '', source: 'file', origin: path, message: `${message}; it was named by options.file` },
      ]);
    }
  });

  it('/dev/zero, a FIFO and 20,000 levels of nesting: the command refuses each at once (before: grew to 2.5 GB in 6 s, blocked for good, aborted)', {
    timeout: 60_000,
  }, async () => {
    const fifo = join(directory, 'fifo.yaml');
    execFileSync('mkfifo', [fifo]);
    const deep = file(`a: ${'['.repeat(20_000)}${']'.repeat(20_000)}\n`);
    const runs = await Promise.all([
      cli(['validate-config', '/dev/zero']),
      cli(['validate-config', fifo]),
      cli(['validate-config', deep]),
      cli(['print-config'], { DATALINEAGE_CONFIG_FILE: fifo }),
    ]);
    const expected = [
      'file /dev/zero: is a character device, not a regular file; it was named by configFile',
      `file ${fifo}: is a FIFO (named pipe), not a regular file; it was named by configFile`,
      `file ${deep}:1:35: the YAML nests deeper than 32 levels`,
      `file ${fifo}: is a FIFO (named pipe), not a regular file; it was named by DATALINEAGE_CONFIG_FILE`,
    ];
    for (const [i, run] of runs.entries()) {
      expect(run.killed, run.output).toBeUndefined();
      expect(run.code).toBe(1);
      expect(run.output).toContain(expected[i]);
      expect(run.peakRssMb).toBeLessThan(600);
    }
  });
});

describe('case 10: secrets and foreign files are never echoed', () => {
  const SECRETS = {
    influxPassword: 12_345_678,
    esApiKey: 87_654_321,
    token: 1_234_567_890_123_456,
    header: 55_555_555,
    urlPassword: 'url-pw-S3cret-9x',
    urlToken: 'url-token-S3cret-7y',
    rawUrlPassword: 'raw-pw-S3cret-5z',
  };

  it('a secret given as a number is described by its type only', () => {
    const path = file(
      [
        'monitoring:',
        '  dashboard:',
        `    auth: { token: ${SECRETS.token} }`,
        '  exporters:',
        `    influxdb: { password: ${SECRETS.influxPassword} }`,
        `    elasticsearch: { api_key: ${SECRETS.esApiKey} }`,
        `    otlp: { headers: { x-api-key: ${SECRETS.header} } }`,
        '',
      ].join('\n'),
    );
    const { error } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(error.issues.map((issue) => [issue.path, issue.message])).toEqual([
      ['dashboard.auth.token', 'expected a string, got a number'],
      ['exporters.influxdb.password', 'expected a string, got a number'],
      ['exporters.elasticsearch.api_key', 'expected a string, got a number'],
      ['exporters.otlp.headers["x-api-key"]', 'expected a string, got a number'],
    ]);
    for (const secret of [SECRETS.token, SECRETS.influxPassword, SECRETS.esApiKey, SECRETS.header]) {
      expect(error.message).not.toContain(String(secret));
    }
  });

  it('an invalid URL with credentials is shown with its userinfo and query values masked', () => {
    const path = file(
      [
        'exporters:',
        `  influxdb: { url: "ftp://admin:${SECRETS.urlPassword}@db.example/?token=${SECRETS.urlToken}" }`,
        `  prometheus: { pushgateway_url: "http//admin:${SECRETS.rawUrlPassword}@push?token=${SECRETS.urlToken}" }`,
        '',
      ].join('\n'),
    );
    const { error } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(error.issues.map((issue) => issue.message)).toEqual([
      'expected an http(s) URL, got "http//REDACTED@push?token=REDACTED"',
      'expected an http(s) URL, got "ftp://REDACTED@db.example/?token=REDACTED"',
    ]);
    for (const secret of [SECRETS.urlPassword, SECRETS.urlToken, SECRETS.rawUrlPassword, 'admin']) {
      expect(error.message).not.toContain(secret);
    }
  });

  // Fake lines in the format of /etc/shadow (the real one is never read).
  const SHADOW = [
    'root:$6$Xr4nd0mS4lt$k9sQ0vB3eW1yZ7hJ2pL5mN8cT4fR6gD1aS3dF5gH7jK9lQ2wE4rT6yU8iO0pA1sD3fG5hJ7kL9zX1cV3bN5m0:19650:0:99999:7:::',
    'daemon:*:19650:0:99999:7:::',
    'svc-backup:$y$j9T$Fake0nlyS4ltV4lu3$Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eA:19700:0:99999:7:::',
    'alice:!:19710::::::',
  ];
  const pieces = SHADOW.flatMap((line) => line.split(':')).filter((piece) => piece.length >= 4);

  it('a file of /etc/shadow lines is "not a monitoring configuration", and none of it is quoted', () => {
    const path = file(`${SHADOW.join('\n')}\n`, 'shadow');
    const { error, ms } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(ms).toBeLessThan(FAST_MS);
    expect(error.issues).toEqual([
      {
        path: '',
        source: 'file',
        origin: path,
        message:
          'not a monitoring configuration: none of its 4 top-level keys is a configuration option (such as dashboard, metrics, alerts, logs or exporters, optionally under monitoring:)',
      },
    ]);
    for (const piece of pieces) expect(error.message).not.toContain(piece);
  });

  it('nor is a file that is not a mapping, or one that is not even YAML', () => {
    for (const text of [
      SHADOW.map((line) => `- ${line}`).join('\n'), // a list of them
      SHADOW.map((line) => `  ${line}`).join('\n'), // one long string
      `password: "\\q${SHADOW[0]}"\n`, // a YAML escape the library would quote
    ]) {
      const { error } = refusal(() => loadConfig({ file: file(text), env: {} }));
      for (const piece of pieces) expect(error.message).not.toContain(piece);
    }
  });

  it('unknown keys of a monitoring configuration are named, cut short', () => {
    const path = file(`dashboard:\n  port: 1\n${SHADOW[0]}\n`);
    const { error } = refusal(() => loadConfig({ file: path, env: {} }));
    expect(error.issues).toHaveLength(1);
    expect(error.issues[0]?.message).toMatch(/^unknown key "(.{37})\.\.\." \(known keys/);
    expect(error.issues[0]?.message).toContain(`"${SHADOW[0]?.slice(0, 37)}..."`);
    expect(error.message).not.toContain(SHADOW[0]?.slice(0, 60));
  });

  it('`datalineage-monitor validate-config` on such files prints none of them', {
    timeout: 60_000,
  }, async () => {
    const shadow = file(`${SHADOW.join('\n')}\n`, 'shadow-for-cli');
    const secrets = file(
      [
        'exporters:',
        `  influxdb: { password: ${SECRETS.influxPassword}, url: "ftp://admin:${SECRETS.urlPassword}@db/?token=${SECRETS.urlToken}" }`,
        '',
      ].join('\n'),
    );
    const environSecret = 'environ-S3cret-4q';
    const [onShadow, onSecrets, onEnviron] = await Promise.all([
      cli(['validate-config', shadow]),
      cli(['validate-config', secrets]),
      // A regular file whose size says 0 (procfs): read within the bound, and quoted nowhere.
      cli(['validate-config', '/proc/self/environ'], { API_TOKEN: environSecret }),
    ]);
    expect(onEnviron.code).toBe(1);
    expect(onEnviron.output).toContain('expected a mapping of configuration options, got a string');
    expect(onEnviron.output).not.toContain(environSecret);
    expect(onShadow.code).toBe(1);
    expect(onShadow.output).toContain('not a monitoring configuration');
    for (const piece of pieces) expect(onShadow.output).not.toContain(piece);
    expect(onSecrets.code).toBe(1);
    expect(onSecrets.output).toContain('exporters.influxdb.password (file');
    for (const secret of [SECRETS.influxPassword, SECRETS.urlPassword, SECRETS.urlToken]) {
      expect(onSecrets.output).not.toContain(String(secret));
    }
  });
});
