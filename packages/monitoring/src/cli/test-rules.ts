// `test-rules FILE`: alert rule unit tests in YAML, run through testRule on a fake clock — what
// `promtool test rules` is to Prometheus rules. The file:
//
//   config_file: monitoring-config.yaml   # rules from its alerts.rules (path relative to this file), and/or
//   rules: [ { name: …, metric_name: …, threshold: …, … } ]   # AlertRule options, as in alerts.rules
//   tests:
//     - name: fires after a minute of errors
//       interval: 60                      # seconds between samples and evaluations
//       input_series:
//         - metric: errors.total
//           labels: { stage: load }
//           values: "0 20 40 60"           # one per interval; "0+20x3" expands as in promtool; "_" skips one
//       alert_rule_test:
//         - eval_time: 120
//           alertname: high_error_rate
//           exp_alerts:                   # exactly the firing alerts then, by series labels ([] = none)
//             - exp_labels: { stage: load }
//         - eval_time: 60
//           alertname: high_error_rate
//           exp_state: pending            # or: every instance (matching exp_labels, if given) is in this state
import { dirname, resolve } from 'node:path';
import { AlertRule, loadConfig, readYamlFile, type TestSample, testRule } from '@datalineage/core';

interface SeriesSpec {
  metric?: string;
  labels?: Record<string, string>;
  values?: string | number;
  kind?: 'counter' | 'gauge';
}

interface AlertTest {
  eval_time?: number;
  alertname?: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string> }>;
  exp_state?: string;
  exp_labels?: Record<string, string>;
}

interface RuleTest {
  name?: string;
  interval?: number;
  input_series?: SeriesSpec[];
  alert_rule_test?: AlertTest[];
}

export interface RuleTestReport {
  readonly passed: number;
  readonly failed: number;
  /** One line per test, then one per failed expectation. */
  readonly lines: string[];
}

/** `"0+20x3 _ 5"` → `[0, 20, 40, 60, undefined, 5]` (promtool's expanding notation). */
export function expandValues(text: string | number): Array<number | undefined> {
  const out: Array<number | undefined> = [];
  for (const token of String(text).trim().split(/\s+/)) {
    if (token === '') continue;
    if (token === '_') {
      out.push(undefined);
      continue;
    }
    const series = /^(-?[\d.e+]+)([+-])([\d.e+]+)x(\d+)$/.exec(token);
    if (series !== null) {
      const start = Number(series[1]);
      const step = Number(series[3]) * (series[2] === '-' ? -1 : 1);
      for (let i = 0; i <= Number(series[4]); i++) out.push(start + step * i);
      continue;
    }
    const value = Number(token);
    if (!Number.isFinite(value))
      throw new TypeError(`"${token}" is not a number, "_", or a series like 0+10x5`);
    out.push(value);
  }
  return out;
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const key of keys) if ((a[key] ?? '') !== (b[key] ?? '')) return false;
  return true;
}

const show = (labels: Readonly<Record<string, string>>) => JSON.stringify(labels);

/**
 * Reads the rules a test file names (inline and from its config file), by name, and the
 * resolve_timeout they run with (the file's, else the config file's, else 0).
 */
function rulesOf(
  file: string,
  document: Record<string, unknown>,
): { rules: Map<string, AlertRule>; resolveTimeout: number } {
  const rules = new Map<string, AlertRule>();
  let resolveTimeout = 0;
  const add = (options: unknown) => {
    const rule = new AlertRule(options as never);
    rules.set(rule.name, rule);
  };
  if (typeof document.config_file === 'string') {
    const config = loadConfig({
      config: { configFile: resolve(dirname(file), document.config_file) },
      env: {},
    });
    resolveTimeout = config.alerts.resolveTimeout;
    for (const rule of config.alerts.rules) {
      add({ ...rule, minDuration: rule.minDuration ?? config.alerts.minDuration });
    }
  }
  for (const options of Array.isArray(document.rules) ? document.rules : []) add(options);
  if (typeof document.resolve_timeout === 'number') resolveTimeout = document.resolve_timeout;
  return { rules, resolveTimeout };
}

/** Runs every test of a rule-test file. @throws Error for a file that cannot be read or a bad rule */
export function runRuleTests(file: string): RuleTestReport {
  // Read with the configuration file's bounds: a FIFO, /dev/zero or an alias bomb fails at once.
  const document = (readYamlFile(file) ?? {}) as Record<string, unknown>;
  const { rules, resolveTimeout } = rulesOf(file, document);
  const tests = (Array.isArray(document.tests) ? document.tests : []) as RuleTest[];
  if (tests.length === 0) throw new Error(`${file}: no tests (a "tests:" list is expected)`);
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  tests.forEach((test, index) => {
    const name = test.name ?? `test ${index + 1}`;
    const interval = test.interval ?? 60;
    const problems: string[] = [];
    const expectations = test.alert_rule_test ?? [];
    const byRule = new Map<string, AlertTest[]>();
    for (const expectation of expectations) {
      const alertname = expectation.alertname ?? '';
      if (!rules.has(alertname))
        problems.push(`no rule named "${alertname}" (rules: ${[...rules.keys()].join(', ')})`);
      byRule.set(alertname, [...(byRule.get(alertname) ?? []), expectation]);
    }
    for (const [alertname, checks] of byRule) {
      const rule = rules.get(alertname);
      if (rule === undefined) continue;
      const series: TestSample[] = [];
      for (const spec of test.input_series ?? []) {
        expandValues(spec.values ?? '').forEach((value, i) => {
          if (value === undefined) return;
          series.push({
            time: i * interval,
            value,
            metric: spec.metric ?? rule.metricName,
            labels: spec.labels ?? {},
            ...(spec.kind === undefined ? {} : { kind: spec.kind }),
          });
        });
      }
      const until = Math.max(0, ...checks.map((check) => check.eval_time ?? 0));
      const steps = testRule(rule, { series, interval, until }, { resolveTimeout });
      for (const check of checks) {
        const at = check.eval_time ?? 0;
        const now = steps.filter((step) => step.time === at);
        if (check.exp_state !== undefined) {
          const chosen = now.filter(
            (step) => check.exp_labels === undefined || sameLabels(step.labels, check.exp_labels),
          );
          if (chosen.length === 0)
            problems.push(
              `at ${at}s ${alertname}: no instance${check.exp_labels ? ` with ${show(check.exp_labels)}` : ''}`,
            );
          for (const step of chosen) {
            if (step.state !== check.exp_state) {
              problems.push(
                `at ${at}s ${alertname}${show(step.labels)}: expected ${check.exp_state}, got ${step.state} (value ${step.value})`,
              );
            }
          }
        }
        if (check.exp_alerts !== undefined) {
          const firing = now.filter((step) => step.state === 'firing').map((step) => step.labels);
          const expected = check.exp_alerts.map((alert) => alert.exp_labels ?? {});
          const missing = expected.filter((labels) => !firing.some((f) => sameLabels(f, labels)));
          const extra = firing.filter((labels) => !expected.some((e) => sameLabels(e, labels)));
          for (const labels of missing)
            problems.push(`at ${at}s ${alertname}${show(labels)}: expected firing, it is not`);
          for (const labels of extra)
            problems.push(`at ${at}s ${alertname}${show(labels)}: firing, not expected`);
        }
      }
    }
    if (problems.length === 0) {
      passed++;
      lines.push(`ok    ${name}`);
    } else {
      failed++;
      lines.push(`FAIL  ${name}`, ...problems.map((problem) => `        ${problem}`));
    }
  });
  return { passed, failed, lines };
}
