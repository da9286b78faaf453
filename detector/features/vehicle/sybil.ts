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

/**
 * The messages one grid cell heard in the window, one array per field (no object per
 * message: the index holds every BSM of the last two seconds).
 */
interface Cell {
  ids: string[];
  ts: number[];
  lat: number[];
  lon: number[];
  speed: number[];
  heading: number[];
  /** The sender's unit, and since when (ms) the units had heard it without a break (`SybilState.unitSince`). */
  unit: string[];
  since: number[];
}

export interface SybilState {
  firstTs: number;
  partners: string[];
  partnerDists: number[];
  observer: string;
  observerTs: number;
  observerLat: number;
  observerLon: number;
  /** The unit that heard the identity last, when, and since when the units have heard it without a break longer than NEW_MS (ms; any unit: overlapping units take turns). */
  unit: string;
  unitLast: number;
  unitSince: number;
}

export function newSybilState(ts: number): SybilState {
  return { firstTs: ts, partners: [], partnerDists: [], observer: '', observerTs: -Infinity, observerLat: 0, observerLon: 0, unit: '', unitLast: -Infinity, unitSince: ts };
}

/** Tolerances of one comparison: positions (m), speed (m/s), heading (degrees), each ≈ 3 σ of a difference of two reports. */
export interface Tolerance {
  pos: number;
  speed: number;
  heading: number;
}

/** What `SybilIndex.check` found: other identities colocated this second, and log1p seconds of formation. */
export interface SybilResult {
  colocated: number;
  formation: number;
}

/** Most partners a new identity is tracked against. */
const MAX_FOUND = 8;

export class SybilIndex {
  /** Cells by column, then row: integer keys (one key x·10⁶ + y would be a double, slower to hash). */
  private readonly cells = new Map<number, Map<number, Cell>>();
  private bucket = -1;
  /** The stream's first ts: an identity heard in its first NEW_MS was there before monitoring began, not newly appeared. */
  private start = -1;
  /** Scratch of one check: the colocated identities counted, the formation candidates found. */
  private readonly seen: string[] = [];
  private readonly foundIds: string[] = [];
  private readonly foundD = new Float64Array(MAX_FOUND);

  /**
   * Into `out`: other identities within the noise of the same place, speed and heading this
   * second (colocated); log1p seconds a new identity has kept formation since it appeared.
   */
  check(st: SybilState, id: string, f: Fix, tol: Tolerance, out: SybilResult): void {
    this.expire(f.ts);
    if (this.start < 0) this.start = f.ts;
    const cosLat = Math.cos((f.lat * Math.PI) / 180);
    const cy = Math.floor((f.lat * 111_195) / CELL_M);
    const cx = Math.floor((f.lon * 111_195 * cosLat) / CELL_M);
    const young = f.ts - st.firstTs <= NEW_MS && st.firstTs - this.start > NEW_MS;
    if (f.ts - st.unitLast > NEW_MS) st.unitSince = f.ts;
    st.unit = f.rsu;
    st.unitLast = f.ts;
    const ps = st.partners;
    let held = 0;
    let colocated = 0;
    const seen = this.seen;
    const foundIds = this.foundIds;
    seen.length = 0;
    foundIds.length = 0;
    // two distinct vehicles cannot be closer than a car's width (plus the noise of two fixes)
    const coloM = Math.max(VEHICLE_WIDTH, tol.pos);
    for (let x = cx - 1; x <= cx + 1; x++) {
      const column = this.cells.get(x);
      if (!column) continue;
      for (let y = cy - 1; y <= cy + 1; y++) {
        const c = column.get(y);
        if (!c) continue;
        for (let i = 0; i < c.ts.length; i++) {
          const eid = c.ids[i]!;
          const ets = c.ts[i]!;
          if (eid === id || Math.abs(f.ts - ets) > WINDOW_MS || Math.abs(c.speed[i]! - f.speed) > tol.speed || angleDiff(c.heading[i]!, f.heading) > tol.heading) continue;
          const dy = (c.lat[i]! - f.lat) * 111_195;
          const dx = (c.lon[i]! - f.lon) * 111_195 * cosLat;
          const d = Math.sqrt(dx * dx + dy * dy);
          if (d <= coloM + f.speed * (Math.abs(f.ts - ets) / 1000) * 0.2 && !seen.includes(eid)) {
            seen.push(eid);
            colocated++;
          }
          if (d < VEHICLE_LENGTH || d > FORMATION_MAX_M) continue;
          for (let k = 0; k < ps.length; k++) if (ps[k] === eid && Math.abs(d - st.partnerDists[k]!) <= tol.pos) held |= 1 << k;
          if (young && f.speed > tol.speed && foundIds.length < MAX_FOUND && !enteredTogether(st, f, c.unit[i]!, c.since[i]!, d)) {
            this.foundD[foundIds.length] = d;
            foundIds.push(eid);
          }
        }
      }
    }
    let column = this.cells.get(cx);
    if (!column) this.cells.set(cx, (column = new Map()));
    let c = column.get(cy);
    if (!c) column.set(cy, (c = { ids: [], ts: [], lat: [], lon: [], speed: [], heading: [], unit: [], since: [] }));
    c.ids.push(id);
    c.ts.push(f.ts);
    c.lat.push(f.lat);
    c.lon.push(f.lon);
    c.speed.push(f.speed);
    c.heading.push(f.heading);
    c.unit.push(st.unit);
    c.since.push(st.unitSince);
    out.colocated = colocated;
    out.formation = keepFormation(st, held, foundIds, this.foundD, f.ts);
  }

