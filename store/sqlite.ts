/**
 * The embedded store: one SQLite database (better-sqlite3) in the data directory.
 *
 * Durability: WAL with `synchronous = FULL`, so a commit is on disk when `writeBatch`
 * returns; the ingest pipeline commits many events per transaction (group commit) so the
 * fsync is paid once per batch, not per event. A collector acknowledges its sender only
 * after that commit, which is what lets `kill -9` lose nothing that was acknowledged.
 *
 * Search: events and alerts each have a contentless FTS5 index (rowid = their `seq`)
 * written in the same transaction as the row, so a committed event is searchable at once
 * and the index costs no second copy of the documents. Orderings are keyset paginated on
 * indexed columns with a unique tie-breaker (see cursor.ts).
 *
 * This class is the `Store` port's face; each concern is a small repository in
 * `sqlite/` over the one connection (events and search, dead letters, alerts, incidents,
 * entities and reputation, actions, tokens, meta).
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { EntityType, InputKind } from '../events/index.js';
import type { Alert } from '../detector/index.js';
import { StoreError } from './errors.js';
import type {
  ActionRecord,
  DetectorOutput,
  EntityFlag,
  EntitySummary,
  EventInput,
  IncidentTriage,
  Store,
  StoredIncident,
  TokenRecord,
  TokenRepository,
} from './types.js';
import type { DeadLetter, DeadLetterToStore } from './sqlite/dead-letters.js';
import { pushEventRow, type EventRows, type EventToStore, type StoredEventRow } from './sqlite/events.js';
import { MetaRepository } from './sqlite/meta.js';
import { createSchema } from './sqlite/schema.js';
import { SqliteReads } from './sqlite/reads.js';
import { SqliteTokens } from './sqlite/tokens.js';

export { EVENT_ROW_WIDTH, idKey, pushEventRow } from './sqlite/events.js';
export type { EventRows, EventToStore, StoredEventRow } from './sqlite/events.js';
export type { DeadLetter, DeadLetterToStore } from './sqlite/dead-letters.js';

export interface SqliteStoreOptions {
  /** Directory of the database file `vigil.db`; created if missing. */
  dataDir: string;
  /**
   * Largest part of a rejected input kept verbatim in the dead letters, in bytes. Beyond it
   * the raw input is truncated, and its full size and SHA-256 are kept, so a 10 MB line
   * cannot bloat the database while the evidence of what came stays checkable.
   * @default 65536
   */
  maxDeadLetterBytes?: number;
  /**
   * Keep events, dead letters and reputation points this many days (by event time, or
   * arrival time for dead letters); older ones go on `applyRetention()`. Alerts, incidents
   * and the triage history are kept: they are the investigative record, and the ledger
   * keeps proving them after their evidence events age out. `0` keeps everything.
   * @default 0
   */
  retentionDays?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
  /**
   * How long a write waits for another connection's lock (the store writer's thread)
   * before it fails with code `BUSY`, milliseconds.
   * @default 5000
   */
  busyTimeoutMs?: number;
}

export class SqliteStore extends SqliteReads implements Store, TokenRepository {
  readonly path: string;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly tokens: SqliteTokens;
  private readonly meta: MetaRepository;
  private readonly detectorTx: Database.Transaction<(output: DetectorOutput) => { newAlerts: Alert[]; incidents: StoredIncident[] }>;

  private constructor(options: SqliteStoreOptions) {
    const { path, db, now, maxDeadLetterBytes, retentionDays } = openWriter(options);
    super(db, now, maxDeadLetterBytes);
    this.path = path;
    this.now = now;
    this.retentionDays = retentionDays;
    this.tokens = new SqliteTokens(this.sql);
    this.meta = new MetaRepository(this.sql);
    this.detectorTx = this.db.transaction((output: DetectorOutput) => this.saveDetectorOutputTx(output));
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(options);
  }

  // ---------------------------------------------------------------- events

