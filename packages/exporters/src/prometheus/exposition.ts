// Serializes OpenTelemetry metric data to the Prometheus text exposition (0.0.4) or OpenMetrics
// 1.0. Names and label strings the collector tagged are reused; other MetricData (from the
// OpenTelemetry SDK's own instruments) is translated by the same rules and made valid.
import {
  diagnostics,
  escapeHelp,
  escapeLabelValue,
  PROMETHEUS_LABELS,
  PROMETHEUS_METRIC,
  PROMETHEUS_SKIP,
  type PrometheusMetricTag,
  prometheusLabelName,
  prometheusNames,
} from '@datalineage/core';
import type { Attributes } from '@opentelemetry/api';
import {
  DataPointType,
  type Histogram,
  type MetricData,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';

export type ExpositionFormat = 'text' | 'openmetrics';

export const CONTENT_TYPES: Readonly<Record<ExpositionFormat, string>> = {
  text: 'text/plain; version=0.0.4; charset=utf-8',
  openmetrics: 'application/openmetrics-text; version=1.0.0; charset=utf-8',
};

/** Prometheus' float format: integers without exponent, `+Inf`, `-Inf`, `NaN`. */
export function formatValue(value: number): string {
  if (Number.isFinite(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  return value > 0 ? '+Inf' : '-Inf';
}

type Family = Pick<PrometheusMetricTag, 'kind' | 'names' | 'help' | 'summary'>;

const translated = new Map<string, Family>();

/** How a MetricData is named and typed: the collector's tag, or a translation cached by name. */
function familyOf(metric: MetricData): Family {
  const tagged = (metric as unknown as Record<symbol, PrometheusMetricTag | undefined>)[PROMETHEUS_METRIC];
  if (tagged !== undefined) return tagged;
  const key = `${metric.descriptor.name}\0${metric.dataPointType}\0${metric.descriptor.unit}`;
  let family = translated.get(key);
  if (family === undefined) {
    const kind =
      metric.dataPointType === DataPointType.SUM
        ? metric.isMonotonic
          ? 'counter'
          : 'gauge'
        : metric.dataPointType === DataPointType.GAUGE
          ? 'gauge'
          : 'histogram';
    family = {
      kind,
      names: prometheusNames(metric.descriptor.name, kind, metric.descriptor.unit),
      help: metric.descriptor.description || `${kind} ${metric.descriptor.name}`,
    };
    if (translated.size > 10_000) translated.clear();
    translated.set(key, family);
  }
  return family;
}

/**
 * Labels of a data point from an OpenTelemetry instrument (not the collector): names translated,
 * empty ones skipped, names that collide once translated joined with `;` in key order (as
 * OpenTelemetry's Prometheus rules say), and `le` / `quantile` renamed `exported_…`.
 */
function foreignLabels(attributes: Attributes, kind: Family['kind']): string {
  const byName = new Map<string, string[]>();
  for (const key of Object.keys(attributes).sort()) {
    const value = attributes[key];
    if (value === undefined || value === null || key === '') continue;
    let name = prometheusLabelName(key);
    if ((kind === 'histogram' && name === 'le') || (kind === 'summary' && name === 'quantile'))
      name = `exported_${name}`;
    const text =
      typeof value === 'string' ? value : Array.isArray(value) ? JSON.stringify(value) : String(value);
    const values = byName.get(name);
    if (values === undefined) byName.set(name, [text]);
    else values.push(text);
  }
  let out = '';
  for (const [name, values] of byName)
    out += `${out === '' ? '' : ','}${name}="${escapeLabelValue(values.join(';'))}"`;
  return out;
}

function labelsOf(point: { attributes: Attributes }, kind: Family['kind']): string {
  const cached = (point as unknown as Record<symbol, string | undefined>)[PROMETHEUS_LABELS];
  return cached ?? foreignLabels(point.attributes, kind);
}

function braces(labels: string): string {
  return labels === '' ? '' : `{${labels}}`;
}

/**
 * Render every metric of `resourceMetrics`. Families that appear more than once (the same name
 * from two producers or scopes) are merged under one header, as Prometheus requires, keeping the
 * first of any series that appears twice; a name used by two kinds keeps the first kind. The
 * collector's metrics come first, so they win over look-alike OpenTelemetry instruments.
 */
export function serialize(resourceMetrics: ResourceMetrics, format: ExpositionFormat = 'text'): string {
  const openMetrics = format === 'openmetrics';
  const all = resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  const isTagged = (metric: MetricData): boolean =>
    (metric as unknown as Record<symbol, unknown>)[PROMETHEUS_METRIC] !== undefined;
  const groups = new Map<string, { family: Family; metrics: MetricData[] }>();
  for (const metric of [...all.filter(isTagged), ...all.filter((m) => !isTagged(m))]) {
    if ((metric as unknown as Record<symbol, unknown>)[PROMETHEUS_SKIP] === true) continue;
    if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) continue; // no text form
    const family = familyOf(metric);
    const key = openMetrics ? family.names.familyName : family.names.sampleName;
    const group = groups.get(key);
    if (group === undefined) groups.set(key, { family, metrics: [metric] });
    else if (group.family.kind === family.kind) group.metrics.push(metric);
    else
      diagnostics.warnOnce(
        'DLM_EXPOSITION_NAME_CLASH',
        key,
        `metric "${metric.descriptor.name}" (${family.kind}) has the Prometheus name of a ${group.family.kind} already exposed; it is left out of /metrics. Rename one of them.`,
      );
  }
  const chunks: string[] = [];
  for (const { family, metrics } of groups.values()) {
    const { sampleName, familyName, unit } = family.names;
    const headerName = openMetrics ? familyName : sampleName;
    let out = `# HELP ${headerName} ${escapeHelp(family.help, openMetrics)}\n# TYPE ${headerName} ${family.kind}\n`;
    if (openMetrics && unit !== '') out += `# UNIT ${headerName} ${unit}\n`;
    const seen = metrics.length > 1 ? new Set<string>() : undefined;
    for (const metric of metrics) out += samples(metric, familyOf(metric), sampleName, openMetrics, seen);
    chunks.push(out);
  }
  if (openMetrics) chunks.push('# EOF\n');
  return chunks.join('');
}

/** True when this label set was already rendered for the family (merged producers). */
function repeated(seen: Set<string> | undefined, labels: string): boolean {
  if (seen === undefined) return false;
  if (seen.has(labels)) return true;
  seen.add(labels);
  return false;
}

function samples(
  metric: MetricData,
  family: Family,
  name: string,
  openMetrics: boolean,
  seen: Set<string> | undefined,
): string {
  let out = '';
  const summary = family.summary;
  if (summary !== undefined) {
    const quantileLabels = summary.quantileLabels;
    for (const series of summary.series) {
      if (repeated(seen, series.labels)) continue;
      const prefix = series.labels === '' ? '{' : `{${series.labels},`;
      for (let i = 0; i < quantileLabels.length; i++) {
        out += `${name}${prefix}quantile="${quantileLabels[i]}"} ${formatValue(series.quantiles[i] as number)}\n`;
      }
      const labels = braces(series.labels);
      // OpenMetrics allows _sum only where no observation was negative.
      if (!openMetrics || series.sum >= 0) out += `${name}_sum${labels} ${formatValue(series.sum)}\n`;
      out += `${name}_count${labels} ${series.count}\n`;
    }
    return out;
  }
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints) {
      const labels = labelsOf(point, family.kind);
      if (!repeated(seen, labels)) out += histogramSamples(name, labels, point.value, openMetrics);
    }
    return out;
  }
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    for (const point of metric.dataPoints) {
      const labels = labelsOf(point, family.kind);
      if (!repeated(seen, labels)) out += `${name}${braces(labels)} ${formatValue(point.value)}\n`;
    }
  }
  return out;
}

