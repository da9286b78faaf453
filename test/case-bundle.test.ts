/**
 * One case bundle for an auditor: a real node detects a teleporting vehicle, an analyst
 * triages the incident through the API, and the incident's case bundle (from the API and
 * from `vigil prove --incident` after the node stopped) holds the incident, its alerts,
 * their evidence event documents and every triage action, each proved; `vigil verify-proof`
 * and the browser-safe verifier check the whole package and name the part that failed.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyCaseBundle, type CaseBundle } from '../anchor/index.js';
import { createToken } from '../api/index.js';
import { resolveConfig } from '../pipeline/config.js';
import { silentLogger } from '../pipeline/logger.js';
import { VigilNode } from '../pipeline/node.js';
import { teleports } from './case-fixtures.js';
import { tempDir, vigilBin, waitFor } from './helpers.js';

const run = promisify(execFile);
const ROGUE = 'V-4242';

let tmp: { dir: string; cleanup: () => void };
let node: VigilNode | undefined;
let analyst: string;
let incidentId: string;
let apiBundle: CaseBundle;
let publicKey: string;

async function gql(query: string, variables: Record<string, unknown> = {}): Promise<any> {
  const res = await fetch(`${node!.url}/graphql`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${analyst}` }, body: JSON.stringify({ query, variables }) });
  const body = (await res.json()) as { data?: any; errors?: Array<{ message: string }> };
  if (body.errors) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

beforeAll(async () => {
  tmp = tempDir('vigil-case-');
  node = await VigilNode.start(
    resolveConfig({ dataDir: tmp.dir, api: { port: 0 }, ledger: { checkpointIntervalMs: 100 }, mqtt: { broker: { enabled: false } }, syslog: { enabled: false } }),
    { logger: silentLogger() },
  );
  analyst = createToken(node.store, { name: 'ana', role: 'analyst', createdBy: 'test' }).token;
  const res = await fetch(`${node.url}/ingest`, { method: 'POST', body: teleports(ROGUE, 30), headers: { 'Content-Type': 'application/x-ndjson' } });
  expect(await res.json()).toMatchObject({ accepted: 30 });
  incidentId = await waitFor(async () => (await gql(`{ incidents(filter: { entity: "${ROGUE}" }) { edges { node { id } } } }`)).incidents.edges[0]?.node.id as string | undefined, 20_000, 'the rogue incident');
  await gql(`mutation { acknowledgeIncident(id: "${incidentId}", comment: "looking") { action { id } } }`);
  await gql(`mutation { assignIncident(id: "${incidentId}", assignee: "bob") { action { id } } }`);
  await gql(`mutation { resolveIncident(id: "${incidentId}", reason: TRUE_POSITIVE, comment: "teleports") { action { id } } }`);
  publicKey = readFileSync(join(tmp.dir, 'ledger', 'public.pem'), 'utf8');
  // The ledger checkpoints every 100 ms: wait until the bundle proves every evidence event.
  apiBundle = await waitFor(async () => {
    const b = (await gql(`query ($id: ID!) { caseBundle(incidentId: $id) }`, { id: incidentId })).caseBundle as CaseBundle;
    return b.missing.length === 0 ? b : undefined;
  }, 20_000, 'a complete case bundle');
}, 60_000);

afterAll(async () => {
  await node?.stop();
  tmp?.cleanup();
});

describe('the case bundle of a triaged incident', () => {
  it('holds the incident, its alerts, their evidence documents and every triage action, each proved', async () => {
    expect(apiBundle).toMatchObject({ format: 'vigil-case/v1', incident: { id: incidentId, entity: { id: ROGUE }, status: 'resolved' } });
    const roles = (r: string) => apiBundle.parts.filter((p) => p.role === r);
    expect(roles('alert').map((p) => p.id).sort()).toEqual([...(apiBundle.incident.alertIds as string[])].sort());
    const evidence = new Set(roles('alert').flatMap((p) => p.entry.body['evidence'] as string[]));
    expect(new Set(roles('evidence').map((p) => p.id))).toEqual(evidence);
    for (const p of roles('evidence')) expect(p.document).toMatchObject({ id: p.id, vigil: { entity: { id: ROGUE } } });
    expect(roles('action').map((p) => p.entry.body['action'])).toEqual(['incident.acknowledge', 'incident.assign', 'incident.resolve']);
    const r = await verifyCaseBundle(apiBundle, publicKey);
    expect(r.reason).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.counts).toEqual({ alert: roles('alert').length, evidence: evidence.size, action: 3 });
  });

  it('names the evidence document that was altered, and the alert missing from a cut-down bundle', async () => {
    const tampered = structuredClone(apiBundle);
    const part = tampered.parts.find((p) => p.role === 'evidence')!;
    (part.document!['vigil'] as { ts: number }).ts += 1;
    const r = await verifyCaseBundle(tampered, publicKey);
    expect(r.ok).toBe(false);
    expect(r.failed).toEqual({ role: 'evidence', id: part.id });
    expect(r.reason).toMatch(new RegExp(`^evidence ${part.id}: the event document hashes to [0-9a-f]{64}, but the ledger entry names ${part.id}`));

    const cut = structuredClone(apiBundle);
    const alert = cut.parts.findIndex((p) => p.role === 'alert');
    const [gone] = cut.parts.splice(alert, 1);
    const r2 = await verifyCaseBundle(cut, publicKey);
    expect(r2.failed).toEqual({ role: 'completeness' });
    expect(r2.reason).toContain(`alert ${gone!.id}`);

    const moved = structuredClone(apiBundle);
    const action = moved.parts.find((p) => p.role === 'action')!;
    action.entry.body['comment'] = 'nothing to see';
    expect((await verifyCaseBundle(moved, publicKey)).reason).toMatch(new RegExp(`^action ${action.id}: entry: the entry hashes to`));
  });

  it('is written by vigil prove --incident after the node stopped, and checked by vigil verify-proof', async () => {
    await node!.stop();
    node = undefined;
    const file = join(tmp.dir, 'case.json');
    const prove = await run(process.execPath, [vigilBin, 'prove', '--data-dir', tmp.dir, '--incident', incidentId, '--out', file]);
    expect(prove.stderr).toMatch(new RegExp(`incident ${incidentId}: \\d+ part\\(s\\) under 1 checkpoint`));
    const cli = JSON.parse(readFileSync(file, 'utf8')) as CaseBundle;
    expect(cli.parts.map((p) => p.id).sort()).toEqual(apiBundle.parts.map((p) => p.id).sort());
    const key = join(tmp.dir, 'ledger', 'public.pem');
    const ok = await run(process.execPath, [vigilBin, 'verify-proof', file, '--key', key]);
    expect(ok.stdout).toMatch(/\d+ alert\(s\), \d+ evidence event\(s\), 3 action\(s\) verified\ncase holds/);

    const part = cli.parts.find((p) => p.role === 'evidence')!;
    part.document!['vigil'] = { ...(part.document!['vigil'] as object), kind: 'log' };
    writeFileSync(file, JSON.stringify(cli));
    const bad = await run(process.execPath, [vigilBin, 'verify-proof', file, '--key', key]).catch((e: { code: number; stdout: string }) => e);
    expect((bad as { code: number }).code).toBe(1);
    expect(bad.stdout).toContain(`FAIL evidence ${part.id}: the event document hashes to`);
    expect(bad.stdout).toContain('case does NOT hold');
  }, 60_000);
});
