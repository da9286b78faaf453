import { describe, expect, it } from 'vitest';
import { parseJsonRecord, resolveValidationOptions } from '../events/index.js';
import { CollectorError } from '../collectors/index.js';
import {
  CitySimulator,
  DEV_PROFILES,
  HELD_OUT_PROFILES,
  PROFILE_NAMES,
  VEHICLE_LIMITS,
  cityProfile,
  nearestRoads,
  roadNetwork,
  type CityProfile,
  type RoadNetwork,
} from '../collectors/simulator/index.js';
import { byVehicle, headingDiff, lag1, runSim, type Message } from './simulator-fixtures.js';

const net = (name: string): RoadNetwork => roadNetwork(cityProfile(name).network);
const bearings = (n: RoadNetwork): number[] =>
  n.roads.flatMap((r) => r.points.slice(1).map((b, k) => {
    const a = r.points[k] as readonly [number, number];
    return ((Math.atan2(b[0] - a[0], b[1] - a[1]) * 180) / Math.PI + 360) % 360;
  }));
const mod90 = (deg: number): number => ((deg % 90) + 90) % 90;
/** Consecutive messages of one track that both carry the truth, and the seconds between them. */
function* truthSteps(track: readonly Message[]): Generator<{ a: NonNullable<Message['truth']>; b: NonNullable<Message['truth']>; dt: number }> {
  for (let i = 1; i < track.length; i++) {
    const a = track[i - 1]!.truth;
    const b = track[i]!.truth;
    if (a && b) yield { a, b, dt: (track[i]!.bsm.ts - track[i - 1]!.bsm.ts) / 1000 };
  }
}
const centre = (n: RoadNetwork): [number, number] => [n.width / 2, n.height / 2];

describe('the profiles', () => {
  it('are the named development, held-out and default ones', () => {
    expect([...PROFILE_NAMES].sort()).toEqual(['default', ...DEV_PROFILES, ...HELD_OUT_PROFILES].sort());
  });

  it('reject an unknown name with a message naming the option and the choices', () => {
    expect(() => new CitySimulator({ profile: 'atlantis' })).toThrow(CollectorError);
    expect(() => new CitySimulator({ profile: 'atlantis' })).toThrow(/profile.*dev-grid.*random:N/);
  });

  it.each([...PROFILE_NAMES, 'random:1', 'random:2', 'random:77'])('%s lies around its own origin, with lon degrees scaled by its latitude', (name) => {
    const profile = cityProfile(name);
    const n = roadNetwork(profile.network);
    const c = profile.network.center ?? { lat: 0, lon: 0 };
    const lats = n.intersections.map((i) => i.lat);
    const lons = n.intersections.map((i) => i.lon);
    expect(Math.abs((Math.max(...lats) + Math.min(...lats)) / 2 - c.lat)).toBeLessThan(0.03);
    expect(Math.abs((Math.max(...lons) + Math.min(...lons)) / 2 - c.lon)).toBeLessThan(0.06);
    const latSpan = Math.max(...lats) - Math.min(...lats);
    const lonSpan = Math.max(...lons) - Math.min(...lons);
    const metresRatio = n.width / n.height;
    // At 60° N a degree of longitude is half a degree of latitude's length.
    expect((lonSpan / latSpan) * Math.cos((c.lat * Math.PI) / 180)).toBeCloseTo(metresRatio, 1);
  });

  it('cover both hemispheres and high latitudes among the development and held-out cities', () => {
    const centres = PROFILE_NAMES.map((p) => cityProfile(p).network.center ?? { lat: 0, lon: 0 });
    expect(centres.some((c) => c.lat < 0)).toBe(true);
    expect(centres.some((c) => c.lon < 0)).toBe(true);
    expect(centres.some((c) => Math.abs(c.lat) > 55)).toBe(true);
    expect(new Set(centres.map((c) => `${c.lat},${c.lon}`)).size).toBe(centres.length);
  });

  it('held-out ones share no layout parameters, origin, rates or noise range with any development one', () => {
    for (const h of HELD_OUT_PROFILES) {
      const held = cityProfile(h);
      for (const d of DEV_PROFILES) {
        const dev = cityProfile(d);
        expect(held.network.center).not.toEqual(dev.network.center);
        expect(held.noise.gnssSigma).not.toEqual(dev.noise.gnssSigma);
        expect(held.noise.tauS).not.toEqual(dev.noise.tauS);
        expect(held.ratesHz).not.toEqual(dev.ratesHz);
        expect(held.network.receivers).not.toEqual(dev.network.receivers);
        expect(held.network.limitsKmh).not.toEqual(dev.network.limitsKmh);
      }
    }
  });

  it.each([
    [{ ratesHz: [20] }, /ratesHz/],
    [{ noise: { ...cityProfile('dev-grid').noise, gnssSigma: [3, 1] } }, /gnssSigma/],
    [{ noise: { ...cityProfile('dev-grid').noise, correlatedShare: 1.5 } }, /correlatedShare/],
    [{ network: { layout: 'spiral' } }, /layout/],
    [{ network: { layout: 'grid', size: 1 } }, /size/],
    [{ network: { center: { lat: 89, lon: 0 } } }, /center/],
  ])('given as an object, reject %o naming the field', (change, field) => {
    const profile = { ...cityProfile('dev-grid'), ...change } as unknown as CityProfile;
    expect(() => new CitySimulator({ profile })).toThrow(CollectorError);
    expect(() => new CitySimulator({ profile })).toThrow(field);
  });

  it.each([1, 2, 3, 4, 5, 6])('random:%i runs, with vehicles on its roads', (n) => {
    const { bsms, sim } = runSim({ seed: 1, profile: `random:${n}`, vehicles: 30, devices: 10, attackRate: 0.2 }, 30);
    expect(bsms.filter((m) => !m.attack).length).toBeGreaterThan(200);
    for (const m of bsms.filter((_, i) => i % 10 === 0)) if (m.truth) expect(nearestRoads(sim.network, m.truth.x, m.truth.y).distance).toBeLessThan(8);
  });

  it('random:N is fixed by N and differs between Ns, within the supported ranges', () => {
    expect(cityProfile('random:5')).toEqual(cityProfile('random:5'));
    expect(cityProfile('random:5')).not.toEqual(cityProfile('random:6'));
    for (let n = 0; n < 40; n++) {
      const p = cityProfile(`random:${n}`);
      expect(p.noise.gnssSigma[0]).toBeGreaterThanOrEqual(0.2);
      expect(p.noise.gnssSigma[1]).toBeLessThanOrEqual(5);
      for (const r of p.ratesHz) expect(r >= 1 && r <= 10).toBe(true);
    }
  });
});

