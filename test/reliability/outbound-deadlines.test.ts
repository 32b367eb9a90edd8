// Regression test for "an OTLP backend that drips its answer goes uncounted" (security trial, case
// 8): every outbound request of the SDK has a whole-request deadline that a dripping peer cannot
// stretch. Each path (OTLP logs and metrics, Pushgateway, InfluxDB, Elasticsearch, the webhook,
// Slack and Alertmanager channels, e-mail over SMTP) is pointed at a real loopback TCP server that
// accepts the request and then drips its answer, sends its headers and drips the body, or never
// answers. Checked for each, with figures: the attempt is given up within the timeout plus
// SLACK_MS, it is counted as failed with a last error saying it timed out, the server sees every
// socket closed (none outlives the deadline plus SLACK_MS, none is left open after the attempts),
// and the application never sees an exception.
//
// The peer drips a byte every DRIP_MS, ten bytes per timeout period: any idle timeout is reset
// long before it fires (the trial's one byte a second against the 10 s default has the same
// ratio), so only a deadline on the whole request ends the attempt.
import { createServer, type Socket } from 'node:net';
import {
  AlertChannel,
  createChannel,
  deliver,
  LogAggregator,
  MetricsCollector,
  type Notification,
} from '@datalineage/core';
import {
  createOtlpLogProcessor,
  createOtlpMetricReader,
  ElasticsearchExporter,
  ExporterManager,
  type ExportSettings,
  InfluxDBConfig,
  InfluxDBExporter,
  PrometheusConfig,
  PrometheusExporter,
} from '@datalineage/exporters';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeliveryStats } from '../../packages/core/src/alerts/channels/delivery.js';

/** The time limit configured on every path. */
const TIMEOUT_MS = 600;
/** One byte every this often: ten within each timeout period. */
const DRIP_MS = TIMEOUT_MS / 10;
/** What a loaded two-core machine may add to the timeout: scheduling, connect, teardown. */
const SLACK_MS = 500;
/** Attempts per path and peer, one after the other against the same server. */
const ATTEMPTS = 2;

// ---------------------------------------------------------------------------------------------
// The dripping peer

interface DripServer {
  readonly url: string;
  readonly port: number;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections that carried a request and are still open on the server's side. */
  readonly open: number;
  /**
   * Connections open that never carried a request: undici (fetch) connects a spare one to the
   * origin after an aborted request (two at most while one is still connecting; the next request
   * takes it) and closes it after its 4 s keep-alive timeout.
   */
  readonly idle: number;
  /**
   * How long each closed connection that carried a request lived, in ms, from its first byte
   * (from accept when the peer speaks first) to close.
   */
  readonly lifetimes: readonly number[];
  /** Resolves once no connection that carried a request is open; rejects after `withinMs`. */
  drained(withinMs: number): Promise<void>;
  close(): void;
}

/** What the peer does with one connection; `drip` writes `text` one byte every DRIP_MS. */
type Script = (socket: Socket, drip: (text: string) => void) => void;

/**
 * @param speaksFirst the peer talks before the client does (SMTP): every connection carries a
 * request from the start
 */
async function startDripServer(script: Script, speaksFirst = false): Promise<DripServer> {
  const sockets = new Map<Socket, { since: number; used: boolean }>();
  const lifetimes: number[] = [];
  let accepted = 0;
  // allowHalfOpen, and bytes written after the client's FIN: a client that only ends its side
  // while still reading keeps the connection open, and is seen; one that really closed its
  // socket answers the next byte with a reset, which closes the connection here.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    accepted++;
    const state = { since: performance.now(), used: speaksFirst };
    sockets.set(socket, state);
    const timers: NodeJS.Timeout[] = [];
    const drip = (text: string) => {
      let next = 0;
      const timer = setInterval(() => {
        if (next < text.length && !socket.destroyed) socket.write(text[next++] as string);
      }, DRIP_MS);
      timers.push(timer);
    };
    socket.on('error', () => {});
    socket.once('data', () => {
      if (!state.used) state.since = performance.now();
      state.used = true;
    });
    socket.on('end', () => drip(' '.repeat(1000)));
    socket.on('close', () => {
      if (state.used) lifetimes.push(performance.now() - state.since);
      sockets.delete(socket);
      for (const timer of timers) clearInterval(timer);
    });
    script(socket, drip);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const count = (used: boolean) => [...sockets.values()].filter((state) => state.used === used).length;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    get accepted() {
      return accepted;
    },
    get open() {
      return count(true);
    },
    get idle() {
      return count(false);
    },
    lifetimes,
    async drained(withinMs) {
      const deadline = performance.now() + withinMs;
      while (count(true) > 0) {
        if (performance.now() > deadline) {
          throw new Error(`${count(true)} connection(s) still open ${withinMs} ms after the attempt`);
        }
        await sleep(10);
      }
    },
    close() {
      for (const socket of sockets.keys()) socket.destroy();
      server.close();
    },
  };
}

