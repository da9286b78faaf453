/**
 * Position against the city: outside the service area (`CityMap.area`, from the city file
 * or the learnt city), or off every road of the map beyond its carriageway. Distances are
 * judged against the message's position noise by the caller. Without an area the geofence
 * check is off (the extractor says so once); without roads, the off-road check is.
 */
import { pointSegmentDistance, projector } from '../../geo.js';
import { RoadIndex, ServiceArea, type CityMap } from '../city.js';
import { LANE_WIDTH } from './bounds.js';

type Ring = ReadonlyArray<readonly [number, number]>;

export class CityChecks {
  private readonly roads: RoadIndex | undefined;
  private readonly rings: Array<Float64Array> = [];
  private readonly area: ServiceArea | undefined;
  private readonly project: (lat: number, lon: number) => [number, number];
  /** Half the carriageway a vehicle may be off the centre line: two lanes each way when the map does not say. */
  private readonly halfWidth: number;

  constructor(city: CityMap) {
    this.roads = city.roads && city.roads.length > 0 ? new RoadIndex(city.roads) : undefined;
    const area: ReadonlyArray<Ring> = city.area ?? [];
    this.area = area.length > 0 ? new ServiceArea(area) : undefined;
    const first = area[0]?.[0] ?? city.roads?.[0]?.[0];
    this.project = projector(first ? first[0] : 0);
    for (const ring of area) {
      const xy = new Float64Array(ring.length * 2);
      ring.forEach(([lat, lon], i) => {
        const [x, y] = this.project(lat, lon);
        xy[2 * i] = x;
        xy[2 * i + 1] = y;
      });
      if (ring.length >= 3) this.rings.push(xy);
    }
    this.halfWidth = 2 * LANE_WIDTH;
  }

  get hasArea(): boolean {
    return this.rings.length > 0;
  }

  get hasRoads(): boolean {
    return this.roads !== undefined;
  }

  /** Metres outside the service area (0 inside, or with no area). Rings are even-odd (city.ts ServiceArea). */
  outside(lat: number, lon: number): number {
    if (!this.area || this.area.contains(lat, lon)) return 0;
    // outside (rare): the distance to the nearest edge
    const [px, py] = this.project(lat, lon);
    let best = Infinity;
    for (const r of this.rings) {
      const n = r.length / 2;
      for (let i = 0, j = n - 1; i < n; j = i++) {
        const d = pointSegmentDistance(px, py, r[2 * i]!, r[2 * i + 1]!, r[2 * j]!, r[2 * j + 1]!);
        if (d < best) best = d;
      }
    }
    return best;
  }

  /** Metres beyond the carriageway of the nearest road (0 on it, or with no roads). */
  offRoad(lat: number, lon: number): number {
    if (!this.roads) return 0;
    return Math.max(0, this.roads.distance(lat, lon) - this.halfWidth);
  }
}
