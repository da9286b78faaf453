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
 */
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { eventJson, type EntityType, type InputKind, type Rejection, type VigilEvent } from '../events/index.js';
import type { Alert, Incident, ReputationPoint, Severity } from '../detector/index.js';
import { StoreError } from './errors.js';
import { checkFirst, decodeCursor, encodeCursor } from './cursor.js';
import { alertText, eventText, ftsQuery } from './text.js';
import { triageOf, withTriage } from './triage.js';
import type {
  ActionRecord,
  AlertQuery,
  DeadLetterQuery,
  DeadLetterRecord,
  DetectorOutput,
  EntityFlag,
  EntityQuery,
  EntitySummary,
  EventInput,
  EventQuery,
  IncidentQuery,
  IncidentTriage,
  Page,
  PageRequest,
  Role,
  Store,
  StoredEvent,
  StoredIncident,
  TimeRange,
  TokenRecord,
  TokenRepository,
} from './types.js';

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
}

export type StoredEventRow = StoredEvent;
export type DeadLetter = DeadLetterRecord;

export interface EventToStore {
  event: VigilEvent;
  source: string;
  receivedAt: number;
}

/**
 * Events flattened into what the store writes, EVENT_ROW_WIDTH values per event (see
 * `pushEventRow`): the form a writer on another thread is handed, as plain strings and
 * numbers, so that nothing is encoded twice or decoded there.
 */
export type EventRows = Array<string | number>;
export const EVENT_ROW_WIDTH = 9;

/** Append an event's row: id, ts, kind, entity, source, received_at, document, id key, searchable text. */
export function pushEventRow(rows: EventRows, r: EventToStore): void {
  const e = r.event;
  rows.push(e.id, e.vigil.ts, e.vigil.kind, e.vigil.entity.id, r.source, r.receivedAt, eventJson(e), idKey(e.id), eventText(e));
}

/**
 * What events are looked up by: the first 48 bits of the id (a SHA-256, so evenly spread),
 * as a signed integer SQLite keeps in 6 bytes. Ids arrive in random order, so every commit
 * rewrites pages all over this index; an index of the whole 64-character id cost about a
 * third of the writer's time in disk writes, this one is a fifth of its size. Lookups and
 * the duplicate check compare the full id too, so a shared key costs a row read, never a
 * wrong answer.
 */
export function idKey(id: string): number {
  const k = Number.parseInt(id.slice(0, 12), 16);
  return Number.isNaN(k) ? 0 : k - 2 ** 47;
}

export interface DeadLetterToStore {
  raw: string | Uint8Array;
  rejection: Rejection;
  source: string;
  receivedAt: number;
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };
/** Up to this many full-text hits are fetched and sorted; beyond, events are walked in time order. */
const RARE_MATCHES = 5000;

/** Events: unique by id (checked on insert through the id key's index, see idKey). */
const eventsTable = (name: string) => `
CREATE TABLE IF NOT EXISTS ${name} (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  ts INTEGER NOT NULL,
  kind TEXT NOT NULL,
  entity TEXT NOT NULL,
  source TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  doc TEXT NOT NULL,
  id_key INTEGER NOT NULL
);`;
const EVENTS_INDEXES = `
CREATE INDEX IF NOT EXISTS events_id_key ON events(id_key);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts);
CREATE INDEX IF NOT EXISTS events_entity_ts ON events(entity, ts);
`;

const SCHEMA = `
${eventsTable('events')}
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

CREATE TABLE IF NOT EXISTS alerts (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  entity TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  severity INTEGER NOT NULL,
  score REAL NOT NULL,
  origin_type TEXT NOT NULL,
  rule TEXT NOT NULL,
  category TEXT,
  incident_id TEXT,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
CREATE INDEX IF NOT EXISTS alerts_entity_ts ON alerts(entity, ts);
CREATE INDEX IF NOT EXISTS alerts_rule_ts ON alerts(rule, ts);
CREATE INDEX IF NOT EXISTS alerts_incident ON alerts(incident_id);
CREATE INDEX IF NOT EXISTS alerts_severity_ts ON alerts(severity, ts);

CREATE TABLE IF NOT EXISTS incidents (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  entity TEXT NOT NULL,
  entity_type TEXT NOT NULL,
  title TEXT NOT NULL,
  status TEXT NOT NULL,
  severity INTEGER NOT NULL,
  first_seen INTEGER NOT NULL,
  last_seen INTEGER NOT NULL,
  alert_count INTEGER NOT NULL,
  assignee TEXT,
  version INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS incidents_last_seen ON incidents(last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_first_seen ON incidents(first_seen, id);
CREATE INDEX IF NOT EXISTS incidents_status_last_seen ON incidents(status, last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_severity_last_seen ON incidents(severity, last_seen, id);
CREATE INDEX IF NOT EXISTS incidents_entity_last_seen ON incidents(entity, last_seen);
CREATE INDEX IF NOT EXISTS incidents_assignee ON incidents(assignee);

CREATE TABLE IF NOT EXISTS reputation (
  entity TEXT NOT NULL,
  ts INTEGER NOT NULL,
  entity_type TEXT NOT NULL,
  value REAL NOT NULL,
  flagged INTEGER NOT NULL,
  PRIMARY KEY (entity, ts)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reputation_ts ON reputation(ts);

CREATE TABLE IF NOT EXISTS entities (
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  reputation REAL,
  reputation_ts INTEGER,
  detector_flagged INTEGER NOT NULL DEFAULT 0,
  manual_flagged INTEGER NOT NULL DEFAULT 0,
  flag TEXT,
  last_seen INTEGER,
  alert_count INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (type, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS actions (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL UNIQUE,
  ts INTEGER NOT NULL,
  target_type TEXT NOT NULL,
  target_id TEXT NOT NULL,
  ledger_index INTEGER,
  doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS actions_target ON actions(target_type, target_id, seq);

CREATE TABLE IF NOT EXISTS api_tokens (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  role TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  created_at INTEGER NOT NULL,
  created_by TEXT NOT NULL,
  last_used_at INTEGER,
  revoked_at INTEGER,
  expires_at INTEGER
);
`;

