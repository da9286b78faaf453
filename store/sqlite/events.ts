/**
 * Events: the group-commit write (events and dead letters in one durable transaction),
 * lookups, catch-up in arrival order, and search (full text and keyset pages).
 */
import type Database from 'better-sqlite3';
import { eventJson, type InputKind, type VigilEvent } from '../../events/index.js';
import { StoreError } from '../errors.js';
import { checkFirst, decodeCursor, encodeCursor } from '../cursor.js';
import { eventText, ftsQuery } from '../text.js';
import type { EventQuery, Page, PageRequest, StoredEvent } from '../types.js';
import type { DeadLetterRepository, DeadLetterToStore } from './dead-letters.js';
import { inList, timeClauses, toPage, whereEq, whereSql, type Sql, type Where } from './sql.js';

export type StoredEventRow = StoredEvent;

export interface EventToStore {
  event: VigilEvent;
  source: string;
  receivedAt: number;
  /**
   * The event's stored JSON text (`eventJson(event)`), when the caller made it already: the
   * same text goes to the store and to the detector's thread, made once per event.
   */
  json?: string;
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
  rows.push(e.id, e.vigil.ts, e.vigil.kind, e.vigil.entity.id, r.source, r.receivedAt, r.json ?? eventJson(e), idKey(e.id), eventText(e));
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

/** Up to this many full-text hits are fetched and sorted; beyond, events are walked in time order. */
const RARE_MATCHES = 5000;

interface RawEventRow {
  seq: number;
  source: string;
  received_at: number;
  doc: string;
}

export class EventRepository {
  private readonly insertEvent: Database.Statement;
  private readonly eventStored: Database.Statement;
  private readonly insertEventFts: Database.Statement;
  private readonly writeTx: Database.Transaction<(rows: EventRows, deadLetters: readonly DeadLetterToStore[]) => boolean[]>;

  constructor(
    private readonly sql: Sql,
    deadLetters: DeadLetterRepository,
  ) {
    const { db } = sql;
    // A new id is inserted; one already stored is not (a redelivery). Check and insert run
    // in the same write transaction, so no other writer can come between them.
    this.eventStored = db.prepare('SELECT 1 FROM events WHERE id_key = ? AND id = ?').pluck();
    this.insertEvent = db.prepare('INSERT INTO events (id, ts, kind, entity, source, received_at, doc, id_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insertEventFts = db.prepare('INSERT INTO events_fts (rowid, text) VALUES (?, ?)');
    this.writeTx = db.transaction((rows: EventRows, dead: readonly DeadLetterToStore[]) => {
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
      for (const d of dead) deadLetters.insert(d);
      return inserted;
    });
  }

  /** `writeBatch` of events already flattened with `pushEventRow`. */
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

  count(): number {
    return (this.sql.stmt('SELECT count(*) AS n FROM events').get() as { n: number }).n;
  }

  get(id: string): StoredEventRow | undefined {
    const row = this.sql.stmt('SELECT seq, source, received_at, doc FROM events WHERE id_key = ? AND id = ?').get(idKey(id), id) as RawEventRow | undefined;
    return row && toEventRow(row);
  }

  has(id: string): boolean {
    return this.sql.stmt('SELECT 1 FROM events WHERE id_key = ? AND id = ?').get(idKey(id), id) !== undefined;
  }

  after(afterSeq: number, limit: number): StoredEventRow[] {
    const rows = this.sql.stmt('SELECT seq, source, received_at, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as RawEventRow[];
    return rows.map(toEventRow);
  }

  lastSeq(): number {
    return (this.sql.stmt('SELECT coalesce(max(seq), 0) AS n FROM events').get() as { n: number }).n;
  }

  countsByKind(): Record<InputKind, number> {
    const out: Record<string, number> = {};
    for (const r of this.sql.stmt('SELECT kind, count(*) AS n FROM events GROUP BY kind').all() as Array<{ kind: string; n: number }>) out[r.kind] = r.n;
    return out as Record<InputKind, number>;
  }

  search(query: EventQuery, page: PageRequest): Page<StoredEvent> {
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
    const rows = this.sql.read(() => this.sql.stmt(sql).all(...params, first + 1) as Array<RawEventRow & { ts: number }>);
    return toPage(rows, first, (r) => ({ node: toEventRow(r), cursor: encodeCursor(`events:${dir}`, r.ts, r.seq) }));
  }

  /** Whether a full-text match is selective enough to fetch every hit and sort them. */
  private rareMatch(match: string): boolean {
    const n = this.sql.read(() => this.sql.stmt(`SELECT count(*) AS n FROM (SELECT rowid FROM events_fts WHERE events_fts MATCH ? LIMIT ${RARE_MATCHES + 1})`).get(match) as { n: number }).n;
    return n <= RARE_MATCHES;
  }

  countMatching(query: EventQuery): number {
    const w = eventWhere(query);
    if (w === undefined) return 0;
    return this.sql.read(() => (this.sql.stmt(`SELECT count(*) AS n FROM events ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }

  /** Deletes up to `chunk` events older than `cutoff` (and their full-text rows) in one transaction; returns how many. */
  deleteOlder(cutoff: number, chunk: number): number {
    return this.sql.db.transaction(() => {
      const seqs = (this.sql.stmt('SELECT seq FROM events WHERE ts < ? ORDER BY ts LIMIT ?').all(cutoff, chunk) as Array<{ seq: number }>).map((r) => r.seq);
      for (const seq of seqs) {
        this.sql.stmt('DELETE FROM events_fts WHERE rowid = ?').run(seq);
        this.sql.stmt('DELETE FROM events WHERE seq = ?').run(seq);
      }
      return seqs.length;
    }).immediate();
  }
}

function toEventRow(row: RawEventRow): StoredEventRow {
  return { seq: row.seq, event: JSON.parse(row.doc) as VigilEvent, source: row.source, receivedAt: row.received_at };
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