/** Bucket `le` strings per boundaries array, computed once. */
const leCache = new WeakMap<number[], string[]>();

function histogramSamples(name: string, labels: string, value: Histogram, openMetrics: boolean): string {
  const boundaries = value.buckets.boundaries;
  let le = leCache.get(boundaries);
  if (le === undefined) {
    le = boundaries.map((bound) => formatValue(bound));
    leCache.set(boundaries, le);
  }
  const prefix = labels === '' ? `${name}_bucket{le="` : `${name}_bucket{${labels},le="`;
  const counts = value.buckets.counts;
  let cumulative = 0;
  let out = '';
  for (let i = 0; i < le.length; i++) {
    cumulative += counts[i] as number;
    out += `${prefix}${le[i]}"} ${cumulative}\n`;
  }
  cumulative += counts[le.length] ?? 0;
  const plain = braces(labels);
  out += `${prefix}+Inf"} ${cumulative}\n`;
  // OpenMetrics allows _sum only where no observation was negative.
  if (!openMetrics || !(value.min !== undefined && value.min < 0)) {
    out += `${name}_sum${plain} ${formatValue(value.sum ?? 0)}\n`;
  }
  out += `${name}_count${plain} ${value.count}\n`;
  return out;
}

/** Pick the format a scraper asked for: OpenMetrics when its Accept header names it first or best. */
export function negotiateFormat(accept: string | null | undefined): ExpositionFormat {
  if (accept === undefined || accept === null || !accept.includes('application/openmetrics-text'))
    return 'text';
  let best: ExpositionFormat = 'text';
  let bestQ = -1;
  for (const part of accept.split(',')) {
    const [type = '', ...params] = part.trim().split(';');
    let q = 1;
    for (const param of params) {
      const [key, val] = param.trim().split('=');
      if (key === 'q' && val !== undefined) q = Number(val);
    }
    const format: ExpositionFormat | undefined =
      type.trim() === 'application/openmetrics-text'
        ? 'openmetrics'
        : type.trim() === 'text/plain' || type.trim() === '*/*'
          ? 'text'
          : undefined;
    if (format !== undefined && q > bestQ) {
      best = format;
      bestQ = q;
    }
  }
  return best;
}
