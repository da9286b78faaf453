/**
 * The simulated city's streets and roadside units: a street graph (intersections joined by
 * road polylines, each road with a speed-limit class) built by one of the layouts of
 * `layouts.ts`, and roadside units (RSUs) of differing quality placed over it.
 *
 * The layout depends on its options only, never on the run's seed, so the detector and the
 * dashboards can check any run's positions and RSU ranges against the same city file.
 *
 * Geometry is computed in a local plane (metres east `x`, north `y` of the south-west
 * corner of the city's bounding box) and converted to WGS-84 with an equirectangular
 * projection about that corner: accurate to centimetres over a few kilometres, at any
 * latitude below the polar circles' last few degrees.
 */
import { buildLayout, type LayoutOptions, type RoadClass } from './layouts.js';
import { Random } from '../../events/index.js';

export interface LatLon {
  lat: number;
  lon: number;
}

export { ROAD_CLASSES, type RoadClass } from './layouts.js';

export interface Intersection {
  id: string;
  /** Metres east of the local origin. */
  x: number;
  /** Metres north of the local origin. */
  y: number;
  lat: number;
  lon: number;
  /** A junction of two or more arterials: a signalised junction with a traffic light. */
  signalised: boolean;
}

/** One road between two intersections, as a polyline; traffic runs both ways. */
export interface Road {
  id: string;
  /** The street this road belongs to. */
  street: string;
  class: RoadClass;
  /** Metres per second. */
  speedLimit: number;
  from: string;
  to: string;
  /** The centre line from `from` to `to`, local metres, at least two points. */
  points: ReadonlyArray<readonly [number, number]>;
  /** Length along the polyline, metres. */
  length: number;
}

export interface RoadsideUnit {
  id: string;
  x: number;
  y: number;
  lat: number;
  lon: number;
  /** Radio range, metres. */
  range: number;
  /** Fixed part of the delay from a vehicle's send time to the BSM's arrival, milliseconds. */
  latencyMs: number;
  /** Mean of the exponential extra delay per message, milliseconds. */
  jitterMs: number;
  /** Share of BSMs in range that this unit still loses (collisions, fading), 0–1. */
  loss: number;
}

/** What the RSUs of a city are like: each unit draws its own figures from these ranges. */
export interface ReceiverOptions {
  /** Distance between roadside units, metres. @default 500 */
  spacing?: number;
  /** Radio range, metres, [lowest, highest]. @default [300, 300] */
  range?: readonly [number, number];
  /** Fixed delay, milliseconds, [lowest, highest]. @default [0, 0] */
  latencyMs?: readonly [number, number];
  /** Mean exponential jitter, milliseconds, [lowest, highest]. @default [0, 0] */
  jitterMs?: readonly [number, number];
  /** Packet loss share, [lowest, highest]. @default [0, 0] */
  loss?: readonly [number, number];
}

export interface RoadNetworkOptions extends LayoutOptions {
  /** Where the city is: the centre of its bounding box. @default { lat: 1.3521, lon: 103.8198 } */
  center?: LatLon;
  /** Speed limits per road class, km/h. @default arterial 60, collector 50, side 40 */
  limitsKmh?: Partial<Record<RoadClass, number>>;
  receivers?: ReceiverOptions;
  /** Fixes the layout's and the receivers' random draws (not the run's seed). @default 1 */
  layoutSeed?: number;
}

export interface RoadNetwork {
  /** South-west corner of the bounding box (local origin). */
  origin: LatLon;
  center: LatLon;
  layout: LayoutOptions['layout'] & string;
  /** Bounding box of the roads, metres from the origin. */
  width: number;
  height: number;
  /** The larger of width and height, metres. */
  extent: number;
  intersections: Intersection[];
  roads: Road[];
  rsus: RoadsideUnit[];
  /** Speed limits, metres per second. */
  limits: Record<RoadClass, number>;
  /** Convex service area around the roads (local metres, counter-clockwise, not closed). */
  area: Array<readonly [number, number]>;
  /** Roads leaving each intersection, by intersection id. */
  adjacency: Map<string, Road[]>;
  nodeById: Map<string, Intersection>;
}

