/**
 * `vehiclePositions`, the map's first screen (issue 19): each vehicle's newest report and its
 * summary through the whole GraphQL path and the read thread, paged by id, with its own
 * bound on the page (a position is a handful of scalars, so a page may be larger than the
 * API's 100, but not unbounded).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken, type VigilApi } from '../api/index.js';
import { MAX_PAGE, SqliteStore } from '../store/index.js';
import { bsm, reputation, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;
let api: VigilApi;
let token: string;

const QUERY = `query ($first: Int, $after: String) { vehiclePositions(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id reputation flagged detectorFlagged eventId timestamp lat lon speed heading } } } }`;

async function ask(variables: Record<string, unknown>): Promise<{ data?: any; errors?: Array<{ extensions?: { code?: string } }> }> {
  const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query: QUERY, variables }) });
  return (await res.json()) as { data?: any };
}

beforeEach(async () => {
  tmp = tempDir('vigil-positions-');
  store = SqliteStore.open({ dataDir: tmp.dir });
  api = createApi({ store, tokens: store, limits: { rateLimit: 1_000_000 } });
  await api.readPool?.start();
  token = createToken(store, { name: 'authority', role: 'authority', createdBy: 'test' }).token;
});
afterEach(async () => {
  await api.readPool?.close();
  store.close();
  tmp.cleanup();
});

describe('vehiclePositions', () => {
  it("answers each vehicle's newest report with its flags, page by page, on the read thread", async () => {
    const events = [];
    for (let v = 0; v < 5; v++) for (let i = 0; i < 20; i++) events.push({ event: bsm(`V-${v}`, T0 + i * 1000, { lat: 1.3 + i / 1000, seq: i }), source: 'http', receivedAt: T0 + i * 1000 });
    store.writeBatch(events, []);
    store.saveDetectorOutput({ reputation: [0, 1, 2, 3, 4].map((v) => reputation(`V-${v}`, T0 + 19_000, v === 3 ? 0.1 : 0.9)) });
    const first = await ask({ first: 3 });
    expect(first.errors).toBeUndefined();
    const page = first.data.vehiclePositions;
    expect(page.edges.map((e: { node: { id: string } }) => e.node.id)).toEqual(['V-0', 'V-1', 'V-2']);
    expect(page.edges[0].node).toMatchObject({ lat: 1.319, lon: 103.8, speed: 13.4, heading: 87.5, reputation: 0.9, flagged: false });
    expect(new Date(page.edges[0].node.timestamp).getTime()).toBe(T0 + 19_000);
    const newest = store.searchEvents({ entity: 'V-0' }, { first: 1 }).edges[0]!.node.event.id;
    expect(page.edges[0].node.eventId).toBe(newest);
    expect(page.pageInfo.hasNextPage).toBe(true);
    const rest = (await ask({ first: 3, after: page.pageInfo.endCursor })).data.vehiclePositions;
    expect(rest.edges.map((e: { node: { id: string; flagged: boolean } }) => [e.node.id, e.node.flagged])).toEqual([['V-3', true], ['V-4', false]]);
    expect(rest.pageInfo.hasNextPage).toBe(false);
  });

  it('takes a page of up to the store cap in one answer and refuses a larger one', async () => {
    const events = [];
    for (let v = 0; v < MAX_PAGE + 5; v++) events.push({ event: bsm(`V-${String(v).padStart(5, '0')}`, T0 + v, { seq: v }), source: 'http', receivedAt: T0 + v });
    store.writeBatch(events, []);
    store.saveDetectorOutput({ reputation: events.map((e, v) => reputation(e.event.vigil.entity.id, T0 + v, 0.9)) });
    const full = await ask({});
    expect(full.errors).toBeUndefined();
    expect(full.data.vehiclePositions.edges).toHaveLength(MAX_PAGE);
    expect(full.data.vehiclePositions.pageInfo.hasNextPage).toBe(true);
    const refused = await ask({ first: MAX_PAGE + 1 });
    expect(refused.errors?.[0]?.extensions?.code).toBe('PAGE_TOO_LARGE');
  });
});
