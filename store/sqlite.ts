/**
 * The embedded store: one SQLite database (better-sqlite3) in the data directory.
 *
 * Durability: WAL with `synchronous = FULL`, so a commit is on disk when `writeBatch`
 * returns; the ingest pipeline commits many events per transaction (group commit) so the
 * fsync is paid once per batch, not per event. A collector acknowledges its sender only
 * after that commit, which is what lets `kill -9` lose nothing that was acknowledged.
 */
import { mkdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { InputKind, Rejection, VigilEvent } from '../events/index.js';
import { StoreError } from './errors.js';

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
}

export interface StoredEventRow {
  seq: number;
  event: VigilEvent;
  source: string;
  receivedAt: number;
}

export interface DeadLetter {
  seq: number;
  receivedAt: number;
  source: string;
  code: Rejection['code'];
  reason: string;
  field: string | null;
  /** The input as received (up to `maxDeadLetterBytes`). */
  raw: Buffer;
  /** Size in bytes of the whole raw input. */
  rawSize: number;
  rawSha256: string;
  truncated: boolean;
}

export interface EventToStore {
  event: VigilEvent;
  source: string;
  receivedAt: number;
}

export interface DeadLetterToStore {
  raw: string | Uint8Array;
  rejection: Rejection;
  source: string;
  receivedAt: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  entity TEXT NOT NULL,
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_entity_ts ON events(entity, ts);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER PRIMARY KEY,
  received_at INTEGER NOT NULL,
  source TEXT NOT NULL,
  code TEXT NOT NULL,
  reason TEXT NOT NULL,
  field TEXT,
  raw BLOB NOT NULL,
  raw_size INTEGER NOT NULL,
  raw_sha256 TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS dead_letters_received ON dead_letters(received_at);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
`;

export class SqliteStore {
  readonly path: string;
  readonly db: Database.Database;
  private readonly maxDeadLetterBytes: number;
  private readonly insertEvent: Database.Statement;
  private readonly insertDeadLetter: Database.Statement;
  private readonly writeTx: (events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]) => boolean[];

  private constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true });
    this.path = join(options.dataDir, 'vigil.db');
    this.maxDeadLetterBytes = options.maxDeadLetterBytes ?? 65_536;
    if (!Number.isInteger(this.maxDeadLetterBytes) || this.maxDeadLetterBytes < 0) {
      throw new StoreError('BAD_OPTION', `maxDeadLetterBytes: expected a non-negative integer, got ${this.maxDeadLetterBytes}`);
    }
    try {
      this.db = new Database(this.path);
    } catch (err) {
      throw new StoreError('OPEN_FAILED', `cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.insertEvent = this.db.prepare(
      'INSERT INTO events (id, ts, kind, entity, source, received_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING',
    );
    this.insertDeadLetter = this.db.prepare(
      'INSERT INTO dead_letters (received_at, source, code, reason, field, raw, raw_size, raw_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeTx = this.db.transaction((events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]) => {
      const inserted: boolean[] = new Array<boolean>(events.length);
      for (let i = 0; i < events.length; i++) {
        const r = events[i]!;
        const e = r.event;
        inserted[i] = this.insertEvent.run(e.id, e.vigil.ts, e.vigil.kind, e.vigil.entity.id, r.source, r.receivedAt, JSON.stringify(e)).changes === 1;
      }
      for (const d of deadLetters) {
        const raw = typeof d.raw === 'string' ? Buffer.from(d.raw, 'utf8') : Buffer.from(d.raw.buffer, d.raw.byteOffset, d.raw.byteLength);
        const sha = createHash('sha256').update(raw).digest('hex');
        const kept = raw.byteLength > this.maxDeadLetterBytes ? raw.subarray(0, this.maxDeadLetterBytes) : raw;
        this.insertDeadLetter.run(d.receivedAt, d.source, d.rejection.code, d.rejection.message, d.rejection.field ?? null, kept, raw.byteLength, sha);
      }
      return inserted;
    });
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(options);
  }

  /**
   * Store events and dead letters in one durable transaction. Returns, per event, whether
   * it was new (false: an event with that id was already stored — a redelivery).
   */
  writeBatch(events: readonly EventToStore[], deadLetters: readonly DeadLetterToStore[]): boolean[] {
    try {
      return this.writeTx(events, deadLetters);
    } catch (err) {
      throw new StoreError('WRITE_FAILED', `cannot write ${events.length} events and ${deadLetters.length} dead letters: ${(err as Error).message}`, { cause: err });
    }
  }

  countEvents(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  countDeadLetters(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  getEvent(id: string): StoredEventRow | undefined {
    const row = this.db.prepare('SELECT seq, source, received_at, doc FROM events WHERE id = ?').get(id) as RawEventRow | undefined;
    return row && toEventRow(row);
  }

  hasEvent(id: string): boolean {
    return this.db.prepare('SELECT 1 FROM events WHERE id = ?').get(id) !== undefined;
  }

  /** Events in arrival order after `afterSeq`: how consumers (detector, ledger) catch up after a restart. */
  eventsAfter(afterSeq: number, limit: number): StoredEventRow[] {
    const rows = this.db.prepare('SELECT seq, source, received_at, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as RawEventRow[];
    return rows.map(toEventRow);
  }

  lastEventSeq(): number {
    return (this.db.prepare('SELECT coalesce(max(seq), 0) AS n FROM events').get() as { n: number }).n;
  }

  deadLetters(options: { limit?: number; afterSeq?: number } = {}): DeadLetter[] {
    const rows = this.db
      .prepare('SELECT seq, received_at, source, code, reason, field, raw, raw_size, raw_sha256 FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?')
      .all(options.afterSeq ?? 0, options.limit ?? 100) as RawDeadLetterRow[];
    return rows.map((r) => ({
      seq: r.seq,
      receivedAt: r.received_at,
      source: r.source,
      code: r.code as Rejection['code'],
      reason: r.reason,
      field: r.field,
      raw: r.raw,
      rawSize: r.raw_size,
      rawSha256: r.raw_sha256,
      truncated: r.raw.byteLength < r.raw_size,
    }));
  }

  countsByKind(): Record<InputKind, number> {
    const out: Record<string, number> = {};
    for (const r of this.db.prepare('SELECT kind, count(*) AS n FROM events GROUP BY kind').all() as Array<{ kind: string; n: number }>) out[r.kind] = r.n;
    return out as Record<InputKind, number>;
  }

  getMeta(key: string): string | undefined {
    return (this.db.prepare('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface RawEventRow {
  seq: number;
  source: string;
  received_at: number;
  doc: string;
}
interface RawDeadLetterRow {
  seq: number;
  received_at: number;
  source: string;
  code: string;
  reason: string;
  field: string | null;
  raw: Buffer;
  raw_size: number;
  raw_sha256: string;
}

function toEventRow(row: RawEventRow): StoredEventRow {
  return { seq: row.seq, event: JSON.parse(row.doc) as VigilEvent, source: row.source, receivedAt: row.received_at };
}