const EARTH_RADIUS_M = 6_371_008.8;
const DEG = Math.PI / 180;
export const DEFAULT_CENTER: LatLon = { lat: 1.3521, lon: 103.8198 };
const DEFAULT_LIMITS_KMH: Record<RoadClass, number> = { arterial: 60, collector: 50, side: 40 };
/** How far the service area reaches beyond the outermost roads, metres. */
const AREA_MARGIN_M = 60;

export function roadNetwork(options: RoadNetworkOptions = {}): RoadNetwork {
  const center = options.center ?? DEFAULT_CENTER;
  const rng = new Random(options.layoutSeed ?? 1);
  const limitsKmh = { ...DEFAULT_LIMITS_KMH, ...options.limitsKmh };
  const limits = { arterial: limitsKmh.arterial / 3.6, collector: limitsKmh.collector / 3.6, side: limitsKmh.side / 3.6 };
  const plan = buildLayout(options, rng.fork('layout'));
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const n of plan.nodes) {
    minX = Math.min(minX, n.x);
    minY = Math.min(minY, n.y);
    maxX = Math.max(maxX, n.x);
    maxY = Math.max(maxY, n.y);
  }
  for (const e of plan.edges) {
    for (const [x, y] of e.points) {
      minX = Math.min(minX, x);
      minY = Math.min(minY, y);
      maxX = Math.max(maxX, x);
      maxY = Math.max(maxY, y);
    }
  }
  const width = maxX - minX;
  const height = maxY - minY;
  const origin = {
    lat: center.lat - height / 2 / EARTH_RADIUS_M / DEG,
    lon: center.lon - width / 2 / (EARTH_RADIUS_M * Math.cos(center.lat * DEG)) / DEG,
  };
  const net: RoadNetwork = {
    origin,
    center,
    layout: plan.layout,
    width,
    height,
    extent: Math.max(width, height),
    intersections: [],
    roads: [],
    rsus: [],
    limits,
    area: [],
    adjacency: new Map(),
    nodeById: new Map(),
  };
  const shift = (x: number, y: number): [number, number] => [x - minX, y - minY];
  for (const n of plan.nodes) {
    const [x, y] = shift(n.x, n.y);
    const node = { id: n.id, x, y, ...toLatLon(net, x, y), signalised: n.signalised };
    net.intersections.push(node);
    net.nodeById.set(n.id, node);
    net.adjacency.set(n.id, []);
  }
  for (const e of plan.edges) {
    const points = e.points.map(([x, y]) => shift(x, y));
    const road: Road = { id: e.id, street: e.street, class: e.class, speedLimit: limits[e.class], from: e.from, to: e.to, points, length: polylineLength(points) };
    net.roads.push(road);
    net.adjacency.get(e.from)?.push(road);
    net.adjacency.get(e.to)?.push(road);
  }
  net.area = serviceArea(net.roads);
  net.rsus = placeRsus(net, options.receivers ?? {}, rng.fork('receivers'));
  return net;
}

/** The point `s` metres along a road from its `from` end, and the unit direction there. */
export function pointAlong(road: Road, s: number): { x: number; y: number; ux: number; uy: number } {
  let left = Math.max(0, s);
  for (let i = 1; i < road.points.length; i++) {
    const [ax, ay] = road.points[i - 1] as readonly [number, number];
    const [bx, by] = road.points[i] as readonly [number, number];
    const len = Math.hypot(bx - ax, by - ay);
    if (len === 0) continue;
    if (left <= len || i === road.points.length - 1) {
      const t = Math.min(1, left / len);
      return { x: ax + t * (bx - ax), y: ay + t * (by - ay), ux: (bx - ax) / len, uy: (by - ay) / len };
    }
    left -= len;
  }
  const [x, y] = road.points[0] as readonly [number, number];
  return { x, y, ux: 1, uy: 0 };
}

