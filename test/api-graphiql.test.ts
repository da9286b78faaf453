/**
 * GraphiQL (api.graphiql): off by default; on, served from the node's own assets under a
 * strict CSP, showing a sign-in until a token answers, then the editor — in headless
 * Chromium, with every request the page makes held to this origin and no CSP violation.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser } from 'playwright-core';
import { createToken, GRAPHIQL_CSP } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { tempDir } from './helpers.js';
import { chromiumFor, launchChromium } from './chromium.js';

const haveChromium = chromiumFor('GraphiQL browser test');


describe('GraphiQL', () => {
  const tmp = tempDir();
  let node: VigilNode;
  let browser: Browser | undefined;
  beforeAll(async () => {
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0, graphiql: true } }), { logger: silentLogger() });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    tmp.cleanup();
  });

  it('is not served unless api.graphiql is set', async () => {
    const off = await VigilNode.start(resolveConfig({ dataDir: tempDir().dir, api: { port: 0 } }), { logger: silentLogger() });
    try {
      expect((await fetch(`${off.url}/graphiql`)).status).toBe(404);
      expect((await fetch(`${off.url}/graphiql/graphiql.js`)).status).toBe(404);
    } finally {
      await off.stop();
    }
  }, 60_000);

  it('serves its page and assets locally with the strict policy, no inline script, nothing from a CDN', async () => {
    const res = await fetch(`${node.url}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toBe(GRAPHIQL_CSP);
    expect(GRAPHIQL_CSP).toMatch(/script-src 'self';/);
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|unpkg|jsdelivr|https?:\/\//);
    for (const path of ['/graphiql/graphiql.js', '/graphiql/graphiql.css', '/graphiql/boot.js', '/graphiql/worker-json.js']) expect((await fetch(`${node.url}${path}`)).status).toBe(200);
  });

  it.skipIf(!haveChromium)('asks for a token, then opens the editor on the token’s schema, in Chromium, with no request elsewhere and no CSP violation', async () => {
    browser = await launchChromium();
    const page = await (await browser.newContext()).newPage();
    const problems: string[] = [];
    const elsewhere: string[] = [];
    const authorised: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      const u = new URL(r.url());
      if (u.origin !== new URL(node.url).origin && u.protocol !== 'data:' && u.protocol !== 'blob:') elsewhere.push(r.url());
      if (u.pathname === '/graphql' && r.headers()['authorization']) authorised.push(r.postData() ?? '');
    });
    await page.goto(`${node.url}/graphiql`);
    await page.waitForSelector('#signin');
    await page.fill('#signin input', 'vgl_not-a-token');
    await page.click('#signin button');
    await page.waitForFunction(() => document.querySelector('#signin-message')?.textContent === 'That token was refused.');
    // The refused token's 401 is the browser's console error, expected here.
    problems.length = 0;
    const { token } = createToken(node.store, { name: 'analyst-g', role: 'analyst', createdBy: 'test' });
    await page.fill('#signin input', token);
    await page.click('#signin button');
    await page.waitForSelector('.graphiql-container', { timeout: 30_000 });
    // GraphiQL introspects the schema with the token once it is up.
    await page.waitForFunction(() => document.querySelectorAll('.graphiql-container').length > 0);
    await expect.poll(() => authorised.some((b) => b.includes('IntrospectionQuery') || b.includes('__schema')), { timeout: 20_000 }).toBe(true);
    expect(elsewhere).toEqual([]);
    expect(problems).toEqual([]);
  }, 90_000);
});
