/** Issue 18 item 5 in process: the reputation filter, per-operation latency reports, GraphiQL off by default. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken, type VigilApi } from '../api/index.js';
import { SqliteStore } from '../store/index.js';
import { MemoryAuditLog, reputation, T0 } from './api-fixtures.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;
let api: VigilApi;
let token: string;
const operations: Array<{ type: string; name: string; ok: boolean; seconds: number }> = [];

async function gql(query: string): Promise<{ data?: Record<string, any>; errors?: Array<{ message: string; extensions?: { code?: string } }> }> {
  const res = await api.fetch('http://vigil.test/graphql', { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query }) });
  return (await res.json()) as never;
}

beforeEach(() => {
  tmp = tempDir('vigil-api-conv-');
  store = SqliteStore.open({ dataDir: tmp.dir, now: () => T0 });
  operations.length = 0;
  api = createApi({ store, tokens: store, audit: new MemoryAuditLog(), now: () => T0, onUnexpectedError: () => {}, onOperation: (o) => operations.push(o) });
  token = createToken(store, { name: 'analyst-1', role: 'analyst', createdBy: 'test' }).token;
  // Latest value counts: V-1 fell to 0.2, V-2 recovered to 0.7; V-3 sits at 0.49; D-1 is a device at 0.1.
  store.saveDetectorOutput({
    alerts: [],
    incidents: [],
    reputation: [reputation('V-1', T0, 0.9), reputation('V-1', T0 + 1, 0.2), reputation('V-2', T0, 0.1), reputation('V-2', T0 + 1, 0.7), reputation('V-3', T0, 0.49), { ...reputation('D-1', T0, 0.1), entity: { id: 'D-1', type: 'device' } }],
  });
});

afterEach(() => {
  store.close();
  tmp.cleanup();
});

describe('vehicles(reputationBelow:)', () => {
  it('filters on the latest reputation in the store, per entity type, and keeps pages full', async () => {
    const r = await gql('{ low: vehicles(reputationBelow: 0.5) { edges { node { id reputation } } } page: vehicles(reputationBelow: 0.5, first: 1) { edges { node { id } } pageInfo { hasNextPage } } devices(reputationBelow: 0.5) { edges { node { id } } } }');
    expect(r.errors).toBeUndefined();
    expect(r.data!['low'].edges.map((e: any) => e.node.id)).toEqual(['V-1', 'V-3']);
    expect(r.data!['page']).toEqual({ edges: [{ node: { id: 'V-1' } }], pageInfo: { hasNextPage: true } });
    expect(r.data!['devices'].edges).toEqual([{ node: { id: 'D-1' } }]);
  });

  it('refuses a bound outside [0, 1]', async () => {
    const r = await gql('{ vehicles(reputationBelow: 2) { edges { node { id } } } }');
    expect(r.errors?.[0]?.extensions?.code).toBe('BAD_INPUT');
  });
});

describe('onOperation', () => {
  it('reports each operation with its type, name and outcome', async () => {
    await gql('query Mine { me { name } }');
    await gql('{ vehicles(reputationBelow: 2) { edges { node { id } } } }');
    expect(operations.map(({ type, name, ok }) => ({ type, name, ok }))).toEqual([
      { type: 'query', name: 'Mine', ok: true },
      { type: 'query', name: 'anonymous', ok: false },
    ]);
    expect(operations.every((o) => o.seconds >= 0)).toBe(true);
  });
});
