// Serializes OpenTelemetry metric data to the Prometheus text exposition (0.0.4) or OpenMetrics
// 1.0. Names and label strings the collector tagged are reused; other MetricData (from the
// OpenTelemetry SDK's own instruments) is translated by the same rules.
import {
  escapeHelp,
  formatLabelPairs,
  PROMETHEUS_LABELS,
  PROMETHEUS_METRIC,
  PROMETHEUS_SKIP,
  type PrometheusMetricTag,
  type PrometheusNames,
  prometheusNames,
} from '@datalineage/core';
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

interface Family {
  kind: PrometheusMetricTag['kind'];
  names: PrometheusNames;
  help: string;
}

const translated = new Map<string, Family>();

/** Names and type for MetricData the collector did not tag, cached by name and point type. */
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

function labelsOf(point: { attributes: Record<string, unknown> }): string {
  const cached = (point as unknown as Record<symbol, string | undefined>)[PROMETHEUS_LABELS];
  return cached ?? formatLabelPairs(point.attributes);
}

function braces(labels: string): string {
  return labels === '' ? '' : `{${labels}}`;
}

/**
 * Render every metric of `resourceMetrics`. Families that appear more than once (the same name
 * from two scopes) are merged under one header, as Prometheus requires.
 */
export function serialize(resourceMetrics: ResourceMetrics, format: ExpositionFormat = 'text'): string {
  const openMetrics = format === 'openmetrics';
  const groups = new Map<string, { family: Family; metrics: MetricData[] }>();
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if ((metric as unknown as Record<symbol, unknown>)[PROMETHEUS_SKIP] === true) continue;
      if (metric.dataPointType === DataPointType.EXPONENTIAL_HISTOGRAM) continue; // no text form
      const family = familyOf(metric);
      const group = groups.get(family.names.sampleName);
      if (group === undefined) groups.set(family.names.sampleName, { family, metrics: [metric] });
      else if (group.family.kind === family.kind) group.metrics.push(metric);
    }
  }
  const chunks: string[] = [];
  for (const { family, metrics } of groups.values()) {
    const { sampleName, familyName, unit } = family.names;
    const headerName = openMetrics ? familyName : sampleName;
    let out = `# HELP ${headerName} ${escapeHelp(family.help)}\n# TYPE ${headerName} ${family.kind}\n`;
    if (openMetrics && unit !== '') out += `# UNIT ${headerName} ${unit}\n`;
    for (const metric of metrics) out += samples(metric, family, sampleName);
    chunks.push(out);
  }
  if (openMetrics) chunks.push('# EOF\n');
  return chunks.join('');
}

function samples(metric: MetricData, family: Family, name: string): string {
  let out = '';
  const summary = (family as PrometheusMetricTag).summary;
  if (summary !== undefined) {
    const quantileLabels = summary.quantileLabels;
    for (const series of summary.series) {
      const prefix = series.labels === '' ? '{' : `{${series.labels},`;
      for (let i = 0; i < quantileLabels.length; i++) {
        out += `${name}${prefix}quantile="${quantileLabels[i]}"} ${formatValue(series.quantiles[i] as number)}\n`;
      }
      const labels = braces(series.labels);
      out += `${name}_sum${labels} ${formatValue(series.sum)}\n${name}_count${labels} ${series.count}\n`;
    }
    return out;
  }
  if (metric.dataPointType === DataPointType.HISTOGRAM) {
    for (const point of metric.dataPoints) out += histogramSamples(name, labelsOf(point), point.value);
    return out;
  }
  if (metric.dataPointType === DataPointType.SUM || metric.dataPointType === DataPointType.GAUGE) {
    for (const point of metric.dataPoints)
      out += `${name}${braces(labelsOf(point))} ${formatValue(point.value)}\n`;
  }
  return out;
}

/** Bucket `le` strings per boundaries array, computed once. */
const leCache = new WeakMap<number[], string[]>();

function histogramSamples(name: string, labels: string, value: Histogram): string {
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
  out += `${prefix}+Inf"} ${cumulative}\n${name}_sum${plain} ${formatValue(value.sum ?? 0)}\n${name}_count${plain} ${value.count}\n`;
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
