/**
 * The `Store` reads over one SQLite connection's repositories, shared by the writer
 * (`SqliteStore`) and the read-only connections of the API's read threads (`SqliteReader`):
 * the same queries whichever connection answers.
 */
import type Database from 'better-sqlite3';
import type { EntityType } from '../../events/index.js';
import type { Alert, ReputationPoint } from '../../detector/index.js';
import type { ActionRecord, AlertQuery, DeadLetterQuery, DeadLetterRecord, EntityQuery, EntitySummary, EventQuery, IncidentQuery, Page, PageRequest, StoredEvent, StoredIncident, TimeRange, VehiclePosition } from '../types.js';
import { ActionRepository } from './actions.js';
import { AlertRepository } from './alerts.js';
import { DeadLetterRepository } from './dead-letters.js';
import { EntityRepository } from './entities.js';
import { EventRepository, type StoredEventRow } from './events.js';
import { IncidentRepository } from './incidents.js';
import { vehiclePositions } from './positions.js';
import { Sql } from './sql.js';

export abstract class SqliteReads {
  readonly db: Database.Database;
  protected readonly sql: Sql;
  protected readonly events: EventRepository;
  protected readonly deadLetterRepo: DeadLetterRepository;
  protected readonly alerts: AlertRepository;
  protected readonly incidents: IncidentRepository;
  protected readonly entities: EntityRepository;
  protected readonly actions: ActionRepository;

  /** `maxDeadLetterBytes`: see SqliteStoreOptions (a reader writes none: 0). */
  protected constructor(db: Database.Database, now: () => number, maxDeadLetterBytes: number) {
    this.db = db;
    this.sql = new Sql(db, now);
    this.deadLetterRepo = new DeadLetterRepository(this.sql, maxDeadLetterBytes);
    this.events = new EventRepository(this.sql, this.deadLetterRepo);
    this.actions = new ActionRepository(this.sql);
    this.alerts = new AlertRepository(this.sql);
    this.incidents = new IncidentRepository(this.sql, this.actions);
    this.entities = new EntityRepository(this.sql, this.actions);
  }

  getEvent(id: string): StoredEventRow | undefined {
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
  vehiclePositions(query: Omit<EntityQuery, 'type'>, page: PageRequest): Page<VehiclePosition> {
    return vehiclePositions(this.sql, query, page);
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
