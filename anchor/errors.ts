/** The anchor part's one error class (STYLE.md 4); `retriable` says whether trying again can help. */
export type AnchorErrorCode =
  | 'COMPILE_ERROR'
  | 'CONFIG_ERROR'
  | 'KEY_ERROR'
  | 'RPC_ERROR'
  | 'CHAIN_MISMATCH'
  | 'TX_REVERTED'
  | 'NOT_FOUND'
  | 'INVALID_ANCHOR'
  | 'ANCHOR_MISMATCH'
  | 'STATE_ERROR'
  | 'WORKER_ERROR';

const RETRIABLE: ReadonlySet<AnchorErrorCode> = new Set(['RPC_ERROR', 'WORKER_ERROR']);

export class AnchorError extends Error {
  override readonly name = 'AnchorError';
  readonly retriable: boolean;
  constructor(
    readonly code: AnchorErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.retriable = RETRIABLE.has(code);
  }
}
