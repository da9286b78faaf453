/**
 * The city file: one GeoJSON `FeatureCollection` (RFC 7946; positions `[lon, lat]`, WGS 84)
 * of roads, roadside units and the service area, written by hand, by `vigil city import`
 * from OpenStreetMap, or by `vigil simulate --network`. An operator's file is input like
 * any other: a feature that cannot be used is refused with an error naming it (its index
 * and id), never half-read; a feature of an unknown kind is skipped with a warning.
 */
import { EventError } from './errors.js';

/** A position as in the file: `[lon, lat]`, degrees. */
export type LonLat = readonly [number, number];

export interface CityRoad {
  id?: string;
  name?: string;
  /** Posted speed limit, m/s. */
  speedLimit?: number;
  lanes?: number;
  oneway?: boolean;
  /** One or more polylines (a `MultiLineString` gives several). */
  lines: LonLat[][];
}

export interface CityRsu {
  /** As in a BSM's `rsu` and the event's `observer.name`. */
  id: string;
  lon: number;
  lat: number;
  /** Radio range, metres. */
  rangeM: number;
}

export interface CityFile {
  name?: string;
  roads: CityRoad[];
  rsus: CityRsu[];
  /** Polygons of the service area, each a list of rings (the first the outer boundary). */
  serviceArea: LonLat[][][];
  /** Features skipped (unknown kind), one sentence each. */
  warnings: string[];
}

/** Most features a city file may hold (a large metropolitan extract has a few hundred thousand ways). */
export const MAX_CITY_FEATURES = 2_000_000;
/** Highest speed limit accepted, m/s (no public road posts more than about 150 km/h). */
const MAX_SPEED_LIMIT = 100;
/** Largest roadside-unit range accepted, metres (DSRC / C-V2X reach about 1 km; 50 km is a generous cap). */
const MAX_RANGE_M = 50_000;

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

function fail(message: string): never {
  throw new EventError('CITY_INVALID', message);
}

/** Parses and checks a city file; throws `EventError` `CITY_INVALID` naming the first bad feature. */
export function parseCityFile(text: string): CityFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new EventError('CITY_INVALID', `city file is not JSON: ${(err as Error).message}`, { cause: err });
  }
  return cityFromGeoJson(raw);
}

/** The same checks on an already parsed object. */
export function cityFromGeoJson(raw: unknown): CityFile {
  if (!isObject(raw) || raw.type !== 'FeatureCollection' || !Array.isArray(raw.features)) {
    fail('city file: expected a GeoJSON FeatureCollection with a "features" array');
  }
  if (raw.features.length > MAX_CITY_FEATURES) fail(`city file: ${raw.features.length} features, at most ${MAX_CITY_FEATURES}`);
  const city: CityFile = { roads: [], rsus: [], serviceArea: [], warnings: [] };
  if (raw.name !== undefined) {
    if (typeof raw.name !== 'string') fail('city file: "name" must be a string');
    city.name = raw.name;
  }
  const rsuIds = new Set<string>();
  raw.features.forEach((f: unknown, i: number) => {
    const where = featureName(f, i);
    try {
      readFeature(f, city, rsuIds);
    } catch (err) {
      if (err instanceof EventError) throw new EventError('CITY_INVALID', `city file: ${where}: ${err.message}`);
      throw err;
    }
  });
  return city;
}

function featureName(f: unknown, i: number): string {
  const id = isObject(f) && isObject(f.properties) ? (f.properties.id ?? f.id) : isObject(f) ? f.id : undefined;
  return typeof id === 'string' || typeof id === 'number' ? `feature ${i} (id ${JSON.stringify(id)})` : `feature ${i}`;
}

function readFeature(f: unknown, city: CityFile, rsuIds: Set<string>): void {
  if (!isObject(f) || f.type !== 'Feature') fail('expected an object with "type": "Feature"');
  const props = f.properties ?? {};
  if (!isObject(props)) fail('"properties" must be an object');
  const geometry = f.geometry;
  if (!isObject(geometry) || typeof geometry.type !== 'string') fail('expected a "geometry" object with a "type"');
  const kind = props.kind;
  if (kind === 'road') city.roads.push(readRoad(props, geometry));
  else if (kind === 'rsu') {
    const rsu = readRsu(props, geometry);
    if (rsuIds.has(rsu.id)) fail(`roadside unit id ${JSON.stringify(rsu.id)} appears twice`);
    rsuIds.add(rsu.id);
    city.rsus.push(rsu);
  } else if (kind === 'service_area') city.serviceArea.push(...readArea(geometry));
  else city.warnings.push(`skipped a feature of kind ${JSON.stringify(kind ?? null)} (known: road, rsu, service_area)`);
}

function optionalString(props: Record<string, unknown>, key: string): string | undefined {
  const v = props[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > 256) fail(`"${key}" must be a string of at most 256 characters`);
  return v;
}

