// TEST SERVER implementing the OTLP/HTTP wire contract for logs (no OpenTelemetry Collector can
// run here): POST /v1/logs with an ExportLogsServiceRequest in the JSON encoding
// (Content-Type: application/json), answered 200 with an ExportLogsServiceResponse (`{}`).
// Spec: https://opentelemetry.io/docs/specs/otlp/#otlphttp — it decodes the payload into records.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** OTLP AnyValue in JSON form. */
export type AnyValueJson =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string | number }
  | { doubleValue: number }
  | { arrayValue: { values?: AnyValueJson[] } }
  | { kvlistValue: { values?: Array<{ key: string; value: AnyValueJson }> } }
  | { bytesValue: string };

export interface ReceivedLog {
  serviceName: string | undefined;
  scope: string | undefined;
  timeUnixNano: string | undefined;
  severityNumber: number | undefined;
  severityText: string | undefined;
  body: unknown;
  attributes: Record<string, unknown>;
  traceId: string | undefined;
  spanId: string | undefined;
}

export function decodeAnyValue(value: AnyValueJson | undefined): unknown {
  if (value === undefined) return undefined;
  if ('stringValue' in value) return value.stringValue;
  if ('boolValue' in value) return value.boolValue;
  if ('intValue' in value) return Number(value.intValue);
  if ('doubleValue' in value) return value.doubleValue;
  if ('arrayValue' in value) return (value.arrayValue.values ?? []).map(decodeAnyValue);
  if ('kvlistValue' in value) {
    return Object.fromEntries(
      (value.kvlistValue.values ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)]),
    );
  }
  if ('bytesValue' in value) return value.bytesValue;
  return undefined;
}

function attributes(list: Array<{ key: string; value: AnyValueJson }> | undefined): Record<string, unknown> {
  return Object.fromEntries((list ?? []).map((kv) => [kv.key, decodeAnyValue(kv.value)]));
}

export interface OtlpLogReceiver {
  readonly url: string;
  readonly logs: ReceivedLog[];
  /** Raw request bodies, to check that nothing (a secret) appears anywhere on the wire. */
  readonly bodies: string[];
  requests: number;
  /** Answer the next `count` requests with `status` instead of 200. */
  failNext(count: number, status: number): void;
  waitFor(predicate: (logs: ReceivedLog[]) => boolean, timeoutMs?: number): Promise<ReceivedLog[]>;
  close(): Promise<void>;
}

export async function startOtlpLogReceiver(): Promise<OtlpLogReceiver> {
  const logs: ReceivedLog[] = [];
  const bodies: string[] = [];
  let failures: { count: number; status: number } = { count: 0, status: 200 };
  const receiver = { requests: 0 } as { requests: number };
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      receiver.requests++;
      if (request.method !== 'POST' || request.url !== '/v1/logs') {
        response.writeHead(404).end();
        return;
      }
      if (failures.count > 0) {
        failures.count--;
        response.writeHead(failures.status, { 'content-type': 'application/json' }).end('{}');
        return;
      }
      if (!String(request.headers['content-type']).startsWith('application/json')) {
        response.writeHead(415).end();
        return;
      }
      const text = Buffer.concat(chunks).toString('utf8');
      bodies.push(text);
      const payload = JSON.parse(text) as {
        resourceLogs?: Array<{
          resource?: { attributes?: Array<{ key: string; value: AnyValueJson }> };
          scopeLogs?: Array<{
            scope?: { name?: string };
            logRecords?: Array<{
              timeUnixNano?: string;
              severityNumber?: number;
              severityText?: string;
              body?: AnyValueJson;
              attributes?: Array<{ key: string; value: AnyValueJson }>;
              traceId?: string;
              spanId?: string;
            }>;
          }>;
        }>;
      };
      for (const resourceLogs of payload.resourceLogs ?? []) {
        const serviceName = attributes(resourceLogs.resource?.attributes)['service.name'] as
          | string
          | undefined;
        for (const scopeLogs of resourceLogs.scopeLogs ?? []) {
          for (const record of scopeLogs.logRecords ?? []) {
            logs.push({
              serviceName,
              scope: scopeLogs.scope?.name,
              timeUnixNano: record.timeUnixNano,
              severityNumber: record.severityNumber,
              severityText: record.severityText,
              body: decodeAnyValue(record.body),
              attributes: attributes(record.attributes),
              traceId: record.traceId || undefined,
              spanId: record.spanId || undefined,
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(receiver, {
    url: `http://127.0.0.1:${port}/v1/logs`,
    logs,
    bodies,
    failNext(count: number, status: number) {
      failures = { count, status };
    },
    async waitFor(predicate: (received: ReceivedLog[]) => boolean, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(logs)) {
        if (Date.now() > deadline)
          throw new Error(`OTLP receiver: condition not met; ${logs.length} logs received`);
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      return logs;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  });
}
