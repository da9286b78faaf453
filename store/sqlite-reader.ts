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
import type { EntityType } from '../events/index.js';
import type { Alert, ReputationPoint } from '../detector/index.js';
import { StoreError } from './errors.js';
import type { ActionRecord, AlertQuery, DeadLetterQuery, DeadLetterRecord, EntityQuery, EntitySummary, EventQuery, IncidentQuery, Page, PageRequest, StoredEvent, StoredIncident, TimeRange } from './types.js';
import { ActionRepository } from './sqlite/actions.js';
import { AlertRepository } from './sqlite/alerts.js';
import { DeadLetterRepository } from './sqlite/dead-letters.js';
import { EntityRepository } from './sqlite/entities.js';
import { EventRepository } from './sqlite/events.js';
import { IncidentRepository } from './sqlite/incidents.js';
import { Sql } from './sqlite/sql.js';

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
  'reputationHistory',
  'searchDeadLetters',
] as const;

export type StoreRead = (typeof STORE_READS)[number];

export class SqliteReader {
  readonly db: Database.Database;
  private readonly events: EventRepository;
  private readonly deadLetterRepo: DeadLetterRepository;
  private readonly alerts: AlertRepository;
  private readonly incidents: IncidentRepository;
  private readonly entities: EntityRepository;
  private readonly actions: ActionRepository;

  private constructor(path: string, now: () => number) {
    try {
      this.db = new Database(path, { readonly: true, fileMustExist: true });
    } catch (err) {
      throw new StoreError('OPEN_FAILED', `cannot open ${path} for reading: ${(err as Error).message}`, { cause: err });
    }
    this.db.pragma('query_only = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('cache_size = -32768');
    const sql = new Sql(this.db, now);
    // The repositories prepare their write statements too; on this connection those could
    // only ever fail (SQLITE_READONLY), and no method here calls them.
    this.deadLetterRepo = new DeadLetterRepository(sql, 0);
    this.events = new EventRepository(sql, this.deadLetterRepo);
    this.actions = new ActionRepository(sql);
    this.alerts = new AlertRepository(sql);
    this.incidents = new IncidentRepository(sql, this.actions);
    this.entities = new EntityRepository(sql, this.actions);
  }

  /** The database `vigil.db` in `dataDir`, read-only. */
  static open(options: { dataDir: string; now?: () => number }): SqliteReader {
    return new SqliteReader(join(options.dataDir, 'vigil.db'), options.now ?? Date.now);
  }

  getEvent(id: string): StoredEvent | undefined {
    return this.events.get(id);
  }
  searchEvents(query: EventQuery, page: PageRequest): Page<StoredEvent> {
    return this.events.search(query, page);
  }
  countEventsMatching(query: EventQuery): number {
    return this.events.countMatching(query);
  }
  getAlert(id: string): Alert | undefined {
    return this.alerts.get(id);
  }
  getAlerts(ids: readonly string[]): Alert[] {
    return this.alerts.getMany(ids);
  }
  searchAlerts(query: AlertQuery, page: PageRequest): Page<Alert> {
    return this.alerts.search(query, page);
  }
  countAlertsMatching(query: AlertQuery): number {
    return this.alerts.countMatching(query);
  }
  getIncident(id: string): StoredIncident | undefined {
    return this.incidents.get(id);
  }
  searchIncidents(query: IncidentQuery, page: PageRequest): Page<StoredIncident> {
    return this.incidents.search(query, page);
  }
  countIncidentsMatching(query: IncidentQuery): number {
    return this.incidents.countMatching(query);
  }
  actionsFor(target: ActionRecord['target']): ActionRecord[] {
    return this.actions.forTarget(target);
  }
  getAction(id: string): ActionRecord | undefined {
    return this.actions.get(id);
  }
  getEntity(id: string, type: EntityType): EntitySummary | undefined {
    return this.entities.get(id, type);
  }
  searchEntities(query: EntityQuery, page: PageRequest): Page<EntitySummary> {
    return this.entities.search(query, page);
  }
  reputationHistory(entity: string, range: TimeRange, limit: number): ReputationPoint[] {
    return this.entities.reputationHistory(entity, range, limit);
  }
  searchDeadLetters(query: DeadLetterQuery, page: PageRequest): Page<DeadLetterRecord> {
    return this.deadLetterRepo.search(query, page);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
