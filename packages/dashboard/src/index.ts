// @datalineage/dashboard — the monitoring web app. The public surface, by name.
export { createDashboardApp, type DashboardAppOptions } from './app.js';
