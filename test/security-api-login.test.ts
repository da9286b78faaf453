/**
 * Failed token checks limited per client address, on a real node over TCP: past
 * `authFailLimit` failures in the window, the address is answered 429 with Retry-After —
 * even with a valid token, which is not even looked at — while another address (here: the
 * in-process API, which has none) is served; the refusals are counted in /metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir } from './helpers.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('failed logins from one address', () => {
  it('are refused 429 with Retry-After past the limit, counted in /metrics, and other callers are served', async () => {
    const tmp = tempDir('vigil-login-');
    const node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0, limits: { authFailLimit: 3, authFailWindowMs: 60_000 } } }), { logger: silentLogger() });
    cleanups.push(tmp.cleanup, () => node.stop());
    const { token } = createToken(node.store, { name: 'analyst', role: 'analyst', createdBy: 'test' });
    const ask = (bearer: string) =>
      fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${bearer}` }, body: JSON.stringify({ query: '{ incidents(first: 1) { totalCount } }' }) });

    expect((await ask(token)).status).toBe(200);
    for (let i = 0; i < 3; i++) {
      const r = await ask(`vgl_guess${i}`);
      expect(r.status).toBe(401);
      expect(r.headers.get('retry-after')).toBeNull();
    }
    const limited = await ask('vgl_guess3');
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThanOrEqual(1);
    expect(wait).toBeLessThanOrEqual(60);
    expect(((await limited.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
    // A right token from the same address waits too: the guesser learns nothing from the answer.
    expect((await ask(token)).status).toBe(429);
    // The in-process API (no peer address) is not limited by it.
    const inProcess = await node.analysis!.api.fetch('http://vigil.test/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query: '{ incidents(first: 1) { totalCount } }' }) });
    expect(inProcess.status).toBe(200);

    const metrics = await (await fetch(`${node.url}/metrics`)).text();
    expect(metricValue(metrics, 'vigil_api_auth_failed_total', { reason: 'invalid' })).toBe(3);
    expect(metricValue(metrics, 'vigil_api_auth_failed_total', { reason: 'address_limited' })).toBe(2);
    expect(metricValue(metrics, 'vigil_api_auth_failed_total', { reason: 'expired' })).toBe(0);
  }, 60_000);
});
