/**
 * Feature extraction: one stateful extractor for the whole event stream, dispatching each
 * event to its family. Families are what the model learns separately: a vehicle's motion,
 * a device's readings, its network flows, its logins, a CAN bus.
 */
import type { VigilEvent } from '../../events/index.js';
import { CanFeatures, CAN_FEATURES } from './can.js';
import type { CityMap } from './city.js';
import { AUTH_FEATURES, DeviceFeatures, NET_FEATURES, TELEMETRY_FEATURES, type DeviceWindows, DEFAULT_DEVICE_WINDOWS } from './device.js';
import { DEFAULT_VEHICLE_BOUNDS, VehicleFeatures, VEHICLE_FEATURES, type VehicleBounds } from './vehicle.js';

export type { CityMap, RoadsideUnit } from './city.js';
export type { VehicleBounds } from './vehicle.js';
export type { DeviceWindows } from './device.js';
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
  vehicle?: Partial<VehicleBounds>;
  device?: Partial<DeviceWindows>;
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
    this.vehicle = new VehicleFeatures(options.city ?? {}, { ...DEFAULT_VEHICLE_BOUNDS, ...options.vehicle });
    this.device = new DeviceFeatures({ ...DEFAULT_DEVICE_WINDOWS, ...options.device });
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
    const counts: Record<Family, number> = { vehicle: 0, telemetry: 0, net: 0, auth: 0, can: 0 };
    const fam: Array<Family | undefined> = new Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const f = familyOf(events[i]!);
      fam[i] = f;
      if (f) counts[f]++;
    }
    const out = new Map<Family, FeatureBatch & { n: number }>();
    for (const f of FAMILIES) {
      if (counts[f] === 0) continue;
      const width = FEATURE_NAMES[f].length;
      const b: FeatureBatch & { n: number } = { family: f, width, rows: new Float32Array(counts[f] * width), index: new Int32Array(counts[f]), n: 0 };
      if (f === 'can') b.keys = [];
      out.set(f, b);
    }
    for (let i = 0; i < events.length; i++) {
      const f = fam[i];
      if (!f) continue;
      const e = events[i]!;
      const b = out.get(f)!;
      const off = b.n * b.width;
      switch (f) {
        case 'vehicle':
          this.vehicle.extract(e, b.rows, off);
          break;
        case 'telemetry':
          this.device.extractTelemetry(e, b.rows, off);
          break;
        case 'net':
          this.device.extractNet(e, b.rows, off);
          break;
        case 'auth':
          this.device.extractAuth(e, b.rows, off);
          break;
        case 'can':
          this.can.extract(e, b.rows, off);
          b.keys!.push(vocabularyKey(f, e) ?? '');
          break;
      }
      b.index[b.n++] = i;
    }
    return [...out.values()].map(({ n: _n, ...b }) => b);
  }
}
