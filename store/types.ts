/**
 * The `Store` contract: what the API (and the pipeline, persisting detector output) needs
 * from persistence, implemented by the embedded SQLite store and by the Elasticsearch
 * adapter. One contract test suite (test/store-contract.test.ts) runs against both.
 *
 * Methods return `Awaitable<T>`: SQLite answers synchronously (better-sqlite3), and the
 * ingest path relies on that to commit without a turn of the event loop; Elasticsearch
 * answers with promises. Callers that must work with either simply `await`.
 */
import type { EntityType, InputKind, Rejection, VigilEvent } from '../events/index.js';
import type { Alert, AlertFold, DetectorOutput as DetectorResult, Incident, IncidentStatus, ReputationPoint, Resolution, Severity } from '../detector/index.js';

export type Awaitable<T> = T | Promise<T>;

/** Half-open time range in epoch milliseconds: `from` inclusive, `to` exclusive. */
export interface TimeRange {
  from?: number;
  to?: number;
}

export type SortDirection = 'asc' | 'desc';

/**
 * Forward cursor pagination (Relay). Cursors are keyset positions (the sort value and a
 * unique tie-breaker), not offsets, so a row inserted while a client pages never shifts
 * the rows it has yet to see: no duplicates, no gaps.
 */
export interface PageRequest {
  /** Most items in the page. */
  first: number;
  /** Opaque cursor of the last item already seen. */
  after?: string;
}

export interface Edge<T> {
  node: T;
  cursor: string;
}

export interface Page<T> {
  edges: Edge<T>[];
  hasNextPage: boolean;
}

export interface StoredEvent {
  /** Arrival order in this store; the tie-breaker of every event ordering. */
  seq: number;
  event: VigilEvent;
  /** Collector that received it. */
  source: string;
  /** Epoch milliseconds. */
  receivedAt: number;
}

export interface EventQuery {
  time?: TimeRange;
  kinds?: InputKind[];
  entity?: string;
  entityType?: EntityType;
  /** Collector name. */
  source?: string;
  /**
   * Free text: every word must occur (entity id, message, user, addresses, action, …);
   * a word ending in `*` matches as a prefix.
   */
  text?: string;
  /** By `@timestamp`. @default 'desc' */
  direction?: SortDirection;
}

export type AlertSortField = 'ts' | 'severity' | 'score';

export interface AlertQuery {
  time?: TimeRange;
  severities?: Severity[];
  entity?: string;
  entityType?: EntityType;
  /** The rule (or model) id in `origin.id`. */
  rule?: string;
  originType?: 'rule' | 'model' | 'reputation';
  incidentId?: string;
  category?: string;
  text?: string;
  sort?: { field: AlertSortField; direction: SortDirection };
}

export type IncidentSortField = 'lastSeen' | 'firstSeen' | 'severity' | 'alertCount';

export interface IncidentQuery {
  /** Incidents active in the range: `lastSeen >= from` and `firstSeen < to`. */
  time?: TimeRange;
  statuses?: IncidentStatus[];
  severities?: Severity[];
  entity?: string;
  entityType?: EntityType;
  /** Incidents with at least one alert raised by this rule (or model) id. */
  rule?: string;
  assignee?: string;
  category?: string;
  /** Words in the title or entity id. */
  text?: string;
  sort?: { field: IncidentSortField; direction: SortDirection };
}

/** Triage state an analyst owns; the detector never overwrites it (see `saveDetectorOutput`). */
export interface IncidentTriage {
  status: IncidentStatus;
  assignee: string | null;
  resolution: { reason: Resolution; comment?: string; by: string; at: number } | null;
}

export interface StoredIncident {
  incident: Incident;
  /** Bumped on every change (detector or triage): optimistic concurrency for updates. */
  version: number;
  /** Epoch milliseconds of the last change. */
  updatedAt: number;
}

/** One step of an incident's (or vehicle's, or rule's) history, mirrored from the ledger. */
export interface ActionRecord {
  /** Unique id; also `body.id` of the ledger `action` entry. */
  id: string;
  /** Epoch milliseconds. */
  ts: number;
  /** Token name of who did it. */
  actor: string;
  role: string;
  /** `incident.acknowledge`, `vehicle.flag`, `rule.disable`, … */
  action: string;
  target: { type: 'incident' | 'vehicle' | 'device' | 'rule' | 'token' | 'sensor-key'; id: string };
  before: unknown;
  after: unknown;
  comment?: string;
  /** Position of its ledger entry, when the ledger took it. */
  ledgerIndex?: number;
}

export interface EntityFlag {
  flagged: boolean;
  reason: string;
  by: string;
  /** Epoch milliseconds. */
  at: number;
}

export interface EntitySummary {
  id: string;
  type: EntityType;
  /** Latest reputation value in [0, 1], if the detector has scored the entity. */
  reputation: number | null;
  /** The detector's own verdict (reputation under threshold). */
  detectorFlagged: boolean;
  /** The transport authority's manual flag, if any was ever set. */
  flag: EntityFlag | null;
  /** Epoch milliseconds of the latest alert or reputation point. */
  lastSeen: number | null;
  alertCount: number;
}

export interface EntityQuery {
  type: EntityType;
  /** Flagged by the detector or by the authority. */
  flagged?: boolean;
  /** Prefix of the id. */
  idPrefix?: string;
  /** Only those whose latest reputation is below this (in [0, 1]); entities never scored are left out. */
  reputationBelow?: number;
}

/**
 * A vehicle's newest basic safety message, with its summary: what the authority's map draws
 * on its first screen for every vehicle (api `vehiclePositions`).
 */
