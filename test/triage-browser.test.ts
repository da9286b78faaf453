/**
 * The analyst and the auditor at volume, in Debian's headless Chromium (playwright-core)
 * against a node started in this process: the query bar typed at four keys a second keeps
 * every key and lands in the URL; the queue survives opening and closing an incident; a
 * row's raw event JSON; grouping (by roadside unit, rule and entity) and sorting; bulk assign and resolve with one reason (each
 * incident its own ledger action); the case bundle downloaded from the incident page,
 * verified in the browser, and a tampered evidence document in it named. Screenshots at
 * 1440×900 go to test-artifacts/triage/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createToken } from '../api/index.js';
import type { VigilNode } from '../pipeline/node.js';
import { teleports } from './case-fixtures.js';
import { repoRoot, tempDir, waitFor } from './helpers.js';
import { chromiumFor, launchChromium, openPage, startPageNode } from './chromium.js';

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'triage');
const ROGUES = ['V-9001', 'V-9002', 'V-9003', 'V-9004'];
const RSU_OF: Record<string, string> = { 'V-9001': 'RSU-A', 'V-9002': 'RSU-A', 'V-9003': 'RSU-B', 'V-9004': 'RSU-B' };
const haveChromium = chromiumFor('triage browser test');

describe.skipIf(!haveChromium)('triage at volume and the case bundle, in headless Chromium', () => {
  let tmp: { dir: string; cleanup: () => void };
  let node: VigilNode;
  let browser: Browser;
  const tokens = { analyst: '', auditor: '' };
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    tmp = tempDir('vigil-triage-');
    node = await startPageNode(tmp.dir);
    tokens.analyst = createToken(node.store, { name: 'ana', role: 'analyst', createdBy: 'test' }).token;
    tokens.auditor = createToken(node.store, { name: 'audrey', role: 'auditor', createdBy: 'test' }).token;
    for (const v of ROGUES) {
      // Two roadside units hear the four: the queue groups by the unit that received the alerting messages.
      const body = teleports(v, 20).split('\n').map((l) => JSON.stringify({ ...(JSON.parse(l) as object), rsu: RSU_OF[v] })).join('\n');
      const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
      expect(await res.json()).toMatchObject({ accepted: 20 });
    }
    await waitFor(() => (node.store.countIncidentsMatching({}) >= ROGUES.length ? true : undefined), 30_000, 'four incidents');
    browser = await launchChromium();
  }, 90_000);
  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    tmp?.cleanup();
  });

  async function signIn(role: keyof typeof tokens): Promise<Page> {
    const page = await openPage(browser, problems, { label: role, downloads: true });
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${role}: ${m.text()}`);
    });
    await page.goto(`${node.url}/`, { timeout: 90_000 });
    await page.getByLabel('API token').fill(tokens[role]);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  const shot = (page: Page, name: string) => page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });

  it('queries, keeps the queue in the URL, bulk-triages, and proves the case in the browser', { timeout: 240_000 }, async () => {
    const analyst = await signIn('analyst');
    const rows = analyst.locator('table[aria-label="Incidents"] tbody tr[data-incident]');
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(ROGUES.length);
    await analyst.getByRole('status', { name: 'Live updates: live' }).waitFor();

    // Four keys a second, while the live stream and the clock re-render the page.
    const query = analyst.getByLabel('Query');
    await query.click();
    await analyst.keyboard.type('entity:V-9003', { delay: 250 });
    expect(await query.inputValue()).toBe('entity:V-9003');
    await expect.poll(() => analyst.url()).toContain('q=entity%3AV-9003');
    await expect.poll(() => rows.count()).toBe(1);
    expect(await rows.first().getAttribute('data-incident')).toBeTruthy();
    await shot(analyst, '01-queue-query.png');

    // Open the incident: raw event JSON, the case bundle; back to the queue as it was.
    await rows.first().getByRole('link').click();
    await analyst.getByRole('heading', { level: 1, name: /Vehicle V-9003/ }).waitFor();
    await analyst.getByRole('button', { name: /^Raw event / }).first().click();
    const flyout = analyst.getByRole('dialog', { name: /Raw event/ });
    await flyout.waitFor();
    expect(await flyout.locator('pre').textContent()).toMatch(/"id": "V-9003"[\s\S]*"speed": 12/);
    await shot(analyst, '02-incident-raw-event.png');
    await flyout.getByRole('button', { name: 'Close' }).click();
    await analyst.getByLabel('Assignee').fill('carol');
    await analyst.getByRole('button', { name: 'Assign' }).click();
    await analyst.getByRole('list', { name: 'Timeline' }).getByText(/assign to carol/).waitFor();
    const casePath = join(ARTIFACTS, 'case-bundle.json');
    await expect
      .poll(async () => {
        const [download] = await Promise.all([analyst.waitForEvent('download', { timeout: 5_000 }).catch(() => undefined), analyst.getByRole('button', { name: /Download case bundle/ }).click()]);
        if (!download) return false;
        await download.saveAs(casePath);
        return (JSON.parse(readFileSync(casePath, 'utf8')) as { missing: unknown[] }).missing.length === 0;
      }, { timeout: 30_000 })
      .toBe(true);
    await shot(analyst, '03-incident.png');
    await analyst.getByRole('link', { name: '← Incidents' }).first().click();
    await expect.poll(() => analyst.url()).toContain('q=entity%3AV-9003');
    expect(await analyst.getByLabel('Query').inputValue()).toBe('entity:V-9003');
    await expect.poll(() => rows.count()).toBe(1);

    // Clear the query; group by entity; sort by alert count; select all; one reason for all.
    await analyst.getByLabel('Query').fill('');
    await analyst.getByLabel('Query').press('Enter');
    await expect.poll(() => rows.count()).toBe(ROGUES.length);
    // Group by roadside unit, then by rule, each in the URL and surviving a reload.
    await analyst.getByLabel('Group by').selectOption('rsu');
    const groups = analyst.locator('tr.group-row');
    await expect.poll(async () => (await groups.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-group')))).sort()).toEqual(['RSU-A', 'RSU-B']);
    await expect.poll(() => analyst.url()).toContain('group=rsu');
    await analyst.reload();
    await expect.poll(() => groups.count()).toBe(2);
    expect(await analyst.getByLabel('Group by').inputValue()).toBe('rsu');
    for (const v of ROGUES) expect(await rows.filter({ hasText: v }).textContent()).toContain(`via ${RSU_OF[v]}`);
    await shot(analyst, '04a-queue-by-rsu.png');
    const firstRules = new Set(node.store.searchIncidents({}, { first: 10 }).edges.map((e) => e.node.incident.severityBasis?.detectors[0]));
    expect(firstRules.has(undefined)).toBe(false);
    await analyst.getByLabel('Group by').selectOption('rule');
    await expect.poll(async () => (await groups.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-group')))).sort()).toEqual([...firstRules].sort());
    await expect.poll(() => analyst.url()).toContain('group=rule');
    // Each rule's heading names it by its title, as the rule book has it.
    const book = (await (await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${tokens.analyst}` }, body: JSON.stringify({ query: '{ rules { id title } }' }) })).json()) as { data: { rules: Array<{ id: string; title: string }> } };
    const titles = new Map(book.data.rules.map((r) => [r.id, r.title]));
    for (const id of firstRules) if (titles.has(id!)) await expect.poll(() => analyst.locator(`tr.group-row[data-group="${id}"]`).textContent()).toContain(titles.get(id!)!);
    expect([...firstRules].some((id) => titles.has(id!))).toBe(true);
    await shot(analyst, '04b-queue-by-rule.png');
    await analyst.getByLabel('Group by').selectOption('entity');
    await expect.poll(() => analyst.locator('tr.group-row').count()).toBe(ROGUES.length);
    await analyst.getByRole('button', { name: 'Alerts' }).click();
    await expect.poll(() => analyst.locator('th[aria-sort="descending"]').textContent()).toMatch(/^Alerts/);
    await expect.poll(() => analyst.url()).toMatch(/group=entity.*sort=ALERT_COUNT|sort=ALERT_COUNT.*group=entity/);
    await analyst.getByLabel('Select all shown').check();
    const bulk = analyst.getByRole('region', { name: 'Bulk triage' });
    await bulk.getByText(`${ROGUES.length} selected`).waitFor();
    await bulk.getByLabel('Bulk reason').fill('test fleet on the night shift');
    await bulk.getByLabel('Bulk assignee').fill('bob');
    await shot(analyst, '04-queue-grouped-bulk.png');
    await bulk.getByRole('button', { name: 'Assign' }).click();
    await analyst.getByText(`${ROGUES.length} recorded in the ledger`).waitFor();
    await analyst.getByLabel('Select all shown').check();
    await bulk.getByLabel('Bulk reason').fill('test fleet on the night shift');
    await bulk.getByLabel('Bulk resolution').selectOption('FALSE_POSITIVE');
    await bulk.getByRole('button', { name: 'Resolve' }).click();
    await analyst.getByText(`${ROGUES.length} recorded in the ledger`).waitFor();
    await expect.poll(() => analyst.locator('tbody .badge.status-resolved').count()).toBe(ROGUES.length);
    await shot(analyst, '05-queue-resolved.png');
    // Each incident got its own ledger actions, each with the one reason.
    for (const p of node.store.searchIncidents({}, { first: 10 }).edges) {
      const acts = node.store.actionsFor({ type: 'incident', id: p.node.incident.id }).filter((a) => a.comment === 'test fleet on the night shift');
      expect(acts.map((a) => a.action)).toEqual(['incident.assign', 'incident.resolve']);
      expect(acts.every((a) => a.ledgerIndex !== undefined)).toBe(true);
    }

    // Warm loads of the queue: reload and wait for the rows (what a person waits for).
    const loads: number[] = [];
    for (let i = 0; i < 5; i++) {
      const t = Date.now();
      await analyst.reload();
      await rows.first().waitFor();
      loads.push(Date.now() - t);
    }
    console.log(`queue page, warm reload to rows shown (${node.store.countEventsMatching({})} events stored): ${loads.join(', ')} ms`);

    // --- the auditor verifies the case in the browser, then a tampered evidence document ---
    const auditor = await signIn('auditor');
    await auditor.getByRole('link', { name: 'Verify evidence' }).click();
    await expect.poll(() => auditor.getByLabel('Log public key (PEM, hex or base64)').inputValue()).toContain('BEGIN PUBLIC KEY');
    await auditor.getByLabel('Evidence bundle file').setInputFiles(casePath);
    const verdict = auditor.getByRole('heading', { level: 2, name: /Verified|Not verified/ });
    await expect.poll(() => verdict.textContent(), { timeout: 30_000 }).toBe('✓ Verified');
    expect(await auditor.locator('.step-failed').count()).toBe(0);
    await auditor.getByText(/Evidence events: each document hashes/).waitFor();
    await shot(auditor, '06-verify-case-ok.png');

    const bundle = JSON.parse(readFileSync(casePath, 'utf8')) as { parts: Array<{ role: string; id: string; document?: { vigil: { vehicle: { speed: number } } } }> };
    const part = bundle.parts.find((p) => p.role === 'evidence')!;
    part.document!.vigil.vehicle.speed += 1;
    await auditor.getByLabel('Bundle JSON').fill(JSON.stringify(bundle, null, 2));
    await auditor.getByRole('button', { name: 'Verify', exact: true }).click();
    await expect.poll(() => verdict.textContent(), { timeout: 30_000 }).toBe('✗ Not verified');
    await auditor.getByText(new RegExp(`Why:.*evidence ${part.id}: the event document hashes to`)).waitFor();
    await shot(auditor, '07-verify-case-tampered.png');
    expect(problems).toEqual([]);
  });
});
