/** One read thread of the API (read-pool.ts): a read-only connection, one query per message. */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { SqliteReader, STORE_READS, StoreError, type StoreRead } from '../store/index.js';

const port = parentPort!;
const { dataDir, answers: channel, signal } = workerData as { dataDir: string; answers?: MessagePort; signal?: Int32Array };
// Answers go on their own port when the pool gives one (read-pool.ts takes them synchronously there).
const answers = channel ?? port;
let reader: SqliteReader;
try {
  reader = SqliteReader.open({ dataDir });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const allowed = new Set<string>(STORE_READS);

port.on('message', (m: { id: number; method: StoreRead; args: unknown[] } | { close: true }) => {
  if ('close' in m) {
    reader.close();
    channel?.close();
    port.close();
    return;
  }
  try {
    if (!allowed.has(m.method)) throw new StoreError('BAD_QUERY', `not a read: ${String(m.method)}`);
    const fn = reader[m.method] as (...a: unknown[]) => unknown;
    answers.postMessage({ id: m.id, value: fn.apply(reader, m.args) });
  } catch (err) {
    const code = err instanceof StoreError ? err.code : undefined;
    answers.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}) });
  }
  // After the answer is queued: a caller waiting (read-pool.ts syncWaitMs) wakes and takes it.
  if (signal) {
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  }
});