export interface VehiclePosition {
  vehicle: EntitySummary;
  eventId: string;
  /** Epoch milliseconds of the report. */
  ts: number;
  lat: number;
  lon: number;
  /** Metres per second. */
  speed: number;
  /** Degrees from north. */
  heading: number;
}

export interface DeadLetterRecord {
  seq: number;
  receivedAt: number;
  source: string;
  code: Rejection['code'];
  reason: string;
  field: string | null;
  raw: Buffer;
  rawSize: number;
  rawSha256: string;
  truncated: boolean;
}

export interface DeadLetterQuery {
  time?: TimeRange;
  code?: string;
  source?: string;
}

/**
 * What the store persists of the detector's output (detector/ `DetectorOutput`): its
 * alerts, incidents and reputation points, any of them absent; the scores stay with the
 * caller.
 */
export type DetectorOutput = { readonly [K in 'alerts' | 'incidents' | 'reputation']?: Readonly<DetectorResult[K]> } & {
  /** Stored alerts whose fold (later alerts of an alert storm, pipeline/alert-fold.ts) changed: their new `folded`. */
  readonly folds?: ReadonlyArray<{ id: string; folded: AlertFold }>;
};

export interface EventInput {
  event: VigilEvent;
  source: string;
  receivedAt: number;
  /** The input as received, when the writer has it: ECS `event.original` in Elasticsearch. */
  original?: string | Uint8Array;
}

export type Role = 'analyst' | 'authority' | 'auditor' | 'admin';
export const ROLES: readonly Role[] = ['analyst', 'authority', 'auditor', 'admin'];

export interface TokenRecord {
  id: string;
  name: string;
  role: Role;
  /** Epoch milliseconds. */
  createdAt: number;
  createdBy: string;
  lastUsedAt: number | null;
  revokedAt: number | null;
  /** Epoch milliseconds after which the token is refused; null: never (tokens made before expiry existed). */
  expiresAt: number | null;
}

/**
 * API tokens. Kept by the node's local SQLite database even when events live in
 * Elasticsearch: tokens are the node's own secrets, not searchable data.
 */
export interface TokenRepository {
  insertToken(record: TokenRecord, hash: string): void;
  /** The not-revoked token whose hash this is (expired ones too: the caller says why it refuses). */
  tokenByHash(hash: string): TokenRecord | undefined;
  listTokens(): TokenRecord[];
  revokeToken(id: string, at: number): TokenRecord | undefined;
  touchToken(id: string, at: number): void;
}

export interface Store {
  /** Store normalised events; per event, whether it was new (false: already stored). */
  writeEvents(events: readonly EventInput[]): Awaitable<boolean[]>;
  getEvent(id: string): Awaitable<StoredEvent | undefined>;
  searchEvents(query: EventQuery, page: PageRequest): Awaitable<Page<StoredEvent>>;
  countEventsMatching(query: EventQuery): Awaitable<number>;

  /**
   * Persist what the detector produced. Alerts are immutable once stored (re-saving one is
   * a no-op but may attach its `incidentId`). Incidents are upserted: the detector owns
   * their aggregate fields (alerts, severity, times, title, categories), the analysts own
   * their triage fields (status, assignee, resolution), which an upsert keeps as stored.
   * Returns the incidents as stored after the merge (with triage state).
   */
  saveDetectorOutput(output: DetectorOutput): Awaitable<{ newAlerts: Alert[]; incidents: StoredIncident[] }>;

  getAlert(id: string): Awaitable<Alert | undefined>;
  getAlerts(ids: readonly string[]): Awaitable<Alert[]>;
  searchAlerts(query: AlertQuery, page: PageRequest): Awaitable<Page<Alert>>;
  countAlertsMatching(query: AlertQuery): Awaitable<number>;

  getIncident(id: string): Awaitable<StoredIncident | undefined>;
  searchIncidents(query: IncidentQuery, page: PageRequest): Awaitable<Page<StoredIncident>>;
  countIncidentsMatching(query: IncidentQuery): Awaitable<number>;
  /**
   * Change an incident's triage state, only if it is still at `expectedVersion` (CONFLICT
   * otherwise), and record the action in its history, atomically.
   */
  updateIncidentTriage(id: string, expectedVersion: number, triage: IncidentTriage, action: ActionRecord): Awaitable<StoredIncident>;

  /** Record an action (comment, vehicle flag, rule change) in the history. */
  recordAction(action: ActionRecord): Awaitable<void>;
  /** Oldest first. */
  actionsFor(target: ActionRecord['target']): Awaitable<ActionRecord[]>;
  getAction(id: string): Awaitable<ActionRecord | undefined>;

  getEntity(id: string, type: EntityType): Awaitable<EntitySummary | undefined>;
  searchEntities(query: EntityQuery, page: PageRequest): Awaitable<Page<EntitySummary>>;
  /**
   * Vehicles (by id, as `searchEntities`) each with its newest basic safety message; a vehicle
   * with none stored is left out. One query for a page, however many events are stored.
   */
  vehiclePositions(query: Omit<EntityQuery, 'type'>, page: PageRequest): Awaitable<Page<VehiclePosition>>;
  /** Oldest first, at most `limit` (the most recent ones when capped). */
  reputationHistory(entity: string, range: TimeRange, limit: number): Awaitable<ReputationPoint[]>;
  /** Set or clear the authority's flag, and record the action, atomically. */
  setEntityFlag(id: string, type: EntityType, flag: EntityFlag, action: ActionRecord): Awaitable<EntitySummary>;

  searchDeadLetters(query: DeadLetterQuery, page: PageRequest): Awaitable<Page<DeadLetterRecord>>;

  close(): Awaitable<void>;
}
