/** The store writer's thread: one connection, one durable transaction per message. */
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteStore, type EventToStore, type SqliteStoreOptions } from '../store/index.js';
import type { VigilEvent } from '../events/index.js';

const port = parentPort!;
let store: SqliteStore;
try {
  store = SqliteStore.open(workerData as SqliteStoreOptions);
  port.postMessage({ ready: true });
} catch (err) {
  port.postMessage({ error: err instanceof Error ? err.message : String(err) });
  process.exit(1);
}

port.on('message', (m: { close?: true; id: number; events: string; deadLetters: Parameters<SqliteStore['writeBatch']>[1] }) => {
  if (m.close) {
    store.close();
    port.close();
    return;
  }
  try {
    const rows = JSON.parse(m.events) as Array<[VigilEvent, string, number]>;
    const events: EventToStore[] = rows.map(([event, source, receivedAt]) => ({ event, source, receivedAt }));
    port.postMessage({ id: m.id, inserted: store.writeBatch(events, m.deadLetters) });
  } catch (err) {
    port.postMessage({ id: m.id, error: err instanceof Error ? err.message : String(err) });
  }
});