function polylineLength(points: ReadonlyArray<readonly [number, number]>): number {
  let length = 0;
  for (let i = 1; i < points.length; i++) {
    const a = points[i - 1] as readonly [number, number];
    const b = points[i] as readonly [number, number];
    length += Math.hypot(b[0] - a[0], b[1] - a[1]);
  }
  return length;
}

/**
 * RSUs on a square grid over the bounding box, kept where some road is within their range,
 * each with its own range, delay and loss: deployments mix older and newer units.
 */
function placeRsus(net: RoadNetwork, opts: ReceiverOptions, rng: Random): RoadsideUnit[] {
  const spacing = opts.spacing ?? 500;
  const draw = (r: readonly [number, number] | undefined, fallback: number): number => (r ? rng.uniform(r[0], r[1]) : fallback);
  const cols = Math.floor(net.width / spacing) + 1;
  const rows = Math.floor(net.height / spacing) + 1;
  const mx = (net.width - (cols - 1) * spacing) / 2;
  const my = (net.height - (rows - 1) * spacing) / 2;
  const out: RoadsideUnit[] = [];
  for (let j = 0; j < rows; j++) {
    for (let i = 0; i < cols; i++) {
      const x = mx + i * spacing;
      const y = my + j * spacing;
      // Drawn for every grid place, kept or not, so one unit's figures never shift another's.
      const range = Math.round(draw(opts.range, 300));
      const latencyMs = Math.round(draw(opts.latencyMs, 0));
      const jitterMs = Math.round(draw(opts.jitterMs, 0));
      const loss = Math.round(draw(opts.loss, 0) * 1000) / 1000;
      if (nearestRoads(net, x, y).distance > range * 0.9) continue;
      const id = `RSU-${String(out.length + 1).padStart(2, '0')}`;
      out.push({ id, x, y, ...toLatLon(net, x, y), range, latencyMs, jitterMs, loss });
    }
  }
  return out;
}

/** The convex hull of the roads grown by a margin (the hull of each point's octagon). */
function serviceArea(roads: readonly Road[]): Array<readonly [number, number]> {
  const pts: Array<[number, number]> = [];
  for (const r of roads) {
    for (const [x, y] of r.points) {
      for (let k = 0; k < 8; k++) pts.push([x + AREA_MARGIN_M * Math.cos((k * Math.PI) / 4), y + AREA_MARGIN_M * Math.sin((k * Math.PI) / 4)]);
    }
  }
  pts.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  const cross = (o: readonly number[], a: readonly number[], b: readonly number[]): number => ((a[0] as number) - (o[0] as number)) * ((b[1] as number) - (o[1] as number)) - ((a[1] as number) - (o[1] as number)) * ((b[0] as number) - (o[0] as number));
  // Andrew's monotone chain.
  const lower: Array<[number, number]> = [];
  for (const p of pts) {
    while (lower.length >= 2 && cross(lower[lower.length - 2] as [number, number], lower[lower.length - 1] as [number, number], p) <= 0) lower.pop();
    lower.push(p);
  }
  const upper: Array<[number, number]> = [];
  for (let i = pts.length - 1; i >= 0; i--) {
    const p = pts[i] as [number, number];
    while (upper.length >= 2 && cross(upper[upper.length - 2] as [number, number], upper[upper.length - 1] as [number, number], p) <= 0) upper.pop();
    upper.push(p);
  }
  return [...lower.slice(0, -1), ...upper.slice(0, -1)];
}

export function toLatLon(net: Pick<RoadNetwork, 'origin'>, x: number, y: number): LatLon {
  return {
    lat: net.origin.lat + y / EARTH_RADIUS_M / DEG,
    lon: net.origin.lon + x / (EARTH_RADIUS_M * Math.cos(net.origin.lat * DEG)) / DEG,
  };
}