/** Calls `answer` once, when the head of the client's request has arrived. */
function onRequest(socket: Socket, answer: () => void): void {
  let head = '';
  let answered = false;
  socket.on('data', (chunk: Buffer) => {
    head += chunk.toString('latin1');
    if (!answered && head.includes('\r\n\r\n')) {
      answered = true;
      answer();
    }
  });
}

type HttpPeer = 'drips from the status line on' | 'sends headers, then drips the body' | 'never answers';
const HTTP_PEERS: readonly HttpPeer[] = [
  'drips from the status line on',
  'sends headers, then drips the body',
  'never answers',
];

/** An HTTP peer answering `status` the way `peer` says. */
function httpScript(peer: HttpPeer, status: number): Script {
  return (socket, drip) =>
    onRequest(socket, () => {
      if (peer === 'drips from the status line on') {
        // A long header keeps the answer dripping for minutes, well under Node's 16 KiB header limit.
        drip(`HTTP/1.1 ${status} Dripping\r\nx-drip: ${'a'.repeat(8000)}\r\ncontent-length: 2\r\n\r\n{}`);
      } else if (peer === 'sends headers, then drips the body') {
        socket.write(
          `HTTP/1.1 ${status} Dripping\r\ncontent-type: application/json\r\ncontent-length: 100000\r\n\r\n`,
        );
        drip(`{"drip":"${'a'.repeat(99_988)}"}`);
      }
    });
}

type SmtpPeer = 'drips its greeting' | 'greets, then drips its EHLO reply' | 'never greets';
const SMTP_PEERS: readonly SmtpPeer[] = [
  'drips its greeting',
  'greets, then drips its EHLO reply',
  'never greets',
];

/** An SMTP peer: multi-line replies (RFC 5321 §4.2.1) a hundred lines long, dripped. */
function smtpScript(peer: SmtpPeer): Script {
  const long = (code: number) => `${`${code}-${'a'.repeat(70)}\r\n`.repeat(100)}${code} OK\r\n`;
  return (socket, drip) => {
    if (peer === 'drips its greeting') drip(long(220));
    if (peer !== 'greets, then drips its EHLO reply') return;
    socket.write('220 drip.test ESMTP\r\n');
    socket.once('data', () => drip(long(250)));
  };
}

// ---------------------------------------------------------------------------------------------
// The outbound paths, each set up against one peer with TIMEOUT_MS

interface Attempts {
  /** One outbound request, as the application triggers it; must resolve, never reject. */
  attempt(): Promise<unknown>;
  /** The path's own count of failures and its last error. */
  stats(): { failed: number; lastError?: string | undefined };
  close(): Promise<void>;
}

interface OutboundPath {
  readonly name: string;
  /** The peers it meets, and how each is scripted. */
  readonly peers: ReadonlyArray<readonly [string, Script]>;
  /** The peer talks first (SMTP's greeting). @default false */
  readonly speaksFirst?: boolean;
  setup(peer: DripServer): Attempts;
}

/** Run by hand (`exportNow`), retried after 10 ms, one request at most TIMEOUT_MS. */
const MANAGED: ExportSettings = {
  interval: 3600,
  timeout: TIMEOUT_MS / 1000,
  backoffMs: 10,
  maxBackoffMs: 10,
};

function managed(manager: ExporterManager, name: string): Attempts {
  return {
    async attempt() {
      await sleep(25); // past the 10 ms backoff of the attempt before
      await manager.exportNow(name);
    },
    stats: () => manager.stats()[name] ?? { failed: 0 },
    close: () => manager.stop(100),
  };
}

const notification: Notification = {
  status: 'firing',
  groupLabels: { service: 'api' },
  alerts: [
    {
      id: 'drip{service="api"}',
      rule: 'drip',
      state: 'firing',
      severity: 'critical',
      labels: { alertname: 'drip', severity: 'critical', service: 'api' },
      annotations: { description: 'the receiver drips' },
      value: 1,
      threshold: 0,
      condition: 'gt',
      since: Date.now(),
      firingSince: Date.now(),
      acknowledged: false,
    },
  ],
  reason: 'new',
};

/** A channel as the alert manager runs it: one attempt of TIMEOUT_MS (no retry), counted. */
function channel(kind: AlertChannel, config: (peer: DripServer) => Record<string, unknown>) {
  return (peer: DripServer): Attempts => {
    const target = createChannel(kind, config(peer), `drip-${kind}`);
    const stats = new DeliveryStats();
    return {
      async attempt() {
        stats.record(target, await deliver(target, notification, { timeoutMs: TIMEOUT_MS, retries: 0 }));
      },
      stats: () => stats.get(target.name) ?? { failed: 0 },
      close: async () => target.close?.(),
    };
  };
}