  /**
   * Store events and dead letters in one durable transaction. Returns, per event, whether
   * it was new (false: an event with that id was already stored — a redelivery).
   */
  writeBatch(events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]): boolean[] {
    const rows: EventRows = [];
    for (const r of events) pushEventRow(rows, r);
    return this.writeRows(rows, deadLetters);
  }

  /** `writeBatch` of events already flattened with `pushEventRow` (by a writer on another thread's caller). */
  writeRows(rows: EventRows, deadLetters: readonly DeadLetterToStore[]): boolean[] {
    return this.events.writeRows(rows, deadLetters);
  }

  writeEvents(events: readonly EventInput[]): boolean[] {
    return this.writeBatch(events, []);
  }

  countEvents(): number {
    return this.events.count();
  }

  hasEvent(id: string): boolean {
    return this.events.has(id);
  }

  /** Events in arrival order after `afterSeq`: how consumers (detector, ledger) catch up after a restart. */
  eventsAfter(afterSeq: number, limit: number): StoredEventRow[] {
    return this.events.after(afterSeq, limit);
  }

  lastEventSeq(): number {
    return this.events.lastSeq();
  }

  countsByKind(): Record<InputKind, number> {
    return this.events.countsByKind();
  }

  // ---------------------------------------------------------------- dead letters

  countDeadLetters(): number {
    return this.deadLetterRepo.count();
  }

  deadLetters(options: { limit?: number; afterSeq?: number } = {}): DeadLetter[] {
    return this.deadLetterRepo.list(options);
  }

  // ---------------------------------------------------------------- meta

  getMeta(key: string): string | undefined {
    return this.meta.get(key);
  }

  setMeta(key: string, value: string): void {
    this.meta.set(key, value);
  }

  // ---------------------------------------------------------------- detector output

  /**
   * In one `BEGIN IMMEDIATE` transaction: the incident upsert reads before it writes, and a
   * deferred transaction that does so while the store writer's thread holds the lock gets
   * SQLITE_BUSY at once, without waiting for `busy_timeout` (its snapshot can no longer be
   * upgraded). Taking the write lock first makes a busy database wait instead. What still
   * fails for a busy database throws code `BUSY`, which the caller retries.
   */
  saveDetectorOutput(output: DetectorOutput): { newAlerts: Alert[]; incidents: StoredIncident[] } {
    try {
      return this.detectorTx.immediate(output);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      const code = (err as { code?: unknown }).code;
      const busy = typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
      throw new StoreError(busy ? 'BUSY' : 'WRITE_FAILED', `cannot save detector output: ${(err as Error).message}`, { cause: err });
    }
  }

  private saveDetectorOutputTx(output: DetectorOutput): { newAlerts: Alert[]; incidents: StoredIncident[] } {
    const now = this.now();
    const newAlerts: Alert[] = [];
    for (const a of output.alerts ?? []) {
      if (this.alerts.save(a)) {
        newAlerts.push(a);
        this.entities.touch(a.entity.id, a.entity.type, a.ts, 1);
      }
    }
    for (const f of output.folds ?? []) this.alerts.setFolded(f.id, f.folded);
    const incidents: StoredIncident[] = [];
    for (const inc of output.incidents ?? []) incidents.push(this.incidents.upsert(inc, now));
    for (const p of output.reputation ?? []) this.entities.saveReputation(p);
    return { newAlerts, incidents };
  }

  // ---------------------------------------------------------------- incidents

  updateIncidentTriage(id: string, expectedVersion: number, triage: IncidentTriage, action: ActionRecord): StoredIncident {
    return this.incidents.updateTriage(id, expectedVersion, triage, action);
  }

  // ---------------------------------------------------------------- actions

  recordAction(action: ActionRecord): void {
    this.actions.insert(action);
  }

  // ---------------------------------------------------------------- entities and reputation

  setEntityFlag(id: string, type: EntityType, flag: EntityFlag, action: ActionRecord): EntitySummary {
    return this.entities.setFlag(id, type, flag, action);
  }

  // ---------------------------------------------------------------- tokens

  insertToken(record: TokenRecord, hash: string): void {
    this.tokens.insertToken(record, hash);
  }

  tokenByHash(hash: string): TokenRecord | undefined {
    return this.tokens.tokenByHash(hash);
  }

  listTokens(): TokenRecord[] {
    return this.tokens.listTokens();
  }

  revokeToken(id: string, at: number): TokenRecord | undefined {
    return this.tokens.revokeToken(id, at);
  }

  touchToken(id: string, at: number): void {
    this.tokens.touchToken(id, at);
  }

  /**
   * Actions made where the ledger was not writable (`vigil token` while the node runs, the
   * demo's first start): kept in the history with no ledger index until the node appends
   * them (pipeline/token-actions.ts).
   */
  actionsNotInLedger(): ActionRecord[] {
    return this.actions.notInLedger();
  }

  setActionLedgerIndex(id: string, index: number): void {
    this.actions.setLedgerIndex(id, index);
  }

  // ---------------------------------------------------------------- retention

  /**
   * Delete what is older than the retention period, in chunks of `chunk` rows per
   * transaction so ingest is never blocked for long. Returns what was deleted.
   */
  applyRetention(chunk = 10_000): { events: number; deadLetters: number; reputation: number } {
    const out = { events: 0, deadLetters: 0, reputation: 0 };
    if (this.retentionDays === 0) return out;
    const cutoff = this.now() - this.retentionDays * 86_400_000;
    for (let n = chunk; n === chunk; ) out.events += n = this.events.deleteOlder(cutoff, chunk);
    for (let n = chunk; n === chunk; ) out.deadLetters += n = this.deadLetterRepo.deleteOlder(cutoff, chunk);
    for (let n = chunk; n === chunk; ) out.reputation += n = this.entities.deleteReputationOlder(cutoff, chunk);
    return out;
  }

}

