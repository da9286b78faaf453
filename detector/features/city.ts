/**
 * What the detector knows about the city's geometry: roadside units (where they are, how
 * far they hear), the road network with its speed limits, and the service area. All are
 * optional — without them the range, off-road and outside-area features read 0 — and all
 * come from the operator's city file (`--city`, `events/city.ts`) or are learnt from
 * traffic (`city-learn.ts`).
 */
import type { CityFile } from '../../events/index.js';
import { distanceM, pointSegmentDistance, projector } from '../geo.js';

export interface RoadsideUnit {
  lat: number;
  lon: number;
  /** Radio range, metres. */
  rangeM: number;
}

export interface CityMap {
  /** Roadside units by their `observer.name`. */
  rsus?: Record<string, RoadsideUnit>;
  /** Road centre lines, each a polyline of [lat, lon] points. */
  roads?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
  /** Posted speed limit of each road, m/s, parallel to `roads` (undefined: not known). */
  speedLimits?: ReadonlyArray<number | undefined>;
  /** The service area: rings of [lat, lon] points, read by the even-odd rule (holes and several polygons alike). */
  area?: ReadonlyArray<ReadonlyArray<readonly [number, number]>>;
}

/** The detector's city from a parsed city file: [lon, lat] positions turned to [lat, lon]. */
export function cityMapFromFile(file: CityFile): CityMap {
  const city: CityMap = {};
  if (file.rsus.length > 0) city.rsus = Object.fromEntries(file.rsus.map((r) => [r.id, { lat: r.lat, lon: r.lon, rangeM: r.rangeM }]));
  const roads: Array<Array<readonly [number, number]>> = [];
  const limits: Array<number | undefined> = [];
  for (const r of file.roads) {
    for (const line of r.lines) {
      roads.push(line.map(([lon, lat]) => [lat, lon] as const));
      limits.push(r.speedLimit);
    }
  }
  if (roads.length > 0) {
    city.roads = roads;
    if (limits.some((l) => l !== undefined)) city.speedLimits = limits;
  }
  const rings = file.serviceArea.flatMap((polygon) => polygon.map((ring) => ring.map(([lon, lat]) => [lat, lon] as const)));
  if (rings.length > 0) city.area = rings;
  return city;
}

/** What a city map lets the detector check, and what it cannot (for the log). */
export function cityCoverage(city: CityMap | undefined): { can: string[]; cannot: string[] } {
  const can: string[] = [];
  const cannot: string[] = [];
  (city?.rsus && Object.keys(city.rsus).length > 0 ? can : cannot).push('roadside-unit range');
  (city?.roads && city.roads.length > 0 ? can : cannot).push('off-road distance');
  (city?.speedLimits?.some((l) => l !== undefined) ? can : cannot).push('speed limits');
  (city?.area && city.area.length > 0 ? can : cannot).push('service area');
  return { can, cannot };
}

/**
 * Point in the service area, by the even-odd rule over all rings, on a local plane (the
 * area of one city is small enough for the projection's error to be centimetres).
 */
export class ServiceArea {
  private readonly rings: Float64Array[];
  private readonly box: [number, number, number, number];
  private readonly project: (lat: number, lon: number) => [number, number];

  constructor(rings: NonNullable<CityMap['area']>) {
    const first = rings[0]?.[0];
    this.project = projector(first ? first[0] : 0);
    this.box = [Infinity, Infinity, -Infinity, -Infinity];
    this.rings = rings.map((ring) => {
      const xy = new Float64Array(ring.length * 2);
      ring.forEach(([lat, lon], i) => {
        const [x, y] = this.project(lat, lon);
        xy[2 * i] = x;
        xy[2 * i + 1] = y;
        this.box[0] = Math.min(this.box[0], x);
        this.box[1] = Math.min(this.box[1], y);
        this.box[2] = Math.max(this.box[2], x);
        this.box[3] = Math.max(this.box[3], y);
      });
      return xy;
    });
  }

