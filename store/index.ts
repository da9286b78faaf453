export { SqliteStore, pushEventRow, EVENT_ROW_WIDTH } from './sqlite.js';
export { SqliteReader, STORE_READS } from './sqlite-reader.js';
export type { StoreRead } from './sqlite-reader.js';
export { triageOf, withTriage } from './triage.js';
export { SensorKeyStore, SENSOR_KEY_PREFIX, hashSensorKey } from './sensor-keys.js';
export type { SensorKeyRecord, SensorKeyScope, PendingSensorAction } from './sensor-keys.js';
export { ElasticsearchStore } from './elasticsearch.js';
export type { ElasticsearchStoreOptions, BulkOptions } from './elasticsearch.js';
export { DEFAULT_TEMPLATE_OPTIONS, ilmPolicy, eventsComponentTemplate, eventsIndexTemplate, recordTemplates } from './elasticsearch-templates.js';
export type { TemplateOptions } from './elasticsearch-templates.js';
export type { SqliteStoreOptions, StoredEventRow, DeadLetter, EventToStore, DeadLetterToStore, EventRows } from './sqlite.js';
export { StoreError } from './errors.js';
export type { StoreErrorCode } from './errors.js';
export { ROLES } from './types.js';
export type {
  Awaitable,
  Store,
  TokenRepository,
  TokenRecord,
  Role,
  TimeRange,
  SortDirection,
  PageRequest,
  Page,
  Edge,
  StoredEvent,
  EventQuery,
  EventInput,
  AlertQuery,
  AlertSortField,
  IncidentQuery,
  IncidentSortField,
  IncidentTriage,
  StoredIncident,
  ActionRecord,
  EntityFlag,
  EntitySummary,
  EntityQuery,
  VehiclePosition,
  DeadLetterRecord,
  DeadLetterQuery,
  DetectorOutput,
} from './types.js';
export { MAX_PAGE } from './cursor.js';
// The detector's output types, for api/ (which may not import detector/ itself).
export type { Alert, AlertOrigin, Incident, IncidentStatus, Resolution, Severity, ReputationPoint } from '../detector/index.js';
export { SqliteOverrules, OVERRULE_REASONS } from './sqlite/overrules.js';
export type { OverruleRecord, OverruleReason } from './sqlite/overrules.js';
