// TEST SERVER implementing the OTLP/HTTP wire contract (no OpenTelemetry Collector can run here).
// Spec: https://opentelemetry.io/docs/specs/otlp/#otlphttp
// The logs-only view of test/support/otlp-server.ts kept for the tests written against it: its
// `url` is the /v1/logs endpoint; JSON and protobuf, gzip or not, are all accepted and decoded.
import { type OtlpServer, type ReceivedLog, startOtlpServer } from './otlp-server.js';

export {
  type AnyValueJson,
  decodeAnyValue,
  type OtlpServer,
  type ReceivedLog,
  startOtlpServer,
} from './otlp-server.js';

export interface OtlpLogReceiver {
  /** The OTLP/HTTP logs endpoint, `http://127.0.0.1:<port>/v1/logs`. */
  readonly url: string;
  readonly logs: ReceivedLog[];
  /** Decompressed request bodies, to check that nothing (a secret) appears anywhere on the wire. */
  readonly bodies: string[];
  /** HTTP requests that arrived. */
  readonly requests: number;
  /** The server underneath, for headers, metrics and the other fault hooks. */
  readonly server: OtlpServer;
  /** Answer the next `count` requests with `status` instead of 200. */
  failNext(count: number, status: number): void;
  waitFor(predicate: (logs: ReceivedLog[]) => boolean, timeoutMs?: number): Promise<ReceivedLog[]>;
  close(): Promise<void>;
}

export async function startOtlpLogReceiver(): Promise<OtlpLogReceiver> {
  const server = await startOtlpServer();
  return {
    url: server.logsUrl,
    logs: server.logs,
    bodies: server.bodies,
    get requests() {
      return server.attempts;
    },
    server,
    failNext: (count, status) => server.failNext(count, status),
    async waitFor(predicate, timeoutMs = 10_000) {
      await server.waitFor(() => predicate(server.logs), timeoutMs);
      return server.logs;
    },
    close: () => server.close(),
  };
}
