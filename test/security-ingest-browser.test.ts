/**
 * Issue 16's CSRF probe in a real browser: a page on another origin that auto-submits a form
 * to the node's `/ingest` (text/plain, crafted so the body is a valid BSM line), and posts
 * with fetch() as a simple request and as a preflighted one, must store nothing.
 */
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { metricValue, tempDir, waitFor } from './helpers.js';
import { chromiumFor, launchChromium } from './chromium.js';

const haveChromium = chromiumFor('cross-origin ingest browser test');

/** The attacker's page: a form whose text/plain body reads as one NDJSON BSM line, submitted on load, and two fetches. */
function evilPage(ingest: string): string {
  const line = JSON.stringify({ kind: 'bsm', vehicle: 'V-0001', ts: Date.now() - 1000, lat: 1.35, lon: 103.82, speed: 90, heading: 0, seq: 1, rsu: 'RSU-01' });
  // text/plain form encoding sends name=value: a log line whose message absorbs the '=' is valid input.
  const name = JSON.stringify({ kind: 'log', host: 'gw-1', ts: Date.now() - 1000, message: 'forged' }).slice(0, -2);
  return `<!doctype html><html><body>
<form id="f" method="POST" action="${ingest}" enctype="text/plain"><input type="hidden" name='${name.replace(/'/g, '&#39;')}' value='"}'></form>
<script>
  const body = ${JSON.stringify(line)};
  Promise.allSettled([
    fetch(${JSON.stringify(ingest)}, { method: 'POST', mode: 'no-cors', body: new Blob([body]) }),
    fetch(${JSON.stringify(ingest)}, { method: 'POST', mode: 'no-cors', body, headers: { 'Content-Type': 'text/plain' } }),
    fetch(${JSON.stringify(ingest)}, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } }),
  ]).then(() => { document.title = 'fetched'; document.getElementById('f').submit(); });
</script></body></html>`;
}

describe.skipIf(!haveChromium)('a page on another origin posting to /ingest in headless Chromium', () => {
  let node: VigilNode;
  let cleanup: () => void;
  let evil: Server;
  let browser: Browser;

  beforeAll(async () => {
    const tmp = tempDir();
    cleanup = tmp.cleanup;
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 } }), { logger: silentLogger() });
    const ingest = `${node.url}/ingest`;
    // Another origin: another port on another loopback name.
    evil = createServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end(evilPage(ingest)));
    await new Promise<void>((r) => evil.listen(0, '127.0.0.1', () => r()));
    browser = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    evil?.close();
    await node?.stop();
    cleanup?.();
  });

  it('stores nothing from the auto-submitted form or the fetches, and counts each refusal', async () => {
    const page = await browser.newPage();
    const port = (evil.address() as { port: number }).port;
    // localhost and 127.0.0.1 are different origins (RFC 6454): the page is not the node's.
    const formDone = page.waitForRequest((r) => r.url().endsWith('/ingest') && r.method() === 'POST' && (r.headers()['content-type'] ?? '').startsWith('text/plain') && r.resourceType() === 'document', { timeout: 20_000 });
    await page.goto(`http://localhost:${port}/`);
    await formDone;
    await page.waitForLoadState('load').catch(() => undefined);
    const metrics = await waitFor(
      async () => {
        const text = await node.metrics.registry.metrics();
        const refused = ['cross-origin', 'content-type'].reduce((n, reason) => n + metricValue(text, 'vigil_ingest_refused_total', { source: 'http', reason }), 0);
        // The form, the Blob fetch and the text/plain fetch reach the server; the preflighted one stops at OPTIONS.
        return refused >= 3 ? text : undefined;
      },
      20_000,
      'the browser requests to be refused',
    );
    expect(metricValue(metrics, 'vigil_ingest_refused_total', { source: 'http', reason: 'cross-origin' })).toBeGreaterThanOrEqual(3);
    expect(node.store.countEvents()).toBe(0);
    expect(node.store.countDeadLetters()).toBe(0);
    await page.close();
  }, 60_000);
});
