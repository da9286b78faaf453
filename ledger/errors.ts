/**
 * The ledger's one error type (STYLE.md 4). `code` says which check failed, so callers
 * (the CLI, the API, a dashboard) can branch on it without parsing messages.
 */
export type LedgerErrorCode =
  /** An inclusion proof does not lead from the leaf to the signed root (RFC 9162 2.1.3.2). */
  | 'INCLUSION_PROOF_ERROR'
  /** A consistency proof does not join the two roots (RFC 9162 2.1.4.2). */
  | 'CONSISTENCY_PROOF_ERROR'
  /** A checkpoint or cosignature signature does not verify under the key given. */
  | 'SIGNATURE_ERROR'
  /** An entry's bytes on disk differ from what was hashed and signed. */
  | 'CORRUPT_ENTRY'
  /** A checkpoint record is torn, unsigned, out of order, or disagrees with the entries. */
  | 'CORRUPT_CHECKPOINT'
  /** The entries index disagrees with the entries file. */
  | 'CORRUPT_INDEX'
  /** An entry handed to `append` is not a valid ledger entry (type, ts, JSON body, id). */
  | 'INVALID_ENTRY'
  /** An evidence bundle or witness request is malformed. */
  | 'INVALID_BUNDLE'
  /** A key file or key string cannot be read as an Ed25519 key. */
  | 'KEY_ERROR'
  /** A bad option or argument (named in the message). */
  | 'INVALID_ARGUMENT'
  /** No entry with that index or id. */
  | 'NOT_FOUND'
  /** A witness refused, or could not be reached. */
  | 'WITNESS_ERROR'
  /** A witness saw two checkpoints of one log that cannot both be true. */
  | 'FORK_DETECTED'
  /** Reading or writing the data directory failed. */
  | 'IO_ERROR'
  /** The ledger was used after `close()`. */
  | 'CLOSED';

export class LedgerError extends Error {
  override readonly name = 'LedgerError';
  readonly code: LedgerErrorCode;

  constructor(code: LedgerErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
