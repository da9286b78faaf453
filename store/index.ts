export { SqliteStore } from './sqlite.js';
export type { SqliteStoreOptions, StoredEventRow, DeadLetter, EventToStore, DeadLetterToStore } from './sqlite.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
