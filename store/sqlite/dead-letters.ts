/** Rejected input, kept with its reason (and, beyond a size, only its size and SHA-256). */
import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { Rejection } from '../../events/index.js';
import { checkFirst, decodeCursor, encodeCursor } from '../cursor.js';
import type { DeadLetterQuery, DeadLetterRecord, Page, PageRequest } from '../types.js';
import { timeClauses, toPage, whereEq, whereSql, type Sql } from './sql.js';

export type DeadLetter = DeadLetterRecord;

export interface DeadLetterToStore {
  raw: string | Uint8Array;
  rejection: Rejection;
  source: string;
  receivedAt: number;
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

export class DeadLetterRepository {
  private readonly insertDeadLetter: Database.Statement;

  constructor(
    private readonly sql: Sql,
    /** Largest part of a rejected input kept verbatim, bytes. */
    private readonly maxBytes: number,
  ) {
    this.insertDeadLetter = sql.db.prepare(
      'INSERT INTO dead_letters (received_at, source, code, reason, field, raw, raw_size, raw_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
  }

  /** Runs inside the caller's write transaction (the events' group commit). */
  insert(d: DeadLetterToStore): void {
    const raw = typeof d.raw === 'string' ? Buffer.from(d.raw, 'utf8') : Buffer.from(d.raw.buffer, d.raw.byteOffset, d.raw.byteLength);
    const sha = createHash('sha256').update(raw).digest('hex');
    const kept = raw.byteLength > this.maxBytes ? raw.subarray(0, this.maxBytes) : raw;
    this.insertDeadLetter.run(d.receivedAt, d.source, d.rejection.code, d.rejection.message, d.rejection.field ?? null, kept, raw.byteLength, sha);
  }

  count(): number {
    return (this.sql.stmt('SELECT count(*) AS n FROM dead_letters').get() as { n: number }).n;
  }

  list(options: { limit?: number; afterSeq?: number } = {}): DeadLetter[] {
    const rows = this.sql.stmt(
      'SELECT seq, received_at, source, code, reason, field, raw, raw_size, raw_sha256 FROM dead_letters WHERE seq > ? ORDER BY seq LIMIT ?',
    ).all(options.afterSeq ?? 0, options.limit ?? 100) as RawDeadLetterRow[];
    return rows.map(toDeadLetter);
  }

  search(query: DeadLetterQuery, page: PageRequest): Page<DeadLetterRecord> {
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
    const rows = this.sql.stmt(
      `SELECT seq, received_at, source, code, reason, field, raw, raw_size, raw_sha256 FROM dead_letters ${whereSql(clauses)} ORDER BY seq DESC LIMIT ?`,
    ).all(...params, first + 1) as RawDeadLetterRow[];
    return toPage(rows, first, (r) => ({ node: toDeadLetter(r), cursor: encodeCursor('dead_letters', 0, r.seq) }));
  }

  /** Deletes up to `chunk` dead letters that arrived before `cutoff`; returns how many. */
  deleteOlder(cutoff: number, chunk: number): number {
    return this.sql.deleteOlder('dead_letters', 'seq', 'received_at', cutoff, chunk);
  }
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
