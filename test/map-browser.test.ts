/**
 * The authority's map on a real city file: a hand-written OpenStreetMap extract
 * (test/fixtures/city-map.osm) imported with `vigil city import`, two roadside units added
 * as an operator would, a node started with `--city` on it (no simulator), traffic posted
 * to /ingest, and the map in headless Chromium: the imported roads drawn, zoom, clustering,
 * search, the replay slider with the detector's jumps marked, a stale vehicle faded, and
 * the map's city route refused without a token. Screenshots at 1440×900 go to
 * test-artifacts/map/.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, type Page } from 'playwright-core';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { repoRoot, tempDir, vigilBin, waitFor } from './helpers.js';
import { chromiumFor, launchChromium, openPage } from './chromium.js';

const ARTIFACTS = join(repoRoot, 'test-artifacts', 'map');
const FIXTURE = join(repoRoot, 'test', 'fixtures', 'city-map.osm');
const ROGUE = 'V-6666';
const STALE = 'V-0099';
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

function vigil(args: string[], cwd: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [vigilBin, ...args], { cwd, timeout: 60_000 }, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)));
  });
}

const haveChromium = chromiumFor('map browser test');

describe.skipIf(!haveChromium)('the map of an imported OSM city in headless Chromium', () => {
  const tmp = tempDir('vigil-map-');
  let node: VigilNode;
  let browser: Browser;
  let token = '';
  let roads = 0;
  const problems: string[] = [];

  beforeAll(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    const cityPath = join(tmp.dir, 'city.geojson');
    await vigil(['city', 'import', FIXTURE, '--out', cityPath, '--name', 'fixture district'], tmp.dir);
    const city = JSON.parse(readFileSync(cityPath, 'utf8')) as { features: Array<Record<string, unknown>> };
    roads = city.features.length;
    // OSM does not know roadside units: the operator adds theirs to the imported file.
    city.features.push(
      { type: 'Feature', properties: { kind: 'rsu', id: 'RSU-W', range_m: 300 }, geometry: { type: 'Point', coordinates: [-9.142, 38.718] } },
      { type: 'Feature', properties: { kind: 'rsu', id: 'RSU-E', range_m: 300 }, geometry: { type: 'Point', coordinates: [-9.1355, 38.7215] } },
    );
    writeFileSync(cityPath, JSON.stringify(city));
    node = await VigilNode.start(
      resolveConfig({
        dataDir: join(tmp.dir, 'data'),
        api: { port: 0 },
        demo: { enabled: false },
        detector: { city: cityPath },
        ledger: { checkpointIntervalMs: 200 },
        mqtt: { broker: { enabled: false } },
        syslog: { enabled: false },
      }),
      { logger: silentLogger() },
    );
    token = createToken(node.store, { name: 'authority one', role: 'authority', createdBy: 'test' }).token;
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await node?.stop();
    tmp.cleanup();
  });

  /** Twelve honest vehicles driving east on Avenida do Teste 40 m apart, one silent for minutes, one teleporting. */
  async function ingestTraffic(): Promise<void> {
    const now = Date.now();
    const lines: string[] = [];
    const metresPerDegLon = 111_320 * Math.cos((38.716 * Math.PI) / 180);
    for (let v = 0; v < 12; v++) {
      for (let i = 0; i < 5; i++) {
        const x = v * 40 + i * 10; // 10 m/s, one report a second
        lines.push(JSON.stringify({ kind: 'bsm', vehicle: `V-${String(v + 1).padStart(4, '0')}`, ts: now - 5000 + i * 1000, lat: 38.716, lon: -9.1438 + x / metresPerDegLon, speed: 10, heading: 90, seq: i, rsu: 'RSU-W' }));
      }
    }
    for (let i = 0; i < 3; i++) lines.push(JSON.stringify({ kind: 'bsm', vehicle: STALE, ts: now - 240_000 + i * 1000, lat: 38.716, lon: -9.1345, speed: 0, heading: 0, seq: i, rsu: 'RSU-E' }));
    // Teleporting: the two far corners of the district, half a second apart.
    for (let i = 0; i < 24; i++) {
      const west = i % 2 === 0;
      lines.push(JSON.stringify({ kind: 'bsm', vehicle: ROGUE, ts: now - 12_000 + i * 500, lat: west ? 38.716 : 38.7205, lon: west ? -9.144 : -9.134, speed: 12, heading: 90, seq: i, rsu: west ? 'RSU-W' : 'RSU-E' }));
    }
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: lines.join('\n'), headers: NDJSON });
    expect(await res.json()).toMatchObject({ rejected: 0 });
  }

  async function gql<T>(query: string): Promise<T> {
    const res = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
    return ((await res.json()) as { data: T }).data;
  }

  async function signIn(): Promise<Page> {
    const page = await openPage(browser, problems);
    page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
    await page.goto(`${node.url}/`);
    await page.getByLabel('API token').fill(token);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('button', { name: 'Sign out' }).waitFor();
    return page;
  }

  it('serves the imported city only to a signed-in user', async () => {
    expect((await fetch(`${node.url}/city.json`)).status).toBe(401);
    const res = await fetch(`${node.url}/city.json`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    const geo = (await res.json()) as { name: string; features: Array<{ properties: { kind: string; name?: string } }> };
    expect(geo.name).toBe('fixture district');
    expect(geo.features.filter((f) => f.properties.kind === 'rsu')).toHaveLength(2);
    expect(geo.features.map((f) => f.properties.name)).toContain('Rua Central');
  });

  it('draws the imported roads, clusters, finds and replays the teleporting vehicle with its jumps marked', { timeout: 120_000 }, async () => {
    await ingestTraffic();
    // The jumps are the detector's: wait until it has raised an alert on the rogue with evidence.
    await waitFor(async () => {
      const d = await gql<{ vehicle: { recentAlerts: Array<{ evidenceIds: string[] }> } | null }>(`{ vehicle(id: "${ROGUE}") { recentAlerts(first: 5) { evidenceIds } } }`);
      return d.vehicle && d.vehicle.recentAlerts.some((a) => a.evidenceIds.length > 0) ? true : undefined;
    }, 60_000, 'an alert on the teleporting vehicle');

    const page = await signIn();
    try {
      await mapFlow(page);
    } catch (err) {
      await page.screenshot({ path: join(ARTIFACTS, 'failure.png') });
      throw new Error(`${(err as Error).message}\nbrowser problems: ${problems.join('; ') || 'none'}`, { cause: err });
    }
  });

  async function mapFlow(page: Page): Promise<void> {
    const asked: string[] = [];
    page.on('request', (r) => r.url().endsWith('/graphql') && asked.push(r.postData() ?? ''));
    await page.getByRole('link', { name: 'Map', exact: true }).first().click();
    const map = page.getByRole('region', { name: /^City map: 14 vehicles/ });
    await map.waitFor();
    // The first screen is bounded: the vehicles' last positions in capped pages, no query per
    // vehicle and no track until one is focused (issue 19: loads stay fast at a city's volume).
    const firstScreen = asked.filter((b) => !b.includes('rogueNow'));
    const pages = firstScreen.filter((b) => b.includes('vehiclePositions')).map((b) => (JSON.parse(b) as { variables: { first: number } }).variables.first);
    expect(pages.length).toBeGreaterThan(0);
    for (const first of pages) expect(first).toBeLessThanOrEqual(1000);
    expect(firstScreen.filter((b) => /recentEvents|vehicles\(/.test(b))).toEqual([]);
    await expect.poll(() => page.locator('path.map-road').count()).toBe(roads);
    expect(await page.locator('path.map-rsu').count()).toBe(2);
    // Zoomed out, the vehicles 40 m apart on one street are drawn as clusters that count them.
    await page.getByRole('button', { name: 'Zoom out' }).click();
    await page.getByRole('button', { name: 'Zoom out' }).click();
    const cluster = page.locator('.map-cluster').first();
    await cluster.waitFor();
    const counted = (await page.locator('.map-cluster').allTextContents()).reduce((n, t) => n + Number(t), 0);
    expect(counted + (await page.locator('path.map-vehicle').count())).toBe(14);
    // The silent vehicle is drawn faded; the rogue one is not.
    const stale = page.locator('path.map-vehicle.stale');
    expect(await stale.count()).toBe(1);
    expect(Number(await stale.getAttribute('fill-opacity'))).toBeLessThan(0.5);
    await page.screenshot({ path: join(ARTIFACTS, '01-city.png') });

    // Zoom: clicking the cluster zooms in, and the vehicles come apart.
    const zoomBefore = await page.evaluate(() => document.querySelector('.leaflet-proxy')?.getAttribute('style') ?? '');
    await cluster.click();
    await expect.poll(() => page.evaluate(() => document.querySelector('.leaflet-proxy')?.getAttribute('style') ?? '')).not.toBe(zoomBefore);
    await page.getByRole('button', { name: 'Zoom in' }).click();
    await expect.poll(() => page.locator('path.map-vehicle').count()).toBeGreaterThan(6);
    await page.screenshot({ path: join(ARTIFACTS, '02-zoomed.png') });

    // Search, then replay: the slider walks the reported track; the detector's jumps are marked.
    await page.getByLabel('Find a vehicle').fill(ROGUE.toLowerCase());
    await page.getByRole('button', { name: 'Find' }).click();
    const slider = page.getByRole('slider');
    await slider.waitFor();
    const label = page.locator('label[for="replay-step"]');
    await expect.poll(() => label.textContent()).toMatch(new RegExp(`${ROGUE}: report 24 of 24.*[1-9]\\d* marked jump`));
    await expect.poll(() => page.locator('path.map-jump').count()).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, '03-replay-end.png') });
    const segments = page.locator('path.map-seg, path.map-jump');
    const atEnd = await segments.count();
    await slider.fill('2');
    await expect.poll(() => label.textContent()).toMatch(/report 3 of 24/);
    // 23 segments of the replayed track at its end, 2 at its third report; the others' stay.
    // The label is Preact's render and the segments Leaflet's, drawn in an effect after it: poll.
    await expect.poll(async () => atEnd - (await segments.count())).toBe(21);
    await page.screenshot({ path: join(ARTIFACTS, '04-replay-start.png') });

    // The rogue list is what is rogue now.
    const rogueList = page.getByRole('list', { name: 'Rogue vehicles' });
    await rogueList.getByRole('link', { name: ROGUE }).waitFor();
    expect(await rogueList.getByRole('link', { name: STALE }).count()).toBe(0);
    expect(problems).toEqual([]);
  }
});
