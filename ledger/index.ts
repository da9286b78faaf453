/**
 * The ledger: an RFC 9162 Merkle log of Vigil's events, alerts, analyst actions and models,
 * with signed checkpoints, witnesses, and proofs an auditor checks offline.
 *
 * Node-side: `Ledger` (the writer), `auditLedger` (`vigil verify`), `Witness`.
 * Browser-safe: everything `./verifier.js` exports, which a dashboard imports alone.
 */
export { Ledger } from './ledger.js';
export type { AppendReceipt, LedgerLogger, LedgerOptions } from './ledger.js';
export type { WitnessPolicy } from './witness-client.js';
export { auditLedger } from './audit.js';
export type { AuditFailure, AuditOptions, AuditReport } from './audit.js';
export { openSnapshot } from './snapshot.js';
export type { LedgerSnapshot } from './snapshot.js';
export { Witness, WitnessServer } from './witness.js';
export type { WitnessOptions, WitnessReply } from './witness.js';
export { readPublicKey } from './keys.js';
export { nodeHasher } from './node-crypto.js';
export { MerkleTree, CompactRange } from './tree.js';
export {
  cosign,
  signCheckpoint,
  parseCosignature,
  secretKeyToPem,
} from './checkpoint.js';
export type { CheckpointFields } from './checkpoint.js';

// The browser-safe verifier and everything it re-exports.
export * from './verifier.js';
