// GET /api/events: Server-Sent Events for the live page. After every history sample: `tick`
// (charts refetch), `status`, `logs` (entries stored since the previous event) and `alerts` when
// they changed. A comment every 15 s keeps proxies from closing an idle stream. Streams are
// limited in number, and each ends when its client goes or the server stops.
import type { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { MetricHistory } from '../history.js';
import { type AlertSource, alertsView } from './alerts.js';
import { apiError } from './errors.js';
import type { LogSource } from './logs.js';

/** Log entries sent per event at most; a burst beyond it is left to the search. */
const MAX_LOGS_PER_EVENT = 200;
/**
 * What one `logs` event may weigh (about its JSON size): each open stream holds its events until
 * the client reads them, so a few slow clients and a burst of large lines must not add up to
 * gigabytes. Entries beyond it are left to the search.
 */
export const MAX_LOG_EVENT_BYTES = 1024 * 1024;
const HEARTBEAT_MS = 15_000;
/** Events written but not yet taken by a client, at most; past it the stream is ended. */
const MAX_PENDING_EVENTS = 16;

export interface EventSources {
  readonly history: MetricHistory | undefined;
  readonly logs: LogSource | undefined;
  readonly alerts: AlertSource | undefined;
  readonly status: () => unknown;
  readonly now: () => number;
  /** Ticks when there is no history to follow. */
  readonly intervalMs: number;
  readonly maxClients: number;
}

export interface EventStreams {
  /** Streams open now. */
  readonly open: () => number;
  /** Ends every stream (server shutdown). */
  readonly closeAll: () => void;
}

export function eventRoutes(app: Hono, sources: EventSources): EventStreams {
  const closers = new Set<() => void>();
  app.get('/api/events', (c) => {
    if (closers.size >= sources.maxClients) {
      c.header('Retry-After', '5');
      return apiError(
        c,
        503,
        'unavailable',
        `too many live connections (${sources.maxClients}); the page falls back to polling`,
      );
    }
    c.header('Cache-Control', 'no-store');
    c.header('X-Accel-Buffering', 'no');
    return streamSSE(c, async (stream) => {
      let lastLogId = sources.logs?.searchLogs(undefined, { limit: 1 }).entries[0]?.id ?? -1;
      let lastAlerts = '';
      let queue = Promise.resolve();
      let pending = 0;
      const send = (event: string, data: unknown): void => {
        // A client that stopped reading: its events would pile up in memory. End its stream; the
        // page reconnects, or falls back to polling.
        if (pending >= MAX_PENDING_EVENTS) {
          close();
          return;
        }
        pending++;
        const text = JSON.stringify(data);
        queue = queue
          .then(() => stream.writeSSE({ event, data: text }))
          .then(
            () => {
              pending--;
            },
            () => close(),
          );
      };
      const onTick = (at: number): void => {
        send('tick', { at });
        send('status', sources.status());
        if (sources.logs !== undefined) {
          const fresh = sources.logs
            .searchLogs(undefined, { limit: MAX_LOGS_PER_EVENT, maxBytes: MAX_LOG_EVENT_BYTES })
            .entries.filter((entry) => entry.id > lastLogId);
          if (fresh.length > 0) {
            lastLogId = fresh[0]?.id ?? lastLogId;
            send('logs', { entries: fresh.reverse() });
          }
        }
        if (sources.alerts !== undefined) {
          const alerts = alertsView(sources.alerts, at).alerts;
          const text = JSON.stringify(alerts);
          if (text !== lastAlerts) {
            lastAlerts = text;
            send('alerts', { alerts });
          }
        }
      };
      let unsubscribe: () => void;
      if (sources.history !== undefined) {
        unsubscribe = sources.history.onSample(onTick);
      } else {
        const timer = setInterval(() => onTick(sources.now()), sources.intervalMs);
        unsubscribe = () => clearInterval(timer);
      }
      const heartbeat = setInterval(() => {
        queue = queue
          .then(() => stream.write(': keep-alive\n\n'))
          .then(
            () => undefined,
            () => close(),
          );
      }, HEARTBEAT_MS);
      let ended: () => void = () => {};
      const done = new Promise<void>((resolve) => {
        ended = resolve;
      });
      const close = (): void => {
        unsubscribe();
        clearInterval(heartbeat);
        closers.delete(close);
        ended();
      };
      closers.add(close);
      stream.onAbort(close);
      onTick(sources.now()); // a first picture at once
      await done;
    });
  });
  return {
    open: () => closers.size,
    closeAll: () => {
      for (const close of [...closers]) close();
    },
  };
}
