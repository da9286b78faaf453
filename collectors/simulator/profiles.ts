/**
 * City profiles (TRANSFER-SPEC §3): everything about a city that a detector must not
 * assume — layout, place on Earth, speed limits, BSM rates, GNSS / heading / speed noise,
 * receiver quality and the accuracy figures vehicles send. `dev-*` are for development;
 * `city-a`…`city-d` are held out for the final cross-city report and differ from the dev
 * profiles and from each other in every dimension; `random:N` draws one from seed N over
 * the whole range the simulator supports.
 */
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

/** Today's city: the 13 × 13 Singapore grid, 0.3 m white GNSS noise, ideal receivers. */
const DEFAULT_PROFILE: CityProfile = {
  name: 'default',
  description: '13 × 13 grid, 200 m blocks, Singapore; 0.3 m white GNSS noise, no heading or speed noise, ideal RSUs',
  network: { layout: 'grid', center: { lat: 1.3521, lon: 103.8198 }, size: 13, spacing: 200, limitsKmh: { arterial: 60, collector: 50, side: 40 }, receivers: { spacing: 500, range: [300, 300] } },
  ratesHz: [10, 10, 5, 5, 2, 2, 1, 1, 1, 2.5],
  noise: { gnssSigma: [0.3, 0.3], correlatedShare: 0, tauS: [1, 1], headingSigmaDeg: [0, 0], speedSigma: [0, 0] },
  accuracy: { share: 0, understated: 0, overstated: 0 },
};

