/**
 * The adversarial trial's case 7 on a real dashboard server and real sockets: after 10 bad
 * attempts from 127.0.0.1, the right credentials and the Prometheus scrape from that address got
 * 429 for a minute; and 250 loopback source addresses made 2,500 guesses in 1.3 s. Now an address
 * that authenticated keeps getting in whatever others do, and guesses from every new address
 * together are bounded by the global limit (100 a minute).
 */
import { request } from 'node:http';
import { type DashboardServer, startDashboardServer } from '@datalineage/dashboard';
import { afterEach, describe, expect, it } from 'vitest';
import { assets, basicAuth, sources } from './support.js';

const USER = 'ops';
const PASSWORD = 'right-password-1234';
let server: DashboardServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** One GET from a given loopback source address; resolves with the status. */
function get(url: string, path: string, password: string, localAddress = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      localAddress,
      agent: false,
      headers: { authorization: basicAuth(USER, password) },
    });
    req.on('response', (response) => {
      response.resume();
      response.on('end', () => resolve(response.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('case 7: the login limiter', () => {
  it('never refuses the right credentials of an address that used them, and bounds guesses from rotating addresses', async () => {
    server = await startDashboardServer({
      ...sources().options,
      auth: { username: USER, password: PASSWORD },
      assets: assets(),
      port: 0,
    });
    const url = server.url;
    // Prometheus scrapes from 127.0.0.1 before anyone guesses.
    expect(await get(url, '/metrics', PASSWORD)).toBe(200);

    // The trial's first half: bad attempts from the scraper's own address.
    const fromSameAddress: number[] = [];
    for (let i = 0; i < 12; i++) fromSameAddress.push(await get(url, '/api/status', `guess-${i}`));
    expect(fromSameAddress.every((status) => status === 401)).toBe(true);
    expect(await get(url, '/metrics', PASSWORD)).toBe(200);
    expect(await get(url, '/api/status', PASSWORD)).toBe(200);

    // The second half: 250 other loopback addresses, 10 guesses each, 10 at a time.
    const started = performance.now();
    const guesses: number[] = [];
    const scrapes: number[] = [];
    for (let batch = 0; batch < 250; batch += 10) {
      const answers = await Promise.all(
        Array.from({ length: 10 }, (_, k) => {
          const address = `127.0.${Math.floor((batch + k) / 250) + 1}.${((batch + k) % 250) + 2}`;
          return Promise.all(
            Array.from({ length: 10 }, (_, g) => get(url, '/api/status', `g-${batch + k}-${g}`, address)),
          );
        }),
      );
      guesses.push(...answers.flat());
      scrapes.push(await get(url, '/metrics', PASSWORD));
    }
    const ms = performance.now() - started;
    const checked = guesses.filter((status) => status === 401).length;
    const refused = guesses.filter((status) => status === 429).length;
    console.log(
      `case 7: 2,500 guesses from 250 addresses in ${ms.toFixed(0)} ms: ${checked} checked, ${refused} refused unchecked; ${scrapes.filter((s) => s === 200).length} of ${scrapes.length} scrapes from 127.0.0.1 answered 200`,
    );
    expect(checked + refused).toBe(2500);
    expect(checked).toBeLessThanOrEqual(100);
    expect(scrapes.every((status) => status === 200)).toBe(true);
    expect(await get(url, '/api/status', PASSWORD)).toBe(200);
    // A new address is refused meanwhile, even with the right password: the limit is on guesses.
    expect(await get(url, '/api/status', PASSWORD, '127.0.9.9')).toBe(429);
    // Every failure and every refusal is counted (in getMonitoringStatus().dashboard.logins).
    expect(server.logins()).toEqual({ failed: 12 + checked, refused: refused + 1 });
  });
});
