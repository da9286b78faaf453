/**
 * Heavy resolvers (building or checking a Merkle proof) run one per event-loop turn: graphql
 * executes sibling fields in one synchronous sweep, so a document with many of them would
 * otherwise hold the loop for all of them at once (6,000 `verifyEvidence` aliases held it
 * 9.2 s, and ingest, MQTT and syslog with it). Yielding first lets the loop serve sockets
 * and timers between proofs, and an operation past its budget stops before the next one.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApiError } from './errors.js';

export async function heavy<T>(context: { signal?: AbortSignal }, work: () => T | Promise<T>): Promise<T> {
  await nextTurn();
  if (context.signal?.aborted) throw new ApiError('TIMEOUT', 'the operation ran past its budget and was stopped; ask for less');
  return work();
}