describe('the layouts', () => {
  it.each(['default', 'dev-grid', 'dev-noisy', 'city-d'])('%s is a grid: every street runs along the grid axes at its rotation', (name) => {
    const rot = cityProfile(name).network.rotationDeg ?? 0;
    for (const b of bearings(net(name))) expect(Math.min(Math.abs(mod90(b - rot)), 90 - Math.abs(mod90(b - rot)))).toBeLessThan(0.01);
  });

  it.each(['dev-ring', 'city-c'])('%s has its ring roads, each at one distance from the centre, joined by radials', (name) => {
    const n = net(name);
    const [cx, cy] = centre(n);
    const rings = new Map<string, number[]>();
    for (const r of n.roads.filter((r) => r.street.startsWith('Ring'))) {
      const d = r.points.map(([x, y]) => Math.hypot(x - cx, y - cy));
      expect(Math.max(...d) - Math.min(...d)).toBeLessThan(1);
      rings.set(r.street, [...(rings.get(r.street) ?? []), ...d]);
    }
    expect(rings.size).toBe(cityProfile(name).network.rings);
    const radii = [...rings.values()].map((d) => d[0] as number).sort((a, b) => a - b);
    for (let i = 1; i < radii.length; i++) expect((radii[i] as number) - (radii[i - 1] as number)).toBeGreaterThan(100);
    expect(n.roads.some((r) => r.street.startsWith('Radial'))).toBe(true);
  });

  it('city-a is radial: more radial avenues than rings, each pointing at the centre', () => {
    const n = net('city-a');
    const [cx, cy] = centre(n);
    const radials = n.roads.filter((r) => r.street.startsWith('Radial'));
    expect(new Set(radials.map((r) => r.street)).size).toBeGreaterThan(2 * (cityProfile('city-a').network.rings ?? 0));
    for (const r of radials) {
      const [a, b] = r.points as [readonly [number, number], readonly [number, number]];
      const cross = (b[0] - a[0]) * (a[1] - cy) - (b[1] - a[1]) * (a[0] - cx);
      expect(Math.abs(cross) / (Math.hypot(b[0] - a[0], b[1] - a[1]) * Math.hypot(a[0] - cx, a[1] - cy))).toBeLessThan(1e-6);
    }
  });

  it.each(['dev-irregular', 'city-b'])('%s is irregular: off-axis and bent streets, pruned blocks, no dead end, all connected', (name) => {
    const n = net(name);
    const off = bearings(n).filter((b) => Math.min(mod90(b), 90 - mod90(b)) > 5);
    expect(off.length / bearings(n).length).toBeGreaterThan(0.5);
    expect(n.roads.some((r) => r.points.length > 2)).toBe(true);
    const size = cityProfile(name).network.size ?? 0;
    expect(n.roads.length).toBeLessThan(2 * size * (size - 1));
    for (const [, roads] of n.adjacency) expect(roads.length).toBeGreaterThanOrEqual(2);
    const seen = new Set<string>([n.intersections[0]?.id ?? '']);
    const queue = [...seen];
    while (queue.length > 0) {
      for (const r of n.adjacency.get(queue.pop() as string) ?? []) {
        for (const id of [r.from, r.to]) if (!seen.has(id)) (seen.add(id), queue.push(id));
      }
    }
    expect(seen.size).toBe(n.intersections.length);
  });

  it.each(DEV_PROFILES)('%s has speed limits by road class and RSUs of differing quality', (name) => {
    const n = net(name);
    const limits = cityProfile(name).network.limitsKmh ?? {};
    expect(new Set(n.roads.map((r) => Math.round(r.speedLimit * 3.6))).size).toBeGreaterThan(1);
    for (const r of n.roads) expect(Object.values(limits)).toContain(Math.round(r.speedLimit * 3.6));
    expect(new Set(n.rsus.map((r) => r.range)).size).toBeGreaterThan(1);
    expect(new Set(n.rsus.map((r) => r.latencyMs)).size).toBeGreaterThan(1);
    expect(Math.max(...n.rsus.map((r) => r.loss))).toBeGreaterThan(0);
  });
});

