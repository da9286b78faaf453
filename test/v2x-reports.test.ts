/**
 * Misbehaviour reports for a V2X Misbehaviour Authority (notify/v2x.ts, `vigil v2x reports`):
 * a node on a free port, a teleporting vehicle the detector flags rogue and one the authority
 * flags by hand; after the node stops, `vigil v2x reports` writes one report per trigger
 * whose evidence messages are the vehicle's stored events with the roadside unit that heard
 * them, whose id is the hash of the rest, and refuses a bad `--since`.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createToken } from '../api/index.js';
import { canonicalJson, sha256Hex } from '../events/index.js';
import type { MisbehaviourReport } from '../notify/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { SqliteStore } from '../store/index.js';
import { teleports } from './case-fixtures.js';
import { tempDir, vigilBin, waitFor } from './helpers.js';

function vigil(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => execFile(process.execPath, [vigilBin, ...args], { timeout: 50_000 }, (err, stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr })));
}

describe('misbehaviour reports for a V2X Misbehaviour Authority', () => {
  const tmp = tempDir('vigil-v2x-');
  let node: VigilNode | undefined;
  const started = Date.now();

  beforeAll(async () => {
    node = await VigilNode.start(resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ledger: { checkpointIntervalMs: 200 }, mqtt: { broker: { enabled: false } }, syslog: { enabled: false } }), { logger: silentLogger() });
    const token = createToken(node.store, { name: 'tara', role: 'authority', createdBy: 'test' }).token;
    const body = teleports('V-6001', 30, started - 30_000).split('\n').map((l) => JSON.stringify({ ...(JSON.parse(l) as object), rsu: 'RSU-M' })).join('\n');
    expect((await fetch(`${node.url}/ingest`, { method: 'POST', body, headers: { 'Content-Type': 'application/x-ndjson' } })).status).toBe(200);
    await waitFor(() => (node!.store.searchAlerts({ rule: 'reputation:rogue', entity: 'V-6001' }, { first: 1 }).edges.length > 0 ? true : undefined), 30_000, 'the detector flags V-6001 rogue');
    const res = await fetch(`${node.url}/graphql`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify({ query: 'mutation { flagVehicleRogue(id: "V-6002", comment: "cloned plates reported") { decision { id } } }' }),
    });
    expect(((await res.json()) as { errors?: unknown }).errors).toBeUndefined();
    await node.stop();
    node = undefined;
  }, 90_000);
  afterAll(async () => {
    await node?.stop();
    tmp.cleanup();
  });

  it('writes one report per rogue finding and hand flag, with the evidence messages as stored', { timeout: 60_000 }, async () => {
    const out = join(tmp.dir, 'mbr.ndjson');
    const r = await vigil(['v2x', 'reports', '--data-dir', tmp.dir, '--since', '1h', '--reporter', 'city-central', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/v2x: 2 misbehaviour report\(s\) since/);
    const reports = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MisbehaviourReport);
    const byVehicle = new Map(reports.map((x) => [x.reported.pseudonym, x]));
    expect([...byVehicle.keys()].sort()).toEqual(['V-6001', 'V-6002']);

    const detector = byVehicle.get('V-6001')!;
    expect(detector).toMatchObject({ format: 'vigil-v2x-mbr/v1', version: 2, reporter: { id: 'city-central' }, trigger: { kind: 'detector-rogue', by: 'detector' }, report: { aid: 32 } });
    const { id, ...rest } = detector;
    expect(id).toBe(sha256Hex(canonicalJson(rest)));
    expect(detector.report.observations.map((o) => o.category)).toEqual(expect.arrayContaining(['position_falsification', 'low_reputation']));
    // Every evidence message is a stored event of that vehicle, as the roadside unit heard it.
    const store = SqliteStore.open({ dataDir: tmp.dir });
    try {
      expect(detector.report.v2xPduEvidence.length).toBeGreaterThan(0);
      for (const m of detector.report.v2xPduEvidence) {
        const stored = store.getEvent(m.id)!.event;
        expect(stored.vigil.entity.id).toBe('V-6001');
        expect(m).toMatchObject({ receivedBy: 'RSU-M', message: { vehicle: 'V-6001', lat: stored.vigil.vehicle!.lat, lon: stored.vigil.vehicle!.lon, speed: stored.vigil.vehicle!.speed } });
      }
      const subject = detector.report.v2xPduEvidence[detector.report.subjectPduIndex]!;
      expect(detector.observationLocation).toEqual({ lat: subject.message['lat'], lon: subject.message['lon'] });
      const trust = store.getEntity('V-6001', 'vehicle')!.reputation!;
      expect(detector.report.nonV2xPduEvidence).toContainEqual({ type: 'reputation', trust: Math.round(trust * 1000) / 1000 });
    } finally {
      store.close();
    }

    const hand = byVehicle.get('V-6002')!;
    expect(hand.trigger).toMatchObject({ kind: 'authority-flag', by: 'tara', comment: 'cloned plates reported' });
    expect(hand.trigger.ledgerIndex).toEqual(expect.any(Number));
    expect(hand.report.v2xPduEvidence).toEqual([]);
    expect(hand.report.nonV2xPduEvidence).toContainEqual(expect.objectContaining({ type: 'authority-decision', by: 'tara' }));
  });

  it('leaves out what was flagged before --since, and refuses a --since it cannot read', { timeout: 60_000 }, async () => {
    const later = await vigil(['v2x', 'reports', '--data-dir', tmp.dir, '--since', new Date(Date.now() + 60_000).toISOString()]);
    expect(later.code, later.stderr).toBe(0);
    expect(later.stdout).toBe('');
    expect(later.stderr).toMatch(/v2x: 0 misbehaviour report/);
    const bad = await vigil(['v2x', 'reports', '--data-dir', tmp.dir, '--since', 'yesterday']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--since: expected an ISO-8601 time or a duration/);
  });
});
