export type StoreErrorCode =
  | 'BAD_OPTION'
  | 'OPEN_FAILED'
  | 'WRITE_FAILED'
  /** The database stayed locked by another connection past `busy_timeout`: retrying can help. */
  | 'BUSY'
  | 'READ_FAILED'
  | 'NOT_FOUND'
  /** An optimistic-concurrency update found the row changed since it was read. */
  | 'CONFLICT'
  /** A pagination cursor that this store did not issue, or issued for another ordering. */
  | 'BAD_CURSOR'
  /** A query argument out of range (page size, free-text syntax). */
  | 'BAD_QUERY'
  /** Elasticsearch refused or failed a request after the retries allowed. */
  | 'BACKEND_FAILED';

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
