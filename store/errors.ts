export type StoreErrorCode = 'BAD_OPTION' | 'OPEN_FAILED' | 'WRITE_FAILED' | 'READ_FAILED' | 'NOT_FOUND' | 'CONFLICT';

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
