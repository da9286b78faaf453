/**
 * Per-vehicle kinematic plausibility features (after BITS and the VeReMi plausibility
 * checks), computed over each vehicle's own recent track rather than one message alone.
 *
 * Every message a vehicle sends is a claim; these features measure how far the claims
 * disagree with each other (position against speed, speed against acceleration, heading
 * against the direction actually travelled), with physics (acceleration and lateral
 * acceleration bounds), with the radio (the receiving roadside unit's range, two distant
 * units hearing one identity at once), with the road network, and with other vehicles
 * (replayed payloads, identities that occupy the same place at the same time: Sybil).
 */
import type { VigilEvent } from '../../events/index.js';
import { angleDiffDeg, bearingDeg, distanceM } from '../geo.js';
import { beyondRange, RoadIndex, type CityMap } from './city.js';

export const VEHICLE_FEATURES = [
  /** log1p of seconds since this vehicle's previous message. */
  'dt_log',
  /** |speed implied by positions ~1 s apart − mean reported speed|, m/s. */
  'speed_err',
  /** |acceleration implied by reported speeds − reported accel|, m/s². */
  'accel_err',
  /** Implied longitudinal acceleration beyond the physical bound, m/s². */
  'accel_excess',
  /** Lateral acceleration (turn rate × speed) beyond the bound, m/s². */
  'lateral_excess',
  /** log1p of metres the position moved beyond what the reported speeds allow. */
  'jump_log',
  /** Degrees between reported heading and the direction actually travelled. */
  'heading_err',
  /** Messages from this identity in the last second (saturates at 33: the last 32 are kept). */
  'rate_1s',
  /** log1p of |sequence gap − 1| (0 for a well-behaved counter). */
  'seq_gap_log',
  /** 1 when the exact payload was sent before (by anyone) and not as this vehicle's last message. */
  'replay',
  /** log1p of metres beyond the receiving roadside unit's range. */
  'rsu_beyond_log',
  /** log1p of metres by which two units hearing this identity within a second are too far apart. */
  'rsu_conflict_log',
  /** log1p of metres to the nearest road. */
  'road_dist_log',
  /** Other identities at (nearly) the same place, speed and heading within the same second. */
  'colocated',
  /** 1 while the vehicle reports standing still after an implausibly abrupt stop. */
  'stop_abrupt',
  /** log1p of how many consecutive messages repeat exactly the same non-zero speed. */
  'speed_const_log',
  /** Reported braking the speeds do not show: max(0, implied accel − reported accel) when braking hard. */
  'brake_mismatch',
  /** Reported speed, m/s. */
  'speed',
] as const;

export interface VehicleBounds {
  /** Largest plausible longitudinal acceleration magnitude, m/s². @default 9 */
  maxAccel: number;
  /** Largest plausible lateral acceleration, m/s². @default 9 */
  maxLateral: number;
  /** Window over which a payload counts as replayed, milliseconds. @default 300000 */
  replayWindowMs: number;
  /** Distance under which two identities count as one place, metres. @default 2 */
  colocatedM: number;
}

export const DEFAULT_VEHICLE_BOUNDS: VehicleBounds = { maxAccel: 9, maxLateral: 9, replayWindowMs: 300_000, colocatedM: 2 };

const RING = 32;

class Track {
  ts = new Float64Array(RING);
  lat = new Float64Array(RING);
  lon = new Float64Array(RING);
  speed = new Float64Array(RING);
  n = 0;
  heading = 0;
  seq = -1;
  sameSpeed = 0;
  stopAbrupt = 0;
  observer = '';
  observerTs = -Infinity;
  observerLat = 0;
  observerLon = 0;
}

interface SpotEntry {
  id: string;
  ts: number;
  lat: number;
  lon: number;
  speed: number;
  heading: number;
}

export class VehicleFeatures {
  readonly names = VEHICLE_FEATURES;
  private readonly tracks = new Map<string, Track>();
  private readonly payloads = new Map<string, { id: string; ts: number }>();
  private readonly payloadQueue: Array<{ key: string; ts: number }> = [];
  private payloadHead = 0;
  private readonly spots = new Map<number, SpotEntry[]>();
  private spotsBucket = -1;
  private readonly roads: RoadIndex | undefined;

