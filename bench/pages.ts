/**
 * Page-load benchmark (issue 19: "page loads stay under 300 ms warm with 1,000,000 events
 * stored"): the API benchmark's store (`fillStore`: 1,000,000 events, VIGIL_BENCH_API_EVENTS,
 * written with direct batched store writes, 10,000 incidents, 30,000 alerts), the real API
 * and dashboards handlers on a loopback port, and Debian's Chromium (playwright-core)
 * signed in as an admin. Each page is loaded `PAGE_ROUNDS` times after one cold load, with
 * a reload from the browser's cache (warm: the bundle is cached, every query runs again),
 * timed from the reload until the page's content is drawn:
 * - `page_incidents_warm_ms`: the incidents queue (its table or its empty state),
 * - `page_map_warm_ms`: the map (Leaflet container, the city's roads and the first page of
 *   first 200 vehicles' last positions drawn, from one `vehiclePositions` query; the rest, up
 *   to 2,000, follow in pages of 1,000),
 * - `page_vehicle_warm_ms`: one vehicle's page (its reputation history chart or empty note),
 * - `page_ledger_warm_ms`: the auditor's ledger page (no ledger here: its refusal is drawn).
 * Medians and the worst of the rounds. A shared machine distorts them: compare by ratios.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { createApi, createToken } from '../api/index.js';
import { cityGeoJson, roadNetwork } from '../collectors/index.js';
import { createDashboards } from '../dashboards/index.js';
import { authorityDesk } from '../pipeline/authority.js';
import { SqliteStore } from '../store/index.js';
import { fillStore } from './api.js';
import type { BenchContext, Figures } from './main.js';

const CHROMIUM = '/usr/bin/chromium';
const ROUNDS = Number(process.env['PAGE_ROUNDS'] ?? 15);

const PAGES: Array<{ name: string; hash: string; ready: string }> = [
  { name: 'incidents', hash: '#/incidents', ready: 'table.queue tbody tr, .queue-empty, p.empty' },
  { name: 'map', hash: '#/map', ready: '.leaflet-container path.map-vehicle, .leaflet-container .map-cluster' },
  { name: 'vehicle', hash: '#/vehicle/V-0042', ready: 'h1.mono' },
  { name: 'ledger', hash: '#/ledger', ready: '.error, h1' },
];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

export async function run(ctx: BenchContext): Promise<Figures> {
  if (!existsSync(CHROMIUM)) {
    ctx.progress(`pages: skipped, ${CHROMIUM} is missing`);
    return {};
  }
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-pages-'));
  const store = SqliteStore.open({ dataDir: dir });
  // The authority's desk as the node wires it (without a detector): the vehicle and map pages ask for `rogueDefinition`.
  const api = createApi({ store, tokens: store, limits: { rateLimit: Number.MAX_SAFE_INTEGER }, authority: authorityDesk(store, undefined, Date.now) });
  const dashboards = createDashboards();
  const city = JSON.stringify(cityGeoJson(roadNetwork(), 'bench'));
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.url?.startsWith('/graphql')) return void api.handler(req, res);
    if (req.url === '/city.json') return void res.writeHead(200, { 'Content-Type': 'application/geo+json', 'Cache-Control': 'private, max-age=3600' }).end(city);
    void dashboards.handler(req, res);
  });
  try {
    fillStore(store, ctx);
    await api.readPool?.start();
    const { token } = createToken(store, { name: 'bench', role: 'admin', createdBy: 'bench' });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    const figures: Figures = { page_events_stored: store.countEvents(), page_rounds: ROUNDS };
    try {
      const page = await (await browser.newContext({ viewport: { width: 1440, height: 900 } })).newPage();
      await page.goto(`${url}/`);
      await page.getByLabel('API token').fill(token);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('button', { name: 'Sign out' }).waitFor();
      for (const p of PAGES) {
        await page.goto(`${url}/${p.hash}`);
        await page.locator(p.ready).first().waitFor({ state: 'attached', timeout: 60_000 }); // cold: the bundle and the first queries
        const times: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          const t0 = performance.now();
          await page.reload();
          await page.locator(p.ready).first().waitFor({ state: 'attached', timeout: 60_000 });
          times.push(performance.now() - t0);
        }
        figures[`page_${p.name}_warm_ms`] = round(median(times));
        figures[`page_${p.name}_warm_max_ms`] = round(Math.max(...times));
        ctx.progress(`pages: ${p.name} warm median ${round(median(times))} ms, worst ${round(Math.max(...times))} ms`);
      }
    } finally {
      await browser.close();
    }
    return figures;
  } finally {
    server.close();
    await api.readPool?.close();
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
