/**
 * Sybil and radio checks: identities that share one place, speed and heading (colocated),
 * a newly appeared identity keeping a fixed place beside another (formation: a ghost that
 * copies its sender's motion), a position beyond the receiving unit's range, and two units
 * that cannot both hear one identity within a second. Tolerances are the measurement noise
 * (σ learnt per message) and vehicle dimensions (bounds.ts).
 */
import { distanceM } from '../../geo.js';
import { beyondRange, type CityMap } from '../city.js';
import { VEHICLE_LENGTH, VEHICLE_WIDTH } from './bounds.js';
import { angleDiff, type Fix } from './fix.js';

/** Messages compared within this window, ms (one BSM interval at the slowest 1 Hz). */
const WINDOW_MS = 1_000;
/** Grid cell of the spatial index, m. */
const CELL_M = 50;
/** An identity is "new" this long after its first message, ms (two intervals at 1 Hz). */
const NEW_MS = 2_000;
/** Farthest a ghost is placed from its sender, m: within one cell. */
const FORMATION_MAX_M = CELL_M;

interface Spot {
  id: string;
  ts: number;
  lat: number;
  lon: number;
  speed: number;
  heading: number;
}

export interface SybilState {
  firstTs: number;
  partners: string[];
  partnerDists: number[];
  observer: string;
  observerTs: number;
  observerLat: number;
  observerLon: number;
}

export function newSybilState(ts: number): SybilState {
  return { firstTs: ts, partners: [], partnerDists: [], observer: '', observerTs: -Infinity, observerLat: 0, observerLon: 0 };
}

/** Tolerances of one comparison: positions (m), speed (m/s), heading (degrees), each ≈ 3 σ of a difference of two reports. */
export interface Tolerance {
  pos: number;
  speed: number;
  heading: number;
}

export class SybilIndex {
  private readonly cells = new Map<number, Spot[]>();
  private bucket = -1;
  /** The stream's first ts: an identity heard in its first NEW_MS was there before monitoring began, not newly appeared. */
  private start = -1;

  /**
   * [colocated, formation_log]: other identities within the noise of the same place, speed
   * and heading this second; log1p seconds a new identity has kept formation since it appeared.
   */
  check(st: SybilState, id: string, f: Fix, tol: Tolerance): [number, number] {
    this.expire(f.ts);
    if (this.start < 0) this.start = f.ts;
    const cosLat = Math.cos((f.lat * Math.PI) / 180);
    const cy = Math.floor((f.lat * 111_195) / CELL_M);
    const cx = Math.floor((f.lon * 111_195 * cosLat) / CELL_M);
    const young = f.ts - st.firstTs <= NEW_MS && st.firstTs - this.start > NEW_MS;
    const ps = st.partners;
    let held = 0;
    let colocated = 0;
    const found: Array<{ id: string; d: number }> = [];
    const seen = new Set<string>();
    // two distinct vehicles cannot be closer than a car's width (plus the noise of two fixes)
    const coloM = Math.max(VEHICLE_WIDTH, tol.pos);
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++) {
        const list = this.cells.get(x * 1_000_003 + y);
        if (!list) continue;
        for (const e of list) {
          if (e.id === id || Math.abs(f.ts - e.ts) > WINDOW_MS || Math.abs(e.speed - f.speed) > tol.speed || angleDiff(e.heading, f.heading) > tol.heading) continue;
          const dy = (e.lat - f.lat) * 111_195;
          const dx = (e.lon - f.lon) * 111_195 * cosLat;
          const d = Math.sqrt(dx * dx + dy * dy);
          if (d <= coloM + f.speed * (Math.abs(f.ts - e.ts) / 1000) * 0.2 && !seen.has(e.id)) {
            seen.add(e.id);
            colocated++;
          }
          if (d < VEHICLE_LENGTH || d > FORMATION_MAX_M) continue;
          for (let k = 0; k < ps.length; k++) if (ps[k] === e.id && Math.abs(d - st.partnerDists[k]!) <= tol.pos) held |= 1 << k;
          if (young && f.speed > tol.speed && found.length < 8) found.push({ id: e.id, d });
        }
      }
    const key = cx * 1_000_003 + cy;
    const entry = { id, ts: f.ts, lat: f.lat, lon: f.lon, speed: f.speed, heading: f.heading };
    const list = this.cells.get(key);
    if (list) list.push(entry);
    else this.cells.set(key, [entry]);
    return [colocated, keepFormation(st, held, found, f.ts)];
  }

  private expire(ts: number): void {
    const bucket = Math.floor(ts / WINDOW_MS);
    if (bucket === this.bucket) return;
    for (const [k, list] of this.cells) {
      let w = 0;
      for (let i = 0; i < list.length; i++) if (list[i]!.ts >= (bucket - 1) * WINDOW_MS) list[w++] = list[i]!;
      if (w === 0) this.cells.delete(k);
      else list.length = w;
    }
    this.bucket = bucket;
  }
}

