/**
 * A real Prometheus Pushgateway (Debian package `prometheus-pushgateway`) for tests, on a free
 * loopback port, read back through its API (`/api/v1/metrics`), stopped by PID. A missing binary
 * fails, never skips.
 */
import { freePort, type RunningProcess, startProcess } from './processes.js';

/** One group as `/api/v1/metrics` returns it. */
export interface PushedGroup {
  readonly labels: Readonly<Record<string, string>>;
  readonly last_push_successful: boolean;
  /** Metric families by name. */
  readonly families: Readonly<
    Record<
      string,
      {
        readonly type: string;
        readonly help: string;
        readonly metrics: ReadonlyArray<{
          readonly labels: Readonly<Record<string, string>>;
          readonly value?: string;
          readonly count?: string;
          readonly sum?: string;
          readonly buckets?: Readonly<Record<string, string>>;
          readonly quantiles?: Readonly<Record<string, string>>;
        }>;
      }
    >
  >;
}

export interface PushgatewayServer {
  readonly url: string;
  /** Every group, with its metric families (the push-time metrics left out). */
  groups(): Promise<PushedGroup[]>;
  readonly process: RunningProcess;
  /** Kill the process (memory only: its groups are gone, as after a real restart). */
  pause(): Promise<void>;
  /** Start a new process on the same port. */
  resume(): Promise<void>;
  stop(): Promise<void>;
}

interface ApiGroup {
  labels: Record<string, string>;
  last_push_successful: boolean;
  [family: string]: unknown;
}

export async function startPushgateway(): Promise<PushgatewayServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const start = () =>
    startProcess({
      binary: '/usr/bin/prometheus-pushgateway',
      debianPackage: 'prometheus-pushgateway',
      // Debian's build persists to /var/lib/prometheus/pushgateway.data by default, which would
      // share groups between test runs and between tests running side by side: memory only.
      args: [`--web.listen-address=127.0.0.1:${port}`, '--log.level=warn', '--persistence.file='],
      readyUrl: `${url}/-/ready`,
    });
  let process = await start();
  return {
    url,
    get process() {
      return process;
    },
    pause: () => process.stop(),
    async resume() {
      process = await start();
    },
    async groups() {
      const response = await fetch(`${url}/api/v1/metrics`);
      const body = (await response.json()) as { status: string; data: ApiGroup[] };
      if (body.status !== 'success') throw new Error(`Pushgateway API answered ${JSON.stringify(body)}`);
      return body.data.map((group) => {
        const families: Record<string, PushedGroup['families'][string]> = {};
        for (const [key, value] of Object.entries(group)) {
          if (key === 'labels' || key === 'last_push_successful') continue;
          const family = value as {
            time_stamp: string;
            type: string;
            metrics: PushedGroup['families'][string]['metrics'];
            help?: string;
          };
          if (key === 'push_time_seconds' || key === 'push_failure_time_seconds') continue;
          families[key] = { type: family.type, help: family.help ?? '', metrics: family.metrics };
        }
        return { labels: group.labels, last_push_successful: group.last_push_successful, families };
      });
    },
    stop: () => process.stop(),
  };
}