/** Contentless FTS5 (rowid = seq): the index without a second copy of each document. */
const FTS_SCHEMA = `
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
CREATE VIRTUAL TABLE IF NOT EXISTS alerts_fts USING fts5(text, content='', contentless_delete=1, tokenize='unicode61 remove_diacritics 2');
`;

export class SqliteStore implements Store, TokenRepository {
  readonly path: string;
  readonly db: Database.Database;
  private readonly maxDeadLetterBytes: number;
  private readonly retentionDays: number;
  private readonly now: () => number;
  private readonly insertEvent: Database.Statement;
  private readonly eventStored: Database.Statement;
  private readonly insertEventFts: Database.Statement;
  private readonly insertDeadLetter: Database.Statement;
  private readonly writeTx: Database.Transaction<(rows: EventRows, deadLetters: readonly DeadLetterToStore[]) => boolean[]>;
  private readonly detectorTx: (output: DetectorOutput) => { newAlerts: Alert[]; incidents: StoredIncident[] };
  private readonly stmts = new Map<string, Database.Statement>();

  private constructor(options: SqliteStoreOptions) {
    mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
    this.path = join(options.dataDir, 'vigil.db');
    // Owner-only from the first byte: SQLite gives the -wal and -shm files the database file's
    // mode, so creating it 0600 here covers all three (better-sqlite3 takes no mode).
    closeSync(openSync(this.path, 'a', 0o600));
    this.maxDeadLetterBytes = options.maxDeadLetterBytes ?? 65_536;
    if (!Number.isInteger(this.maxDeadLetterBytes) || this.maxDeadLetterBytes < 0) {
      throw new StoreError('BAD_OPTION', `maxDeadLetterBytes: expected a non-negative integer, got ${this.maxDeadLetterBytes}`);
    }
    this.retentionDays = options.retentionDays ?? 0;
    if (!Number.isFinite(this.retentionDays) || this.retentionDays < 0) {
      throw new StoreError('BAD_OPTION', `retentionDays: expected a non-negative number of days, got ${this.retentionDays}`);
    }
    this.now = options.now ?? Date.now;
    try {
      this.db = new Database(this.path);
    } catch (err) {
      throw new StoreError('OPEN_FAILED', `cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    // Pages of the random-order id key index stay cached between commits (default: 2 MB).
    this.db.pragma('cache_size = -32768');
    this.db.exec(SCHEMA);
    this.migrateEvents();
    this.db.exec(EVENTS_INDEXES);
    this.migrateFts();
    // Databases made before tokens expired: their tokens keep no expiry (null).
    if (!(this.db.prepare('PRAGMA table_info(api_tokens)').all() as Array<{ name: string }>).some((c) => c.name === 'expires_at')) {
      this.db.exec('ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER');
    }
    // A new id is inserted; one already stored is not (a redelivery). Check and insert run
    // in the same write transaction, so no other writer can come between them.
    this.eventStored = this.db.prepare('SELECT 1 FROM events WHERE id_key = ? AND id = ?').pluck();
    this.insertEvent = this.db.prepare('INSERT INTO events (id, ts, kind, entity, source, received_at, doc, id_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insertEventFts = this.db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    this.insertDeadLetter = this.db.prepare(
      'INSERT INTO dead_letters (received_at, source, code, reason, field, raw, raw_size, raw_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.writeTx = this.db.transaction((rows: EventRows, deadLetters: readonly DeadLetterToStore[]) => {
      const n = rows.length / EVENT_ROW_WIDTH;
      const inserted: boolean[] = new Array<boolean>(n);
      const { insertEvent, insertEventFts, eventStored } = this;
      for (let i = 0, o = 0; i < n; i++, o += EVENT_ROW_WIDTH) {
        if (eventStored.get(rows[o + 7], rows[o]) !== undefined) {
          inserted[i] = false;
          continue;
        }
        const res = insertEvent.run(rows[o], rows[o + 1], rows[o + 2], rows[o + 3], rows[o + 4], rows[o + 5], rows[o + 6], rows[o + 7]);
        inserted[i] = true;
        insertEventFts.run(res.lastInsertRowid, rows[o + 8]);
      }
      for (const d of deadLetters) {
        const raw = typeof d.raw === 'string' ? Buffer.from(d.raw, 'utf8') : Buffer.from(d.raw.buffer, d.raw.byteOffset, d.raw.byteLength);
        const sha = createHash('sha256').update(raw).digest('hex');
        const kept = raw.byteLength > this.maxDeadLetterBytes ? raw.subarray(0, this.maxDeadLetterBytes) : raw;
        this.insertDeadLetter.run(d.receivedAt, d.source, d.rejection.code, d.rejection.message, d.rejection.field ?? null, kept, raw.byteLength, sha);
      }
      return inserted;
    });
    this.detectorTx = this.db.transaction((output: DetectorOutput) => this.saveDetectorOutputTx(output));
  }

  static open(options: SqliteStoreOptions): SqliteStore {
    return new SqliteStore(options);
  }

  /**
   * Databases written before the id key (whose events table had a unique index of the
   * whole id) are rebuilt once, on first open, in one transaction; sequence numbers (the
   * full-text index's rowids) are kept.
   */
  private migrateEvents(): void {
    const current = () => (this.db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('events') as string[]).includes('id_key');
    if (current()) return;
    this.db.function('vigil_id_key', { deterministic: true }, (id: unknown) => idKey(String(id)));
    this.db.transaction(() => {
      if (current()) return; // another connection rebuilt it meanwhile
      this.db.exec(`DROP TABLE IF EXISTS events_rebuilt; ${eventsTable('events_rebuilt')}`);
      this.db.exec(`INSERT INTO events_rebuilt (seq, id, ts, kind, entity, source, received_at, doc, id_key)
        SELECT seq, id, ts, kind, entity, source, received_at, doc, vigil_id_key(id) FROM events ORDER BY seq`);
      this.db.exec('DROP TABLE events; ALTER TABLE events_rebuilt RENAME TO events;');
    }).immediate();
  }

  /** Databases written before the FTS indexes existed are indexed once, on first open. */
  private migrateFts(): void {
    const had = this.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_fts'").get() !== undefined;
    this.db.exec(FTS_SCHEMA);
    if (had) return;
    const fill = this.db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    const chunk = this.db.prepare('SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT 10000');
    this.db.transaction(() => {
      for (let after = 0; ; ) {
        const rows = chunk.all(after) as Array<{ seq: number; doc: string }>;
        if (rows.length === 0) break;
        for (const row of rows) fill.run(row.seq, eventText(JSON.parse(row.doc) as VigilEvent));
        after = rows.at(-1)!.seq;
      }
    })();
  }

  private stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

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
    if (rows.length % EVENT_ROW_WIDTH !== 0) throw new StoreError('WRITE_FAILED', `event rows: expected a multiple of ${EVENT_ROW_WIDTH} values, got ${rows.length}`);
    try {
      // BEGIN IMMEDIATE: the transaction reads (the duplicate check) before it writes, and a
      // deferred one could not take the write lock after another connection committed.
      return this.writeTx.immediate(rows, deadLetters);
    } catch (err) {
      throw new StoreError('WRITE_FAILED', `cannot write ${rows.length / EVENT_ROW_WIDTH} events and ${deadLetters.length} dead letters: ${(err as Error).message}`, { cause: err });
    }
  }

  writeEvents(events: readonly EventInput[]): boolean[] {
    return this.writeBatch(events, []);
  }

  countEvents(): number {
    return (this.stmt('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  countDeadLetters(): number {
    return (this.stmt('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  getEvent(id: string): StoredEventRow | undefined {
    const row = this.stmt('SELECT seq, source, received_at, doc FROM events WHERE id_key = ? AND id = ?').get(idKey(id), id) as RawEventRow | undefined;
    return row && toEventRow(row);
  }

  hasEvent(id: string): boolean {
    return this.stmt('SELECT 1 FROM events WHERE id_key = ? AND id = ?').get(idKey(id), id) !== undefined;
  }

  /** Events in arrival order after `afterSeq`: how consumers (detector, ledger) catch up after a restart. */
  eventsAfter(afterSeq: number, limit: number): StoredEventRow[] {
    const rows = this.stmt('SELECT seq, source, received_at, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as RawEventRow[];
    return rows.map(toEventRow);
  }

  lastEventSeq(): number {
    return (this.stmt('SELECT coalesce(max(seq), 0) AS n FROM events').get() as { n: number }).n;
  }

  deadLetters(options: { limit?: number; afterSeq?: number } = {}): DeadLetter[] {
    const rows = this.stmt(
      'SELECT seq, received_at, source, code, reason, field, raw, raw_size, raw_sha256 FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?',
    ).all(options.afterSeq ?? 0, options.limit ?? 100) as RawDeadLetterRow[];
    return rows.map(toDeadLetter);
  }

  countsByKind(): Record<InputKind, number> {
    const out: Record<string, number> = {};
    for (const r of this.stmt('SELECT kind, count(*) AS n FROM events GROUP BY kind').all() as Array<{ kind: string; n: number }>) out[r.kind] = r.n;
    return out as Record<InputKind, number>;
  }

  getMeta(key: string): string | undefined {
    return (this.stmt('SELECT value FROM meta WHERE key = ?').get(key) as { value: string } | undefined)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  // ---------------------------------------------------------------- event search

  searchEvents(query: EventQuery, page: PageRequest): Page<StoredEvent> {
    const first = checkFirst(page.first);
    const dir = query.direction ?? 'desc';
    const { text, ...rest } = query;
    const w = eventWhere(rest);
    if (w === undefined) return { edges: [], hasNextPage: false };
    if (page.after !== undefined) {
      const [ts, seq] = decodeCursor(page.after, `events:${dir}`);
      w.clauses.push(`(ts, seq) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
      w.params.push(ts, seq);
    }
    const order = dir === 'desc' ? 'ts DESC, seq DESC' : 'ts ASC, seq ASC';
    const cols = 'seq, ts, source, received_at, doc';
    const match = text === undefined ? undefined : ftsQuery(text);
    let sql: string;
    let params: Array<string | number>;
    if (match === undefined) {
      sql = `SELECT ${cols} FROM events ${whereSql(w.clauses)} ORDER BY ${order} LIMIT ?`;
      params = w.params;
    } else if (this.rareMatch(match)) {
      // Few matches: fetch them all by rowid and sort (CROSS JOIN keeps the FTS side outer).
      sql = `WITH m(mseq) AS MATERIALIZED (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)
             SELECT ${cols} FROM m CROSS JOIN events ON events.seq = m.mseq ${whereSql(w.clauses)} ORDER BY ${order} LIMIT ?`;
      params = [match, ...w.params];
    } else {
      // Many matches: walk events in time order and stop at the first page of matches,
      // rather than sorting every match of a common word.
      const index = query.entity === undefined ? 'INDEXED BY events_ts' : '';
      sql = `SELECT ${cols} FROM events ${index} ${whereSql([...w.clauses, 'seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)'])} ORDER BY ${order} LIMIT ?`;
      params = [...w.params, match];
    }
    const rows = this.read(() => this.stmt(sql).all(...params, first + 1) as Array<RawEventRow & { ts: number }>);
    return toPage(rows, first, (r) => ({ node: toEventRow(r), cursor: encodeCursor(`events:${dir}`, r.ts, r.seq) }));
  }

  /** Whether a full-text match is selective enough to fetch every hit and sort them. */
  private rareMatch(match: string): boolean {
    const n = this.read(() => this.stmt(`SELECT count(*) AS n FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? LIMIT ${RARE_MATCHES + 1})`).get(match) as { n: number }).n;
    return n <= RARE_MATCHES;
  }


  countEventsMatching(query: EventQuery): number {
    const w = eventWhere(query);
    if (w === undefined) return 0;
    return this.read(() => (this.stmt(`SELECT count(*) AS n FROM events ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }

  // ---------------------------------------------------------------- detector output

  saveDetectorOutput(output: DetectorOutput): { newAlerts: Alert[]; incidents: StoredIncident[] } {
    try {
      return this.detectorTx(output);
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('WRITE_FAILED', `cannot save detector output: ${(err as Error).message}`, { cause: err });
    }
  }

  private saveDetectorOutputTx(output: DetectorOutput): { newAlerts: Alert[]; incidents: StoredIncident[] } {
    const now = this.now();
    const newAlerts: Alert[] = [];
    const insertAlert = this.stmt(
      `INSERT INTO alerts (id, ts, entity, entity_type, severity, score, origin_type, rule, category, incident_id, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    );
    for (const a of output.alerts ?? []) {
      const res = insertAlert.run(
        a.id, a.ts, a.entity.id, a.entity.type, SEVERITY_RANK[a.severity], a.score, a.origin.type, a.origin.id, a.category ?? null, a.incidentId ?? null, JSON.stringify(a),
      );
      if (res.changes === 1) {
        newAlerts.push(a);
        this.stmt('INSERT INTO alerts_fts (rowid, text) VALUES (?, ?)').run(res.lastInsertRowid, alertText(a));
        this.touchEntity(a.entity.id, a.entity.type, a.ts, 1);
      } else if (a.incidentId !== undefined) {
        // The same alert again, now joined to an incident: only that link may change.
        const stored = this.getAlert(a.id);
        if (stored && stored.incidentId !== a.incidentId) {
          this.stmt('UPDATE alerts SET incident_id = ?, doc = ? WHERE id = ?').run(a.incidentId, JSON.stringify({ ...stored, incidentId: a.incidentId }), a.id);
        }
      }
    }
    const incidents: StoredIncident[] = [];
    for (const inc of output.incidents ?? []) incidents.push(this.upsertIncident(inc, now));
    const insertRep = this.stmt(
      'INSERT INTO reputation (entity, ts, entity_type, value, flagged) VALUES (?, ?, ?, ?, ?) ON CONFLICT(entity, ts) DO UPDATE SET value = excluded.value, flagged = excluded.flagged',
    );
    for (const p of output.reputation ?? []) {
      insertRep.run(p.entity.id, p.ts, p.entity.type, p.value, p.flagged ? 1 : 0);
      this.stmt(
        `INSERT INTO entities (type, id, reputation, reputation_ts, detector_flagged, last_seen) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(type, id) DO UPDATE SET
           reputation = CASE WHEN excluded.reputation_ts >= coalesce(reputation_ts, -1) THEN excluded.reputation ELSE reputation END,
           detector_flagged = CASE WHEN excluded.reputation_ts >= coalesce(reputation_ts, -1) THEN excluded.detector_flagged ELSE detector_flagged END,
           reputation_ts = max(coalesce(reputation_ts, -1), excluded.reputation_ts),
           last_seen = max(coalesce(last_seen, 0), excluded.last_seen)`,
      ).run(p.entity.type, p.entity.id, p.value, p.ts, p.flagged ? 1 : 0, p.ts);
    }
    return { newAlerts, incidents };
  }

  private touchEntity(id: string, type: EntityType, ts: number, alerts: number): void {
    this.stmt(
      `INSERT INTO entities (type, id, last_seen, alert_count) VALUES (?, ?, ?, ?)
       ON CONFLICT(type, id) DO UPDATE SET last_seen = max(coalesce(last_seen, 0), excluded.last_seen), alert_count = alert_count + excluded.alert_count`,
    ).run(type, id, ts, alerts);
  }

  private upsertIncident(inc: Incident, now: number): StoredIncident {
    const existing = this.getIncident(inc.id);
    let merged: Incident;
    let version: number;
    if (existing) {
      // The analysts own the triage fields: a detector update never reopens, unassigns or
      // un-resolves an incident behind their back.
      merged = withTriage(inc, triageOf(existing.incident));
      version = existing.version + 1;
      this.stmt(
        `UPDATE incidents SET entity = ?, entity_type = ?, title = ?, severity = ?, first_seen = ?, last_seen = ?, alert_count = ?,
         version = ?, updated_at = ?, doc = ? WHERE id = ?`,
      ).run(merged.entity.id, merged.entity.type, merged.title, SEVERITY_RANK[merged.severity], merged.firstSeen, merged.lastSeen, merged.alertCount, version, now, JSON.stringify(merged), inc.id);
    } else {
      merged = inc;
      version = 1;
      this.stmt(
        `INSERT INTO incidents (id, entity, entity_type, title, status, severity, first_seen, last_seen, alert_count, assignee, version, updated_at, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(inc.id, inc.entity.id, inc.entity.type, inc.title, inc.status, SEVERITY_RANK[inc.severity], inc.firstSeen, inc.lastSeen, inc.alertCount, inc.assignee ?? null, version, now, JSON.stringify(inc));
    }
    return { incident: merged, version, updatedAt: now };
  }

  // ---------------------------------------------------------------- alerts

  getAlert(id: string): Alert | undefined {
    const row = this.stmt('SELECT doc FROM alerts WHERE id = ?').get(id) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as Alert);
  }

  getAlerts(ids: readonly string[]): Alert[] {
    if (ids.length === 0) return [];
    const out: Alert[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.stmt(`SELECT doc FROM alerts WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as Array<{ doc: string }>;
      out.push(...rows.map((r) => JSON.parse(r.doc) as Alert));
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return out.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  searchAlerts(query: AlertQuery, page: PageRequest): Page<Alert> {
    const first = checkFirst(page.first);
    const w = alertWhere(query);
    if (w === undefined) return { edges: [], hasNextPage: false };
    const field = query.sort?.field ?? 'ts';
    const dir = query.sort?.direction ?? 'desc';
    const col = { ts: 'ts', severity: 'severity', score: 'score' }[field];
    const tag = `alerts:${field}:${dir}`;
    if (page.after !== undefined) {
      const [v, seq] = decodeCursor(page.after, tag);
      w.clauses.push(`(${col}, seq) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
      w.params.push(v, seq);
    }
    const d = dir === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT seq, ${col} AS k, doc FROM alerts ${whereSql(w.clauses)} ORDER BY ${col} ${d}, seq ${d} LIMIT ?`;
    const rows = this.read(() => this.stmt(sql).all(...w.params, first + 1) as Array<{ seq: number; k: number; doc: string }>);
    return toPage(rows, first, (r) => ({ node: JSON.parse(r.doc) as Alert, cursor: encodeCursor(tag, r.k, r.seq) }));
  }

  countAlertsMatching(query: AlertQuery): number {
    const w = alertWhere(query);
    if (w === undefined) return 0;
    return this.read(() => (this.stmt(`SELECT count(*) AS n FROM alerts ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }

  // ---------------------------------------------------------------- incidents

  getIncident(id: string): StoredIncident | undefined {
    const row = this.stmt('SELECT version, updated_at, doc FROM incidents WHERE id = ?').get(id) as RawIncidentRow | undefined;
    return row && toIncident(row);
  }

  searchIncidents(query: IncidentQuery, page: PageRequest): Page<StoredIncident> {
    const first = checkFirst(page.first);
    const w = incidentWhere(query);
    const field = query.sort?.field ?? 'lastSeen';
    const dir = query.sort?.direction ?? 'desc';
    const col = { lastSeen: 'last_seen', firstSeen: 'first_seen', severity: 'severity', alertCount: 'alert_count' }[field];
    const tag = `incidents:${field}:${dir}`;
    if (page.after !== undefined) {
      const [v, id] = decodeCursor(page.after, tag);
      w.clauses.push(`(${col}, id) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
      w.params.push(v, id);
    }
    const d = dir === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT id, ${col} AS k, version, updated_at, doc FROM incidents ${whereSql(w.clauses)} ORDER BY ${col} ${d}, id ${d} LIMIT ?`;
    const rows = this.read(() => this.stmt(sql).all(...w.params, first + 1) as Array<RawIncidentRow & { id: string; k: number }>);
    return toPage(rows, first, (r) => ({ node: toIncident(r), cursor: encodeCursor(tag, r.k, r.id) }));
  }

  countIncidentsMatching(query: IncidentQuery): number {
    const w = incidentWhere(query);
    return this.read(() => (this.stmt(`SELECT count(*) AS n FROM incidents ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }

  updateIncidentTriage(id: string, expectedVersion: number, triage: IncidentTriage, action: ActionRecord): StoredIncident {
    return this.db.transaction(() => {
      const existing = this.getIncident(id);
      if (!existing) throw new StoreError('NOT_FOUND', `no incident ${id}`);
      if (existing.version !== expectedVersion) {
        throw new StoreError('CONFLICT', `incident ${id} changed (version ${existing.version}, expected ${expectedVersion})`);
      }
      const now = this.now();
      const incident = withTriage(existing.incident, triage);
      const version = existing.version + 1;
      this.stmt('UPDATE incidents SET status = ?, assignee = ?, version = ?, updated_at = ?, doc = ? WHERE id = ?').run(
        incident.status, incident.assignee ?? null, version, now, JSON.stringify(incident), id,
      );
      this.insertAction(action);
      return { incident, version, updatedAt: now };
    })();
  }

  // ---------------------------------------------------------------- actions

  recordAction(action: ActionRecord): void {
    this.insertAction(action);
  }

  private insertAction(a: ActionRecord): void {
    try {
      this.stmt('INSERT INTO actions (id, ts, target_type, target_id, ledger_index, doc) VALUES (?, ?, ?, ?, ?, ?)').run(
        a.id, a.ts, a.target.type, a.target.id, a.ledgerIndex ?? null, JSON.stringify(a),
      );
    } catch (err) {
      throw new StoreError('WRITE_FAILED', `cannot record action ${a.id}: ${(err as Error).message}`, { cause: err });
    }
  }

  actionsFor(target: ActionRecord['target']): ActionRecord[] {
    const rows = this.stmt('SELECT doc FROM actions WHERE target_type = ? AND target_id = ? ORDER BY seq').all(target.type, target.id) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ActionRecord);
  }

  getAction(id: string): ActionRecord | undefined {
    const row = this.stmt('SELECT doc FROM actions WHERE id = ?').get(id) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as ActionRecord);
  }

  // ---------------------------------------------------------------- entities

  getEntity(id: string, type: EntityType): EntitySummary | undefined {
    const row = this.stmt('SELECT * FROM entities WHERE type = ? AND id = ?').get(type, id) as RawEntityRow | undefined;
    return row && toEntity(row);
  }

  searchEntities(query: EntityQuery, page: PageRequest): Page<EntitySummary> {
    const first = checkFirst(page.first);
    const clauses = ['type = ?'];
    const params: Array<string | number> = [query.type];
    if (query.flagged !== undefined) clauses.push(query.flagged ? '(detector_flagged = 1 OR manual_flagged = 1)' : '(detector_flagged = 0 AND manual_flagged = 0)');
    if (query.idPrefix) {
      clauses.push('id >= ? AND id < ?');
      params.push(query.idPrefix, `${query.idPrefix}\u{10ffff}`);
    }
    const tag = `entities:${query.type}`;
    if (page.after !== undefined) {
      const [id] = decodeCursor(page.after, tag);
      clauses.push('id > ?');
      params.push(id);
    }
    const rows = this.stmt(`SELECT * FROM entities ${whereSql(clauses)} ORDER BY id LIMIT ?`).all(...params, first + 1) as RawEntityRow[];
    return toPage(rows, first, (r) => ({ node: toEntity(r), cursor: encodeCursor(tag, r.id, 0) }));
  }

  reputationHistory(entity: string, range: TimeRange, limit: number): ReputationPoint[] {
    const rows = this.stmt(
      'SELECT entity, entity_type, ts, value, flagged FROM reputation WHERE entity = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT ?',
    ).all(entity, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.min(limit, 10_000))) as Array<{
      entity: string;
      entity_type: EntityType;
      ts: number;
      value: number;
      flagged: number;
    }>;
    return rows.reverse().map((r) => ({ entity: { id: r.entity, type: r.entity_type }, ts: r.ts, value: r.value, flagged: r.flagged === 1 }));
  }

  setEntityFlag(id: string, type: EntityType, flag: EntityFlag, action: ActionRecord): EntitySummary {
    return this.db.transaction(() => {
      this.stmt(
        `INSERT INTO entities (type, id, manual_flagged, flag) VALUES (?, ?, ?, ?)
         ON CONFLICT(type, id) DO UPDATE SET manual_flagged = excluded.manual_flagged, flag = excluded.flag`,
      ).run(type, id, flag.flagged ? 1 : 0, JSON.stringify(flag));
      this.insertAction(action);
      return this.getEntity(id, type)!;
    })();
  }

  // ---------------------------------------------------------------- dead letters

  searchDeadLetters(query: DeadLetterQuery, page: PageRequest): Page<DeadLetterRecord> {
    const first = checkFirst(page.first);
    const clauses: string[] = [];
    const params: Array<string | number> = [];
    timeClauses('received_at', query.time, clauses, params);
    whereEq({ clauses, params }, 'code', query.code || undefined);
    whereEq({ clauses, params }, 'source', query.source || undefined);
    if (page.after !== undefined) {
      const [, seq] = decodeCursor(page.after, 'dead_letters');
      clauses.push('seq < ?');
      params.push(seq);
    }
    const rows = this.stmt(
      `SELECT seq, received_at, source, code, reason, field, raw, raw_size, raw_sha256 FROM dead_letters ${whereSql(clauses)} ORDER BY seq DESC LIMIT ?`,
    ).all(...params, first + 1) as RawDeadLetterRow[];
    return toPage(rows, first, (r) => ({ node: toDeadLetter(r), cursor: encodeCursor('dead_letters', 0, r.seq) }));
  }

  // ---------------------------------------------------------------- tokens

  insertToken(record: TokenRecord, hash: string): void {
    this.stmt('INSERT INTO api_tokens (id, name, role, hash, created_at, created_by, last_used_at, revoked_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, ?)').run(
      record.id, record.name, record.role, hash, record.createdAt, record.createdBy, record.expiresAt,
    );
  }

  tokenByHash(hash: string): TokenRecord | undefined {
    const row = this.stmt('SELECT * FROM api_tokens WHERE hash = ? AND revoked_at IS NULL').get(hash) as RawTokenRow | undefined;
    return row && toToken(row);
  }

  listTokens(): TokenRecord[] {
    return (this.stmt('SELECT * FROM api_tokens ORDER BY created_at, id').all() as RawTokenRow[]).map(toToken);
  }

  revokeToken(id: string, at: number): TokenRecord | undefined {
    this.stmt('UPDATE api_tokens SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?').run(at, id);
    const row = this.stmt('SELECT * FROM api_tokens WHERE id = ?').get(id) as RawTokenRow | undefined;
    return row && toToken(row);
  }

  touchToken(id: string, at: number): void {
    this.stmt('UPDATE api_tokens SET last_used_at = ? WHERE id = ?').run(at, id);
  }

  actionsNotInLedger(): ActionRecord[] {
    return (this.stmt('SELECT doc FROM actions WHERE ledger_index IS NULL ORDER BY seq').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as ActionRecord);
  }

  setActionLedgerIndex(id: string, index: number): void {
    const row = this.stmt('SELECT doc FROM actions WHERE id = ?').get(id) as { doc: string } | undefined;
    if (!row) return;
    const doc = JSON.stringify({ ...(JSON.parse(row.doc) as ActionRecord), ledgerIndex: index });
    this.stmt('UPDATE actions SET ledger_index = ?, doc = ? WHERE id = ?').run(index, doc, id);
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
    const delEvents = this.db.transaction(() => {
      const seqs = (this.stmt('SELECT seq FROM events WHERE ts < ? ORDER BY ts LIMIT ?').all(cutoff, chunk) as Array<{ seq: number }>).map((r) => r.seq);
      for (const seq of seqs) {
        this.stmt('DELETE FROM events_fts WHERE rowid = ?').run(seq);
        this.stmt('DELETE FROM events WHERE seq = ?').run(seq);
      }
      return seqs.length;
    });
    for (let n = chunk; n === chunk; ) out.events += n = delEvents();
    for (let n = chunk; n === chunk; ) {
      out.deadLetters += n = this.stmt('DELETE FROM dead_letters WHERE seq IN (SELECT seq FROM dead_letters WHERE received_at < ? LIMIT ?)').run(cutoff, chunk).changes;
    }
    for (let n = chunk; n === chunk; ) {
      out.reputation += n = this.stmt('DELETE FROM reputation WHERE (entity, ts) IN (SELECT entity, ts FROM reputation WHERE ts < ? LIMIT ?)').run(cutoff, chunk).changes;
    }
    return out;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('READ_FAILED', `query failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

// ------------------------------------------------------------------ query building

interface Where {
  clauses: string[];
  params: Array<string | number>;
}

function whereSql(clauses: string[]): string {
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

function timeClauses(col: string, range: TimeRange | undefined, clauses: string[], params: Array<string | number>): void {
  if (range?.from !== undefined) {
    clauses.push(`${col} >= ?`);
    params.push(range.from);
  }
  if (range?.to !== undefined) {
    clauses.push(`${col} < ?`);
    params.push(range.to);
  }
}

/** `col = ?` when the filter is given. */
function whereEq(w: Where, col: string, value: string | number | undefined): void {
  if (value === undefined) return;
  w.clauses.push(`${col} = ?`);
  w.params.push(value);
}

function inList(col: string, values: readonly (string | number)[], w: Where): void {
  w.clauses.push(`${col} IN (${values.map(() => '?').join(',')})`);
  w.params.push(...values);
}

/** `undefined` when the query can match nothing (an empty list filter, a text of no words). */
function eventWhere(q: EventQuery): Where | undefined {
  const w: Where = { clauses: [], params: [] };
  timeClauses('ts', q.time, w.clauses, w.params);
  if (q.kinds) {
    if (q.kinds.length === 0) return undefined;
    inList('kind', q.kinds, w);
  }
  whereEq(w, 'entity', q.entity);
  whereEq(w, "json_extract(doc, '$.vigil.entity.type')", q.entityType);
  whereEq(w, 'source', q.source);
  if (q.text !== undefined) {
    const match = ftsQuery(q.text);
    if (match !== undefined) {
      w.clauses.push('seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)');
      w.params.push(match);
    }
  }
  return w;
}

function alertWhere(q: AlertQuery): Where | undefined {
  const w: Where = { clauses: [], params: [] };
  timeClauses('ts', q.time, w.clauses, w.params);
  if (q.severities) {
    if (q.severities.length === 0) return undefined;
    inList('severity', q.severities.map((s) => SEVERITY_RANK[s]), w);
  }
  whereEq(w, 'entity', q.entity);
  whereEq(w, 'entity_type', q.entityType);
  whereEq(w, 'rule', q.rule);
  whereEq(w, 'origin_type', q.originType);
  whereEq(w, 'incident_id', q.incidentId);
  whereEq(w, 'category', q.category);
  if (q.text !== undefined) {
    const match = ftsQuery(q.text);
    if (match !== undefined) {
      w.clauses.push('seq IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)');
      w.params.push(match);
    }
  }
  return w;
}

function incidentWhere(q: IncidentQuery): Where {
  const w: Where = { clauses: [], params: [] };
  if (q.time?.from !== undefined) {
    w.clauses.push('last_seen >= ?');
    w.params.push(q.time.from);
  }
  if (q.time?.to !== undefined) {
    w.clauses.push('first_seen < ?');
    w.params.push(q.time.to);
  }
  if (q.statuses) {
    if (q.statuses.length === 0) w.clauses.push('0');
    else inList('status', q.statuses, w);
  }
  if (q.severities) {
    if (q.severities.length === 0) w.clauses.push('0');
    else inList('severity', q.severities.map((s) => SEVERITY_RANK[s]), w);
  }
  whereEq(w, 'entity', q.entity);
  whereEq(w, 'entity_type', q.entityType);
  whereEq(w, 'assignee', q.assignee);
  if (q.rule !== undefined) {
    w.clauses.push('id IN (SELECT incident_id FROM alerts WHERE rule = ? AND incident_id IS NOT NULL)');
    w.params.push(q.rule);
  }
  if (q.category !== undefined) {
    w.clauses.push("EXISTS (SELECT 1 FROM json_each(doc, '$.categories') WHERE value = ?)");
    w.params.push(q.category);
  }
  if (q.text !== undefined) {
    // Incidents are few (thousands): a scan of title and entity is fast enough, and a LIKE
    // pattern is built with its wildcards escaped so user text stays literal.
    for (const word of q.text.split(/\s+/).filter(Boolean).slice(0, 16)) {
      const pat = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*+$/, '')}%`;
      w.clauses.push("(title LIKE ? ESCAPE '\\' OR entity LIKE ? ESCAPE '\\')");
      w.params.push(pat, pat);
    }
  }
  return w;
}

function toPage<R, T>(rows: R[], first: number, edge: (r: R) => { node: T; cursor: string }): Page<T> {
  const hasNextPage = rows.length > first;
  return { edges: rows.slice(0, first).map(edge), hasNextPage };
}

// ------------------------------------------------------------------ rows

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
interface RawIncidentRow {
  version: number;
  updated_at: number;
  doc: string;
}
interface RawEntityRow {
  type: EntityType;
  id: string;
  reputation: number | null;
  detector_flagged: number;
  manual_flagged: number;
  flag: string | null;
  last_seen: number | null;
  alert_count: number;
}
interface RawTokenRow {
  id: string;
  name: string;
  role: Role;
  created_at: number;
  created_by: string;
  last_used_at: number | null;
  revoked_at: number | null;
  expires_at: number | null;
}

function toEventRow(row: RawEventRow): StoredEventRow {
  return { seq: row.seq, event: JSON.parse(row.doc) as VigilEvent, source: row.source, receivedAt: row.received_at };
}

function toDeadLetter(r: RawDeadLetterRow): DeadLetter {
  return {
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
  };
}

function toIncident(r: RawIncidentRow): StoredIncident {
  return { incident: JSON.parse(r.doc) as Incident, version: r.version, updatedAt: r.updated_at };
}

function toEntity(r: RawEntityRow): EntitySummary {
  return {
    id: r.id,
    type: r.type,
    reputation: r.reputation,
    detectorFlagged: r.detector_flagged === 1,
    flag: r.flag === null ? null : (JSON.parse(r.flag) as EntityFlag),
    lastSeen: r.last_seen,
    alertCount: r.alert_count,
  };
}

function toToken(r: RawTokenRow): TokenRecord {
  return { id: r.id, name: r.name, role: r.role, createdAt: r.created_at, createdBy: r.created_by, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at, expiresAt: r.expires_at ?? null };
}