describe.each(['dev-ring', 'dev-irregular', 'city-a'])('honest vehicles in %s', (name) => {
  const { bsms, sim } = runSim({ seed: 3, profile: name, vehicles: 60, devices: 0, attackRate: 0 }, 90);
  const tracks = [...byVehicle(bsms).values()];

  it('follow the roads without jumps, within the limit of the road they are on', () => {
    let pairs = 0;
    for (const track of tracks) {
      for (const { a, b, dt } of truthSteps(track)) {
        if (dt > 1.01) continue;
        expect(Math.hypot(b.x - a.x, b.y - a.y)).toBeLessThanOrEqual(Math.max(a.speed, b.speed) * dt + 1.5 * dt * dt + 1e-6);
        pairs++;
      }
      // Every fifth message: the nearest-road search is linear in the roads.
      for (const m of track.filter((_, i) => i % 5 === 0)) {
        if (!m.truth) continue;
        const { distance, roads } = nearestRoads(sim.network, m.truth.x, m.truth.y, 8);
        expect(distance).toBeLessThan(8);
        expect(m.truth.speed).toBeLessThanOrEqual(Math.max(...roads.map((r) => r.speedLimit)) + 0.01);
      }
    }
    expect(pairs).toBeGreaterThan(5_000);
  });

  it('accelerate within 3 m/s², brake harder only rarely, and turn within the bound', () => {
    let pairs = 0;
    let hard = 0;
    for (const track of tracks) {
      for (const { a, b, dt } of truthSteps(track)) {
        const dv = (b.speed - a.speed) / dt;
        expect(dv).toBeLessThanOrEqual(VEHICLE_LIMITS.maxAccel + 0.01);
        expect(dv).toBeGreaterThanOrEqual(-VEHICLE_LIMITS.maxBraking - 0.1);
        if (dv < -3.5) hard++;
        expect(Math.abs(headingDiff(b.heading, a.heading)) / dt).toBeLessThanOrEqual(VEHICLE_LIMITS.maxTurnRate + 0.5);
        pairs++;
      }
    }
    expect(hard / pairs).toBeLessThan(0.01);
  });
});

