/**
 * The city learnt from unlabelled traffic, for a deployment that gives no map: where
 * vehicles drive (an occupancy grid of cells on a local plane), the service area (the
 * convex hull of those cells, widened by a margin) and the typical speeds per cell.
 * `vigil train` learns it and saves it in the model bundle; the detector then checks
 * positions against it (outside the learnt area, far from any learnt traffic).
 *
 * Robust to a few per cent of attackers in the training traffic: a cell counts only when
 * at least `minVehicles` distinct identities with established tracks (`minTrackMessages`
 * messages) reported a position in it, so a ghost vehicle, a teleporting liar or a Sybil
 * flood of short-lived pseudonyms does not make its invented positions part of the city.
 */
import type { VigilEvent } from '../../events/index.js';
import { projector } from '../geo.js';
import { ServiceArea } from './city.js';

export interface LearntCity {
  /** [lat, lon] of the local plane's origin. */
  origin: readonly [number, number];
  /** Cell edge, metres. */
  cellM: number;
  /** Distinct established vehicles a cell needed. */
  minVehicles: number;
  /** Confirmed cells: flat [cx, cy, median speed, 95th-percentile speed (m/s, 0.1 resolution)] per cell. */
  cells: number[];
  /** The service area: one ring of [lat, lon] (convex hull of the cells, widened by `marginM`). */
  area: Array<readonly [number, number]>;
  /** Margin added around the hull, metres. */
  marginM: number;
  /** Vehicles and messages it was learnt from. */
  vehicles: number;
  messages: number;
}

export interface CityLearnOptions {
  /** Cell edge, metres: a block face, wider than a road with its GNSS noise (≤ 5 m 1σ for working receivers). @default 50 */
  cellM?: number;
  /** Distinct established vehicles before a cell counts (one liar alone never makes a place part of the city). @default 2 */
  minVehicles?: number;
  /** Messages a vehicle must have sent in training before it counts (a pseudonym used once is not a vehicle). @default 10 */
  minTrackMessages?: number;
  /** Margin around the hull of the cells, metres (a city block: traffic at the edge of the training run's reach). @default 200 */
  marginM?: number;
}

const IDS_PER_CELL = 16;
/**
 * The learnt city is kept only when, in each half of the training vehicles, at most this
 * share of them (and at least one is always allowed) left the city learnt from the other
 * half: a training run too short or too small to have covered the city would otherwise flag
 * every honest vehicle that later drives where none did. A count over vehicles, so a few per
 * cent of liars in training (off the city by design) do not decide it.
 */
const LEAVERS = 0.1;
/** A vehicle left the other half's city when more than this share of its messages lay off it (one glitch is not a drive). */
const LEFT_SHARE = 0.01;
const SPEEDS_PER_CELL = 64;

/** Accumulates BSM positions; `finish()` gives the learnt city, or undefined when too little was seen. */
export class CityLearner {
  private readonly cellM: number;
  private readonly minVehicles: number;
  private readonly minTrack: number;
  private readonly marginM: number;
  private project: ((lat: number, lon: number) => [number, number]) | undefined;
  private origin: readonly [number, number] = [0, 0];
  private readonly cells = new Map<number, { ids: string[]; speeds: number[] }>();
  private readonly counts = new Map<string, number>();
  /** Per identity, the messages it sent in each cell: for the coverage check. */
  private readonly visits = new Map<string, Map<number, number>>();
  private messages = 0;
  /** Why `finish()` learnt no city (undefined when it did, or before it ran). */
  reason: string | undefined;

  constructor(options: CityLearnOptions = {}) {
    this.cellM = options.cellM ?? 50;
    this.minVehicles = options.minVehicles ?? 2;
    this.minTrack = options.minTrackMessages ?? 10;
    this.marginM = options.marginM ?? 200;
  }

  add(events: readonly VigilEvent[]): void {
    for (const e of events) {
      const v = e.vigil.vehicle;
      if (!v || e.vigil.kind !== 'bsm') continue;
      if (!this.project) {
        this.origin = [v.lat, v.lon];
        this.project = localPlane(this.origin);
      }
      this.messages++;
      const id = e.vigil.entity.id;
      this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
      const [x, y] = this.project(v.lat, v.lon);
      const k = cellKey(Math.floor(x / this.cellM), Math.floor(y / this.cellM));
      let c = this.cells.get(k);
      if (!c) this.cells.set(k, (c = { ids: [], speeds: [] }));
      if (c.ids.length < IDS_PER_CELL && !c.ids.includes(id)) c.ids.push(id);
      if (c.speeds.length < SPEEDS_PER_CELL) c.speeds.push(v.speed);
      let seen = this.visits.get(id);
      if (!seen) this.visits.set(id, (seen = new Map()));
      seen.set(k, (seen.get(k) ?? 0) + 1);
    }
  }

