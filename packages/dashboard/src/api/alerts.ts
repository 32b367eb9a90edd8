// GET /api/alerts (instances, rules, history, silences) and the two mutations: acknowledging a
// firing alert and silencing by matchers (POSTs behind the CSRF check, their bodies limited by
// the app). A silence past one of core's bounds is a 400 naming it; one more silence than
// the alert manager keeps active is a 409.
import { type AlertManager, SilenceError } from '@datalineage/core';
import type { Hono } from 'hono';
import { apiError, BadRequest } from './errors.js';

/** What the API needs of the alert manager. */
export type AlertSource = Pick<
  AlertManager,
  'getAlerts' | 'getRules' | 'getHistory' | 'acknowledge' | 'silence' | 'silences' | 'status'
>;

/** The alerts view's data, also what the live stream sends. */
export function alertsView(alerts: AlertSource, now: number) {
  const instances = alerts.getAlerts();
  const status = alerts.status();
  const byRule = new Map<string, number>();
  for (const alert of instances) byRule.set(alert.rule, (byRule.get(alert.rule) ?? 0) + 1);
  return {
    alerts: instances,
    rules: alerts.getRules().map((rule) => ({
      name: rule.name,
      metricName: rule.metricName,
      condition: rule.condition,
      threshold: rule.threshold,
      severity: rule.severity,
      description: rule.description,
      evaluationPeriod: rule.evaluationPeriod,
      minDuration: rule.minDuration,
      aggregation: rule.aggregation ?? null,
      instances: byRule.get(rule.name) ?? 0,
    })),
    history: alerts.getHistory().map((t) => ({
      instanceId: t.instanceId,
      rule: t.rule.name,
      labels: t.labels,
      from: t.from,
      to: t.to,
      at: t.at,
      value: Number.isFinite(t.value) ? t.value : null,
    })),
    silences: alerts.silences.list(now),
    evaluations: status.evaluations,
    lastEvaluationAt: status.lastEvaluationAt ?? null,
  };
}

async function body(request: Request): Promise<Record<string, unknown>> {
  let parsed: unknown;
  try {
    parsed = await request.json();
  } catch {
    throw new BadRequest('body', 'expected a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new BadRequest('body', 'expected a JSON object');
  return parsed as Record<string, unknown>;
}

export function alertRoutes(app: Hono, alerts: AlertSource | undefined, now: () => number): void {
  app.get('/api/alerts', (c) =>
    c.json(
      alerts === undefined
        ? { alerts: [], rules: [], history: [], silences: [], evaluations: 0, lastEvaluationAt: null }
        : alertsView(alerts, now()),
    ),
  );

  app.post('/api/alerts/:id/acknowledge', (c) => {
    const id = c.req.param('id');
    const alert = alerts?.getAlerts().find((a) => a.id === id);
    if (alerts === undefined || alert === undefined)
      return apiError(c, 404, 'not_found', `no alert with id ${JSON.stringify(id)}`);
    if (!alerts.acknowledge(id))
      return apiError(c, 409, 'conflict', `alert ${JSON.stringify(id)} is ${alert.state}, not firing`);
    return c.json({ acknowledged: true });
  });

  app.post('/api/silences', async (c) => {
    if (alerts === undefined) return apiError(c, 404, 'not_found', 'the alert manager is off');
    const input = await body(c.req.raw);
    const { matchers, durationMinutes, createdBy, comment } = input;
    if (matchers === null || typeof matchers !== 'object' || Array.isArray(matchers)) {
      throw new BadRequest('matchers', 'expected an object of label → value (or "/regex/")');
    }
    for (const [label, value] of Object.entries(matchers)) {
      if (typeof value !== 'string')
        throw new BadRequest(`matchers.${label.slice(0, 128)}`, 'expected a string');
    }
    if (typeof durationMinutes !== 'number' || !(durationMinutes > 0) || durationMinutes > 525_600) {
      throw new BadRequest('durationMinutes', 'expected minutes, more than 0 and at most a year');
    }
    if (typeof createdBy !== 'string' || createdBy.trim() === '')
      throw new BadRequest('createdBy', 'say who sets the silence');
    if (typeof comment !== 'string' || comment.trim() === '') throw new BadRequest('comment', 'say why');
    try {
      // createdBy and comment are cut by core, to its bounds.
      const silence = alerts.silence({
        matchers: matchers as Record<string, string>,
        endsAt: now() + durationMinutes * 60_000,
        createdBy,
        comment,
      });
      return c.json({ silence }, 201);
    } catch (error) {
      if (!(error instanceof SilenceError)) throw error;
      return error.code === 'DLM_SILENCES_FULL'
        ? apiError(c, 409, 'conflict', error.message)
        : apiError(c, 400, 'bad_request', error.message);
    }
  });

  app.post('/api/silences/:id/expire', (c) => {
    const id = c.req.param('id');
    if (alerts === undefined || !alerts.silences.expire(id, now())) {
      return apiError(c, 404, 'not_found', `no silence with id ${JSON.stringify(id)}`);
    }
    return c.json({ expired: true });
  });
}
