/**
 * Where the ingest pipeline's durable writes run. SQLite's insert and commit are about
 * half of ingest's CPU; on their own thread they overlap with the HTTP parsing and
 * validation of the next batch, which is how a node uses both cores of a small machine.
 * The semantics are the same either way: the promise resolves after the commit.
 */
import { Worker } from 'node:worker_threads';
import type { Alert } from '../detector/index.js';
import { pushEventRow, StoreError, type DeadLetterToStore, type DetectorOutput, type EventRows, type EventToStore, type SqliteStore, type SqliteStoreOptions, type StoreErrorCode, type StoredIncident } from '../store/index.js';

export type SavedDetectorOutput = { newAlerts: Alert[]; incidents: StoredIncident[] };

export interface StoreWriter {
  /** Store in one durable transaction; per event, whether it was new. */
  writeBatch(events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]): Promise<boolean[]>;
  /**
   * The detector's output in one transaction of the same writer, in order with the event
   * batches: on the writer's thread the node's event loop never waits for a database lock.
   * After `close`, through the node's own connection.
   */
  saveDetectorOutput(output: DetectorOutput): Promise<SavedDetectorOutput>;
  close(): Promise<void>;
}

/** On the calling thread, through the node's own connection. */
export class InlineStoreWriter implements StoreWriter {
  constructor(private readonly store: SqliteStore) {}

  async writeBatch(events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]): Promise<boolean[]> {
    return this.store.writeBatch(events, deadLetters);
  }

  async saveDetectorOutput(output: DetectorOutput): Promise<SavedDetectorOutput> {
    return this.store.saveDetectorOutput(output);
  }

  async close(): Promise<void> {}
}

type Reply = { id: number; inserted: boolean[] } | { id: number; saved: SavedDetectorOutput } | { id: number; error: string; code?: StoreErrorCode };

/** On a worker thread with its own connection to the same database (WAL: readers never wait). */
export class WorkerStoreWriter implements StoreWriter {
  private readonly worker: Worker;
  private readonly pending = new Map<number, { resolve: (v: never) => void; reject: (e: Error) => void }>();
  private next = 0;
  private failed: Error | undefined;
  private closed = false;
  private readonly ready: Promise<void>;

  constructor(
    options: Pick<SqliteStoreOptions, 'dataDir' | 'maxDeadLetterBytes' | 'retentionDays'>,
    /** Where detector output goes once the thread is closed (the node's own connection). */
    private readonly fallback?: SqliteStore,
  ) {
    this.worker = new Worker(new URL('./store-writer-worker.js', import.meta.url), { workerData: options });
    this.ready = new Promise((resolve, reject) => {
      this.worker.once('message', (m: { ready?: true; error?: string }) => (m.ready ? resolve() : reject(new Error(m.error ?? 'store writer failed to start'))));
      this.worker.once('error', reject);
    });
    this.worker.on('message', (m: Reply | { ready: true }) => {
      if (!('id' in m)) return;
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if ('error' in m) p.reject(m.code ? new StoreError(m.code, m.error) : new Error(m.error));
      else if ('saved' in m) p.resolve(m.saved as never);
      else p.resolve(m.inserted as never);
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new Error(`store writer exited with code ${code}`)));
  }

  private fail(err: Error): void {
    this.failed ??= err;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  /** Resolves once the worker has opened the database (fails at start, not at the first write). */
  start(): Promise<void> {
    return this.ready;
  }

  async writeBatch(events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]): Promise<boolean[]> {
    if (this.failed) throw this.failed;
    const id = this.next++;
    // The rows the store writes, as flat strings and numbers: each event's document is the
    // canonical text it was hashed from (no second encoding), and the worker decodes nothing.
    const rows: EventRows = [];
    for (const e of events) pushEventRow(rows, e);
    return new Promise<boolean[]>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows, deadLetters });
    });
  }

  async saveDetectorOutput(output: DetectorOutput): Promise<SavedDetectorOutput> {
    if (this.closed && this.fallback) return this.fallback.saveDetectorOutput(output);
    if (this.failed) throw this.failed;
    const id = this.next++;
    return new Promise<SavedDetectorOutput>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, detector: output });
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.failed) return;
    await new Promise<void>((resolve) => {
      this.worker.once('exit', () => resolve());
      this.worker.postMessage({ close: true });
    });
  }
}
