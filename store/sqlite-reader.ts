/**
 * A read-only connection to a node's SQLite database, for readers off the writer's thread
 * (the API's read threads, api/read-pool.ts). SQLite in WAL mode lets any number of readers
 * run beside the one writer, each on a snapshot of the last commit, so a long search never
 * holds the ingest writer up, nor the writer it.
 *
 * Opened with `readonly` and `query_only`: a reader that tried to write (a bug, or an
 * injection that got through) fails at SQLite instead of changing the record. The database
 * must exist: the node creates it and its schema before any reader opens it.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StoreError } from './errors.js';
import { SqliteReads } from './sqlite/reads.js';

/** The `Store` methods a read-only connection serves (the API's queries). */
export const STORE_READS = [
  'getEvent',
  'searchEvents',
  'countEventsMatching',
  'getAlert',
  'getAlerts',
  'searchAlerts',
  'countAlertsMatching',
  'getIncident',
  'searchIncidents',
  'countIncidentsMatching',
  'actionsFor',
  'getAction',
  'getEntity',
  'searchEntities',
  'vehiclePositions',
  'reputationHistory',
  'searchDeadLetters',
] as const;

export type StoreRead = (typeof STORE_READS)[number];

export class SqliteReader extends SqliteReads {
  private constructor(path: string, now: () => number) {
    let db: Database.Database;
    try {
      db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new StoreError('OPEN_FAILED', `cannot open ${path} for reading: ${(err as Error).message}`, { cause: err });
    }
    db.pragma('query_only = ON');
    db.pragma('busy_timeout = 5000');
    db.pragma('cache_size = -32768');
    // The repositories prepare their write statements too; on this connection those could
    // only ever fail (SQLITE_READONLY), and no method here calls them.
    super(db, now, 0);
  }

  /** The database `vigil.db` in `dataDir`, read-only. */
  static open(options: { dataDir: string; now?: () => number }): SqliteReader {
    return new SqliteReader(join(options.dataDir, 'vigil.db'), options.now ?? Date.now);
  }
}