  /**
   * The larger, over the two halves of the established vehicles (split by identity), of the
   * share of a half's vehicles that left the city the other half confirmed (more than
   * LEFT_SHARE of their messages farther than the margin from its cells); 0 when the leavers
   * of each half are within LEAVERS of it (at least one allowed): each half's city then holds
   * the other's traffic, so the training run saw the city.
   */
  private uncovered(): number {
    const halves: Array<Array<Map<number, number>>> = [[], []];
    for (const [id, v] of this.visits) if ((this.counts.get(id) ?? 0) >= this.minTrack) halves[parity(id)]!.push(v);
    if (halves[0]!.length < this.minVehicles || halves[1]!.length < this.minVehicles) return 1;
    let worst = 0;
    for (const h of [0, 1]) {
      const users = new Map<number, number>();
      for (const v of halves[h]!) for (const k of v.keys()) users.set(k, (users.get(k) ?? 0) + 1);
      const confirmed = new Set<number>();
      for (const [k, n] of users) if (n >= this.minVehicles) confirmed.add(k);
      const other = halves[1 - h]!;
      const left = other.filter((v) => offShare(v, confirmed, this.cellM, this.marginM) > LEFT_SHARE).length;
      if (left > Math.max(1, Math.floor(LEAVERS * other.length))) worst = Math.max(worst, left / other.length);
    }
    return worst;
  }

  finish(): LearntCity | undefined {
    const cells: number[] = [];
    const corners: Array<[number, number]> = [];
    let vehicles = 0;
    for (const n of this.counts.values()) if (n >= this.minTrack) vehicles++;
    for (const [k, c] of this.cells) {
      let established = 0;
      for (const id of c.ids) if ((this.counts.get(id) ?? 0) >= this.minTrack) established++;
      if (established < this.minVehicles) continue;
      const [cx, cy] = cellOf(k);
      const s = c.speeds.slice().sort((a, b) => a - b);
      cells.push(cx, cy, round1(quantile(s, 0.5)), round1(quantile(s, 0.95)));
      const m = this.marginM;
      const x0 = cx * this.cellM;
      const y0 = cy * this.cellM;
      corners.push([x0 - m, y0 - m], [x0 + this.cellM + m, y0 - m], [x0 - m, y0 + this.cellM + m], [x0 + this.cellM + m, y0 + this.cellM + m]);
    }
    if (cells.length < 4 * 3) {
      this.reason = 'too little vehicle traffic to learn where vehicles drive';
      return undefined;
    }
    const gap = this.uncovered();
    if (gap > 0) {
      this.reason = `the training traffic did not cover the city (${(100 * gap).toFixed(0)} % of one half of its vehicles drove where none of the other half did): no learnt city; give --city, or train on longer traffic`;
      return undefined;
    }
    this.reason = undefined;
    const unproject = inversePlane(this.origin);
    const hull = convexHull(corners).map(([x, y]) => unproject(x, y));
    hull.push(hull[0]!);
    return { origin: this.origin, cellM: this.cellM, minVehicles: this.minVehicles, cells, area: hull, marginM: this.marginM, vehicles, messages: this.messages };
  }
}

/**
 * Metres from the nearest learnt traffic cell beyond which a position is off the learnt
 * city: farther than a city block from anywhere two vehicles drove, far beyond GNSS error
 * (≤ 5 m 1σ for working receivers, so 80σ) and a road's width; a training run short enough
 * to leave whole blocks unvisited still covers their ends (the junctions).
 */
export const OFF_TRAFFIC_M = 400;

/** The learnt city a detector without a map checks against, saying so (or which checks are off) in its log. */
export function learntCityFor(city: LearntCity | undefined, learnt: boolean, log: { info(m: string): void; warn(m: string): void }): LearntCityIndex | undefined {
  if (city) {
    const index = new LearntCityIndex(city);
    log.info(`detector: no city map given; positions are checked against the city learnt in training (${index.describe()}); roadside-unit range, road distance and speed limits need a map (--city)`);
    return index;
  }
  const why = learnt ? 'the learnt city is not used here' : 'no learnt city';
  log.warn(`detector: no city map and ${why}: roadside-unit range, off-road, speed-limit and service-area checks are off (give --city, or train on this city's traffic)`);
  return undefined;
}

/** Queries on a learnt city. */
export class LearntCityIndex {
  readonly area: ServiceArea;
  private readonly project: (lat: number, lon: number) => [number, number];
  private readonly cells = new Map<number, number>();

  constructor(readonly city: LearntCity) {
    this.area = new ServiceArea([city.area]);
    this.project = localPlane(city.origin);
    for (let i = 0; i + 3 < city.cells.length; i += 4) this.cells.set(cellKey(city.cells[i]!, city.cells[i + 1]!), i);
  }

