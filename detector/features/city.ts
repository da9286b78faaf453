/**
 * What the detector knows about the city's geometry: roadside units (where they are, how
 * far they hear) and the road network. Both are optional — without them the range and
 * off-road features read 0 — and both come from configuration (the simulator exports them).
 */
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
}

/** Distance to the nearest road centre line through a uniform grid of segments. */
export class RoadIndex {
  private readonly cell: number;
  private readonly grid = new Map<number, number[]>();
  private readonly segs: Float64Array;
  private readonly project: (lat: number, lon: number) => [number, number];

  constructor(roads: NonNullable<CityMap['roads']>, cellM = 100) {
    this.cell = cellM;
    const first = roads[0]?.[0];
    this.project = projector(first ? first[0] : 0);
    const segs: number[] = [];
    for (const line of roads) {
      for (let i = 1; i < line.length; i++) {
        const a = line[i - 1]!;
        const b = line[i]!;
        const [ax, ay] = this.project(a[0], a[1]);
        const [bx, by] = this.project(b[0], b[1]);
        const idx = segs.length / 4;
        segs.push(ax, ay, bx, by);
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
  }

  /** Metres to the nearest road, capped at `maxM` (nothing within the neighbouring cells). */
  distance(lat: number, lon: number, maxM = 1_000): number {
    const [px, py] = this.project(lat, lon);
    const cx = Math.floor(px / this.cell);
    const cy = Math.floor(py / this.cell);
    let best = maxM;
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++) {
        const list = this.grid.get(key(x, y));
        if (!list) continue;
        for (const i of list) {
          const s = this.segs;
          const d = pointSegmentDistance(px, py, s[4 * i]!, s[4 * i + 1]!, s[4 * i + 2]!, s[4 * i + 3]!);
          if (d < best) best = d;
        }
      }
    return best;
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
