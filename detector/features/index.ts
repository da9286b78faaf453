/**
 * Feature extraction: one stateful extractor for the whole event stream, dispatching each
 * event to its family. Families are what the model learns separately: a vehicle's motion,
 * a device's readings, its network flows, its logins, a CAN bus.
 */
import type { VigilEvent } from '../../events/index.js';
import { CanFeatures, CAN_FEATURES } from './can.js';
import type { CityMap } from './city.js';
import { AUTH_FEATURES, DeviceFeatures, NET_FEATURES, TELEMETRY_FEATURES, type DeviceWindows, DEFAULT_DEVICE_WINDOWS } from './device/index.js';
import { VehicleFeatures, VEHICLE_FEATURES, VEHICLE_MODEL_WIDTH } from './vehicle/index.js';

export type { CityMap, RoadsideUnit } from './city.js';
export type { VehicleLearnt } from './vehicle/index.js';
export { CaKalman, chi2Quantile2, GATE_P, RULE_P } from './vehicle/index.js';
export { cityMapFromFile, cityCoverage, RoadIndex, ServiceArea } from './city.js';
export { CityLearner, LearntCityIndex } from './city-learn.js';
export type { LearntCity, CityLearnOptions } from './city-learn.js';
export type { DeviceWindows } from './device/index.js';
export { RobustBaseline } from './robust.js';

export const FAMILIES = ['vehicle', 'telemetry', 'net', 'auth', 'can'] as const;
export type Family = (typeof FAMILIES)[number];

export const FEATURE_NAMES: Record<Family, readonly string[]> = {
  vehicle: VEHICLE_FEATURES,
  telemetry: TELEMETRY_FEATURES,
  net: NET_FEATURES,
  auth: AUTH_FEATURES,
  can: CAN_FEATURES,
};

/**
 * The features each family's model reads: the leading ones of FEATURE_NAMES. The others
 * are for rules only. Evidence that is exactly 0 on honest traffic has no spread to
 * normalise by, and its large values swamp the autoencoder's fit: a trial with
 * `speed_held_err` as a model input moved the vehicle threshold chosen on validation from
 * 99 to 100 and cut eventual_stop's recall from 0.97 to 0.30.
 */
export const MODEL_FEATURES: Record<Family, readonly string[]> = {
  vehicle: VEHICLE_FEATURES.slice(0, VEHICLE_MODEL_WIDTH),
  telemetry: TELEMETRY_FEATURES,
  net: NET_FEATURES,
  auth: AUTH_FEATURES,
  can: CAN_FEATURES,
};

/** Feature rows cut to the inputs the family's model reads (the same array when it reads them all). */
export function modelRows(family: Family, rows: Float32Array, n: number, width: number): { rows: Float32Array; d: number } {
  const d = MODEL_FEATURES[family].length;
  if (d === width) return { rows, d };
  const out = new Float32Array(n * d);
  for (let i = 0, from = 0, to = 0; i < n; i++, from += width - d) for (let j = 0; j < d; j++) out[to++] = rows[from++]!;
  return { rows: out, d };
}

/** Which family an event belongs to; `undefined` for events no model scores (syslog lines). */
export function familyOf(event: VigilEvent): Family | undefined {
  switch (event.vigil.kind) {
    case 'bsm':
      return 'vehicle';
    case 'telemetry':
      return 'telemetry';
    case 'net':
      return 'net';
    case 'auth':
      return 'auth';
    case 'can':
      return 'can';
    default:
      return undefined;
  }
}

/** The categorical key a family's model keeps a vocabulary of (CAN: the arbitration id). */
export function vocabularyKey(family: Family, event: VigilEvent): string | undefined {
  return family === 'can' ? event.vigil.can?.id : undefined;
}

export interface FeatureOptions {
  city?: CityMap;
  /** Noise learnt by `vigil train` per family (a model bundle's `features`); absent: learnt online from nothing. */
  learnt?: LearntFeatures;
  device?: Partial<DeviceWindows>;
}

/** What `vigil train` learns in the feature extractors themselves (the vehicle feeds' noise), stored in the model bundle. */
export interface LearntFeatures {
  vehicle?: unknown;
}

/** Features of a batch: per family, a row-major matrix and the index of each row's event. */
export interface FeatureBatch {
  family: Family;
  width: number;
  rows: Float32Array;
  /** Index into the input batch of each row. */
  index: Int32Array;
  /** Vocabulary keys per row, when the family has one. */
  keys?: string[];
}

