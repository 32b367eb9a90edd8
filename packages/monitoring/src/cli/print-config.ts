// `print-config`: the effective configuration (defaults, the file, the environment) as YAML in
// the file's own spelling (snake_case keys), every secret masked — so it can be shown in a
// ticket, and loaded again as a file.
import { isSecretKey, type MonitoringConfig, maskUrl, maskUrlCredentials } from '@datalineage/core';
import { stringify } from 'yaml';

/** Keys whose values are data (label names, header names), not configuration keys to re-spell. */
const RECORD_KEYS: ReadonlySet<string> = new Set([
  'resourceAttributes',
  'labels',
  'annotations',
  'headers',
  'groupingLabels',
  'matchers',
  'tags',
]);

/** Keys whose values are URLs, which carry credentials in their userinfo or query. */
const URL_KEY = /^url$|Url$/;

/**
 * A URL with its credentials masked: userinfo and query values always; an alert channel's path too
 * (Slack's and most webhooks' credential is the path itself), as the channels' own status does.
 */
function maskUrlValue(url: string, inChannel: boolean): string {
  return inChannel ? maskUrl(url) : maskUrlCredentials(url);
}

const snake = (key: string): string => key.replace(/[A-Z]/g, (letter) => `_${letter.toLowerCase()}`);

function mask(value: unknown, key: string | undefined, inRecord: boolean, inChannel = false): unknown {
  if (key !== undefined && isSecretKey(key) && (typeof value === 'string' || typeof value === 'number')) {
    return '[REDACTED]';
  }
  if (key !== undefined && URL_KEY.test(key) && typeof value === 'string') {
    return maskUrlValue(value, inChannel);
  }
  if (Array.isArray(value)) return value.map((item) => mask(item, undefined, false, key === 'channels'));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [name, inner] of Object.entries(value)) {
      // Header values (an Authorization header, an API key) are secrets whatever the header's name.
      const secretRecord = key === 'headers';
      const shown = inRecord ? name : snake(name);
      out[shown] =
        secretRecord && typeof inner === 'string'
          ? '[REDACTED]'
          : mask(inner, name, RECORD_KEYS.has(name), inChannel);
    }
    return out;
  }
  return value;
}

/** The configuration as YAML under `monitoring:`, secrets replaced by `[REDACTED]`. */
export function printConfig(config: MonitoringConfig): string {
  return stringify({ monitoring: mask(config, undefined, false) }, { lineWidth: 0 });
}
