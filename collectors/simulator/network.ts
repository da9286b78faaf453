/**
 * The simulated city's streets and roadside units.
 *
 * A square grid of two-way streets around a centre point (Singapore by default): every
 * fourth street is an arterial (60 km/h), the others are side streets (40 km/h). Roadside
 * units (RSUs) stand on a coarser grid with a fixed radio range; a BSM sent out of every
 * RSU's range is not received at all. The spacing leaves small dead zones between RSUs
 * and at the corners, as a real deployment does.
 *
 * The layout depends on these options only, never on the seed, so the detector and the
 * dashboards can check any run's positions and RSU ranges against `roadNetwork()`.
 *
 * Geometry is computed in a local plane (metres east `x`, north `y` of the south-west
 * corner) and converted to WGS-84 with an equirectangular projection, which is accurate to
 * centimetres over a few kilometres.
 */

export interface LatLon {
  lat: number;
  lon: number;
}

export type RoadClass = 'arterial' | 'side';

export interface Intersection {
  id: string;
  col: number;
  row: number;
  /** Metres east of the south-west corner. */
  x: number;
  /** Metres north of the south-west corner. */
  y: number;
  lat: number;
  lon: number;
  /** Both crossing streets are arterials: a signalised junction with a traffic light. */
  signalised: boolean;
}

/** One block of a street, between two adjacent intersections; traffic runs both ways. */
export interface Road {
  id: string;
  /** The street this block belongs to. */
  street: string;
  class: RoadClass;
  /** Metres per second. */
  speedLimit: number;
  from: string;
  to: string;
  ax: number;
  ay: number;
  bx: number;
  by: number;
}

export interface RoadsideUnit {
  id: string;
  x: number;
  y: number;
  lat: number;
  lon: number;
  /** Radio range, metres. */
  range: number;
}

export interface RoadNetworkOptions {
  /** Centre of the grid. @default { lat: 1.3521, lon: 103.8198 } */
  center?: LatLon;
  /** Intersections per side. @default 13 */
  size?: number;
  /** Distance between adjacent intersections, metres. @default 200 */
  spacing?: number;
  /** Every n-th street is an arterial. @default 4 */
  arterialEvery?: number;
  /** Distance between roadside units, metres. @default 500 */
  rsuSpacing?: number;
  /** RSU radio range, metres. @default 300 */
  rsuRange?: number;
}

export interface RoadNetwork {
  /** South-west corner of the grid (local origin). */
  origin: LatLon;
  center: LatLon;
  size: number;
  spacing: number;
  /** Extent of the grid in metres (both axes). */
  extent: number;
  intersections: Intersection[];
  roads: Road[];
  rsus: RoadsideUnit[];
  rsuRange: number;
  /** Speed limits, metres per second. */
  limits: Record<RoadClass, number>;
}

const EARTH_RADIUS_M = 6_371_008.8;
const DEG = Math.PI / 180;
export const ARTERIAL_LIMIT_MS = 60 / 3.6;
export const SIDE_LIMIT_MS = 40 / 3.6;

export function roadNetwork(options: RoadNetworkOptions = {}): RoadNetwork {
  const center = options.center ?? { lat: 1.3521, lon: 103.8198 };
  const size = options.size ?? 13;
  const spacing = options.spacing ?? 200;
  const every = options.arterialEvery ?? 4;
  const rsuSpacing = options.rsuSpacing ?? 500;
  const rsuRange = options.rsuRange ?? 300;
  const extent = (size - 1) * spacing;
  const half = extent / 2;
  const origin = {
    lat: center.lat - half / EARTH_RADIUS_M / DEG,
    lon: center.lon - half / (EARTH_RADIUS_M * Math.cos(center.lat * DEG)) / DEG,
  };
  const net: RoadNetwork = {
    origin,
    center,
    size,
    spacing,
    extent,
    intersections: [],
    roads: [],
    rsus: [],
    rsuRange,
    limits: { arterial: ARTERIAL_LIMIT_MS, side: SIDE_LIMIT_MS },
  };
  const arterial = (i: number): boolean => i % every === 0;
  const nodeId = (col: number, row: number): string => `X-${pad(col)}-${pad(row)}`;
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const x = col * spacing;
      const y = row * spacing;
      net.intersections.push({ id: nodeId(col, row), col, row, x, y, ...toLatLon(net, x, y), signalised: arterial(col) && arterial(row) });
    }
  }
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      // East-west block on the street of this row, north-south block on the street of this column.
      if (col + 1 < size) {
        const cls: RoadClass = arterial(row) ? 'arterial' : 'side';
        net.roads.push({
          id: `R-EW${pad(row)}-${pad(col)}`,
          street: streetName('ew', row, cls),
          class: cls,
          speedLimit: net.limits[cls],
          from: nodeId(col, row),
          to: nodeId(col + 1, row),
          ax: col * spacing,
          ay: row * spacing,
          bx: (col + 1) * spacing,
          by: row * spacing,
        });
      }
      if (row + 1 < size) {
        const cls: RoadClass = arterial(col) ? 'arterial' : 'side';
        net.roads.push({
          id: `R-NS${pad(col)}-${pad(row)}`,
          street: streetName('ns', col, cls),
          class: cls,
          speedLimit: net.limits[cls],
          from: nodeId(col, row),
          to: nodeId(col, row + 1),
          ax: col * spacing,
          ay: row * spacing,
          bx: col * spacing,
          by: (row + 1) * spacing,
        });
      }
    }
  }
  // A centred grid of RSUs; the corners of each RSU square are just out of range.
  const perSide = Math.floor(extent / rsuSpacing) + 1;
  const margin = (extent - (perSide - 1) * rsuSpacing) / 2;
  let n = 0;
  for (let j = 0; j < perSide; j++) {
    for (let i = 0; i < perSide; i++) {
      const x = margin + i * rsuSpacing;
      const y = margin + j * rsuSpacing;
      n++;
      net.rsus.push({ id: `RSU-${String(n).padStart(2, '0')}`, x, y, ...toLatLon(net, x, y), range: rsuRange });
    }
  }
  return net;
}