/** Local metres (east, north of the local origin) of a WGS-84 position. */
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
export function nearestRoads(net: Pick<RoadNetwork, 'roads'>, x: number, y: number, within = 0): { distance: number; roads: Road[] } {
  let distance = Infinity;
  const roads: Road[] = [];
  for (const road of net.roads) {
    let d = Infinity;
    for (let i = 1; i < road.points.length; i++) {
      const [ax, ay] = road.points[i - 1] as readonly [number, number];
      const [bx, by] = road.points[i] as readonly [number, number];
      const dx = bx - ax;
      const dy = by - ay;
      const len2 = dx * dx + dy * dy;
      const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
      d = Math.min(d, Math.hypot(ax + t * dx - x, ay + t * dy - y));
    }
    if (d < distance) distance = d;
    if (d <= within) roads.push(road);
  }
  return { distance, roads };
}

/**
 * The JSON the pipeline serves to the dashboards and the detector: streets with their
 * speed limits (m/s and km/h), intersections, and RSUs with their range. Coordinates are
 * WGS-84 degrees. A curved road appears as one entry per polyline segment.
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

const round7 = (v: number): number => Math.round(v * 1e7) / 1e7;

export function describeNetwork(net: RoadNetwork): CityDescription {
  const ll = (x: number, y: number): LatLon => {
    const p = toLatLon(net, x, y);
    return { lat: round7(p.lat), lon: round7(p.lon) };
  };
  return {
    version: 1,
    center: net.center,
    origin: { lat: round7(net.origin.lat), lon: round7(net.origin.lon) },
    extentMetres: net.extent,
    intersections: net.intersections.map((i) => ({ id: i.id, lat: round7(i.lat), lon: round7(i.lon), signalised: i.signalised })),
    roads: net.roads.flatMap((r) =>
      r.points.slice(1).map((b, k) => {
        const a = r.points[k] as readonly [number, number];
        return {
          id: r.points.length > 2 ? `${r.id}#${k}` : r.id,
          street: r.street,
          class: r.class,
          speedLimit: Math.round(r.speedLimit * 100) / 100,
          speedLimitKmh: Math.round(r.speedLimit * 3.6),
          from: ll(a[0], a[1]),
          to: ll(b[0], b[1]),
        };
      }),
    ),
    rsus: net.rsus.map((r) => ({ id: r.id, lat: round7(r.lat), lon: round7(r.lon), range: r.range })),
  };
}

/**
 * The city file of TRANSFER-SPEC §1 (GeoJSON, RFC 7946, coordinates [lon, lat]): roads
 * with `speed_limit` (m/s), RSUs with `range_m`, and the service area.
 */
export function cityGeoJson(net: RoadNetwork, name: string): Record<string, unknown> {
  const lonLat = (x: number, y: number): [number, number] => {
    const p = toLatLon(net, x, y);
    return [round7(p.lon), round7(p.lat)];
  };
  const ring = net.area.map(([x, y]) => lonLat(x, y));
  const first = ring[0];
  if (first) ring.push(first);
  return {
    type: 'FeatureCollection',
    name,
    features: [
      ...net.roads.map((r) => ({
        type: 'Feature',
        geometry: { type: 'LineString', coordinates: r.points.map(([x, y]) => lonLat(x, y)) },
        properties: { kind: 'road', id: r.id, name: r.street, speed_limit: Math.round(r.speedLimit * 1000) / 1000, lanes: r.class === 'arterial' ? 2 : 1, oneway: false },
      })),
      ...net.rsus.map((r) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: lonLat(r.x, r.y) },
        properties: { kind: 'rsu', id: r.id, range_m: r.range },
      })),
      { type: 'Feature', geometry: { type: 'Polygon', coordinates: [ring] }, properties: { kind: 'service_area' } },
    ],
  };
}
