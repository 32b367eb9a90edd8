// The page's files, served from the package itself (nothing from a CDN): `public/` at `/` and
// `/assets/`, uPlot from its npm package at `/assets/vendor/`. Read once at startup, with an
// ETag and a gzip copy each, so serving one is a lookup.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

export interface Asset {
  readonly body: Buffer;
  readonly gzip: Buffer;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
};

function asset(body: Buffer, file: string): Asset {
  return {
    body,
    gzip: gzipSync(body, { level: 9 }),
    type: TYPES[extname(file)] ?? 'application/octet-stream',
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`,
  };
}

function walk(dir: string, out: string[] = []): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of names) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path, out);
    else out.push(path);
  }
  return out;
}

/** Asset by URL path (`/assets/js/main.js`); `index.html` under `/`. */
export function loadAssets(
  publicDir = fileURLToPath(new URL('../public/', import.meta.url)),
): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const file of walk(publicDir)) {
    const path = relative(publicDir, file).split(sep).join('/');
    assets.set(path === 'index.html' ? '/' : `/assets/${path}`, asset(readFileSync(file), file));
  }
  const require = createRequire(import.meta.url);
  for (const [name, module] of [
    ['uplot.esm.js', 'uplot/dist/uPlot.esm.js'],
    ['uplot.min.css', 'uplot/dist/uPlot.min.css'],
  ] as const) {
    const file = require.resolve(module);
    assets.set(`/assets/vendor/${name}`, asset(readFileSync(file), file));
  }
  return assets;
}

/** Bytes the page loads (everything but index.html's own), raw and gzipped. */
export function payloadSize(assets: ReadonlyMap<string, Asset>): { raw: number; gzip: number } {
  let raw = 0;
  let gzip = 0;
  for (const [path, entry] of assets) {
    if (!/\.(?:js|css)$/.test(path)) continue;
    raw += entry.body.length;
    gzip += entry.gzip.length;
  }
  return { raw, gzip };
}