  /** Metres from the position to the centre of the nearest learnt cell, capped at `maxM`. */
  offTrafficM(lat: number, lon: number, maxM = 500): number {
    const [x, y] = this.project(lat, lon);
    const c = this.city.cellM;
    const cx = Math.floor(x / c);
    const cy = Math.floor(y / c);
    if (this.cells.has(cellKey(cx, cy))) return 0;
    const reach = Math.ceil(maxM / c);
    let best = maxM;
    for (let r = 1; r <= reach; r++) {
      if ((r - 1) * c >= best) break;
      for (let dx = -r; dx <= r; dx++)
        for (let dy = -r; dy <= r; dy++) {
          if (Math.max(Math.abs(dx), Math.abs(dy)) !== r || !this.cells.has(cellKey(cx + dx, cy + dy))) continue;
          const d = Math.hypot((cx + dx + 0.5) * c - x, (cy + dy + 0.5) * c - y);
          if (d < best) best = d;
        }
    }
    return best;
  }

  /**
   * Off the learnt city: outside its service area, or farther than `OFF_TRAFFIC_M` from
   * every cell vehicles drove through (a convex hull holds empty wedges between a ring's or
   * a radial city's roads).
   */
  offCity(lat: number, lon: number): boolean {
    return !this.area.contains(lat, lon) || this.offTrafficM(lat, lon, OFF_TRAFFIC_M + 1) > OFF_TRAFFIC_M;
  }

  /** Median and 95th-percentile speed learnt in the position's cell, m/s (undefined: no traffic learnt there). */
  speedsAt(lat: number, lon: number): { median: number; p95: number } | undefined {
    const [x, y] = this.project(lat, lon);
    const i = this.cells.get(cellKey(Math.floor(x / this.city.cellM), Math.floor(y / this.city.cellM)));
    return i === undefined ? undefined : { median: this.city.cells[i + 2]!, p95: this.city.cells[i + 3]! };
  }

  /** One line for the detector's log. */
  describe(): string {
    return `${this.city.cells.length / 4} cells of ${this.city.cellM} m used by ≥ ${this.city.minVehicles} vehicles each (from ${this.city.vehicles} vehicles, ${this.city.messages} messages), area the hull + ${this.city.marginM} m`;
  }
}

// The plane is centred on the origin so coordinates stay small (and the antimeridian is
// crossed only by cities that straddle it).
function localPlane(origin: readonly [number, number]): (lat: number, lon: number) => [number, number] {
  const p = projector(origin[0]);
  const [ox, oy] = p(origin[0], origin[1]);
  return (lat, lon) => {
    const [x, y] = p(lat, lon);
    return [x - ox, y - oy];
  };
}

function inversePlane(origin: readonly [number, number]): (x: number, y: number) => readonly [number, number] {
  const p = projector(origin[0]);
  const [kx] = p(0, 1);
  const [, ky] = p(1, 0);
  return (x, y) => [round7(origin[0] + y / ky), round7(origin[1] + x / kx)] as const;
}

/** Which half of the training vehicles an identity falls in (a string hash's parity). */
function parity(id: string): 0 | 1 {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) | 0;
  return (h & 1) as 0 | 1;
}

/** Share of a vehicle's messages in cells farther than `marginM` from every confirmed cell. */
function offShare(visits: Map<number, number>, confirmed: Set<number>, cellM: number, marginM: number): number {
  const reach = Math.ceil(marginM / cellM);
  let off = 0;
  let all = 0;
  for (const [k, n] of visits) {
    all += n;
    if (confirmed.has(k)) continue;
    const [cx, cy] = cellOf(k);
    let near = false;
    for (let dx = -reach; dx <= reach && !near; dx++)
      for (let dy = -reach; dy <= reach && !near; dy++) near = Math.hypot(dx, dy) * cellM <= marginM && confirmed.has(cellKey(cx + dx, cy + dy));
    if (!near) off += n;
  }
  return all > 0 ? off / all : 0;
}

function cellKey(x: number, y: number): number {
  return (x + 1_048_576) * 2_097_152 + (y + 1_048_576);
}

function cellOf(k: number): [number, number] {
  return [Math.floor(k / 2_097_152) - 1_048_576, (k % 2_097_152) - 1_048_576];
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const round1 = (x: number) => Math.round(x * 10) / 10;
const round7 = (x: number) => Math.round(x * 1e7) / 1e7;

/** Andrew's monotone chain: the hull's vertices, counter-clockwise. */
function convexHull(points: Array<[number, number]>): Array<[number, number]> {
  const p = points.slice().sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  if (p.length < 3) return p;
  const cross = (o: [number, number], a: [number, number], b: [number, number]) => (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]);
  const lower: Array<[number, number]> = [];
  for (const q of p) {
    while (lower.length >= 2 && cross(lower.at(-2)!, lower.at(-1)!, q) <= 0) lower.pop();
    lower.push(q);
  }
  const upper: Array<[number, number]> = [];
  for (let i = p.length - 1; i >= 0; i--) {
    const q = p[i]!;
    while (upper.length >= 2 && cross(upper.at(-2)!, upper.at(-1)!, q) <= 0) upper.pop();
    upper.push(q);
  }
  return lower.slice(0, -1).concat(upper.slice(0, -1));
}
