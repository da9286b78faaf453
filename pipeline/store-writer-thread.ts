/** The store writer's thread: one connection, one durable transaction per message. */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type EventRows, type SqliteStoreOptions } from '../store/index.js';

const port = parentPort!;
let store: SqliteStore;
try {
  store = SqliteStore.open(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (m: { close?: true; id: number; rows: EventRows; deadLetters: Parameters<SqliteStore['writeBatch']>[1] }) => {
  if (m.close) {
    store.close();
    port.close();
    return;
  }
  try {
    port.postMessage({ id: m.id, inserted: store.writeRows(m.rows, m.deadLetters) });
  } catch (err) {
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
