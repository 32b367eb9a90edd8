// A focused example: an Express service measured by the HTTP middleware. Every request lands in
// http_server_request_duration_seconds by route template (`/orders/:id`, never `/orders/42`),
// method, status and status class, with error_type on failures; /metrics and the dashboard are
// on the monitoring server as usual. curl it: GET /orders/1, GET /orders/9 (404),
// POST /orders, GET /orders/1/invoice (a thrown RangeError → 500).
// Run: node --conditions=@datalineage/source --import tsx examples/express-app.ts
//   EXPRESS_PORT=3000               the service's port (0: any free one)
//   DATALINEAGE_DASHBOARD_PORT=8080 the dashboard and /metrics
import type { AddressInfo } from 'node:net';
import { LogLevel, setupMonitoring } from '@datalineage/monitoring';
import { monitorExpress, monitorExpressErrors } from '@datalineage/monitoring/http';
import express, { type ErrorRequestHandler } from 'express';

const monitoring = setupMonitoring({ serviceName: 'orders-api' });
await monitoring.start();

const orders = new Map<string, { id: string; items: number }>([['1', { id: '1', items: 3 }]]);
const app = express();
app.use(monitorExpress(monitoring.metricsCollector)); // first, so it sees every request
app.use(express.json());

app.get('/orders/:id', (req, res) => {
  const order = orders.get(req.params.id);
  if (order === undefined) res.status(404).json({ error: 'no such order' });
  else res.json(order);
});
app.post('/orders', (req, res) => {
  const id = String(orders.size + 1);
  orders.set(id, { id, items: Number(req.body?.items ?? 1) });
  res.status(201).json({ id });
});
app.get('/orders/:id/invoice', () => {
  throw new RangeError('invoice service unavailable'); // Express 5 passes it to the error handlers
});

app.use(monitorExpressErrors()); // error.type = the exception's class, then on to the next handler
const onError: ErrorRequestHandler = (error, req, res, _next) => {
  monitoring.logAggregator.addLog({
    level: LogLevel.ERROR,
    message: `${req.method} ${req.path} failed`,
    loggerName: 'orders.http',
    error,
  });
  res.status(500).json({ error: 'internal' });
};
app.use(onError);

const server = app.listen(Number(process.env.EXPRESS_PORT ?? 3000), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  console.log(`orders API on http://127.0.0.1:${port} · metrics ${monitoring.dashboardAddress}/metrics`);
});
// Ctrl-C or SIGTERM: the SDK flushes and stops monitoring, then lets the signal end the process.
