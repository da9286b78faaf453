/**
 * An incident's triage history proved from the real ledger after the fact: every step taken
 * through the API is an `action` leaf, and an auditor holding only the log's public key can
 * check each one, offline, after the node has stopped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApi, createToken, ledgerAuditLog, type VigilApi } from '../api/index.js';
import { Ledger, verifyBundle } from '../ledger/index.js';
import { SqliteStore } from '../store/index.js';
import { makeAlert, makeIncident } from './api-fixtures.js';
import { tempDir } from './helpers.js';

let tmp: { dir: string; cleanup: () => void };
let store: SqliteStore;
let ledger: Ledger;
let api: VigilApi;
let analyst: string;
let auditor: string;

async function gql(token: string, query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await api.fetch('http://vigil.test/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: any; errors?: unknown[] };
  expect(body.errors).toBeUndefined();
  return body.data;
}

beforeEach(async () => {
  tmp = tempDir('vigil-api-ledger-');
  store = SqliteStore.open({ dataDir: tmp.dir });
  ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger'), checkpointIntervalMs: 10 });
  api = createApi({ store, tokens: store, audit: ledgerAuditLog(ledger) });
  analyst = createToken(store, { name: 'alice', role: 'analyst', createdBy: 'test' }).token;
  auditor = createToken(store, { name: 'audrey', role: 'auditor', createdBy: 'test' }).token;
  const alerts = [makeAlert(1, { incidentId: 'INC-000001' }), makeAlert(2, { incidentId: 'INC-000001' })];
  store.saveDetectorOutput({ alerts, incidents: [makeIncident(1, alerts)] });
});

afterEach(async () => {
  await ledger.close().catch(() => {});
  store.close();
  tmp.cleanup();
});

describe('when an incident has been triaged and the node has stopped', () => {
  it('proves every step, with who, what, when, before and after, from the public key alone', async () => {
    await gql(analyst, 'mutation { acknowledgeIncident(id: "INC-000001", comment: "on it") { action { id } } }');
    await gql(analyst, 'mutation { assignIncident(id: "INC-000001", assignee: "bob") { action { id } } }');
    await gql(analyst, 'mutation { resolveIncident(id: "INC-000001", reason: FALSE_POSITIVE, comment: "test fleet") { action { id } } }');
    const history = store.actionsFor({ type: 'incident', id: 'INC-000001' });
    expect(history.map((h) => h.action)).toEqual(['incident.acknowledge', 'incident.assign', 'incident.resolve']);

    // After the fact: the node is gone; the ledger is reopened from its files, and the auditor
    // has only public.pem.
    await ledger.close();
    ledger = await Ledger.open({ dir: join(tmp.dir, 'ledger') });
    const publicKey = readFileSync(join(tmp.dir, 'ledger', 'public.pem'), 'utf8');
    for (const step of history) {
      const bundle = await ledger.proveById(step.id);
      const result = verifyBundle(JSON.parse(JSON.stringify(bundle)), publicKey);
      expect(result.ok, result.reason).toBe(true);
      expect(bundle.entry.type).toBe('action');
      expect(bundle.entry.ts).toBe(step.ts);
      expect(bundle.entry.body).toMatchObject({ id: step.id, actor: 'alice', role: 'analyst', action: step.action, target: { type: 'incident', id: 'INC-000001' } });
      expect(bundle.entry.body['before']).toEqual(step.before);
      expect(bundle.entry.body['after']).toEqual(step.after);
      expect(bundle.leafIndex).toBe(step.ledgerIndex);
    }
    const resolved = await ledger.proveById(history[2]!.id);
    expect(resolved.entry.body['after']).toMatchObject({ status: 'resolved', resolution: { reason: 'false_positive', comment: 'test fleet', by: 'alice' } });
  });

  it('detects a rewritten history: a changed resolution no longer verifies', async () => {
    await gql(analyst, 'mutation { resolveIncident(id: "INC-000001", reason: TRUE_POSITIVE) { action { id } } }');
    const [step] = store.actionsFor({ type: 'incident', id: 'INC-000001' });
    const bundle = JSON.parse(JSON.stringify(await ledger.proveById(step!.id))) as { entry: { body: { after: { resolution: { reason: string } } } } };
    bundle.entry.body.after.resolution.reason = 'false_positive';
    const result = verifyBundle(bundle, ledger.publicKeyPem);
    expect(result.ok).toBe(false);
    expect(result.reason).toMatch(/^(entry|inclusion)/);
  });
});

describe('through the API', () => {
  it('lets an auditor fetch each step\'s evidence and verify it', async () => {
    await gql(analyst, 'mutation { acknowledgeIncident(id: "INC-000001") { action { id } } }');
    const data = await gql(auditor, '{ incident(id: "INC-000001") { history { id action evidence { leafIndex leafHash checkpoint { size root signature } json } } } ledgerStatus { size publicKey latestCheckpoint { size } } }');
    const step = data.incident.history[0];
    expect(step.evidence.checkpoint.size).toBeGreaterThan(step.evidence.leafIndex);
    expect(data.ledgerStatus.publicKey).toMatch(/BEGIN PUBLIC KEY/);
    const verified = await gql(auditor, 'query($b: JSON!) { verifyEvidence(bundle: $b) { ok steps { step outcome } } }', { b: step.evidence.json });
    expect(verified.verifyEvidence.ok).toBe(true);
    expect(verified.verifyEvidence.steps.map((s: { step: string }) => s.step)).toEqual(['bundle', 'entry', 'inclusion', 'checkpoint', 'cosignatures']);
    const evidence = await gql(auditor, `{ evidence(id: "${step.id}") { entry } missing: evidence(id: "nope") { leafIndex } }`);
    expect(evidence.evidence.entry.body.action).toBe('incident.acknowledge');
    expect(evidence.missing).toBeNull();
  });
});