const httpPeers = (status: number, errorStatus = status) =>
  HTTP_PEERS.map(
    (peer) =>
      [peer, httpScript(peer, peer === 'sends headers, then drips the body' ? errorStatus : status)] as const,
  );

const PATHS: readonly OutboundPath[] = [
  {
    name: 'OTLP logs',
    peers: httpPeers(200),
    setup(peer) {
      const processor = createOtlpLogProcessor({
        url: `${peer.url}/v1/logs`,
        timeoutMillis: TIMEOUT_MS,
        exportIntervalMillis: 60_000,
      });
      const aggregator = new LogAggregator({ exportProcessors: [processor] });
      return {
        attempt() {
          aggregator.addLog({ message: 'one line for a dripping backend' });
          return aggregator.flush();
        },
        stats: () => processor.stats(),
        close: () => aggregator.shutdown(),
      };
    },
  },
  {
    name: 'OTLP metrics',
    peers: httpPeers(200),
    setup(peer) {
      const collector = new MetricsCollector();
      const reader = createOtlpMetricReader({
        url: `${peer.url}/v1/metrics`,
        timeoutMillis: TIMEOUT_MS,
        exportIntervalMillis: 60_000,
        metricProducers: [collector.metricProducer],
      });
      const provider = new MeterProvider({ readers: [reader] });
      return {
        attempt() {
          collector.increment('drip.attempts');
          return reader.forceFlush();
        },
        stats: () => reader.stats(),
        close: () => provider.shutdown(),
      };
    },
  },
  {
    name: 'Pushgateway push',
    peers: httpPeers(200),
    setup(peer) {
      const collector = new MetricsCollector();
      collector.increment('drip.attempts');
      const manager = new ExporterManager();
      const config = new PrometheusConfig({ pushgatewayUrl: peer.url, jobName: 'drip' });
      return managed(manager, manager.addExporter(new PrometheusExporter(config, collector), MANAGED));
    },
  },
  {
    name: 'InfluxDB write',
    peers: httpPeers(204, 200),
    setup(peer) {
      const collector = new MetricsCollector();
      collector.increment('drip.attempts');
      const manager = new ExporterManager();
      const config = new InfluxDBConfig({ url: peer.url, database: 'drip' });
      return managed(manager, manager.addExporter(new InfluxDBExporter(config, collector), MANAGED));
    },
  },
  {
    name: 'Elasticsearch bulk',
    peers: httpPeers(200),
    setup(peer) {
      const aggregator = new LogAggregator();
      const manager = new ExporterManager();
      const name = manager.addExporter(new ElasticsearchExporter({ url: peer.url }, aggregator), MANAGED);
      const attempts = managed(manager, name);
      return {
        ...attempts,
        attempt() {
          aggregator.addLog({ message: 'one line for a dripping backend' });
          return attempts.attempt();
        },
        close: async () => {
          await attempts.close();
          await aggregator.shutdown();
        },
      };
    },
  },
  {
    name: 'webhook channel',
    // 2xx is delivered at the status line; a dripped body is only read for an error message.
    peers: httpPeers(200, 502),
    setup: channel(AlertChannel.WEBHOOK, (peer) => ({ url: `${peer.url}/hook` })),
  },
  {
    name: 'Slack channel',
    peers: httpPeers(200, 502),
    setup: channel(AlertChannel.SLACK, (peer) => ({ url: `${peer.url}/services/T0/B0/secret` })),
  },
  {
    name: 'Alertmanager channel',
    peers: httpPeers(200, 502),
    setup: channel(AlertChannel.ALERTMANAGER, (peer) => ({ url: peer.url })),
  },
  {
    name: 'e-mail channel (SMTP)',
    speaksFirst: true,
    peers: SMTP_PEERS.map((peer) => [peer, smtpScript(peer)] as const),
    setup: channel(AlertChannel.EMAIL, (peer) => ({
      smtp_server: '127.0.0.1',
      smtp_port: peer.port,
      recipients: ['ops@example.com'],
      from: 'alerts@example.com',
    })),
  },
];

// ---------------------------------------------------------------------------------------------
// The checks

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs one attempt, waiting a little longer than it is allowed: a hang fails with its figure
 * rather than at the test's timeout. `outcome` is 'returned', 'still running' or what it threw.
 */
async function timed(attempt: () => Promise<unknown>): Promise<{ outcome: unknown; took: number }> {
  const started = performance.now();
  const outcome = await Promise.race([
    attempt().then(
      () => 'returned',
      (error: unknown) => error,
    ),
    sleep(TIMEOUT_MS + SLACK_MS + 500).then(() => 'still running'),
  ]);
  return { outcome, took: performance.now() - started };
}