  private expire(ts: number): void {
    const bucket = Math.floor(ts / WINDOW_MS);
    if (bucket === this.bucket) return;
    const from = (bucket - 1) * WINDOW_MS;
    for (const [x, column] of this.cells) {
      for (const [y, c] of column) if (!compact(c, from)) column.delete(y);
      if (column.size === 0) this.cells.delete(x);
    }
    this.bucket = bucket;
  }
}

/** Keeps a cell's messages from `from` (ms) on; returns whether any remain. */
function compact(c: Cell, from: number): boolean {
  let w = 0;
  for (let i = 0; i < c.ts.length; i++)
    if (c.ts[i]! >= from) {
      c.ids[w] = c.ids[i]!;
      c.ts[w] = c.ts[i]!;
      c.lat[w] = c.lat[i]!;
      c.lon[w] = c.lon[i]!;
      c.speed[w] = c.speed[i]!;
      c.unit[w] = c.unit[i]!;
      c.since[w] = c.since[i]!;
      c.heading[w++] = c.heading[i]!;
    }
  if (w === 0) return false;
  c.ids.length = c.ts.length = c.lat.length = c.lon.length = c.speed.length = c.heading.length = c.unit.length = c.since.length = w;
  return true;
}

/**
 * Whether a new identity and a candidate partner `d` m away came into the units' hearing
 * together: the units have heard the partner without a break only for the time a vehicle
 * at this speed takes to cover the gap between them, plus NEW_MS for lost first messages.
 * Vehicles driving in a queue enter coverage one after the other at the same place (its
 * edge on their road), so an honest follower is first heard about d / v after its leader; a
 * Sybil ghost appears wherever its sender is, which the units have heard for as long as the
 * sender has been in range. Without units (messages not naming a receiver) the question
 * cannot be asked.
 */
function enteredTogether(st: SybilState, f: Fix, unit: string, since: number, d: number): boolean {
  if (f.rsu === '' || unit === '') return false;
  return st.unitSince - since <= (1000 * d) / Math.max(f.speed, 1e-3) + NEW_MS;
}

/** Keeps the partners still in place; a formation lasts while any keeps it. */
function keepFormation(st: SybilState, held: number, foundIds: readonly string[], foundD: Float64Array, ts: number): number {
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
  for (let k = 0; k < foundIds.length; k++)
    if (!ps.includes(foundIds[k]!)) {
      ps.push(foundIds[k]!);
      st.partnerDists.push(foundD[k]!);
    }
  return 0;
}

/**
 * Into `out`, metres (rsu_beyond, rsu_conflict): how far the position lies beyond the receiving
 * unit's range, and by how much two units hearing this identity within a second are too far
 * apart for one vehicle (their ranges from the map; without a map, the distance between the
 * two reports beyond what the speed allows and a unit's typical 300 m DSRC range).
 */
export function radio(st: SybilState, f: Fix, city: CityMap, out: RadioResult): void {
  out.beyond = 0;
  out.conflict = 0;
  if (f.rsu === '') return;
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
  out.beyond = beyond;
  out.conflict = Math.max(0, conflict);
}

/** What `radio` found, metres. */
export interface RadioResult {
  beyond: number;
  conflict: number;
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
