/** What `auditLedger` (audit.ts) takes and reports. */
import type { LedgerErrorCode } from './errors.js';

export interface AuditOptions {
  /**
   * The log's public key (PEM, hex or raw bytes). @default the directory's public.pem — but
   * an auditor should pin their own copy: whoever can rewrite the directory can rewrite
   * that file too.
   */
  publicKey?: string | Uint8Array;
  /** Called now and then with entries checked so far and the total to check. */
  progress?: (done: number, total: number) => void;
}

/** Where the audit found the first problem. */
export interface AuditFailure {
  code: LedgerErrorCode;
  /** File name inside the data directory. */
  file: string;
  /** Byte offset in that file. */
  offset: number;
  /** Leaf index of the bad entry, when an entry is at fault. */
  entry?: number;
  /** Record number (0-based) in checkpoints.log, when a checkpoint is at fault or disagrees. */
  checkpoint?: number;
  reason: string;
}

export interface AuditReport {
  ok: boolean;
  dir: string;
  origin?: string;
  /** The key the checkpoints were checked against, hex. */
  publicKey?: string;
  /** Entries covered by the last good checkpoint. */
  entries: number;
  checkpoints: number;
  root?: string;
  /** Entries after the last checkpoint: not yet covered by any signature (normal while a writer runs). */
  uncommitted: number;
  cosignatures: number;
  failure?: AuditFailure;
  notes: string[];
}
