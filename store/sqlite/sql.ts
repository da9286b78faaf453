/**
 * What every SQLite repository shares: the one connection, a cache of prepared
 * statements (SQL text is the key, so a repository preparing the same query twice gets one
 * statement), the read-error wrapping, and the small WHERE-clause builders.
 */
import type Database from 'better-sqlite3';
import type { Severity } from '../../detector/index.js';
import { StoreError } from '../errors.js';
import type { Page, TimeRange } from '../types.js';

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

export class Sql {
  private readonly stmts = new Map<string, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    /** Clock, epoch milliseconds. */
    readonly now: () => number,
  ) {}

  stmt(sql: string): Database.Statement {
    let s = this.stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.stmts.set(sql, s);
    }
    return s;
  }

  /**
   * Retention: deletes up to `chunk` rows of `table` whose `timeColumn` is before `cutoff`
   * (epoch ms), picked by `key` (the primary key's columns, comma-separated), so that one
   * pass holds the writer's lock for a bounded time; returns how many.
   */
  deleteOlder(table: string, key: string, timeColumn: string, cutoff: number, chunk: number): number {
    return this.stmt(`DELETE FROM ${table} WHERE (${key}) IN (SELECT ${key} FROM ${table} WHERE ${timeColumn} < ? LIMIT ?)`).run(cutoff, chunk).changes;
  }

  read<T>(fn: () => T): T {
    try {
      return fn();
    } catch (err) {
      if (err instanceof StoreError) throw err;
      throw new StoreError('READ_FAILED', `query failed: ${(err as Error).message}`, { cause: err });
    }
  }
}

export interface Where {
  clauses: string[];
  params: Array<string | number>;
}

export function whereSql(clauses: string[]): string {
  return clauses.length ? `WHERE ${clauses.join(' AND ')}` : '';
}

export function timeClauses(col: string, range: TimeRange | undefined, clauses: string[], params: Array<string | number>): void {
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
export function whereEq(w: Where, col: string, value: string | number | undefined): void {
  if (value === undefined) return;
  w.clauses.push(`${col} = ?`);
  w.params.push(value);
}

export function inList(col: string, values: readonly (string | number)[], w: Where): void {
  w.clauses.push(`${col} IN (${values.map(() => '?').join(',')})`);
  w.params.push(...values);
}

export function toPage<R, T>(rows: R[], first: number, edge: (r: R) => { node: T; cursor: string }): Page<T> {
  const hasNextPage = rows.length > first;
  return { edges: rows.slice(0, first).map(edge), hasNextPage };
}
