/**
 * The transport authority's flow in Debian's headless Chromium (playwright-core) against a
 * node started in this process: the rogue-now page lists two teleporting vehicles; on one
 * vehicle's page the authority overrules the detector (reason "known test vehicle"), the
 * decision shows with who, why and its ledger entry, and the vehicle leaves the rogue-now
 * list; another vehicle is flagged rogue by hand. Screenshots at 1440×900 go to
 * test-artifacts/authority/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createToken } from '../api/index.js';
import type { VigilNode } from '../pipeline/node.js';
import { teleports } from './case-fixtures.js';
import { repoRoot, tempDir, waitFor } from './helpers.js';
import { chromiumFor, launchChromium, openPage, startPageNode } from './chromium.js';

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'authority');
const haveChromium = chromiumFor('authority browser test');

describe.skipIf(!haveChromium)('the authority decides, in headless Chromium', () => {
  let tmp: { dir: string; cleanup: () => void };
  let node: VigilNode;
  let browser: Browser;
  let token = '';
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    tmp = tempDir('vigil-authority-browser-');
    node = await startPageNode(tmp.dir);
    token = createToken(node.store, { name: 'tara', role: 'authority', createdBy: 'test' }).token;
    for (const v of ['V-8101', 'V-8102']) {
      const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: teleports(v, 30), headers: { 'Content-Type': 'application/x-ndjson' } });
      expect(res.status).toBe(200);
    }
    await waitFor(() => (['V-8101', 'V-8102'].every((v) => (node.store.getEntity(v, 'vehicle')?.reputation ?? 1) < 0.3) ? true : undefined), 30_000, 'two rogue vehicles');
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    tmp?.cleanup();
  });

  async function signIn(): Promise<Page> {
    const page = await openPage(browser, problems);
    // A node without a simulator or city file answers /city.json with 404 by design (the map
    // then shows tracks only); any other failed request is a problem.
    page.on('response', (r) => {
      if (r.status() >= 400 && new URL(r.url()).pathname !== '/city.json') problems.push(`${r.status()} ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) problems.push(m.text());
    });
    await page.goto(`${node.url}/`, { timeout: 90_000 });
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }
  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  it('overrules a detector flag, flags another by hand, and the rogue-now list follows', { timeout: 180_000 }, async () => {
    const page = await signIn();
    await page.getByRole('link', { name: 'Rogue now' }).click();
    const rows = page.locator('table[aria-label="Rogue now"] tbody tr[data-vehicle]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(2);
    await shot(page, '01-rogue-now.png');

    await page.getByRole('link', { name: 'V-8101' }).click();
    await page.getByRole('heading', { level: 1, name: 'V-8101' }).waitFor();
    await page.getByText('rogue now', { exact: true }).waitFor();
    await page.getByLabel('Overrule because').selectOption('TEST_VEHICLE');
    await page.getByLabel('Why (written to the ledger)').fill('city fleet test car, plate on file');
    await page.getByRole('button', { name: 'Overrule detector' }).click();
    const decision = page.locator('ul.decisions li').first();
    await expect.poll(() => decision.textContent(), { timeout: 20_000 }).toMatch(/overruled \(test vehicle\) by tara at .* — “city fleet test car, plate on file” · \d+ alert\(s\) · ledger entry #\d+/);
    await page.getByText('not rogue now', { exact: true }).waitFor();
    await shot(page, '02-vehicle-overruled.png');

    await page.goto(`${node.url}/#/vehicle/V-8103`);
    await page.getByRole('heading', { level: 1, name: 'V-8103' }).waitFor();
    await page.getByLabel('Why (written to the ledger)').fill('stolen plates reported by police');
    await page.getByRole('button', { name: 'Flag rogue by hand' }).click();
    await expect.poll(() => page.locator('ul.decisions li').first().textContent(), { timeout: 20_000 }).toMatch(/flagged rogue by hand by tara/);

    await page.getByRole('link', { name: 'Rogue now' }).click();
    await expect.poll(async () => (await rows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-vehicle')))).sort(), { timeout: 20_000 }).toEqual(['V-8102', 'V-8103']);
    await page.getByRole('list', { name: 'Latest decisions' }).getByText(/V-8101/).waitFor();
    await shot(page, '03-rogue-now-after.png');

    // One definition: the map's rogue list and the vehicles page say what the rogue-now page says.
    await page.getByRole('link', { name: 'Map' }).first().click();
    const mapList = page.getByRole('list', { name: 'Rogue vehicles' });
    await expect.poll(async () => (await mapList.getByRole('link').allTextContents()).sort(), { timeout: 20_000 }).toEqual(['V-8102', 'V-8103']);
    const bound = node.analysis!.detector.reputation.options.flagBelow;
    await page.getByText(`reputation under ${bound} and heard in the last 2 min`).waitFor();
    await shot(page, '04-map-rogue-now.png');
    await page.goto(`${node.url}/#/vehicles`);
    const vehicleRows = page.locator('table[aria-label="Vehicles"] tbody tr.rogue');
    await expect.poll(async () => (await vehicleRows.evaluateAll((trs) => trs.map((t) => t.getAttribute('data-vehicle')))).sort(), { timeout: 20_000 }).toEqual(['V-8102', 'V-8103']);
    await page.getByText('2 rogue now').waitFor();
    await shot(page, '05-vehicles.png');
    expect(problems).toEqual([]);
  });
});