/** Keeps the partners still in place; a formation lasts while any keeps it. */
function keepFormation(st: SybilState, held: number, found: Array<{ id: string; d: number }>, ts: number): number {
  const ps = st.partners;
  if (held !== 0) {
    let w = 0;
    for (let k = 0; k < ps.length; k++)
      if (held & (1 << k)) {
        ps[w] = ps[k]!;
        st.partnerDists[w++] = st.partnerDists[k]!;
      }
    ps.length = w;
    st.partnerDists.length = w;
    return Math.log1p((ts - st.firstTs) / 1000);
  }
  ps.length = 0;
  st.partnerDists.length = 0;
  for (const f of found)
    if (!ps.includes(f.id)) {
      ps.push(f.id);
      st.partnerDists.push(f.d);
    }
  return 0;
}

/**
 * [rsu_beyond metres, rsu_conflict metres]: how far the position lies beyond the receiving
 * unit's range, and by how much two units hearing this identity within a second are too far
 * apart for one vehicle (their ranges from the map; without a map, the distance between the
 * two reports beyond what the speed allows and a unit's typical 300 m DSRC range).
 */
export function radio(st: SybilState, f: Fix, city: CityMap): [number, number] {
  if (f.rsu === '') return [0, 0];
  const rsus = city.rsus;
  const rsu = rsus?.[f.rsu];
  const beyond = beyondRange(rsu, f.lat, f.lon);
  let conflict = 0;
  if (st.observer !== '' && st.observer !== f.rsu && f.ts - st.observerTs < 1000) {
    const other = rsus?.[st.observer];
    if (rsu && other) conflict = distanceM(rsu.lat, rsu.lon, other.lat, other.lon) - rsu.rangeM - other.rangeM;
    else conflict = distanceM(st.observerLat, st.observerLon, f.lat, f.lon) - f.speed * ((f.ts - st.observerTs) / 1000) - DSRC_RANGE_M;
  }
  st.observer = f.rsu;
  st.observerTs = f.ts;
  st.observerLat = f.lat;
  st.observerLon = f.lon;
  return [beyond, Math.max(0, conflict)];
}

/** Typical DSRC range, m (ETSI ITS-G5 / IEEE 802.11p: 300 m nominal in urban line of sight). */
const DSRC_RANGE_M = 300;

/**
 * New identities each roadside unit heard in the last second. Road capacity bounds how fast
 * real vehicles can come into a unit's range: about 2,400 vehicles an hour per lane at most
 * (HCM 2010, basic freeway segment capacity), 0.67 a second, so ARRIVALS_MAX a second is
 * fifteen lanes arriving at capacity at once. A flood of fresh pseudonyms (DoS Sybil) brings
 * tens a second to the one unit that hears its sender.
 */
export const ARRIVALS_MAX = 10;

export class Arrivals {
  private readonly byUnit = new Map<string, number[]>();
  private start = -1;

  /**
   * Records `st`'s identity when this is its first message (after the stream's first
   * NEW_MS, when every identity is new to the monitor), and returns how many identities
   * first heard in the last second the message's unit counts, for an identity itself new
   * (0 for one heard longer, or without a unit).
   */
  check(st: SybilState, first: boolean, f: Fix): number {
    if (this.start < 0) this.start = f.ts;
    if (f.rsu === '' || f.ts - st.firstTs > NEW_MS || st.firstTs - this.start <= NEW_MS) return 0;
    let times = this.byUnit.get(f.rsu);
    if (!times) this.byUnit.set(f.rsu, (times = []));
    if (first) times.push(f.ts);
    let drop = 0;
    while (drop < times.length && times[drop]! <= f.ts - WINDOW_MS) drop++;
    if (drop > 0) times.splice(0, drop);
    return times.length;
  }
}
