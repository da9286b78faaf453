/**
 * The `AuditLog` port over the real ledger. Pipeline builds it once from its `Ledger` and
 * passes it to `createApi`.
 */
import { LedgerError, verifyBundle, type Ledger, type VerifyBundleOptions } from '../ledger/index.js';
import type { AuditLog } from './ports.js';

export interface LedgerAuditOptions {
  /** Witness keys and how many must have co-signed, for `verifyEvidence`. @default none */
  verify?: VerifyBundleOptions;
}

export function ledgerAuditLog(ledger: Ledger, options: LedgerAuditOptions = {}): AuditLog {
  return {
    async appendAction(entry) {
      const receipt = ledger.append({ type: 'action', ts: entry.ts, body: entry.body });
      // A mutation succeeds only once its action is covered by a durable checkpoint: an
      // acknowledged triage step can then never vanish from the history an auditor proves.
      await ledger.committed(receipt.index);
      return receipt;
    },
    async proveById(id) {
      try {
        return await ledger.proveById(id);
      } catch (err) {
        if (err instanceof LedgerError && err.code === 'NOT_FOUND') return undefined;
        throw err;
      }
    },
    status() {
      return {
        origin: ledger.origin,
        size: ledger.size,
        publicKeyPem: ledger.publicKeyPem,
        latestCheckpoint: ledger.latestCheckpoint,
        latestPublished: ledger.latestPublished,
      };
    },
    verify(bundle) {
      return verifyBundle(bundle, ledger.publicKey, options.verify ?? {});
    },
  };
}
