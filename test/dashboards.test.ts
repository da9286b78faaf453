/**
 * The dashboards: how the node serves them (headers, routes), and one flow in a real
 * headless Chromium (Debian's, driven by playwright-core) against a node started in this
 * process — sign in per role, a rogue vehicle's incident arriving live, triage, the map,
 * and an evidence bundle verified in the browser, then failing with one byte altered.
 * Screenshots of each page go to test-artifacts/dashboards/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { repoRoot, tempDir } from './helpers.js';
import { chromiumFor, launchChromium } from './chromium.js';

/** POST /ingest takes only JSON and NDJSON content types (collectors/http). */
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'dashboards');
const ROGUE = 'V-6666';

async function startNode(demo: boolean): Promise<{ node: VigilNode; cleanup: () => Promise<void> }> {
  const tmp = tempDir('vigil-dash-');
  const node = await VigilNode.start(
    resolveConfig({
      dataDir: tmp.dir,
      api: { port: 0 },
      // A small, honest city: the simulator's traffic and roads, no simulated attacks, so the one rogue is ours.
      demo: { enabled: demo, vehicles: 12, devices: 0, attackRate: 0 },
      ledger: { checkpointIntervalMs: 200 },
      mqtt: { broker: { enabled: false } },
      syslog: { enabled: false },
    }),
    { logger: silentLogger() },
  );
  return {
    node,
    cleanup: async () => {
      await node.stop();
      tmp.cleanup();
    },
  };
}

describe('the node serving the dashboards', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ node, cleanup } = await startNode(false)));
  afterAll(() => cleanup());

  it('serves the page with a strict Content-Security-Policy and no inline script', async () => {
    const res = await fetch(`${node.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    const html = await res.text();
    // Every script has a src on this origin; nothing is loaded from elsewhere.
    expect(html.match(/<script[^>]*>/g)).toEqual(['<script type="module" src="/assets/app.js">']);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves the bundle (built on first request) and answers a repeat with 304', async () => {
    const js = await fetch(`${node.url}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    const body = await js.text();
    expect(body.length).toBeGreaterThan(10_000);
    const again = await fetch(`${node.url}/assets/app.js`, { headers: { 'If-None-Match': js.headers.get('etag')! } });
    expect(again.status).toBe(304);
    const css = await fetch(`${node.url}/assets/app.css`);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
  });

  describe('when mounted at /', () => {
    it('leaves the API, ingest and health routes to their owners', async () => {
      expect((await fetch(`${node.url}/graphql`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } })).status).toBe(401);
      expect(await (await fetch(`${node.url}/healthz`)).json()).toMatchObject({ status: 'ok' });
      expect((await fetch(`${node.url}/ingest`, { method: 'POST', body: '', headers: NDJSON })).status).not.toBe(404);
    });

    it('answers other paths with 404 and writes with 405', async () => {
      const missing = await fetch(`${node.url}/nothing-here`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
      expect((await fetch(`${node.url}/`, { method: 'POST', body: 'x' })).status).toBe(405);
    });
  });
});

const haveChromium = chromiumFor('dashboards browser test');

