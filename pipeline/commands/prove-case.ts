/**
 * `vigil prove --incident ID`: the incident's case bundle (api/case-bundle.ts) from the node's
 * store and a snapshot of its ledger (so every proof leads to one checkpoint), with the
 * anchor that covers it; `vigil verify-proof` recognises the format and checks the whole.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { anchorProofFor, readRecordedAnchors, verifyCaseBundle, type CaseBundle, type CaseVerificationResult } from '../../anchor/index.js';
import { buildCaseBundle, storeCaseSources } from '../../api/index.js';
import { LedgerError, openSnapshot } from '../../ledger/index.js';
import { SqliteStore } from '../../store/index.js';
import { ANCHOR_STATE_DIR } from '../anchor.js';

/** Builds and self-checks the case bundle of `incidentId` from the data directory `dataDir` and its ledger directory `ledgerDir`. */
export async function proveCase(dataDir: string, ledgerDir: string, incidentId: string): Promise<CaseBundle> {
  const nodeDir = existsSync(join(dataDir, 'vigil.db')) ? dataDir : dirname(ledgerDir);
  const store = SqliteStore.open({ dataDir: resolve(nodeDir) });
  const snapshot = await openSnapshot(ledgerDir);
  const stateDir = [join(dataDir, ANCHOR_STATE_DIR), join(dirname(dataDir), ANCHOR_STATE_DIR)].find((d) => existsSync(d));
  const recorded = stateDir ? await readRecordedAnchors(stateDir) : [];
  let bundle: CaseBundle | undefined;
  try {
    bundle = await buildCaseBundle(incidentId, storeCaseSources(store, (id) => {
      let b;
      try {
        b = snapshot.proveById(id);
      } catch (err) {
        if (err instanceof LedgerError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
      const anchor = anchorProofFor(recorded, b.checkpoint, b.leafIndex, (m, n) => snapshot.consistencyProof(m, n), snapshot.checkpoint.size);
      return anchor ? { ...b, anchor } : b;
    }));
  } finally {
    snapshot.close();
    store.close();
  }
  if (!bundle) throw new LedgerError('NOT_FOUND', `no incident ${incidentId} in ${nodeDir}`);
  // A bundle that does not verify here would only mislead an auditor later.
  const check = await verifyCaseBundle(bundle, snapshot.publicKey);
  if (!check.ok) throw new LedgerError('INCLUSION_PROOF_ERROR', `the case bundle does not verify: ${check.reason ?? ''}`);
  return bundle;
}

export function describeCase(r: CaseVerificationResult): string {
  const mark = { passed: 'ok  ', failed: 'FAIL', skipped: 'skip' } as const;
  // Per-part lines only for failures: a case has thousands of parts.
  const lines = r.steps.filter((s) => s.outcome !== 'passed' || s.id === undefined).map((s) => `${mark[s.outcome]} ${s.step}${s.id ? ` ${s.id}` : ''}: ${s.detail}`);
  lines.push(`${r.counts.alert} alert(s), ${r.counts.evidence} evidence event(s), ${r.counts.action} action(s) verified`);
  lines.push(r.ok ? (r.anchorChecked ? 'case holds, anchor checked on chain' : 'case holds') : `case does NOT hold: ${r.reason ?? ''}`);
  return lines.join('\n');
}
