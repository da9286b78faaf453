/**
 * City profiles (TRANSFER-SPEC §3): everything about a city that a detector must not
 * assume — layout, place on Earth, speed limits, BSM rates, GNSS / heading / speed noise,
 * receiver quality and the accuracy figures vehicles send. `dev-*` are for development;
 * `city-a`…`city-d` are held out for the final cross-city report and differ from the dev
 * profiles and from each other in every dimension; `random:N` draws one from seed N over
 * the whole range the simulator supports.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { CollectorError } from '../errors.js';
import { LAYOUTS } from './layouts.js';
import type { RoadNetworkOptions } from './network.js';
import type { AccuracyProfile, NoiseProfile } from './noise.js';
import { Random } from '../../events/index.js';

export interface CityProfile {
  name: string;
  /** Where and what, in a few words. */
  description: string;
  /** Layout, origin, speed limits (km/h) and receivers; fixed, whatever the run's seed. */
  network: RoadNetworkOptions;
  /** BSM rates, Hz (1–10); each vehicle draws one (repeats weight a rate). */
  ratesHz: readonly number[];
  noise: NoiseProfile;
  accuracy: AccuracyProfile;
}

/**
 * The named profiles, as data (`profiles.yml` beside this file), each checked as a profile
 * given by a user is: a bad edit of the file fails at load, naming the field.
 */
const PROFILES: readonly CityProfile[] = loadProfiles(new URL('./profiles.yml', import.meta.url));

function loadProfiles(file: URL): readonly CityProfile[] {
  const doc = parse(readFileSync(file, 'utf8')) as { profiles?: unknown };
  if (!Array.isArray(doc?.profiles)) throw new CollectorError('BAD_OPTION', `${fileURLToPath(file)}: expected a list under profiles`, false);
  return Object.freeze(doc.profiles.map((p) => checkProfile(p as CityProfile)));
}

export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);
export const DEV_PROFILES = ['dev-grid', 'dev-ring', 'dev-irregular', 'dev-noisy'] as const;
export const HELD_OUT_PROFILES = ['city-a', 'city-b', 'city-c', 'city-d'] as const;

/** A profile by name (`default`, `dev-…`, `city-…`) or `random:N`; a bad name fails naming the choices. */
export function cityProfile(name: string = 'default'): CityProfile {
  const found = PROFILES.find((p) => p.name === name);
  if (found) return found;
  const random = /^random:(\d{1,15})$/.exec(name);
  if (random) return randomProfile(Number(random[1]));
  throw new CollectorError('BAD_OPTION', `simulator option profile: expected one of ${PROFILE_NAMES.join(', ')} or random:N, got ${JSON.stringify(name)}`, false);
}

/** Check a profile given as an object (named ones are checked by the tests); fails naming the field. */
export function checkProfile(p: CityProfile): CityProfile {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new CollectorError('BAD_OPTION', `simulator option profile.${field}: expected ${expected}, got ${JSON.stringify(got)}`, false);
  };
  const span = (field: string, s: unknown, lo: number, hi: number): void => {
    if (!Array.isArray(s) || s.length !== 2 || !s.every((v) => typeof v === 'number' && v >= lo && v <= hi) || (s[0] as number) > (s[1] as number)) bad(field, `[low, high] within ${lo}–${hi}`, s);
  };
  if (typeof p.name !== 'string' || p.name === '') bad('name', 'a name', p.name);
  if (!Array.isArray(p.ratesHz) || p.ratesHz.length === 0 || !p.ratesHz.every((r) => typeof r === 'number' && r >= 1 && r <= 10)) bad('ratesHz', 'a list of rates from 1 to 10 Hz', p.ratesHz);
  span('noise.gnssSigma', p.noise?.gnssSigma, 0, 100);
  span('noise.tauS', p.noise?.tauS, 0.01, 3600);
  span('noise.headingSigmaDeg', p.noise?.headingSigmaDeg, 0, 90);
  span('noise.speedSigma', p.noise?.speedSigma, 0, 10);
  const share = (field: string, v: unknown): void => {
    if (typeof v !== 'number' || !(v >= 0 && v <= 1)) bad(field, 'a share from 0 to 1', v);
  };
  share('noise.correlatedShare', p.noise.correlatedShare);
  share('accuracy.share', p.accuracy?.share);
  share('accuracy.understated', p.accuracy.understated);
  share('accuracy.overstated', p.accuracy.overstated);
  if (p.accuracy.understated + p.accuracy.overstated > 1) bad('accuracy', 'understated + overstated ≤ 1', p.accuracy);
  checkNetwork(p.network ?? {});
  return p;
}