  constructor(
    private readonly city: CityMap = {},
    private readonly bounds: VehicleBounds = DEFAULT_VEHICLE_BOUNDS,
  ) {
    this.roads = city.roads && city.roads.length > 0 ? new RoadIndex(city.roads) : undefined;
  }

  get entities(): number {
    return this.tracks.size;
  }

  /** Writes the features of one BSM into `out` at `offset` and advances the vehicle's state. */
  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    const v = event.vigil.vehicle;
    for (let i = 0; i < VEHICLE_FEATURES.length; i++) out[offset + i] = 0;
    if (!v) return;
    const id = event.vigil.entity.id;
    const ts = event.vigil.ts;
    let t = this.tracks.get(id);
    if (!t) {
      t = new Track();
      this.tracks.set(id, t);
    }
    const b = this.bounds;
    const n = t.n;
    const last = (n - 1 + RING) % RING;
    out[offset + 17] = v.speed;

    if (n > 0) {
      const dt = Math.max(0, (ts - t.ts[last]!) / 1000);
      out[offset] = Math.log1p(Math.min(dt, 600));
      const lastSpeed = t.speed[last]!;
      // Compare against the newest point at least ~1 s back: over 0.1 s, metre-level
      // position noise would swamp any speed check.
      const avail = Math.min(n, RING);
      let j = last;
      let recent = 1; // messages in the last second, this one included
      for (let k = 0; k < avail; k++) {
        j = (n - 1 - k) % RING;
        if (ts - t.ts[j]! >= 1000) break;
        recent++;
      }
      const span = (ts - t.ts[j]!) / 1000;
      const dist = distanceM(t.lat[j]!, t.lon[j]!, v.lat, v.lon);
      if (span >= 0.05) {
        const meanSpeed = (t.speed[j]! + v.speed) / 2;
        out[offset + 1] = Math.abs(dist / span - meanSpeed);
        out[offset + 5] = Math.log1p(Math.max(0, dist - Math.max(t.speed[j]!, v.speed) * span * 1.2 - 5));
        if (dist > 3 && v.speed > 1) out[offset + 6] = angleDiffDeg(v.heading, bearingDeg(t.lat[j]!, t.lon[j]!, v.lat, v.lon));
      }
      if (dt >= 0.05) {
        const implied = (v.speed - lastSpeed) / dt;
        if (v.accel !== undefined) out[offset + 2] = Math.min(50, Math.abs(implied - v.accel));
        out[offset + 3] = Math.max(0, Math.abs(implied) - b.maxAccel);
        const turn = (angleDiffDeg(v.heading, t.heading) * Math.PI) / 180 / dt;
        out[offset + 4] = Math.max(0, turn * v.speed - b.maxLateral);
        if (lastSpeed > 3 && v.speed < 0.1 && -implied > b.maxAccel) t.stopAbrupt = 1;
        if (v.accel !== undefined && v.accel < -3) out[offset + 16] = Math.max(0, implied - v.accel);
      }
      if (v.speed > 0.5) t.stopAbrupt = 0;
      out[offset + 14] = t.stopAbrupt;
      t.sameSpeed = v.speed > 0 && v.speed === lastSpeed ? t.sameSpeed + 1 : 0;
      out[offset + 15] = Math.log1p(t.sameSpeed);
      out[offset + 7] = recent;
      if (v.seq !== undefined && t.seq >= 0) out[offset + 8] = Math.log1p(Math.abs(v.seq - t.seq - 1));
    } else out[offset + 7] = 1;
    if (v.seq !== undefined) t.seq = v.seq;

    out[offset + 9] = this.replayed(id, ts, v, n > 0 ? t.ts[last]! : -1);

