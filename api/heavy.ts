/**
 * Heavy resolvers (building or checking a Merkle proof) run one at a time, each in its own
 * event-loop turn. graphql executes sibling fields in one synchronous sweep, and immediates
 * queued together run back to back in one check phase, so yielding alone would not help: a
 * document with many such fields would still hold the loop for all of them (6,000
 * `verifyEvidence` aliases held it 9.2 s, and ingest, MQTT and syslog with it). Queued one
 * behind the other, each proof waits for the previous one and then for a fresh turn, so the
 * loop polls sockets and runs timers between any two; an operation past its budget stops
 * before its next proof.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import { ApiError } from './errors.js';

let queue: Promise<unknown> = Promise.resolve();

export function heavy<T>(context: { signal?: AbortSignal }, work: () => T | Promise<T>): Promise<T> {
  const run = queue.then(async () => {
    await nextTurn();
    if (context.signal?.aborted) throw new ApiError('TIMEOUT', 'the operation ran past its budget and was stopped; ask for less');
    return work();
  });
  queue = run.catch(() => undefined);
  return run;
}