/** The writer's connection, created with its schema, and its options checked (SqliteStoreOptions). */
function openWriter(options: SqliteStoreOptions): { path: string; db: Database.Database; now: () => number; maxDeadLetterBytes: number; retentionDays: number } {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  const path = join(options.dataDir, 'vigil.db');
  // Owner-only from the first byte: SQLite gives the -wal and -shm files the database file's
  // mode, so creating it 0600 here covers all three (better-sqlite3 takes no mode).
  closeSync(openSync(path, 'a', 0o600));
  const maxDeadLetterBytes = options.maxDeadLetterBytes ?? 65_536;
  if (!Number.isInteger(maxDeadLetterBytes) || maxDeadLetterBytes < 0) {
    throw new StoreError('BAD_OPTION', `maxDeadLetterBytes: expected a non-negative integer, got ${maxDeadLetterBytes}`);
  }
  const retentionDays = options.retentionDays ?? 0;
  if (!Number.isFinite(retentionDays) || retentionDays < 0) {
    throw new StoreError('BAD_OPTION', `retentionDays: expected a non-negative number of days, got ${retentionDays}`);
  }
  const busyTimeoutMs = options.busyTimeoutMs ?? 5000;
  if (!Number.isInteger(busyTimeoutMs) || busyTimeoutMs < 0) throw new StoreError('BAD_OPTION', `busyTimeoutMs: expected a non-negative integer, got ${busyTimeoutMs}`);
  let db: Database.Database;
  try {
    db = new Database(path);
  } catch (err) {
    throw new StoreError('OPEN_FAILED', `cannot open ${path}: ${(err as Error).message}`, { cause: err });
  }
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  // Pages of the random-order id key index stay cached between commits (default: 2 MB).
  db.pragma('cache_size = -32768');
  createSchema(db);
  return { path, db, now: options.now ?? Date.now, maxDeadLetterBytes, retentionDays };
}