export class FeatureExtractor {
  private readonly vehicle: VehicleFeatures;
  private readonly device: DeviceFeatures;
  private readonly can = new CanFeatures();

  constructor(options: FeatureOptions = {}) {
    this.vehicle = new VehicleFeatures(options.city ?? {});
    if (options.learnt?.vehicle !== undefined) this.vehicle.setLearnt(options.learnt.vehicle);
    this.device = new DeviceFeatures({ ...DEFAULT_DEVICE_WINDOWS, ...options.device });
  }

  /** Starts the extractors from learnt state (a model bundle's `features`); returns whether the vehicle state was usable. */
  setLearnt(learnt: LearntFeatures | undefined): boolean {
    return learnt?.vehicle !== undefined && this.vehicle.setLearnt(learnt.vehicle);
  }

  /** The state the traffic so far taught the extractors, for the model bundle. */
  learnt(): LearntFeatures {
    return { vehicle: this.vehicle.learnt() };
  }

  /** Forgets per-entity feature state of entities last heard before `before` (epoch ms, event time); returns how many states went. */
  evictIdle(before: number): number {
    return this.vehicle.evictIdle(before) + this.device.evictIdle(before);
  }

  /** Checks that cannot run for lack of a map (to log once). */
  get notes(): string[] {
    return this.vehicle.notes;
  }

  /** Feature rows of one event (advances state); mostly for tests. */
  one(event: VigilEvent): { family: Family; values: Record<string, number> } | undefined {
    const batch = this.batch([event]);
    const b = batch[0];
    if (!b) return undefined;
    const values: Record<string, number> = {};
    FEATURE_NAMES[b.family].forEach((n, i) => (values[n] = b.rows[i]!));
    return { family: b.family, values };
  }

  /** Extracts features of a batch in order; each entity's state advances event by event. */
  batch(events: readonly VigilEvent[]): FeatureBatch[] {
    // Families by their index in FAMILIES (0 vehicle … 4 can, -1 none): plain integer
    // indexing per event rather than a Map lookup and a keyed object property.
    const n = events.length;
    const fam = new Int8Array(n);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < n; i++) {
      const f = familyIndex(events[i]!);
      fam[i] = f;
      if (f >= 0) counts[f]!++;
    }
    const rows: Float32Array[] = [];
    const index: Int32Array[] = [];
    const widths: number[] = [];
    for (let f = 0; f < FAMILIES.length; f++) {
      const width = FEATURE_NAMES[FAMILIES[f]!].length;
      widths.push(width);
      rows.push(new Float32Array(counts[f]! * width));
      index.push(new Int32Array(counts[f]!));
    }
    const filled = [0, 0, 0, 0, 0];
    const keys: string[] = [];
    for (let i = 0; i < n; i++) {
      const f = fam[i]!;
      if (f < 0) continue;
      const e = events[i]!;
      const r = filled[f]!;
      filled[f] = r + 1;
      index[f]![r] = i;
      const off = r * widths[f]!;
      switch (f) {
        case VEHICLE:
          this.vehicle.extract(e, rows[f]!, off);
          break;
        case TELEMETRY:
          this.device.extractTelemetry(e, rows[f]!, off);
          break;
        case NET:
          this.device.extractNet(e, rows[f]!, off);
          break;
        case AUTH:
          this.device.extractAuth(e, rows[f]!, off);
          break;
        default:
          this.can.extract(e, rows[f]!, off);
          keys.push(vocabularyKey('can', e) ?? '');
          break;
      }
    }
    const out: FeatureBatch[] = [];
    for (let f = 0; f < FAMILIES.length; f++) {
      if (counts[f] === 0) continue;
      const b: FeatureBatch = { family: FAMILIES[f]!, width: widths[f]!, rows: rows[f]!, index: index[f]! };
      if (f === CAN) b.keys = keys;
      out.push(b);
    }
    return out;
  }
}

const [VEHICLE, TELEMETRY, NET, AUTH, CAN] = [0, 1, 2, 3, 4];

/** `familyOf` as the family's index in FAMILIES, -1 for none. */
function familyIndex(event: VigilEvent): number {
  switch (event.vigil.kind) {
    case 'bsm':
      return VEHICLE;
    case 'telemetry':
      return TELEMETRY;
    case 'net':
      return NET;
    case 'auth':
      return AUTH;
    case 'can':
      return CAN;
    default:
      return -1;
  }
}
