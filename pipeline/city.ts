/**
 * Reading the operator's city file for `vigil start`, `vigil train` and `vigil eval`: a
 * GeoJSON city file (`events/city.ts`: hand-written, `vigil city import`, or
 * `vigil simulate --network`), or the simulator's older network description
 * (`{ roads: [{from, to}], rsus: [...] }`), still read for files written before.
 */
import { readFile } from 'node:fs/promises';
import { cityMapFromFile, type CityMap } from '../detector/index.js';
import { cityFromGeoJson, cityToGeoJson, EventError } from '../events/index.js';
import { cityFromDescription } from './demo.js';

/** Largest city file read, bytes (a metropolitan OSM import is tens of MB). */
const MAX_CITY_BYTES = 512 * 1024 * 1024;

async function readJson(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new EventError('CITY_INVALID', `cannot read the city file ${path}: ${(err as Error).message}`, { cause: err });
  }
  if (text.length > MAX_CITY_BYTES) throw new EventError('CITY_INVALID', `${path}: larger than ${MAX_CITY_BYTES} bytes`);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new EventError('CITY_INVALID', `${path}: not JSON (${(err as Error).message})`, { cause: err });
  }
}

/**
 * The city file as the map page draws it: GeoJSON again after the same checks the detector's
 * read makes (`cityToGeoJson`), so the page shows exactly the roads and RSUs the detector uses.
 * An older network description gives null (the page then draws tracks only).
 */
export async function readCityGeoJson(path: string): Promise<Record<string, unknown> | null> {
  const raw = await readJson(path);
  if (typeof raw !== 'object' || raw === null || (raw as { type?: unknown }).type !== 'FeatureCollection') return null;
  try {
    return cityToGeoJson(cityFromGeoJson(raw));
  } catch (err) {
    if (err instanceof EventError) throw new EventError('CITY_INVALID', `${path}: ${err.message}`, { cause: err });
    throw err;
  }
}

export async function readCityFile(path: string, warn: (message: string) => void = () => {}): Promise<CityMap> {
  const raw = await readJson(path);
  if (typeof raw === 'object' && raw !== null && (raw as { type?: unknown }).type === 'FeatureCollection') {
    let file;
    try {
      file = cityFromGeoJson(raw);
    } catch (err) {
      if (err instanceof EventError) throw new EventError('CITY_INVALID', `${path}: ${err.message}`, { cause: err });
      throw err;
    }
    for (const w of file.warnings.slice(0, 5)) warn(`${path}: ${w}`);
    if (file.warnings.length > 5) warn(`${path}: ${file.warnings.length} features skipped in all`);
    return cityMapFromFile(file);
  }
  if (typeof raw === 'object' && raw !== null && (Array.isArray((raw as { roads?: unknown }).roads) || Array.isArray((raw as { rsus?: unknown }).rsus))) {
    return cityFromDescription(raw as Parameters<typeof cityFromDescription>[0]);
  }
  throw new EventError('CITY_INVALID', `${path}: expected a GeoJSON FeatureCollection (see README, "The city")`);
}