const PROFILES: readonly CityProfile[] = [
  DEFAULT_PROFILE,
  {
    name: 'dev-grid',
    description: 'north-aligned 11 × 11 grid, 180 m blocks, Chicago; 0.5–1.5 m GNSS noise',
    network: {
      layout: 'grid',
      center: { lat: 41.8781, lon: -87.6298 },
      size: 11,
      spacing: 180,
      arterialEvery: 5,
      limitsKmh: { arterial: 56, collector: 48, side: 40 },
      receivers: { spacing: 450, range: [250, 350], latencyMs: [5, 20], jitterMs: [2, 10], loss: [0, 0.03] },
      layoutSeed: 11,
    },
    ratesHz: [2, 5, 10, 10],
    noise: { gnssSigma: [0.5, 1.5], correlatedShare: 0.8, tauS: [5, 20], headingSigmaDeg: [1, 3], speedSigma: [0.05, 0.2] },
    accuracy: { share: 0.5, understated: 0.1, overstated: 0.1 },
  },
  {
    name: 'dev-ring',
    description: '4 ring roads and 8 radials, Moscow (55.8 N); 1–3 m GNSS noise',
    network: {
      layout: 'ring',
      center: { lat: 55.7558, lon: 37.6173 },
      rings: 4,
      spokes: 8,
      innerRadius: 350,
      spacing: 300,
      limitsKmh: { arterial: 70, collector: 50, side: 30 },
      receivers: { spacing: 600, range: [300, 450], latencyMs: [10, 50], jitterMs: [5, 30], loss: [0.01, 0.05] },
      layoutSeed: 12,
    },
    ratesHz: [1, 2, 5, 10],
    noise: { gnssSigma: [1, 3], correlatedShare: 0.85, tauS: [10, 40], headingSigmaDeg: [2, 5], speedSigma: [0.1, 0.3] },
    accuracy: { share: 0.3, understated: 0.15, overstated: 0.1 },
  },
  {
    name: 'dev-irregular',
    description: 'irregular 10 × 10 street graph (jittered, bent, pruned), 170 m blocks, São Paulo; 0.3–2 m GNSS noise',
    network: {
      layout: 'irregular',
      center: { lat: -23.5505, lon: -46.6333 },
      size: 10,
      spacing: 170,
      arterialEvery: 3,
      limitsKmh: { arterial: 60, collector: 40, side: 30 },
      receivers: { spacing: 400, range: [200, 320], latencyMs: [0, 30], jitterMs: [0, 20], loss: [0, 0.08] },
      layoutSeed: 13,
    },
    ratesHz: [5, 10],
    noise: { gnssSigma: [0.3, 2], correlatedShare: 0.75, tauS: [3, 15], headingSigmaDeg: [0.5, 4], speedSigma: [0.05, 0.3] },
    accuracy: { share: 0.7, understated: 0.15, overstated: 0.15 },
  },
  {
    name: 'dev-noisy',
    description: '12 × 12 grid rotated 30°, 220 m blocks, Johannesburg; 3–5 m GNSS noise, lossy slow RSUs',
    network: {
      layout: 'grid',
      center: { lat: -26.2041, lon: 28.0473 },
      size: 12,
      spacing: 220,
      rotationDeg: 30,
      limitsKmh: { arterial: 60, collector: 45, side: 35 },
      receivers: { spacing: 420, range: [200, 300], latencyMs: [20, 80], jitterMs: [10, 50], loss: [0.05, 0.15] },
      layoutSeed: 14,
    },
    ratesHz: [1, 2, 5, 10],
    noise: { gnssSigma: [3, 5], correlatedShare: 0.8, tauS: [10, 30], headingSigmaDeg: [5, 12], speedSigma: [0.2, 0.6] },
    accuracy: { share: 0.5, understated: 0.2, overstated: 0.1 },
  },
  // Held out: for the final report only, never to develop or tune on.
  {
    name: 'city-a',
    description: 'held out: radial city, 14 avenues from a roundabout, Buenos Aires',
    network: {
      layout: 'radial',
      center: { lat: -34.6037, lon: -58.3816 },
      rings: 3,
      spokes: 14,
      innerRadius: 120,
      spacing: 400,
      limitsKmh: { arterial: 65, collector: 45, side: 30 },
      receivers: { spacing: 550, range: [280, 420], latencyMs: [30, 120], jitterMs: [10, 60], loss: [0.02, 0.1] },
      layoutSeed: 21,
    },
    ratesHz: [1, 10 / 3, 10],
    noise: { gnssSigma: [0.8, 4], correlatedShare: 0.9, tauS: [20, 60], headingSigmaDeg: [3, 8], speedSigma: [0.1, 0.4] },
    accuracy: { share: 0.2, understated: 0.1, overstated: 0.2 },
  },
  {
    name: 'city-b',
    description: 'held out: small irregular old town, 140 m blocks, Reykjavik (64 N)',
    network: {
      layout: 'irregular',
      center: { lat: 64.1466, lon: -21.9426 },
      size: 9,
      spacing: 140,
      arterialEvery: 4,
      limitsKmh: { arterial: 50, collector: 40, side: 30 },
      receivers: { spacing: 350, range: [150, 250], latencyMs: [2, 10], jitterMs: [1, 5], loss: [0, 0.02] },
      layoutSeed: 22,
    },
    ratesHz: [2, 10, 10],
    noise: { gnssSigma: [0.2, 1], correlatedShare: 0.6, tauS: [2, 8], headingSigmaDeg: [0.5, 2], speedSigma: [0.02, 0.1] },
    accuracy: { share: 0.9, understated: 0.25, overstated: 0.05 },
  },
  {
    name: 'city-c',
    description: 'held out: 5 ring roads and 10 radials, Melbourne',
    network: {
      layout: 'ring',
      center: { lat: -37.8136, lon: 144.9631 },
      rings: 5,
      spokes: 10,
      innerRadius: 250,
      spacing: 250,
      rotationDeg: 13,
      limitsKmh: { arterial: 80, collector: 60, side: 40 },
      receivers: { spacing: 700, range: [350, 500], latencyMs: [50, 200], jitterMs: [20, 100], loss: [0.05, 0.2] },
      layoutSeed: 23,
    },
    ratesHz: [1, 5],
    noise: { gnssSigma: [2, 5], correlatedShare: 0.95, tauS: [30, 90], headingSigmaDeg: [4, 10], speedSigma: [0.3, 0.8] },
    accuracy: { share: 0, understated: 0, overstated: 0 },
  },
  {
    name: 'city-d',
    description: 'held out: 15 × 15 grid rotated 45°, 150 m blocks, Anchorage (61 N)',
    network: {
      layout: 'grid',
      center: { lat: 61.2181, lon: -149.9003 },
      size: 15,
      spacing: 150,
      arterialEvery: 3,
      rotationDeg: 45,
      limitsKmh: { arterial: 90, collector: 55, side: 25 },
      receivers: { spacing: 450, range: [220, 380], latencyMs: [0, 40], jitterMs: [0, 30], loss: [0.03, 0.12] },
      layoutSeed: 24,
    },
    ratesHz: [2, 2.5, 5],
    noise: { gnssSigma: [0.4, 2.5], correlatedShare: 0.5, tauS: [1, 5], headingSigmaDeg: [1, 6], speedSigma: [0.05, 0.5] },
    accuracy: { share: 0.6, understated: 0.4, overstated: 0.1 },
  },
];

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
