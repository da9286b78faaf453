/**
 * The SQLite schema and the one-time migrations of databases written by older versions.
 * Everything here runs once, when the store opens.
 */
import type Database from 'better-sqlite3';
import type { VigilEvent } from '../../events/index.js';
import { eventText } from '../text.js';
import { idKey } from './events.js';

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

/** Create what is missing and bring an older database up to date. */
export function createSchema(db: Database.Database): void {
  db.exec(SCHEMA);
  migrateEvents(db);
  db.exec(EVENTS_INDEXES);
  migrateFts(db);
  migrateTokenExpiry(db);
}

/** Databases made before tokens expired: their tokens keep no expiry (null). */
function migrateTokenExpiry(db: Database.Database): void {
  if (!(db.prepare('PRAGMA table_info(api_tokens)').all() as Array<{ name: string }>).some((c) => c.name === 'expires_at')) {
    db.exec('ALTER TABLE api_tokens ADD COLUMN expires_at INTEGER');
  }
}

/**
 * Databases written before the id key (whose events table had a unique index of the
 * whole id) are rebuilt once, on first open, in one transaction; sequence numbers (the
 * full-text index's rowids) are kept.
 */
function migrateEvents(db: Database.Database): void {
  const current = () => (db.prepare('SELECT name FROM pragma_table_info(?)').pluck().all('events') as string[]).includes('id_key');
  if (current()) return;
  db.function('vigil_id_key', { deterministic: true }, (id: unknown) => idKey(String(id)));
  db.transaction(() => {
    if (current()) return; // another connection rebuilt it meanwhile
    db.exec(`DROP TABLE IF EXISTS events_rebuilt; ${eventsTable('events_rebuilt')}`);
    db.exec(`INSERT INTO events_rebuilt (seq, id, ts, kind, entity, source, received_at, doc, id_key)
      SELECT seq, id, ts, kind, entity, source, received_at, doc, vigil_id_key(id) FROM events ORDER BY seq`);
    db.exec('DROP TABLE events; ALTER TABLE events_rebuilt RENAME TO events;');
  }).immediate();
}

/** Databases written before the FTS indexes existed are indexed once, on first open. */
function migrateFts(db: Database.Database): void {
  const had = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'events_fts'").get() !== undefined;
  db.exec(FTS_SCHEMA);
  if (had) return;
  const fill = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
  const chunk = db.prepare('SELECT seq, doc FROM events WHERE seq > ? ORDER BY seq LIMIT 10000');
  db.transaction(() => {
    for (let after = 0; ; ) {
      const rows = chunk.all(after) as Array<{ seq: number; doc: string }>;
      if (rows.length === 0) break;
      for (const row of rows) fill.run(row.seq, eventText(JSON.parse(row.doc) as VigilEvent));
      after = rows.at(-1)!.seq;
    }
  })();
}