describe.skipIf(!haveChromium)('the dashboards in headless Chromium', () => {
  let node: VigilNode;
  let cleanup: () => Promise<void>;
  let browser: Browser;
  const tokens: Record<'analyst' | 'authority' | 'auditor', string> = { analyst: '', authority: '', auditor: '' };
  const problems: string[] = [];
  const pages: Array<[string, Page]> = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    ({ node, cleanup } = await startNode(true));
    for (const role of ['analyst', 'authority', 'auditor'] as const) {
      tokens[role] = createToken(node.store, { name: `${role} one`, role, createdBy: 'test' }).token;
    }
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await cleanup?.();
  });

  /** A fresh tab (its own sessionStorage) signed in with the role's token. */
  async function signIn(role: keyof typeof tokens, shot?: string): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 }, acceptDownloads: true });
    const page = await context.newPage();
    pages.push([role, page]);
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${role}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${role}: ${e.message}`));
    await page.goto(`${node.url}/`);
    await page.getByLabel('API token').fill(tokens[role]);
    if (shot) await page.screenshot({ path: join(ARTIFACTS, shot) });
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  /** Teleporting safety messages: two far corners of the city, half a second apart. */
  async function ingestRogue(): Promise<void> {
    const city = node.city!;
    const a = city.intersections[0]!;
    const b = city.intersections[city.intersections.length - 1]!;
    const nearest = (p: { lat: number; lon: number }) =>
      city.rsus.reduce((best, r) => (Math.hypot(r.lat - p.lat, r.lon - p.lon) < Math.hypot(best.lat - p.lat, best.lon - p.lon) ? r : best));
    const now = Date.now();
    const lines = Array.from({ length: 30 }, (_, i) => {
      const p = i % 2 ? a : b;
      return JSON.stringify({ kind: 'bsm', vehicle: ROGUE, ts: now - 15_000 + i * 500, lat: p.lat, lon: p.lon, speed: 12, heading: 90, seq: i, rsu: nearest(p).id });
    });
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: lines.join('\n'), headers: NDJSON });
    expect(await res.json()).toMatchObject({ accepted: 30, rejected: 0 });
  }

  it('takes a rogue vehicle from a live incident through triage, the map and a proof checked in the browser', { timeout: 90_000 }, async () => {
    try {
      await rogueVehicleFlow();
    } catch (err) {
      // What each tab showed when it failed, for whoever reads the CI log.
      for (const [role, page] of pages) await page.screenshot({ path: join(ARTIFACTS, `failure-${role}.png`), fullPage: true }).catch(() => undefined);
      throw err;
    }
  });

  async function rogueVehicleFlow(): Promise<void> {
    // --- analyst: the incident arrives without a reload --------------------------------
    const analyst = await signIn('analyst', '01-sign-in.png');
    await expect.poll(() => analyst.url()).toContain('#/incidents');
    const nav = analyst.getByRole('navigation', { name: 'Pages' });
    expect(await nav.getByRole('link').allTextContents()).toEqual(['Incidents']);
    await analyst.getByRole('status', { name: 'Live updates: live' }).waitFor();
    await analyst.evaluate(() => ((window as unknown as { notReloaded: boolean }).notReloaded = true));

    await ingestRogue();
    const row = analyst.getByRole('row', { name: new RegExp(ROGUE) });
    await row.waitFor({ timeout: 15_000 });
    expect(await analyst.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await expect.poll(() => row.getAttribute('class')).toContain('fresh');
    // The counts follow the live stream too.
    await analyst.getByRole('group', { name: 'Incident counts' }).getByRole('button', { name: '1 open' }).waitFor();
    await analyst.waitForTimeout(600); // let the counts and charts catch up before the picture
    await analyst.screenshot({ path: join(ARTIFACTS, '02-incidents-live.png') });

    // --- analyst: acknowledge, resolve ----------------------------------------------------
    await row.getByRole('link').click();
    await analyst.getByRole('heading', { level: 1, name: new RegExp(`Vehicle ${ROGUE}`) }).waitFor();
    const head = analyst.locator('.page-head');
    await analyst.getByRole('button', { name: 'Acknowledge' }).click();
    await head.getByText('acknowledged', { exact: true }).waitFor();
    await analyst.getByLabel('Comment').fill('Teleports between the corners of the city: a falsified position.');
    await analyst.getByLabel('Resolution reason').selectOption('TRUE_POSITIVE');
    await analyst.getByRole('button', { name: 'Resolve' }).click();
    await head.getByText('resolved', { exact: true }).waitFor();
    await analyst.getByRole('button', { name: 'Reopen' }).waitFor();
    const timeline = analyst.getByRole('list', { name: 'Timeline' });
    await timeline.getByText(/acknowledge/).waitFor();
    await timeline.getByText(/resolve as true positive — “Teleports/).waitFor();

    // The alert's evidence bundle, downloaded from the incident (the ledger checkpoints every 200 ms).
    const bundlePath = join(ARTIFACTS, 'evidence-bundle.json');
    const downloadButton = analyst.getByRole('button', { name: /Download evidence bundle for alert/ }).first();
    await expect
      .poll(
        async () => {
          const [download] = await Promise.all([analyst.waitForEvent('download', { timeout: 2_000 }).catch(() => undefined), downloadButton.click()]);
          if (!download) return false;
          await download.saveAs(bundlePath);
          return true;
        },
        { timeout: 15_000 },
      )
      .toBe(true);
    await analyst.screenshot({ path: join(ARTIFACTS, '03-incident-resolved.png'), fullPage: true });
    const bundleText = readFileSync(bundlePath, 'utf8');
    expect(JSON.parse(bundleText)).toMatchObject({ format: 'vigil-evidence/v1', entry: { type: 'alert', body: { entity: { id: ROGUE } } } });

    // --- transport authority: the vehicle is rogue in the list and on the map -------------
    const authority = await signIn('authority');
    expect(await authority.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Vehicles', 'Map', 'Rogue now']);
    const vrow = authority.locator(`tr[data-vehicle="${ROGUE}"]`);
    await vrow.waitFor();
    expect(await vrow.getAttribute('class')).toContain('rogue');
    await authority.getByRole('button', { name: 'Vehicle', exact: true }).click();
    expect(await authority.locator('th[aria-sort="ascending"]').textContent()).toMatch(/^Vehicle/);
    await authority.getByRole('button', { name: 'Reputation', exact: true }).click(); // lowest first
    expect(await authority.locator('tbody tr').first().getAttribute('data-vehicle')).toBe(ROGUE);
    await authority.screenshot({ path: join(ARTIFACTS, '04-vehicles.png') });

    await authority.getByRole('link', { name: 'Map', exact: true }).first().click();
    await authority.locator('path.map-vehicle.rogue').first().waitFor();
    expect(await authority.locator('path.map-road').count()).toBe(node.city!.roads.length);
    await authority.getByRole('button', { name: `Replay ${ROGUE}` }).click();
    await expect.poll(() => authority.locator('path.map-jump').count()).toBeGreaterThan(0);
    await authority.getByRole('list', { name: 'Rogue vehicles' }).getByRole('link', { name: ROGUE }).waitFor();
    await authority.screenshot({ path: join(ARTIFACTS, '05-map.png'), fullPage: true });

    // Flag and clear from the vehicle's page; both land in its history.
    await authority.getByRole('list', { name: 'Rogue vehicles' }).getByRole('link', { name: ROGUE }).click();
    await authority.getByRole('heading', { level: 1, name: ROGUE }).waitFor();
    await authority.getByLabel('Reason').fill('Teleporting: keep off the priority lanes');
    await authority.getByRole('button', { name: 'Flag vehicle' }).click();
    await authority.getByText('flagged by authority').first().waitFor();
    await authority.getByLabel('Reason').fill('Checked with the operator');
    await authority.getByRole('button', { name: 'Clear flag' }).click();
    await authority.getByText('cleared by authority').first().waitFor();
    await authority.getByText(/clear by authority one/).waitFor();
    await authority.getByRole('img', { name: new RegExp(`Reputation history of ${ROGUE}`) }).waitFor();
    await authority.screenshot({ path: join(ARTIFACTS, '06-vehicle.png'), fullPage: true });

    // --- auditor: the ledger, then the bundle verified in the browser ---------------------
    const auditor = await signIn('auditor');
    await expect.poll(() => auditor.url()).toContain('#/ledger');
    expect(await auditor.getByRole('navigation', { name: 'Pages' }).getByRole('link').allTextContents()).toEqual(['Ledger', 'Verify evidence']);
    await auditor.getByRole('heading', { name: 'Latest signed checkpoint' }).waitFor();
    await auditor.getByRole('button', { name: "Show for the newest alert's checkpoint" }).click();
    await auditor.getByText(/no witness has co-signed it|Witness/).first().waitFor();
    await auditor.screenshot({ path: join(ARTIFACTS, '07-ledger.png'), fullPage: true });

    await auditor.getByRole('link', { name: 'Verify evidence' }).click();
    await expect.poll(() => auditor.getByLabel('Log public key (PEM, hex or base64)').inputValue()).toContain('BEGIN PUBLIC KEY');
    await auditor.getByLabel('Evidence bundle file').setInputFiles(bundlePath);
    const verdict = auditor.getByRole('heading', { level: 2, name: /Verified|Not verified/ });
    await expect.poll(() => verdict.textContent()).toBe('✓ Verified');
    const steps = auditor.getByRole('list', { name: 'Verification steps' }).getByRole('listitem');
    expect(await steps.count()).toBe(5);
    expect(await auditor.locator('.step-failed').count()).toBe(0);
    await auditor.screenshot({ path: join(ARTIFACTS, '08-verify-ok.png'), fullPage: true });

    // One altered byte in the alert's title: the entry no longer hashes to the proven leaf.
    const at = bundleText.indexOf('"title": "') + '"title": "'.length;
    const tampered = bundleText.slice(0, at) + String.fromCharCode(bundleText.charCodeAt(at) ^ 1) + bundleText.slice(at + 1);
    expect(tampered.length).toBe(bundleText.length);
    await auditor.getByLabel('Bundle JSON').fill(tampered);
    await auditor.getByRole('button', { name: 'Verify', exact: true }).click();
    await expect.poll(() => verdict.textContent()).toBe('✗ Not verified');
    const failed = auditor.locator('.step-failed');
    expect(await failed.count()).toBe(1);
    expect(await failed.textContent()).toMatch(/Entry encodes to the leaf hash.*the entry hashes to [0-9a-f]{64}, but the bundle says/);
    await auditor.getByText(/Why:.*entry: the entry hashes to/).waitFor();
    await auditor.screenshot({ path: join(ARTIFACTS, '09-verify-tampered.png'), fullPage: true });

    // --- the API still decides: the auditor is not offered triage, and is refused it -------
    await auditor.goto(`${node.url}/#/incidents`);
    await auditor.getByText('The auditor role is not offered the incidents page.').waitFor();

    expect(problems).toEqual([]);
  }
});