describe.each(['default', ...DEV_PROFILES])('GNSS, heading and speed noise in %s', (name) => {
  const { bsms, sim } = runSim({ seed: 2, profile: name, vehicles: 80, devices: 0, attackRate: 0 }, 90);
  const receivers = new Map(sim.vehicles.map((v) => [v.id, sim.receiverOf(v)]));
  const honest = bsms.filter((m) => m.truth && !m.attack);
  const profile = cityProfile(name);

  it('has each vehicle position error of the sigma its receiver was given, within the profile range', () => {
    let z2 = 0;
    for (const m of honest) {
      const r = receivers.get(m.bsm.vehicle);
      if (!r || !m.truth) throw new Error('no receiver');
      expect(r.error.sigma).toBeGreaterThanOrEqual(profile.noise.gnssSigma[0]);
      expect(r.error.sigma).toBeLessThanOrEqual(profile.noise.gnssSigma[1]);
      z2 += ((m.x - m.truth.x) ** 2 + (m.y - m.truth.y) ** 2) / (2 * r.error.sigma ** 2);
    }
    expect(honest.length).toBeGreaterThan(10_000);
    expect(z2 / honest.length).toBeGreaterThan(0.75);
    expect(z2 / honest.length).toBeLessThan(1.3);
  });

  it('is correlated over time as much as the profile says (lag-1 autocorrelation)', () => {
    const r = lag1(byVehicle(honest).values(), 1000);
    if (profile.noise.correlatedShare === 0) expect(Math.abs(r)).toBeLessThan(0.1);
    else expect(r).toBeGreaterThan(0.5 * profile.noise.correlatedShare);
  });

  it('puts heading and speed errors of the receiver\'s sigmas on moving vehicles', () => {
    let zh = 0;
    let zs = 0;
    let n = 0;
    for (const m of honest) {
      const r = receivers.get(m.bsm.vehicle);
      if (!r || !m.truth || m.truth.speed < 3) continue;
      const dh = headingDiff(m.bsm.heading, m.truth.heading);
      const ds = m.bsm.speed - m.truth.speed;
      if (r.error.headingSigma === 0) expect(Math.abs(dh)).toBeLessThanOrEqual(0.051);
      else zh += (dh / r.error.headingSigma) ** 2;
      if (r.error.speedSigma === 0) expect(Math.abs(ds)).toBeLessThanOrEqual(0.0051);
      else zs += (ds / r.error.speedSigma) ** 2;
      n++;
    }
    if (profile.noise.headingSigmaDeg[1] > 0) expect(zh / n).toBeCloseTo(1, 0);
    if (profile.noise.speedSigma[1] > 0) expect(zs / n).toBeCloseTo(1, 0);
  });

  it('sends at 1–10 Hz, each vehicle at one of the profile\'s rates', () => {
    const allowed = profile.ratesHz.map((hz) => Math.round(10 / hz) * 100);
    for (const track of byVehicle(honest).values()) {
      const gaps = track.slice(1).map((m, i) => m.bsm.ts - (track[i] as Message).bsm.ts);
      if (gaps.length === 0) continue;
      expect(allowed).toContain(Math.min(...gaps));
    }
  });

  it('gives the accuracy figures to about the profile\'s share of vehicles, mostly truthful, and sends them when the events part takes them', () => {
    const reports = [...receivers.values()].filter((r) => r.accuracy);
    expect(Math.abs(reports.length / receivers.size - profile.accuracy.share)).toBeLessThan(0.15);
    const ratios = reports.map((r) => (r.accuracy?.pos ?? 0) / r.error.sigma).sort((a, b) => a - b);
    if (ratios.length > 4) expect(ratios[Math.floor(ratios.length / 2)]).toBeGreaterThan(0.8);
    if (ratios.length > 4) expect(ratios[Math.floor(ratios.length / 2)]).toBeLessThan(1.3);
    const accepts = parseJsonRecord('{"kind":"bsm","vehicle":"V-1","ts":1767225600000,"lat":1,"lon":1,"speed":1,"heading":1,"pos_accuracy":1,"heading_accuracy":1}', resolveValidationOptions({ now: () => 1767225600000 })).ok;
    for (const m of honest.slice(0, 2_000)) {
      const r = receivers.get(m.bsm.vehicle);
      expect(m.bsm.pos_accuracy).toBe(accepts && r?.accuracy ? r.accuracy.pos : undefined);
    }
  });
});

interface Feature {
  type: string;
  geometry: { type: string; coordinates: unknown };
  properties: Record<string, unknown> & { kind: string };
}

/** Ray casting on [lon, lat]. */
function inside(ring: ReadonlyArray<[number, number]>, lon: number, lat: number): boolean {
  let odd = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i] as [number, number];
    const [xj, yj] = ring[j] as [number, number];
    if (yi > lat !== yj > lat && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) odd = !odd;
  }
  return odd;
}

