// A focused example: an application that logs with pino, its lines kept by the SDK's log
// aggregator (searchable, redacted, counted in logs_total) without changing how it logs.
// Run: node --conditions=@datalineage/source --import tsx examples/pino-app.ts
import { LogFilter, LogHandler, LogLevel, LogSource, setupMonitoring } from '@datalineage/monitoring';
import pino from 'pino';

const monitoring = setupMonitoring({
  serviceName: 'pino-example',
  handleSignals: false,
  dashboard: { enabled: false },
});
await monitoring.start();

// The guide's LogHandler, as a pino destination: pino formats, the aggregator keeps.
const handler = new LogHandler(monitoring.logAggregator, { source: LogSource.APPLICATION });
const logger = pino({ name: 'orders', level: 'debug' }, handler.pinoDestination());

logger.info('service started');
const request = logger.child({ requestId: 'r-42' });
request.debug({ items: 3 }, 'order received');
request.warn({ ms: 950 }, 'slow payment provider');
request.error({ err: new Error('card declined'), password: 'hunter2' }, 'payment failed');

// What the aggregator now holds: a search, like the dashboard's.
const { entries } = monitoring.logAggregator.searchLogs(new LogFilter({ minLevel: LogLevel.WARNING }), {
  limit: 10,
});
for (const entry of entries) {
  console.log(
    `${entry.levelName.padEnd(8)} ${entry.loggerName} ${entry.message} ${JSON.stringify(entry.extraData)}`,
  );
}
await monitoring.shutdown();
