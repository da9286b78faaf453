import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { SqliteStore } from '../store/index.js';
import { tempDir } from './helpers.js';

/** POST /ingest takes only JSON and NDJSON content types (collectors/http). */
const NDJSON = { 'Content-Type': 'application/x-ndjson' };

const RULE = `
title: Test rule, door opened by the admin account
id: 0b4f6a2e-1c1d-4c55-9a1e-6a7f1d2b9c01
status: experimental
logsource: { product: vigil, category: authentication }
detection:
  selection: { user.name: admin, event.outcome: success }
  condition: selection
level: medium
`;

async function gql(node: VigilNode, token: string, query: string, variables: Record<string, unknown> = {}) {
  const res = await fetch(`${node.url}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const json = (await res.json()) as { data?: Record<string, unknown>; errors?: Array<{ message: string }> };
  if (json.errors) throw new Error(json.errors.map((e) => e.message).join('; '));
  return json.data!;
}

describe('the wired node', () => {
  const tmp = tempDir();
  let node: VigilNode | undefined;
  afterEach(async () => {
    await node?.stop();
    node = undefined;
  });

  it('keeps rules, exceptions and disabled rules set through the API across a restart', async () => {
    const config = resolveConfig({ dataDir: tmp.dir, api: { port: 0 } });
    node = await VigilNode.start(config, { logger: silentLogger() });
    const { token } = createToken(node.store, { name: 'root', role: 'admin', createdBy: 'test' });
    const added = (await gql(node, token, 'mutation($s: String!) { addRule(source: $s) { item { id enabled } } }', { s: RULE })) as { addRule: { item: { id: string } } };
    const ruleId = added.addRule.item.id;
    await gql(node, token, 'mutation($i: ExceptionInput!) { addException(input: $i) { item { id } } }', { i: { rule: ruleId, entity: 'D-1', reason: 'maintenance door' } });
    const starter = ((await gql(node, token, '{ rules(kind: RULE) { id title enabled } }')) as { rules: Array<{ id: string; title: string }> }).rules.find((r) => r.id !== ruleId)!;
    await gql(node, token, 'mutation($id: ID!) { disableRule(id: $id, reason: "too noisy") { item { enabled } } }', { id: starter.id });
    await node.stop();

    node = await VigilNode.start(config, { logger: silentLogger() });
    const after = (await gql(node, token, '{ rules { kind id enabled spec } }')) as { rules: Array<{ kind: string; id: string; enabled: boolean; spec: Record<string, unknown> }> };
    expect(after.rules.find((r) => r.id === ruleId)?.enabled).toBe(true);
    expect(after.rules.find((r) => r.id === starter.id)?.enabled).toBe(false);
    const exceptions = after.rules.filter((r) => r.kind === 'EXCEPTION');
    expect(exceptions).toHaveLength(1);
    expect(exceptions[0]?.spec).toMatchObject({ rule: ruleId, entity: 'D-1' });
  }, 60_000);

  it('answers /graphql only with a token, and every event it stores becomes a ledger leaf', async () => {
    node = await VigilNode.start(resolveConfig({ dataDir: tempDir().dir, api: { port: 0 } }), { logger: silentLogger() });
    expect((await fetch(`${node.url}/graphql`, { method: 'POST', body: '{}' })).status).toBe(401);
    const now = Date.now();
    const body = Array.from({ length: 50 }, (_, i) => JSON.stringify({ kind: 'auth', device: 'D-9', ts: now - 1000 + i, user: `u${i}`, outcome: 'failure' })).join('\n');
    const res = (await (await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON })).json()) as { results: Array<{ id: string }> };
    const ledger = node.analysis!.ledger;
    for (const r of res.results) expect(await ledger.indexOf(r.id)).toBeTypeOf('number');
    const bundle = await ledger.proveById(res.results[7]!.id);
    expect(bundle.entry.body).toMatchObject({ id: res.results[7]!.id, kind: 'auth', entity: 'D-9' });
  }, 60_000);

  it('restarts when retention has removed the events the ledger logged last, and logs what follows', async () => {
    const dir = tempDir().dir;
    const config = resolveConfig({ dataDir: dir, api: { port: 0 }, store: { retentionDays: 1 } });
    node = await VigilNode.start(config, { logger: silentLogger() });
    // Imported history: event time two days back, so retention removes it within the hour.
    const old = Date.now() - 2 * 86_400_000;
    const body = Array.from({ length: 20 }, (_, i) => JSON.stringify({ kind: 'auth', device: 'D-1', ts: old + i, user: `u${i}`, outcome: 'failure' })).join('\n');
    expect((await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON })).status).toBe(200);
    // read at stop: the detector's alerts on these events reach the ledger after their commit
    const analysis = node.analysis!;
    await node.stop();
    const logged = analysis.ledger.size;
    node = undefined;
    const store = SqliteStore.open({ dataDir: dir, retentionDays: 1 });
    expect(store.applyRetention().events).toBe(20);
    store.close();

    const warnings: string[] = [];
    const logger = { ...silentLogger(), warn: (obj: unknown, msg?: string) => void warnings.push(`${msg ?? ''} ${JSON.stringify(obj)}`) } as ReturnType<typeof silentLogger>;
    node = await VigilNode.start(config, { logger });
    expect(warnings.join('\n')).toMatch(/no longer in the store/);
    expect(node.analysis!.ledger.size).toBe(logged); // nothing appended twice
    const fresh = JSON.stringify({ kind: 'auth', device: 'D-2', ts: Date.now(), user: 'x', outcome: 'success' });
    const res = (await (await fetch(`${node.url}/ingest`, { method: 'POST', body: fresh, headers: NDJSON })).json()) as { results: Array<{ id: string }> };
    expect(await node.analysis!.ledger.indexOf(res.results[0]!.id)).toBe(logged);
  }, 60_000);

  it('starts without a saved model it cannot use, says why, and ingests', async () => {
    const dir = tempDir().dir;
    mkdirSync(join(dir, 'model'), { recursive: true });
    writeFileSync(join(dir, 'model', 'model.json'), '{"format":"vigil-model/1","families":{}}');
    const errors: string[] = [];
    const logger = { ...silentLogger(), error: (obj: unknown, msg?: string) => void errors.push(`${msg ?? ''} ${JSON.stringify(obj)}`) } as ReturnType<typeof silentLogger>;
    node = await VigilNode.start(resolveConfig({ dataDir: dir, api: { port: 0 } }), { logger });
    expect(errors.join('\n')).toMatch(/saved model cannot be used/);
    expect(node.analysis!.detector.modelInfo).toBeUndefined();
    const body = JSON.stringify({ kind: 'auth', device: 'D-3', ts: Date.now(), user: 'x', outcome: 'failure' });
    expect((await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: NDJSON })).status).toBe(200);
  }, 60_000);
});
