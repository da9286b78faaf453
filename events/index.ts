export { INPUT_KINDS, entityOf } from './model.js';
export type { InputKind, EntityType, MetricValue, VehicleKinematics, CanFrame, VigilEvent, IngestRecord } from './model.js';
export { CodedError, EventError, reject } from './errors.js';
export type { Rejection, RejectionCode } from './errors.js';
export { canonicalJson, sha256Hex, eventId, hasValidId, eventJson } from './canonical.js';
export { attachOriginal, originalText, originalBound, DEFAULT_ORIGINAL_MAX_BYTES } from './original.js';
export type { PreserveOriginalOptions } from './original.js';
export { Random, seededRandom } from './random.js';
export { parseJsonRecord, validateInput, resolveValidationOptions, decodeCan } from './validate.js';
export type {
  ValidationOptions,
  ResolvedValidationOptions,
  ValidationResult,
  AnyInput,
  BsmInput,
  TelemetryInput,
  NetInput,
  AuthInput,
  LogInput,
  CanInput,
} from './validate.js';
export { parseCityFile, cityFromGeoJson, cityToGeoJson, MAX_CITY_FEATURES } from './city.js';
export type { CityFile, CityRoad, CityRsu, LonLat } from './city.js';
export { importOsm, parseMaxspeed, MAX_OSM_NODES } from './osm.js';
export type { OsmImport } from './osm.js';
export { toEcsDocument, fromEcsDocument, toEcsAlert, ecsAlertsBulk, ECS_VERSION, ECS_CATEGORIES, ECS_TYPES, ECS_OBSERVER_TYPES } from './ecs.js';
export type { EcsOptions, EcsAlertInput } from './ecs.js';
