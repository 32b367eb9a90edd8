// The dashboard server on real sockets: it refuses a non-loopback address without
// authentication, serves HTTPS with a given key and certificate (made by openssl), answers the
// Host check by the names it listens on, and close() ends keep-alive connections and live streams.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DashboardConfigError, isLoopback, startDashboardServer } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dlm-dashboard-tls-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = { getStatus: () => ({ running: true }) };
/** The process's own, before any server here started. */
const { Request: nodeRequest, Response: nodeResponse } = globalThis;

describe('startDashboardServer', () => {
  it('refuses to listen beyond loopback without authentication, unless told to', async () => {
    await expect(startDashboardServer({ ...base, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      DashboardConfigError,
    );
    await expect(startDashboardServer({ ...base, host: '0.0.0.0', port: 0 })).rejects.toThrow(
      /without authentication: set dashboard.auth/,
    );
    const open = await startDashboardServer({
      ...base,
      host: '0.0.0.0',
      port: 0,
      allowUnauthenticated: true,
    });
    await open.close();
    const authed = await startDashboardServer({
      ...base,
      host: '0.0.0.0',
      port: 0,
      auth: { token: 'tok_0123456789abcdef' },
    });
    await authed.close();
    expect(isLoopback('127.0.0.1')).toBe(true);
    expect(isLoopback('[::1]')).toBe(true);
    expect(isLoopback('localhost')).toBe(true);
    expect(isLoopback('10.0.0.1')).toBe(false);
  });

  it('serves HTTPS with the given key and certificate', async () => {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        key,
        '-out',
        cert,
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
      ],
      { stdio: 'ignore' },
    );
    const server = await startDashboardServer({ ...base, port: 0, tls: { keyFile: key, certFile: cert } });
    try {
      expect(server.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, hsts, body } = await new Promise<{
        status: number;
        hsts: string | undefined;
        body: string;
      }>((resolve, reject) => {
        const req = httpsRequest(`${server.url}/api/status`, { ca: execFileSync('cat', [cert]) }, (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              hsts: res.headers['strict-transport-security'] as string,
              body: text,
            }),
          );
        });
        req.on('error', reject);
        req.end();
      });
      expect(status).toBe(200);
      expect(hsts).toMatch(/max-age=\d+/);
      expect(JSON.parse(body)).toEqual({ running: true });
    } finally {
      await server.close();
    }
    await expect(
      startDashboardServer({ ...base, port: 0, tls: { keyFile: join(dir, 'none.pem'), certFile: cert } }),
    ).rejects.toThrow(/TLS key or certificate cannot be read/);
  });

  it("leaves the process's global Request and Response alone, and answers HEAD", async () => {
    const server = await startDashboardServer({ ...base, port: 0 });
    try {
      expect(globalThis.Request).toBe(nodeRequest);
      expect(globalThis.Response).toBe(nodeResponse);
      const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
      expect(head.status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('answers by its own address, and close() ends connections and live streams at once', async () => {
    const server = await startDashboardServer({ ...base, port: 0, autoRefresh: 0.05 });
    const events = await fetch(`${server.url}/api/events`);
    expect(events.status).toBe(200);
    const reader = (events.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    const started = performance.now();
    await server.close();
    expect(performance.now() - started).toBeLessThan(1000);
    // The stream ends rather than hanging.
    for (;;) {
      const { done } = await reader.read().catch(() => ({ done: true }));
      if (done) break;
    }
    await expect(fetch(`${server.url}/healthz`)).rejects.toThrow();
    await server.close(); // twice is fine
  });
});