/** Whatever reaches the process as an uncaught exception or unhandled rejection. */
const appErrors: unknown[] = [];
const recordAppError = (error: unknown) => {
  appErrors.push(error);
};

beforeAll(() => {
  process.on('uncaughtException', recordAppError);
  process.on('unhandledRejection', recordAppError);
});

afterAll(() => {
  process.off('uncaughtException', recordAppError);
  process.off('unhandledRejection', recordAppError);
});

beforeEach(() => {
  // Whatever OTEL_* the machine has set, each test starts from none.
  for (const name of Object.keys(process.env)) if (name.startsWith('OTEL_')) vi.stubEnv(name, undefined);
});

afterEach(() => {
  vi.unstubAllEnvs();
});

describe.each(PATHS)('$name', (path) => {
  it.each(path.peers)(
    'gives up on a peer that %s within the timeout, counts it failed and closes the socket',
    async (_peer, script) => {
      const peer = await startDripServer(script, path.speaksFirst);
      const attempts = path.setup(peer);
      try {
        for (let n = 1; n <= ATTEMPTS; n++) {
          const { outcome, took } = await timed(() => attempts.attempt());
          expect(outcome, `attempt ${n} after ${Math.round(took)} ms`).toBe('returned');
          expect(took, `attempt ${n} took ${Math.round(took)} ms`).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
          // It waited for the peer until the deadline: the drip was live, the deadline ended it.
          expect(took, `attempt ${n} took ${Math.round(took)} ms`).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
          const stats = attempts.stats();
          expect(stats.failed, `failures counted after attempt ${n}`).toBe(n);
          expect(stats.lastError).toMatch(/timed out/i);
          await peer.drained(SLACK_MS);
        }
        expect(peer.open).toBe(0);
        // Besides one connection per attempt, fetch's spares only, which never carry a request
        // and do not grow with the attempts (see DripServer.idle).
        expect(peer.idle).toBeLessThanOrEqual(2);
        expect(peer.accepted).toBeLessThanOrEqual(ATTEMPTS + 2);
        // Every attempt had a connection of its own, closed by now.
        expect(peer.lifetimes).toHaveLength(ATTEMPTS);
        for (const lifetime of peer.lifetimes) {
          expect(lifetime, 'a connection outlived the deadline').toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
        }
        expect(appErrors).toEqual([]);
      } finally {
        peer.close();
        await attempts.close();
      }
    },
  );
});

describe('the OTLP deadline on a kept-alive connection', () => {
  it('leaves the connection alone while idle, and gives each request on it a deadline of its own', async () => {
    let requests = 0;
    const peer = await startDripServer((socket, drip) => {
      socket.on('data', (chunk: Buffer) => {
        if (!chunk.toString('latin1').startsWith('POST ')) return; // the rest of a request
        requests++;
        if (requests <= 2) {
          socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}');
        } else {
          drip(`HTTP/1.1 200 Dripping\r\nx-drip: ${'a'.repeat(8000)}\r\n\r\n`);
        }
      });
    });
    const processor = createOtlpLogProcessor({
      url: `${peer.url}/v1/logs`,
      protocol: 'http/json',
      timeoutMillis: TIMEOUT_MS,
      exportIntervalMillis: 60_000,
    });
    const aggregator = new LogAggregator({ exportProcessors: [processor] });
    try {
      aggregator.addLog({ message: 'first' });
      await aggregator.flush();
      // Idle for longer than the limit: the deadline ended with the request, not with the connection.
      await sleep(TIMEOUT_MS + 200);
      aggregator.addLog({ message: 'second' });
      await aggregator.flush();
      expect(processor.stats()).toMatchObject({ exported: 2, failed: 0 });
      expect(peer.accepted).toBe(1);

      aggregator.addLog({ message: 'third, dripped' });
      const { outcome, took } = await timed(() => aggregator.flush());
      expect(outcome, `after ${Math.round(took)} ms`).toBe('returned');
      expect(took, `took ${Math.round(took)} ms`).toBeGreaterThanOrEqual(TIMEOUT_MS - 20);
      expect(took, `took ${Math.round(took)} ms`).toBeLessThanOrEqual(TIMEOUT_MS + SLACK_MS);
      expect(processor.stats()).toMatchObject({ exported: 2, failed: 1, failedItems: 1 });
      expect(processor.stats().lastError).toMatch(`timed out after ${TIMEOUT_MS} ms`);
      await peer.drained(SLACK_MS);
      // All three went over the one connection, which the third request's deadline closed.
      expect(peer.accepted).toBe(1);
      expect(appErrors).toEqual([]);
    } finally {
      peer.close();
      await aggregator.shutdown();
    }
  });
});
