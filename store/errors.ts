import { CodedError } from '../events/index.js';

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

export class StoreError extends CodedError<StoreErrorCode> {
  override readonly name = 'StoreError';
}
