/**
 * Start, probe and stop the external binaries that end-to-end tests run against (Prometheus,
 * Pushgateway, Alertmanager from Debian packages). Each test starts its own process on a free
 * loopback port with its data in a temp dir, and stops it by PID: nothing runs as a service.
 *
 * A missing binary is an error, never a skip: in CI a missing component must fail the run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Options for {@link startProcess}. */
export interface StartProcessOptions {
  /** Absolute path of the binary, e.g. `/usr/bin/prometheus`. */
  binary: string;
  /** Command-line arguments. */
  args: readonly string[];
  /** Debian package that ships `binary`, named in the error when it is missing. @example 'prometheus' */
  debianPackage: string;
  /** URL that answers 2xx once the process is ready, e.g. `http://127.0.0.1:9090/-/ready` (InfluxDB's `/ping` answers 204). */
  readyUrl: string;
  /** How long to wait for `readyUrl`. @default 15_000 */
  readyTimeoutMs?: number;
  /** Time between SIGTERM and SIGKILL in `stop()`. @default 5_000 */
  stopGraceMs?: number;
  /** Keep at most this many characters of combined stdout/stderr for error messages. @default 32_768 */
  outputLimit?: number;
  /** Directories (from {@link tempDir}) removed once the process has exited. @default [] */
  removeOnStop?: readonly string[];
  /** Working directory of the child. @default process.cwd() */
  cwd?: string;
  /** Environment of the child. @default process.env */
  env?: NodeJS.ProcessEnv;
}

/** A started, ready process. */
export interface RunningProcess {
  readonly pid: number;
  /** True once the process has exited. */
  readonly exited: boolean;
  /** The last `outputLimit` characters of its combined stdout and stderr. */
  output(): string;
  /** SIGTERM, SIGKILL after the grace period; resolves once it has exited and its dirs are removed. */
  stop(): Promise<void>;
}

const READY_POLL_MS = 100;
const READY_REQUEST_TIMEOUT_MS = 1_000;

/** Children still running, killed if the test worker exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function killLeftoversOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/** Throws an Error naming the Debian package to install when `binary` is not an executable file. */
export async function requireBinary(binary: string, debianPackage: string): Promise<void> {
  try {
    await access(binary, constants.X_OK);
  } catch {
    throw new Error(
      `${binary} is not installed or not executable; install it with ` +
        `\`apt-get install -y ${debianPackage}\` (tests never skip a missing component)`,
    );
  }
}

/** Keeps the tail of a stream of text, at most `limit` characters. */
export class OutputTail {
  #chunks: string[] = [];
  #length = 0;
  #dropped = false;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  push(chunk: string): void {
    this.#chunks.push(chunk);
    this.#length += chunk.length;
    while (this.#length > this.#limit && this.#chunks.length > 1) {
      this.#length -= this.#chunks.shift()!.length;
      this.#dropped = true;
    }
    if (this.#length > this.#limit) {
      this.#chunks[0] = this.#chunks[0]!.slice(this.#length - this.#limit);
      this.#length = this.#limit;
      this.#dropped = true;
    }
  }

  toString(): string {
    return (this.#dropped ? '[…earlier output dropped…]\n' : '') + this.#chunks.join('');
  }
}

/**
 * Spawns `binary` and resolves once `readyUrl` answers 2xx. Rejects, after stopping the process,
 * when it exits first or the deadline passes; the error carries the binary's last output.
 */
export async function startProcess(options: StartProcessOptions): Promise<RunningProcess> {
  const { binary, args, readyUrl, readyTimeoutMs = 15_000, stopGraceMs = 5_000 } = options;
  await requireBinary(binary, options.debianPackage);

  const tail = new OutputTail(options.outputLimit ?? 32_768);
  const child = spawn(binary, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => tail.push(chunk));

  let exitReason: string | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('error', (error) => {
      exitReason = `failed to start: ${error.message}`;
      resolve();
    });
    child.once('exit', (code, signal) => {
      exitReason = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
      resolve();
    });
  }).finally(() => running.delete(child));
  running.add(child);
  killLeftoversOnExit();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (exitReason === undefined) {
        child.kill('SIGTERM');
        const escalate = setTimeout(() => child.kill('SIGKILL'), stopGraceMs);
        await exited;
        clearTimeout(escalate);
      }
      await Promise.all((options.removeOnStop ?? []).map((dir) => rm(dir, { recursive: true, force: true })));
    })();
    return stopping;
  };

  const name = `${binary} ${args.join(' ')}`;
  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitReason !== undefined) {
      await stop();
      throw new Error(`${name} ${exitReason} before ${readyUrl} was ready. Last output:\n${tail}`);
    }
    if (await answersOk(readyUrl)) break;
    if (Date.now() >= deadline) {
      await stop();
      throw new Error(
        `${name}: ${readyUrl} did not answer 2xx within ${readyTimeoutMs} ms. Last output:\n${tail}`,
      );
    }
    await sleep(READY_POLL_MS);
  }

  return {
    pid: child.pid!,
    get exited() {
      return exitReason !== undefined;
    },
    output: () => tail.toString(),
    stop,
  };
}

async function answersOk(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(READY_REQUEST_TIMEOUT_MS) });
    await response.body?.cancel();
    return response.status >= 200 && response.status < 300;
  } catch {
    return false;
  }
}

/** A TCP port that was free on 127.0.0.1 a moment ago (listen on port 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error(`unexpected server address ${String(address)}`));
        return;
      }
      server.close(() => resolve(address.port));
    });
  });
}

/** Creates a fresh directory under `os.tmpdir()`; pass it to `removeOnStop` to delete it on `stop()`. */
export function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${prefix}-`));
}

/** A TypeScript script of this repository run as its own Node process (see {@link startNodeScript}). */
export interface NodeScript {
  /** Its process id (to read its memory from /proc). */
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Sends `signal`; the first one sent is the origin of `exit.afterMs`. */
  signal(signal: NodeJS.Signals): void;
  /** How it ended, and when: ms after the first signal sent (0 when none was). */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>;
}

/**
 * Runs `script` (a path from the repository root) with the packages' sources, and resolves once
 * its output contains `ready`; rejects with the output if it exits or takes 30 s first. Killed
 * with the test worker if still running.
 */
export async function startNodeScript(
  script: string,
  options: { env?: NodeJS.ProcessEnv; ready: string },
): Promise<NodeScript> {
  const child = spawn(process.execPath, ['--conditions=@datalineage/source', '--import', 'tsx', script], {
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killLeftoversOnExit();
  running.add(child);
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let signalledAt = 0;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }>(
    (resolve) =>
      child.once('exit', (code, signal) => {
        running.delete(child);
        resolve({ code, signal, afterMs: signalledAt === 0 ? 0 : Date.now() - signalledAt });
      }),
  );
  const deadline = Date.now() + 30_000;
  while (!output.includes(options.ready)) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${script} exited before it was ready:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${script} was not ready within 30 s:\n${output}`);
    }
    await sleep(50);
  }
  return {
    pid: child.pid as number,
    output: () => output,
    signal(signal) {
      if (signalledAt === 0) signalledAt = Date.now();
      child.kill(signal);
    },
    exit,
  };
}