/** Check a road network's options (a profile's, with any overrides). */
export function checkNetwork(n: RoadNetworkOptions): RoadNetworkOptions {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new CollectorError('BAD_OPTION', `simulator option network.${field}: expected ${expected}, got ${JSON.stringify(got)}`, false);
  };
  if (n.layout !== undefined && !(LAYOUTS as readonly string[]).includes(n.layout)) bad('layout', LAYOUTS.join(' | '), n.layout);
  const num = (field: keyof RoadNetworkOptions, lo: number, hi: number, whole = false): void => {
    const v = n[field];
    if (v !== undefined && (typeof v !== 'number' || !(v >= lo && v <= hi) || (whole && !Number.isInteger(v)))) bad(field, `${whole ? 'a whole number' : 'a number'} from ${lo} to ${hi}`, v);
  };
  num('size', 2, 60, true);
  num('spacing', 50, 2_000);
  num('arterialEvery', 1, 60, true);
  num('rotationDeg', -360, 360);
  num('rings', 1, 20, true);
  num('spokes', 3, 64, true);
  num('innerRadius', 30, 5_000);
  // The equirectangular projection is no good near the poles.
  if (n.center !== undefined && !(Math.abs(n.center.lat) <= 80 && Math.abs(n.center.lon) <= 180)) bad('center', 'a latitude within ±80° and a longitude within ±180°', n.center);
  return n;
}

const round = (v: number, digits = 2): number => Math.round(v * 10 ** digits) / 10 ** digits;

function span(rng: Random, lo: number, hi: number, digits = 2): [number, number] {
  const a = rng.uniform(lo, hi);
  const b = rng.uniform(lo, hi);
  return [round(Math.min(a, b), digits), round(Math.max(a, b), digits)];
}

/** A profile drawn from `seed` across the whole range: any layout, anywhere below 66°. */
export function randomProfile(seed: number): CityProfile {
  const rng = new Random(seed).fork('profile');
  const layout = rng.pick(LAYOUTS);
  const side = rng.uniform(20, 40);
  const arterial = Math.round(rng.uniform(50, 100));
  const collector = Math.round(rng.uniform(35, Math.min(60, arterial - 5)));
  const geometry =
    layout === 'grid' || layout === 'irregular'
      ? { size: rng.int(7, 14), spacing: Math.round(rng.uniform(130, 250)), arterialEvery: rng.int(3, 5), rotationDeg: round(rng.uniform(0, 90), 1) }
      : { rings: rng.int(2, 5), spokes: rng.int(layout === 'ring' ? 5 : 9, layout === 'ring' ? 10 : 16), innerRadius: Math.round(rng.uniform(layout === 'ring' ? 200 : 80, layout === 'ring' ? 400 : 150)), spacing: Math.round(rng.uniform(250, 450)), rotationDeg: round(rng.uniform(0, 90), 1) };
  const rates = [1, 2, 2.5, 10 / 3, 5, 10].filter(() => rng.chance(0.5));
  const [gLo, gHi] = span(rng, 0.2, 5);
  return {
    name: `random:${seed}`,
    description: `random ${layout} city drawn from seed ${seed}`,
    network: {
      layout,
      center: { lat: round(rng.uniform(-66, 66), 4), lon: round(rng.uniform(-180, 180), 4) },
      ...geometry,
      limitsKmh: { arterial, collector, side: Math.round(Math.min(side, collector - 5)) },
      receivers: { spacing: Math.round(rng.uniform(350, 700)), range: span(rng, 150, 500, 0), latencyMs: span(rng, 0, 150, 0), jitterMs: span(rng, 0, 80, 0), loss: span(rng, 0, 0.2, 3) },
      layoutSeed: seed,
    },
    ratesHz: rates.length > 0 ? rates : [rng.pick([1, 2, 5, 10])],
    noise: { gnssSigma: [gLo, gHi], correlatedShare: round(rng.uniform(0.4, 0.95)), tauS: span(rng, 1, 90, 1), headingSigmaDeg: span(rng, 0.5, 12, 1), speedSigma: span(rng, 0.02, 0.8) },
    accuracy: { share: round(rng.uniform(0, 1)), understated: round(rng.uniform(0, 0.4)), overstated: round(rng.uniform(0, 0.2)) },
  };
}