    const observer = event.observer?.name;
    if (observer !== undefined) {
      const rsus = this.city.rsus;
      const rsu = rsus?.[observer];
      out[offset + 10] = Math.log1p(beyondRange(rsu, v.lat, v.lon));
      if (t.observer !== '' && t.observer !== observer && ts - t.observerTs < 1000) {
        const other = rsus?.[t.observer];
        let excess: number;
        if (rsu && other) excess = distanceM(rsu.lat, rsu.lon, other.lat, other.lon) - rsu.rangeM - other.rangeM;
        else excess = distanceM(t.observerLat, t.observerLon, v.lat, v.lon) - v.speed * ((ts - t.observerTs) / 1000) - 100;
        out[offset + 11] = Math.log1p(Math.max(0, excess));
      }
      t.observer = observer;
      t.observerTs = ts;
      t.observerLat = v.lat;
      t.observerLon = v.lon;
    }
    if (this.roads) out[offset + 12] = Math.log1p(this.roads.distance(v.lat, v.lon));
    out[offset + 13] = this.colocated(id, ts, v);

    const slot = n % RING;
    t.ts[slot] = ts;
    t.lat[slot] = v.lat;
    t.lon[slot] = v.lon;
    t.speed[slot] = v.speed;
    t.heading = v.heading;
    t.n = n + 1;
  }

  private replayed(id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>, lastTs: number): number {
    if (v.speed < 0.5) return 0; // a standing vehicle legitimately repeats itself
    const window = this.bounds.replayWindowMs;
    const q = this.payloadQueue;
    while (this.payloadHead < q.length && q[this.payloadHead]!.ts < ts - window) {
      const old = q[this.payloadHead++]!;
      const cur = this.payloads.get(old.key);
      if (cur && cur.ts === old.ts) this.payloads.delete(old.key);
    }
    if (this.payloadHead > 65_536 && this.payloadHead * 2 > q.length) {
      q.splice(0, this.payloadHead);
      this.payloadHead = 0;
    }
    const key = `${v.lat},${v.lon},${v.speed},${v.heading}`;
    const seen = this.payloads.get(key);
    let replay = 0;
    if (seen && ts - seen.ts <= window && !(seen.id === id && seen.ts === lastTs)) replay = 1;
    if (!seen || replay === 0) {
      this.payloads.set(key, { id, ts });
      q.push({ key, ts });
    }
    return replay;
  }

  /** Identities sharing a place, speed and heading in one second: physically impossible for distinct vehicles. */
  private colocated(id: string, ts: number, v: NonNullable<VigilEvent['vigil']['vehicle']>): number {
    const bucket = Math.floor(ts / 1000);
    if (bucket !== this.spotsBucket) {
      // keep this second and the previous one
      for (const [k, list] of this.spots) {
        const kept = list.filter((e) => e.ts >= (bucket - 1) * 1000);
        if (kept.length === 0) this.spots.delete(k);
        else this.spots.set(k, kept);
      }
      this.spotsBucket = bucket;
    }
    const cellDeg = 5e-5; // ~5 m
    const cx = Math.floor(v.lat / cellDeg);
    const cy = Math.floor(v.lon / cellDeg);
    let seen: Set<string> | undefined;
    const limitM = this.bounds.colocatedM;
    const cosLat = Math.cos((v.lat * Math.PI) / 180);
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++) {
        const list = this.spots.get(x * 10_000_000 + y);
        if (!list) continue;
        for (const e of list) {
          if (e.id === id || Math.abs(e.ts - ts) > 1000 || Math.abs(e.speed - v.speed) >= 1) continue;
          const dt = Math.abs(e.ts - ts) / 1000;
          // equirectangular distance: exact enough over a few metres, no trigonometry per pair
          const dy = (e.lat - v.lat) * 111_195;
          const dx = (e.lon - v.lon) * 111_195 * cosLat;
          if (dx * dx + dy * dy > (limitM + v.speed * dt * 0.2) ** 2 || angleDiffDeg(e.heading, v.heading) >= 10) continue;
          (seen ??= new Set()).add(e.id);
        }
      }
    const k = cx * 10_000_000 + cy;
    const list = this.spots.get(k);
    // one entry per identity and cell: its latest report
    const mine = list?.find((e) => e.id === id);
    if (mine) {
      mine.ts = ts;
      mine.lat = v.lat;
      mine.lon = v.lon;
      mine.speed = v.speed;
      mine.heading = v.heading;
    } else {
      const entry = { id, ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading };
      if (list) list.push(entry);
      else this.spots.set(k, [entry]);
    }
    return seen?.size ?? 0;
  }
}