  contains(lat: number, lon: number): boolean {
    const [px, py] = this.project(lat, lon);
    if (px < this.box[0] || py < this.box[1] || px > this.box[2] || py > this.box[3]) return false;
    let inside = false;
    for (const r of this.rings) {
      const n = r.length / 2;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const xi = r[2 * i]!;
        const yi = r[2 * i + 1]!;
        const xj = r[2 * j]!;
        const yj = r[2 * j + 1]!;
        if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    return inside;
  }
}

/** Distance to the nearest road centre line (and that road's speed limit) through a uniform grid of segments. */
export class RoadIndex {
  private readonly cell: number;
  private readonly grid = new Map<number, number[]>();
  private readonly segs: Float64Array;
  /** Road of each segment (index into `roads`). */
  private readonly roadOf: Int32Array;
  private readonly limits: ReadonlyArray<number | undefined>;
  private readonly project: (lat: number, lon: number) => [number, number];

  /** The index of a city's roads with their speed limits (undefined when the city has no roads). */
  static fromCity(city: CityMap, cellM = 100): RoadIndex | undefined {
    return city.roads && city.roads.length > 0 ? new RoadIndex(city.roads, cellM, city.speedLimits) : undefined;
  }

  constructor(roads: NonNullable<CityMap['roads']>, cellM = 100, speedLimits: ReadonlyArray<number | undefined> = []) {
    this.limits = speedLimits;
    const roadOf: number[] = [];
    this.cell = cellM;
    const first = roads[0]?.[0];
    this.project = projector(first ? first[0] : 0);
    const segs: number[] = [];
    for (let r = 0; r < roads.length; r++) {
      const line = roads[r]!;
      for (let i = 1; i < line.length; i++) {
        const a = line[i - 1]!;
        const b = line[i]!;
        const [ax, ay] = this.project(a[0], a[1]);
        const [bx, by] = this.project(b[0], b[1]);
        const idx = segs.length / 4;
        segs.push(ax, ay, bx, by);
        roadOf.push(r);
        const x0 = Math.floor(Math.min(ax, bx) / cellM);
        const x1 = Math.floor(Math.max(ax, bx) / cellM);
        const y0 = Math.floor(Math.min(ay, by) / cellM);
        const y1 = Math.floor(Math.max(ay, by) / cellM);
        for (let x = x0; x <= x1; x++)
          for (let y = y0; y <= y1; y++) {
            const k = key(x, y);
            const list = this.grid.get(k);
            if (list) list.push(idx);
            else this.grid.set(k, [idx]);
          }
      }
    }
    this.segs = Float64Array.from(segs);
    this.roadOf = Int32Array.from(roadOf);
  }

  /** Metres to the nearest road, capped at `maxM` (nothing within the neighbouring cells). */
  distance(lat: number, lon: number, maxM = 1_000): number {
    return this.nearest(lat, lon, maxM).distanceM;
  }

  /** Posted speed limit of the nearest road within `maxM`, m/s; undefined when unknown or no road is near. */
  speedLimit(lat: number, lon: number, maxM = 50): number | undefined {
    const n = this.nearest(lat, lon, maxM);
    return n.road < 0 ? undefined : this.limits[n.road];
  }

  /** The nearest road within `maxM`: its index in `roads` (-1: none) and the distance (capped). */
  nearest(lat: number, lon: number, maxM = 1_000): { road: number; distanceM: number } {
    const [px, py] = this.project(lat, lon);
    const cx = Math.floor(px / this.cell);
    const cy = Math.floor(py / this.cell);
    let best = maxM;
    let road = -1;
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++) {
        const list = this.grid.get(key(x, y));
        if (!list) continue;
        for (const i of list) {
          const s = this.segs;
          const d = pointSegmentDistance(px, py, s[4 * i]!, s[4 * i + 1]!, s[4 * i + 2]!, s[4 * i + 3]!);
          if (d < best) {
            best = d;
            road = this.roadOf[i]!;
          }
        }
      }
    return { road, distanceM: best };
  }
}

function key(x: number, y: number): number {
  return (x + 1_048_576) * 2_097_152 + (y + 1_048_576);
}

/** Metres a reported position lies beyond the receiving RSU's range (0 inside, or when unknown). */
export function beyondRange(rsu: RoadsideUnit | undefined, lat: number, lon: number): number {
  if (!rsu) return 0;
  return Math.max(0, distanceM(rsu.lat, rsu.lon, lat, lon) - rsu.rangeM);
}
