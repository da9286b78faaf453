/**
 * The full audit behind `vigil verify` (node-only): recomputes every leaf hash from
 * entries.log, rebuilds the tree, and checks every checkpoint — signature, chain link, root,
 * the entries offset it records — and every cosignature. The signed checkpoints are the
 * only thing trusted (under the key given); entries.idx is used only to say *which* entry
 * changed, so a damaged index is reported as such and never hides damaged entries.
 *
 * The steps, one module each: the key (audit-keys.ts), the checkpoint chain and the
 * cosignatures (audit-checkpoints.ts), the entries (audit-entries.ts).
 */
import { join } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import { toHex } from './encoding.js';
import { CHECKPOINTS_FILE, PUBLIC_KEY_FILE, streamCheckpoints } from './files.js';
import { nodeCheckpointVerifier } from './node-crypto.js';
import { CheckpointTable, checkCosignatures } from './audit-checkpoints.js';
import { checkEntries } from './audit-entries.js';
import { firstLine, message, withFile } from './audit-files.js';
import { checkKeys } from './audit-keys.js';
import type { AuditFailure, AuditOptions, AuditReport } from './audit-types.js';

export type { AuditFailure, AuditOptions, AuditReport } from './audit-types.js';

export async function auditLedger(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const report: AuditReport = { ok: true, dir, entries: 0, checkpoints: 0, uncommitted: 0, cosignatures: 0, notes: [] };
  const fail = (f: AuditFailure): AuditReport => {
    report.ok = false;
    report.failure = f;
    return report;
  };

  // 1. The key, and the key files' integrity.
  const cpPath = join(dir, CHECKPOINTS_FILE);
  const keys = await checkKeys(dir, options.publicKey, firstLine(cpPath));
  if ('failure' in keys) return fail(keys.failure);
  const publicKey = keys.publicKey;
  report.publicKey = toHex(publicKey);
  if (options.publicKey === undefined) report.notes.push(`checked against ${PUBLIC_KEY_FILE} in the directory itself; pass --key to pin your own copy`);

  // 2. The checkpoints: shape, chain and every signature.
  let verifyLog: (cp: Checkpoint) => void;
  try {
    verifyLog = nodeCheckpointVerifier(publicKey);
  } catch (err) {
    return fail({ code: 'KEY_ERROR', file: PUBLIC_KEY_FILE, offset: 0, reason: message(err) });
  }
  // Streamed into a compact table (about 90 bytes a checkpoint), not kept as objects.
  const records = new CheckpointTable();
  const scan = withFile(cpPath, (fd) => streamCheckpoints(fd, verifyLog, (r) => records.push(r)), { count: 0, fileSize: 0 });
  const last = scan.last;
  if (last) report.origin = last.checkpoint.origin;

  // 3. The entries against the good checkpoints.
  const entryFailure = await checkEntries(dir, records, report, options.progress);
  if (entryFailure) return fail(entryFailure);
  if (scan.problem) {
    return fail({
      code: scan.problem.code,
      file: CHECKPOINTS_FILE,
      offset: scan.problem.fileOffset,
      checkpoint: scan.problem.record,
      reason: scan.problem.torn
        ? `${scan.problem.reason}: a crash can leave this; opening the ledger drops it`
        : scan.problem.reason,
    });
  }
  report.checkpoints = records.length;
  report.entries = last?.checkpoint.size ?? 0;
  if (last) report.root = last.checkpoint.root;

  // 4. Cosignatures, each against the checkpoint it repeats.
  const cosignatures = checkCosignatures(dir, records, verifyLog, scan.fileSize);
  report.cosignatures = cosignatures.count;
  return cosignatures.failure ? fail(cosignatures.failure) : report;
}
