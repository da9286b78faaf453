/** One read thread of the API (read-pool.ts): a read-only connection, one query per message. */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteReader, STORE_READS, StoreError, type StoreRead } from '../store/index.js';

const port = parentPort!;
let reader: SqliteReader;
try {
  reader = SqliteReader.open(workerData as { dataDir: string });
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

const allowed = new Set<string>(STORE_READS);

port.on('message', (m: { id: number; method: StoreRead; args: unknown[] } | { close: true }) => {
  if ('close' in m) {
    reader.close();
    port.close();
    return;
  }
  try {
    if (!allowed.has(m.method)) throw new StoreError('BAD_QUERY', `not a read: ${String(m.method)}`);
    const fn = reader[m.method] as (...a: unknown[]) => unknown;
    port.postMessage({ id: m.id, value: fn.apply(reader, m.args) });
  } catch (err) {
    const code = err instanceof StoreError ? err.code : undefined;
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}) });
  }
});