function pad(i: number): string {
  return String(i).padStart(2, '0');
}

function streetName(axis: 'ew' | 'ns', index: number, cls: RoadClass): string {
  const name = axis === 'ew' ? `${cls === 'arterial' ? 'Avenue' : 'Street'} ${index + 1}` : `${cls === 'arterial' ? 'Boulevard' : 'Lane'} ${index + 1}`;
  return name;
}

export function toLatLon(net: Pick<RoadNetwork, 'origin'>, x: number, y: number): LatLon {
  return {
    lat: net.origin.lat + y / EARTH_RADIUS_M / DEG,
    lon: net.origin.lon + x / (EARTH_RADIUS_M * Math.cos(net.origin.lat * DEG)) / DEG,
  };
}

/** Local metres (east, north of the grid's south-west corner) of a WGS-84 position. */
export function toLocal(net: Pick<RoadNetwork, 'origin'>, lat: number, lon: number): { x: number; y: number } {
  return {
    x: (lon - net.origin.lon) * DEG * EARTH_RADIUS_M * Math.cos(net.origin.lat * DEG),
    y: (lat - net.origin.lat) * DEG * EARTH_RADIUS_M,
  };
}

/** The RSU that receives a transmission from (x, y): the nearest one in range, or none. */
export function receivingRsu(net: RoadNetwork, x: number, y: number): RoadsideUnit | undefined {
  let best: RoadsideUnit | undefined;
  let bestD2 = Infinity;
  for (const rsu of net.rsus) {
    const d2 = (rsu.x - x) ** 2 + (rsu.y - y) ** 2;
    if (d2 <= rsu.range * rsu.range && d2 < bestD2) {
      best = rsu;
      bestD2 = d2;
    }
  }
  return best;
}

/** Distance from (x, y) to the nearest road centre line, and the roads within `within` metres. */
export function nearestRoads(net: RoadNetwork, x: number, y: number, within = 0): { distance: number; roads: Road[] } {
  let distance = Infinity;
  const roads: Road[] = [];
  for (const road of net.roads) {
    const dx = road.bx - road.ax;
    const dy = road.by - road.ay;
    const t = Math.max(0, Math.min(1, ((x - road.ax) * dx + (y - road.ay) * dy) / (dx * dx + dy * dy)));
    const d = Math.hypot(road.ax + t * dx - x, road.ay + t * dy - y);
    if (d < distance) distance = d;
    if (d <= within) roads.push(road);
  }
  return { distance, roads };
}

/**
 * The JSON the pipeline serves to the dashboards and the detector: streets with their
 * speed limits (m/s and km/h), intersections, and RSUs with their range. Coordinates are
 * WGS-84 degrees; `x`/`y` are the local metres used by `toLocal`.
 */
export interface CityDescription {
  version: 1;
  center: LatLon;
  origin: LatLon;
  extentMetres: number;
  intersections: Array<{ id: string; lat: number; lon: number; signalised: boolean }>;
  roads: Array<{ id: string; street: string; class: RoadClass; speedLimit: number; speedLimitKmh: number; from: LatLon; to: LatLon }>;
  rsus: Array<{ id: string; lat: number; lon: number; range: number }>;
}

export function describeNetwork(net: RoadNetwork): CityDescription {
  const round = (v: number): number => Math.round(v * 1e7) / 1e7;
  const ll = (x: number, y: number): LatLon => {
    const p = toLatLon(net, x, y);
    return { lat: round(p.lat), lon: round(p.lon) };
  };
  return {
    version: 1,
    center: net.center,
    origin: { lat: round(net.origin.lat), lon: round(net.origin.lon) },
    extentMetres: net.extent,
    intersections: net.intersections.map((i) => ({ id: i.id, lat: round(i.lat), lon: round(i.lon), signalised: i.signalised })),
    roads: net.roads.map((r) => ({
      id: r.id,
      street: r.street,
      class: r.class,
      speedLimit: Math.round(r.speedLimit * 100) / 100,
      speedLimitKmh: Math.round(r.speedLimit * 3.6),
      from: ll(r.ax, r.ay),
      to: ll(r.bx, r.by),
    })),
    rsus: net.rsus.map((r) => ({ id: r.id, lat: round(r.lat), lon: round(r.lon), range: r.range })),
  };
}
