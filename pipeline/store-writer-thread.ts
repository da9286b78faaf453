/** The store writer's thread: one connection, one durable transaction per message (an event batch or a detector output). */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, StoreError, type DetectorOutput, type EventRows, type SqliteStoreOptions } from '../store/index.js';

const port = parentPort!;
let store: SqliteStore;
try {
  store = SqliteStore.open(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (m: { close?: true; id: number; rows: EventRows; deadLetters: Parameters<SqliteStore['writeBatch']>[1]; detector?: DetectorOutput }) => {
  if (m.close) {
    store.close();
    port.close();
    return;
  }
  try {
    if (m.detector) port.postMessage({ id: m.id, saved: store.saveDetectorOutput(m.detector) });
    else port.postMessage({ id: m.id, inserted: store.writeRows(m.rows, m.deadLetters) });
  } catch (err) {
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err), ...(err instanceof StoreError ? { code: err.code } : {}) });
  }
});
