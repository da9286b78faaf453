/**
 * OpenStreetMap XML (an `.osm` extract, API 0.6 format) to a city file: the ways tagged as
 * roads a motor vehicle drives on become `road` features, with `maxspeed` in m/s where it
 * is a number. The file is untrusted input: it is read as a stream by saxes (no DTD, no
 * external entities, so no XXE or entity expansion), every coordinate is checked, and a
 * malformed document fails with the line where it broke; references to nodes outside the
 * extract (ways cut at its edge) are dropped and counted.
 */
import { SaxesParser } from 'saxes';
import type { CityFile, CityRoad, LonLat } from './city.js';
import { EventError } from './errors.js';

/** `highway=*` values of roads for motor vehicles (OSM wiki, Key:highway); paths, footways, tracks and the like are left out. */
const DRIVABLE = new Set([
  'motorway', 'trunk', 'primary', 'secondary', 'tertiary', 'unclassified', 'residential', 'living_street', 'service', 'road',
  'motorway_link', 'trunk_link', 'primary_link', 'secondary_link', 'tertiary_link',
]);
/** Most nodes kept from one extract (memory: 24 bytes each, about 1 GiB at the cap). */
export const MAX_OSM_NODES = 40_000_000;
const KMH = 1 / 3.6;
/** International mile per hour in m/s (NIST SP 811). */
const MPH = 0.44704;
const KNOT = 1852 / 3600;

export interface OsmImport {
  city: CityFile;
  /** What was read and left out, for the command's summary. */
  stats: { nodes: number; ways: number; roads: number; missingNodes: number; unparsedMaxspeed: number; badNodes: number };
}

/**
 * `maxspeed` in m/s: a bare number is km/h (OSM's default unit), else `N km/h`, `N mph`,
 * `N knots`. Zone codes (`RU:urban`, `DE:zone30`), `none`, `walk`, `signals` and lists
 * give `undefined`: their value depends on a country's law, not on the map.
 */
export function parseMaxspeed(v: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(km\/h|kmh|kph|mph|knots)?\s*$/i.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]);
  const unit = (m[2] ?? 'km/h').toLowerCase();
  const ms = unit === 'mph' ? n * MPH : unit === 'knots' ? n * KNOT : n * KMH;
  if (!(ms > 0 && ms <= 100)) return undefined;
  return Math.round(ms * 1000) / 1000;
}

class NodeTable {
  private readonly index = new Map<number, number>();
  private coords = new Float64Array(1 << 16);
  size = 0;
  add(id: number, lon: number, lat: number): void {
    if (this.size * 2 + 2 > this.coords.length) {
      const next = new Float64Array(this.coords.length * 2);
      next.set(this.coords);
      this.coords = next;
    }
    this.index.set(id, this.size);
    this.coords[this.size * 2] = lon;
    this.coords[this.size * 2 + 1] = lat;
    this.size++;
  }
  get(id: number): LonLat | undefined {
    const i = this.index.get(id);
    return i === undefined ? undefined : [this.coords[i * 2]!, this.coords[i * 2 + 1]!];
  }
}

/** Reads an OSM XML document from text chunks (a file stream in UTF-8, or one string). */
export async function importOsm(chunks: AsyncIterable<string> | Iterable<string>, name?: string): Promise<OsmImport> {
  const parser = new SaxesParser({ position: true });
  const nodes = new NodeTable();
  const roads: CityRoad[] = [];
  const stats = { nodes: 0, ways: 0, roads: 0, missingNodes: 0, unparsedMaxspeed: 0, badNodes: 0 };
  let way: { id: string; refs: number[]; tags: Map<string, string> } | undefined;
  let failure: Error | undefined;
  parser.on('error', (e) => {
    failure ??= e;
  });
  parser.on('doctype', () => {
    failure ??= new Error('a DOCTYPE is not accepted in an OSM extract');
  });
  parser.on('opentag', (tag) => {
    const a = tag.attributes as Record<string, string>;
    if (tag.name === 'node') {
      stats.nodes++;
      const id = Number(a.id);
      const lat = Number(a.lat);
      const lon = Number(a.lon);
      if (!Number.isSafeInteger(id) || !(lat >= -90 && lat <= 90) || !(lon >= -180 && lon <= 180)) stats.badNodes++;
      else if (nodes.size >= MAX_OSM_NODES) failure ??= new Error(`more than ${MAX_OSM_NODES} nodes: cut the extract smaller`);
      else nodes.add(id, lon, lat);
    } else if (tag.name === 'way') {
      stats.ways++;
      way = { id: String(a.id ?? ''), refs: [], tags: new Map() };
    } else if (way && tag.name === 'nd') {
      const ref = Number(a.ref);
      if (Number.isSafeInteger(ref)) way.refs.push(ref);
    } else if (way && tag.name === 'tag' && typeof a.k === 'string' && typeof a.v === 'string') {
      if (way.tags.size < 1_000) way.tags.set(a.k, a.v);
    }
  });
  parser.on('closetag', (tag) => {
    if (tag.name !== 'way' || !way) return;
    const road = roadOf(way, nodes, stats);
    if (road) roads.push(road);
    way = undefined;
  });
  for await (const chunk of chunks) {
    parser.write(chunk);
    if (failure) break;
  }
  if (!failure) parser.close();
  if (failure) throw new EventError('CITY_INVALID', `OSM XML${name ? ` ${name}` : ''}: ${failure.message}`, { cause: failure });
  stats.roads = roads.length;
  const city: CityFile = { roads, rsus: [], serviceArea: [], warnings: [] };
  if (name !== undefined) city.name = name;
  return { city, stats };
}

function roadOf(way: { id: string; refs: number[]; tags: Map<string, string> }, nodes: NodeTable, stats: OsmImport['stats']): CityRoad | undefined {
  const highway = way.tags.get('highway');
  if (highway === undefined || !DRIVABLE.has(highway) || way.tags.get('area') === 'yes') return undefined;
  const line: LonLat[] = [];
  for (const ref of way.refs) {
    const p = nodes.get(ref);
    if (p) line.push(p);
    else stats.missingNodes++;
  }
  if (line.length < 2) return undefined;
  const oneway = way.tags.get('oneway');
  // oneway=-1: one way against the order of the way's nodes; the line is turned round.
  if (oneway === '-1') line.reverse();
  const road: CityRoad = { id: `way/${way.id}`, lines: [line] };
  const name = way.tags.get('name');
  if (name !== undefined && name.length <= 256) road.name = name;
  const maxspeed = way.tags.get('maxspeed');
  if (maxspeed !== undefined) {
    const ms = parseMaxspeed(maxspeed);
    if (ms === undefined) stats.unparsedMaxspeed++;
    else road.speedLimit = ms;
  }
  const lanes = Number(way.tags.get('lanes'));
  if (Number.isInteger(lanes) && lanes >= 1 && lanes <= 64) road.lanes = lanes;
  if (oneway === 'yes' || oneway === 'true' || oneway === '1' || oneway === '-1') road.oneway = true;
  else if (oneway === 'no' || oneway === 'false' || oneway === '0') road.oneway = false;
  else if (highway === 'motorway' || way.tags.get('junction') === 'roundabout') road.oneway = true;
  return road;
}
