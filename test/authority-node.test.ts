/**
 * The transport authority decides, on a real node (HTTP on a free port, SQLite, the ledger
 * on disk): an authority token overrules the detector's flag on a teleporting vehicle;
 * the decision is a ledger action that verifies, the vehicle's reputation recovers and it
 * leaves the rogue-now list; a hand flag puts another vehicle on it; an analyst is
 * refused; a restart keeps all of it.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { teleports } from './case-fixtures.js';
import { tempDir, vigilBin, waitFor } from './helpers.js';

interface GqlResult<T> {
  data?: T;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

/** A consistent track: 10 m/s east, one report a second. */
function honest(vehicle: string, n: number, start: number, seq0: number): string {
  return Array.from({ length: n }, (_, i) => JSON.stringify({ kind: 'bsm', vehicle, ts: start + i * 1000, lat: 1.35, lon: 103.8 + (i * 10) / 111_320, speed: 10, heading: 90, seq: seq0 + i })).join('\n');
}

describe('the authority overrules the detector on a running node', () => {
  const tmp = tempDir('vigil-authority-');
  let node: VigilNode;
  const tokens = { authority: '', analyst: '' };
  const config = () => resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ledger: { checkpointIntervalMs: 200 }, mqtt: { broker: { enabled: false } }, syslog: { enabled: false } });

  async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<GqlResult<T>> {
    const res = await fetch(`${node.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` }, body: JSON.stringify({ query, variables }) });
    return (await res.json()) as GqlResult<T>;
  }
  async function ok<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<T> {
    const r = await gql<T>(token, query, variables);
    if (r.errors) throw new Error(JSON.stringify(r.errors));
    return r.data!;
  }
  async function ingest(body: string): Promise<void> {
    const res = await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } });
    expect(res.status).toBe(200);
  }
  const rogueIds = async (): Promise<Record<string, string>> =>
    Object.fromEntries((await ok<{ rogueNow: Array<{ why: string; vehicle: { id: string } }> }>(tokens.authority, '{ rogueNow { why vehicle { id } } }')).rogueNow.map((r) => [r.vehicle.id, r.why]));
  const reputation = async (id: string): Promise<number | null> => (await ok<{ vehicle: { reputation: number | null } }>(tokens.authority, 'query ($id: ID!) { vehicle(id: $id) { reputation } }', { id })).vehicle.reputation;

  // What the detector (on its own thread by default) decides of the vehicle, as stored, once
  // it has scored more honest reports, which would lift a detector flag: the flag changing
  // would store a point with `flagged: false`.
  let seq = 1_000;
  const detectorKeepsFlagged = async (id: string): Promise<void> => {
    const flagged = async () => (await ok<{ vehicle: { detectorFlagged: boolean } }>(tokens.authority, 'query ($id: ID!) { vehicle(id: $id) { detectorFlagged } }', { id })).vehicle.detectorFlagged;
    await waitFor(async () => ((await flagged()) ? true : undefined), 20_000, `${id} flagged in the store`);
    await ingest(honest(id, 20, Date.now() - 25_000, (seq += 100)));
    await waitFor(() => ((node.analysis!.detectorThread?.pending ?? 0) === 0 ? true : undefined), 20_000, 'the detector thread caught up');
    expect(await flagged()).toBe(true);
  };

  const start = Date.now() - 60_000;
  let overruleActionId = '';

  beforeAll(async () => {
    node = await VigilNode.start(config(), { logger: silentLogger() });
    tokens.authority = createToken(node.store, { name: 'tara', role: 'authority', createdBy: 'test' }).token;
    tokens.analyst = createToken(node.store, { name: 'ana', role: 'analyst', createdBy: 'test' }).token;
    await ingest(teleports('V-7001', 30, start));
    await ingest(teleports('V-7002', 30, start));
    await waitFor(async () => ((await rogueIds())['V-7002'] && (await rogueIds())['V-7001'] ? true : undefined), 30_000, 'both teleporting vehicles rogue');
  }, 90_000);
  afterAll(async () => {
    await node?.stop();
    tmp.cleanup();
  });

  it('refuses an analyst, and writes nothing for the refusal', async () => {
    const before = node.analysis!.ledger.size;
    const r = await gql(tokens.analyst, 'mutation { overruleVehicle(id: "V-7001", reason: FALSE_POSITIVE, comment: "looks fine") { decision { id } } }');
    expect(r.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const flag = await gql(tokens.analyst, 'mutation { flagVehicleRogue(id: "V-7003", comment: "x") { decision { id } } }');
    expect(flag.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect((await ok<{ vehicle: { decisions: unknown[] } }>(tokens.authority, '{ vehicle(id: "V-7001") { decisions { id } } }')).vehicle.decisions).toEqual([]);
    expect(node.analysis!.ledger.size).toBe(before);
  });

  it('overrules: a ledger action that verifies, reputation recovers, the vehicle leaves the rogue-now list', async () => {
    const low = (await reputation('V-7001'))!;
    expect(low).toBeLessThan(0.3);
    const r = await ok<{ overruleVehicle: { decision: { id: string; decision: string; reason: string; by: string; alertIds: string[]; ledgerIndex: number }; action: { id: string; action: string; role: string; ledgerIndex: number } } }>(
      tokens.authority,
      'mutation { overruleVehicle(id: "V-7001", reason: TEST_VEHICLE, comment: "city fleet test car") { decision { id decision reason by alertIds ledgerIndex } action { id action role ledgerIndex } } }',
    );
    const { decision, action } = r.overruleVehicle;
    overruleActionId = action.id;
    expect(decision).toMatchObject({ id: action.id, decision: 'CLEAR', reason: 'TEST_VEHICLE', by: 'tara', ledgerIndex: action.ledgerIndex });
    expect(action).toMatchObject({ action: 'vehicle.overrule', role: 'AUTHORITY' });
    expect(decision.alertIds.length).toBeGreaterThan(0);

    const proof = await ok<{ evidence: { json: unknown; entry: { body: { action: string; target: { id: string }; after: { reason: string } } } } }>(tokens.authority, 'query ($id: ID!) { evidence(id: $id) { json entry } }', { id: action.id });
    expect(proof.evidence.entry.body).toMatchObject({ action: 'vehicle.overrule', target: { id: 'V-7001' }, after: { reason: 'test_vehicle' } });
    const verified = await ok<{ verifyEvidence: { ok: boolean } }>(tokens.authority, 'query ($b: JSON!) { verifyEvidence(bundle: $b) { ok } }', { b: proof.evidence.json });
    expect(verified.verifyEvidence.ok).toBe(true);

    const rogue = await rogueIds();
    expect(rogue['V-7001']).toBeUndefined();
    expect(rogue['V-7002']).toBe('REPUTATION');
    const cleared = (await reputation('V-7001'))!;
    expect(cleared).toBeGreaterThanOrEqual(0.5);

    // Honest reports afterwards raise it further at the ordinary rate; the flag stays off.
    await ingest(honest('V-7001', 20, start + 30_000, 100));
    await waitFor(async () => ((await reputation('V-7001'))! > cleared + 0.1 ? true : undefined), 20_000, 'V-7001 recovering');
    expect(node.analysis!.detector.reputation.isFlagged('V-7001')).toBe(false);
    const page = await ok<{ vehicle: { rogueNow: boolean; history: Array<{ id: string; action: string }> } }>(tokens.authority, '{ vehicle(id: "V-7001") { rogueNow history { id action } } }');
    expect(page.vehicle.rogueNow).toBe(false);
    expect(page.vehicle.history.map((h) => h.id)).toContain(action.id);
  });

  it('holds one definition of rogue: the detector flag bound, and a silent vehicle is history, not rogue now', async () => {
    const def = (await ok<{ rogueDefinition: { reputationBelow: number; flagAfterMs: number; silentAfterMs: number } }>(tokens.authority, '{ rogueDefinition { reputationBelow flagAfterMs silentAfterMs } }')).rogueDefinition;
    const book = node.analysis!.detector.reputation.options;
    expect(def).toEqual({ reputationBelow: book.flagBelow, flagAfterMs: book.flagAfterMs, silentAfterMs: 120_000 });
    // A ghost that lied and then fell silent five minutes ago: low trust, but nothing on the road now.
    await ingest(teleports('V-7009', 30, Date.now() - 5 * 60_000));
    await waitFor(async () => ((await reputation('V-7009')) ?? 1) < def.reputationBelow ? true : undefined, 20_000, 'V-7009 scored low');
    expect((await rogueIds())['V-7009']).toBeUndefined();
    expect((await rogueIds())['V-7002']).toBe('REPUTATION');
    const v = await ok<{ a: { rogueNow: boolean }; b: { rogueNow: boolean } }>(tokens.authority, '{ a: vehicle(id: "V-7009") { rogueNow } b: vehicle(id: "V-7002") { rogueNow } }');
    expect(v).toEqual({ a: { rogueNow: false }, b: { rogueNow: true } });
  });

  it('flags a vehicle rogue by hand: on the list whatever its reputation, and the detector keeps it flagged', async () => {
    await ingest(honest('V-7003', 10, start, 0));
    await waitFor(async () => ((await reputation('V-7003')) !== null ? true : undefined), 20_000, 'V-7003 scored');
    const r = await ok<{ flagVehicleRogue: { decision: { decision: string }; action: { action: string } } }>(tokens.authority, 'mutation { flagVehicleRogue(id: "V-7003", comment: "stolen plates reported") { decision { decision } action { action } } }');
    expect(r.flagVehicleRogue).toEqual({ decision: { decision: 'ROGUE' }, action: { action: 'vehicle.rogue' } });
    expect((await rogueIds())['V-7003']).toBe('BY_HAND');
    await detectorKeepsFlagged('V-7003');
  });

  it('keeps every decision across a restart', { timeout: 90_000 }, async () => {
    await node.stop();
    node = await VigilNode.start(config(), { logger: silentLogger() });
    const rogue = await rogueIds();
    expect(rogue['V-7001']).toBeUndefined();
    expect(rogue['V-7002']).toBe('REPUTATION');
    expect(rogue['V-7003']).toBe('BY_HAND');
    await detectorKeepsFlagged('V-7003');
    const all = await ok<{ authorityDecisions: Array<{ id: string; vehicleId: string; decision: string; action: { ledgerIndex: number } | null }> }>(tokens.authority, '{ authorityDecisions { id vehicleId decision action { ledgerIndex } } }');
    expect(all.authorityDecisions.map((d) => [d.vehicleId, d.decision])).toEqual([
      ['V-7001', 'CLEAR'],
      ['V-7003', 'ROGUE'],
    ]);
    expect(all.authorityDecisions[0]!.id).toBe(overruleActionId);
    expect(all.authorityDecisions.every((d) => d.action !== null)).toBe(true);
    const proof = await ok<{ evidence: { json: unknown } }>(tokens.authority, 'query ($id: ID!) { evidence(id: $id) { json } }', { id: overruleActionId });
    expect((await ok<{ verifyEvidence: { ok: boolean } }>(tokens.authority, 'query ($b: JSON!) { verifyEvidence(bundle: $b) { ok } }', { b: proof.evidence.json })).verifyEvidence.ok).toBe(true);
  });

  it('exports the decisions as labels for vigil train --feedback (vigil overrules export)', { timeout: 60_000 }, async () => {
    const out = join(tmp.dir, 'feedback.ndjson');
    const r = await new Promise<{ code: number; stderr: string }>((resolve) => execFile(process.execPath, [vigilBin, 'overrules', 'export', '--data-dir', tmp.dir, '--out', out], { timeout: 50_000 }, (err, _o, stderr) => resolve({ code: err ? 1 : 0, stderr })));
    expect(r.code, r.stderr).toBe(0);
    const labels = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; label: string; decision: string });
    const decisions = (await ok<{ authorityDecisions: Array<{ id: string; vehicleId: string; alertIds: string[]; at: string }> }>(tokens.authority, '{ authorityDecisions { id vehicleId alertIds at } }')).authorityDecisions;
    const cleared = decisions.find((d) => d.vehicleId === 'V-7001')!;
    const evidence = new Set<string>();
    for (const id of cleared.alertIds) {
      const a = await ok<{ alert: { evidenceIds: string[] } }>(tokens.authority, 'query ($id: ID!) { alert(id: $id) { evidenceIds } }', { id });
      for (const e of a.alert.evidenceIds) evidence.add(e);
    }
    expect(evidence.size).toBeGreaterThan(0);
    expect(labels.filter((l) => l.label === 'normal').map((l) => l.id).sort()).toEqual([...evidence].sort());
    // A hand flag labels the vehicle's reports up to the decision (later ones were not judged).
    const flaggedAt = decisions.find((d) => d.vehicleId === 'V-7003')!.at;
    const v7003 = await ok<{ events: { edges: Array<{ node: { id: string } }> } }>(tokens.authority, 'query ($to: Timestamp!) { events(filter: { entity: "V-7003", time: { to: $to } }, first: 100) { edges { node { id } } } }', { to: flaggedAt });
    expect(labels.filter((l) => l.label === 'attack').map((l) => l.id).sort()).toEqual(v7003.events.edges.map((e) => e.node.id).sort());
  });
});