function readRoad(props: Record<string, unknown>, g: Record<string, unknown>): CityRoad {
  let lines: LonLat[][];
  if (g.type === 'LineString') lines = [positions(g.coordinates, 2, 'LineString')];
  else if (g.type === 'MultiLineString') {
    if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) fail('MultiLineString: expected a non-empty array of lines');
    lines = g.coordinates.map((l: unknown) => positions(l, 2, 'MultiLineString line'));
  } else fail(`a road must be a LineString or MultiLineString, not ${String(g.type)}`);
  const road: CityRoad = { lines };
  const id = props.id;
  if (id !== undefined && id !== null) {
    if (typeof id !== 'string' && typeof id !== 'number') fail('"id" must be a string');
    road.id = String(id);
  }
  const name = optionalString(props, 'name');
  if (name !== undefined) road.name = name;
  const limit = props.speed_limit;
  if (limit !== undefined && limit !== null) {
    if (typeof limit !== 'number' || !(limit > 0 && limit <= MAX_SPEED_LIMIT)) fail(`"speed_limit" must be m/s in (0, ${MAX_SPEED_LIMIT}], got ${JSON.stringify(limit)}`);
    road.speedLimit = limit;
  }
  const lanes = props.lanes;
  if (lanes !== undefined && lanes !== null) {
    if (typeof lanes !== 'number' || !Number.isInteger(lanes) || lanes < 1 || lanes > 64) fail(`"lanes" must be a whole number from 1 to 64, got ${JSON.stringify(lanes)}`);
    road.lanes = lanes;
  }
  const oneway = props.oneway;
  if (oneway !== undefined && oneway !== null) {
    if (typeof oneway !== 'boolean') fail(`"oneway" must be true or false, got ${JSON.stringify(oneway)}`);
    road.oneway = oneway;
  }
  return road;
}

function readRsu(props: Record<string, unknown>, g: Record<string, unknown>): CityRsu {
  if (g.type !== 'Point') fail(`a roadside unit must be a Point, not ${String(g.type)}`);
  const [lon, lat] = position(g.coordinates);
  const id = props.id;
  if (typeof id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$/.test(id)) fail(`a roadside unit needs an "id" as in BSMs' "rsu" (letters, digits, _ . : @ -), got ${JSON.stringify(id)}`);
  const range = props.range_m;
  if (typeof range !== 'number' || !(range > 0 && range <= MAX_RANGE_M)) fail(`"range_m" must be metres in (0, ${MAX_RANGE_M}], got ${JSON.stringify(range)}`);
  return { id, lon, lat, rangeM: range };
}

function readArea(g: Record<string, unknown>): LonLat[][][] {
  const polygon = (p: unknown): LonLat[][] => {
    if (!Array.isArray(p) || p.length === 0) fail('Polygon: expected a non-empty array of rings');
    return p.map((ring: unknown) => {
      const r = positions(ring, 4, 'Polygon ring');
      const a = r[0]!;
      const b = r.at(-1)!;
      if (a[0] !== b[0] || a[1] !== b[1]) fail('a Polygon ring must end where it starts (RFC 7946 §3.1.6)');
      return r;
    });
  };
  if (g.type === 'Polygon') return [polygon(g.coordinates)];
  if (g.type === 'MultiPolygon') {
    if (!Array.isArray(g.coordinates) || g.coordinates.length === 0) fail('MultiPolygon: expected a non-empty array of polygons');
    return g.coordinates.map(polygon);
  }
  fail(`a service area must be a Polygon or MultiPolygon, not ${String(g.type)}`);
}

function positions(x: unknown, min: number, what: string): LonLat[] {
  if (!Array.isArray(x) || x.length < min) fail(`${what}: expected at least ${min} positions`);
  return x.map(position);
}

function position(p: unknown): LonLat {
  if (!Array.isArray(p) || p.length < 2 || p.length > 3) fail(`expected a position [lon, lat], got ${short(p)}`);
  const [lon, lat] = p as unknown[];
  if (typeof lon !== 'number' || !(lon >= -180 && lon <= 180)) fail(`longitude must be a number from -180 to 180, got ${short(lon)}`);
  if (typeof lat !== 'number' || !(lat >= -90 && lat <= 90)) fail(`latitude must be a number from -90 to 90, got ${short(lat)}`);
  return [lon, lat];
}

function short(x: unknown): string {
  const s = JSON.stringify(x) ?? String(x);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

/** The city as GeoJSON again (what `vigil city import` writes). */
export function cityToGeoJson(city: CityFile): Record<string, unknown> {
  const features: Array<Record<string, unknown>> = [];
  for (const r of city.roads) {
    const properties: Record<string, unknown> = { kind: 'road' };
    if (r.id !== undefined) properties.id = r.id;
    if (r.name !== undefined) properties.name = r.name;
    if (r.speedLimit !== undefined) properties.speed_limit = r.speedLimit;
    if (r.lanes !== undefined) properties.lanes = r.lanes;
    if (r.oneway !== undefined) properties.oneway = r.oneway;
    const geometry = r.lines.length === 1 ? { type: 'LineString', coordinates: r.lines[0] } : { type: 'MultiLineString', coordinates: r.lines };
    features.push({ type: 'Feature', properties, geometry });
  }
  for (const u of city.rsus) features.push({ type: 'Feature', properties: { kind: 'rsu', id: u.id, range_m: u.rangeM }, geometry: { type: 'Point', coordinates: [u.lon, u.lat] } });
  if (city.serviceArea.length > 0) features.push({ type: 'Feature', properties: { kind: 'service_area' }, geometry: { type: 'MultiPolygon', coordinates: city.serviceArea } });
  return { type: 'FeatureCollection', ...(city.name !== undefined ? { name: city.name } : {}), features };
}