describe.each([...DEV_PROFILES, 'default'])('the city file of %s', (name) => {
  const { sim, bsms } = runSim({ seed: 1, profile: name, vehicles: 30, devices: 0, attackRate: 0 }, 20);
  const file = JSON.parse(JSON.stringify(sim.cityFile())) as { type: string; name: string; features: Feature[] };
  const profile = cityProfile(name);

  it('is a GeoJSON FeatureCollection of roads with speed limits, RSUs with ranges and one service area', () => {
    expect(file.type).toBe('FeatureCollection');
    expect(file.name).toBe(name);
    const limits = Object.values(profile.network.limitsKmh ?? {}).map((k) => k / 3.6);
    for (const f of file.features) {
      expect(f.type).toBe('Feature');
      if (f.properties.kind === 'road') {
        expect(f.geometry.type).toBe('LineString');
        const coords = f.geometry.coordinates as Array<[number, number]>;
        expect(coords.length).toBeGreaterThanOrEqual(2);
        for (const [lon, lat] of coords) {
          expect(Math.abs(lat - (profile.network.center?.lat ?? 0))).toBeLessThan(0.05);
          expect(Math.abs(lon - (profile.network.center?.lon ?? 0))).toBeLessThan(0.1);
        }
        expect(limits.some((l) => Math.abs(l - (f.properties.speed_limit as number)) < 0.001)).toBe(true);
      } else if (f.properties.kind === 'rsu') {
        expect(f.geometry.type).toBe('Point');
        expect(f.properties.id).toMatch(/^RSU-\d+$/);
        expect(f.properties.range_m).toBeGreaterThan(0);
      } else expect(f.properties.kind).toBe('service_area');
    }
    const kinds = file.features.map((f) => f.properties.kind);
    expect(kinds.filter((k) => k === 'road')).toHaveLength(sim.network.roads.length);
    expect(kinds.filter((k) => k === 'rsu')).toHaveLength(sim.network.rsus.length);
    expect(kinds.filter((k) => k === 'service_area')).toHaveLength(1);
  });

  it('names every RSU the BSMs name, and its service area holds every honest position', () => {
    const rsus = new Set(file.features.filter((f) => f.properties.kind === 'rsu').map((f) => f.properties.id));
    const area = file.features.find((f) => f.properties.kind === 'service_area');
    if (!area) throw new Error('no service area');
    expect(area.geometry.type).toBe('Polygon');
    const ring = (area.geometry.coordinates as Array<Array<[number, number]>>)[0] ?? [];
    expect(ring[0]).toEqual(ring[ring.length - 1]);
    // RFC 7946: exterior rings counter-clockwise (positive shoelace area in lon/lat).
    let twice = 0;
    for (let i = 1; i < ring.length; i++) twice += ((ring[i - 1] as [number, number])[0] * (ring[i] as [number, number])[1]) - ((ring[i] as [number, number])[0] * (ring[i - 1] as [number, number])[1]);
    expect(twice).toBeGreaterThan(0);
    expect(bsms.length).toBeGreaterThan(500);
    for (const m of bsms) {
      expect(rsus.has(m.bsm.rsu)).toBe(true);
      expect(inside(ring, m.bsm.lon, m.bsm.lat)).toBe(true);
    }
  });
});

describe('runs', () => {
  it('are the same for the same seed and profile, and differ by seed', () => {
    const a = runSim({ seed: 4, profile: 'dev-irregular', vehicles: 30, devices: 5 }, 20).lines;
    expect(runSim({ seed: 4, profile: 'dev-irregular', vehicles: 30, devices: 5 }, 20).lines).toEqual(a);
    expect(runSim({ seed: 5, profile: 'dev-irregular', vehicles: 30, devices: 5 }, 20).lines).not.toEqual(a);
    expect(new CitySimulator({ seed: 4, profile: 'dev-irregular' }).cityFile()).toEqual(new CitySimulator({ seed: 5, profile: 'dev-irregular' }).cityFile());
  });

  it('at a high attack rate for a long while never run out of pseudonyms', () => {
    const sim = new CitySimulator({ seed: 1, vehicles: 10, devices: 0, attackRate: 0.5, attacks: ['dos_random_sybil'] });
    let attacks = 0;
    for (let minute = 0; minute < 25; minute++) attacks += sim.advance(sim.time + 60_000).filter((o) => o.type === 'event' && o.attack).length;
    // More pseudonyms than the 4-digit id space holds: ids are recycled after retirement.
    expect(attacks).toBeGreaterThan(10_000);
  });
});
