import { describe, expect, it } from 'vitest';
import { CaKalman, chi2Quantile2, FeatureExtractor, seededRandom } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import { ev, M, northTrack, T0 } from './detector-fixtures.js';

/** χ²₂ quantiles the starter rules use (1e-6) and one-sided normal 1e-6. */
const NIS_RULE = chi2Quantile2(1e-6);
const Z_RULE = 4.89;

/** Normal noise from the project's seeded random (Box–Muller). */
function normal(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * A fleet of honest vehicles on parallel north–south roads 200 m apart, 10 Hz, each speeding
 * up and slowing down smoothly (accel reported), positions with `sigma` m of GNSS noise per
 * axis, rounded like a BSM (1e-7°). Time-ordered.
 */
function fleet(sigma: number, vehicles: number, seconds: number, seed: number, extra: Record<string, unknown> = {}): VigilEvent[] {
  const noise = normal(seed);
  const out: VigilEvent[] = [];
  for (let i = 0; i < seconds * 10; i++)
    for (let v = 0; v < vehicles; v++) {
      const t = i / 10;
      const phase = v * 0.7;
      // speed 12 ± 3 m/s, accel its derivative
      const speed = 12 + 3 * Math.sin(t / 8 + phase);
      const accel = (3 / 8) * Math.cos(t / 8 + phase);
      const north = 12 * t - 24 * (Math.cos(t / 8 + phase) - Math.cos(phase)) + v * 7;
      out.push(
        ev({
          kind: 'bsm',
          vehicle: `V-${v}`,
          ts: T0 + i * 100 + v,
          lat: Math.round((1.35 + (north + sigma * noise()) * M) * 1e7) / 1e7,
          lon: Math.round((103.82 + (v * 200 + sigma * noise()) * M) * 1e7) / 1e7,
          speed: Math.round(speed * 100) / 100,
          heading: 0,
          accel: Math.round(accel * 100) / 100,
          seq: i,
          ...extra,
        }),
      );
    }
  return out;
}

const rows = (fx: FeatureExtractor, events: VigilEvent[]): Array<Record<string, number> & { vid: string }> => events.map((e) => Object.assign({ ...fx.one(e)!.values }, { vid: e.vigil.entity.id }));
/** The starter rules' statistical conditions on the track and motion features. */
const flagged = (r: Record<string, number>) => r.offset_nis! > NIS_RULE || r.dead_reckoning_z! > 10 || r.speed_z! > Z_RULE || r.accel_excess_z! > Z_RULE || r.pos_repeat_s! > 2.7 || r.speed_repeat_s! > 2.7;

describe('the Kalman tracker', () => {
  it('predicts, tests and fuses a position with the answer computed by hand', () => {
    const kf = new CaKalman();
    // at the origin (variance 1 m²), 10 m/s east known to ±2 m/s, acceleration known to be 0
    kf.init(0, 0, 0, 1, 10, 0, 4, 0);
    kf.predict(1000, 0);
    // x = 10; pp = 1 + 4·1² = 5; pv = 4
    expect(kf.x).toBeCloseTo(10, 12);
    expect(kf.pp).toBeCloseTo(5, 12);
    expect(kf.pv).toBeCloseTo(4, 12);
    // a fix at (12, 0) with variance 1: NIS = 2² / (5 + 1)
    expect(kf.nis(12, 0, 1)).toBeCloseTo(4 / 6, 12);
    kf.update(12, 0, 1);
    // gains 5/6 (position) and 4/6 (velocity)
    expect(kf.x).toBeCloseTo(10 + (5 / 6) * 2, 12);
    expect(kf.vx).toBeCloseTo(10 + (4 / 6) * 2, 12);
    expect(kf.pp).toBeCloseTo(5 / 6, 12);
    expect(kf.vv).toBeCloseTo(4 - 16 / 6, 12);
  });

  it('its gate is the chi-square (2 dof) quantile: P(NIS > q) = exp(−q / 2) = p', () => {
    expect(chi2Quantile2(1e-3)).toBeCloseTo(13.8155, 4);
    expect(Math.exp(-chi2Quantile2(1e-6) / 2)).toBeCloseTo(1e-6, 12);
  });
});

describe.each([0.3, 5])('honest and forged tracks at %s m of GNSS noise', (sigma) => {
  it('honest vehicles pass the statistical checks', () => {
    const fx = new FeatureExtractor();
    const r = rows(fx, fleet(sigma, 8, 90, 101));
    const late = r.slice(r.length / 3);
    expect(late.filter(flagged).length / late.length).toBeLessThan(0.005);
  });

  it('a position jumped 150 m and held there is caught, and the truth after it is not', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 90, 102);
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      const k = Math.floor(i / 8);
      if (e.vigil.entity.id !== 'V-3' || k < 500 || k >= 600) return e;
      return ev({ kind: 'bsm', vehicle: 'V-3', ts: e.vigil.ts, lat: v.lat, lon: v.lon + 150 * M, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-3');
    const lie = r.slice(500, 600);
    expect(lie.filter((x) => x.pos_nis! > NIS_RULE || x.offset_nis! > NIS_RULE).length).toBeGreaterThan(90);
    const after = r.slice(605, 700);
    expect(after.filter(flagged).length).toBe(0);
  });

  it('a vehicle first heard holding a forged place while its speeds drive: the truth it resumes is not judged against that place', () => {
    const fx = new FeatureExtractor();
    // V-3 joins 20 s into the fleet's traffic (the noise is learnt), standing 250 m east of
    // its true road while it reports its true speeds north for 6 s, then tells the truth
    const events = fleet(sigma, 8, 60, 107).filter((e, i) => e.vigil.entity.id !== 'V-3' || Math.floor(i / 8) >= 200);
    let held: { lat: number; lon: number } | undefined;
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      if (e.vigil.entity.id !== 'V-3' || Math.floor(i / 8) >= 260) return e;
      held ??= { lat: v.lat, lon: v.lon + 250 * M };
      return ev({ kind: 'bsm', vehicle: 'V-3', ts: e.vigil.ts, lat: held.lat, lon: held.lon, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-3');
    // (the jump itself, 250 m at once, is the one thing the truth cannot avoid)
    const truth = r.slice(60 + 5);
    expect(truth.length).toBeGreaterThan(200);
    expect(truth.filter((x) => x.offset_nis! > NIS_RULE)).toEqual([]);
  });

  it('a position jumped 250 m from a track that drove where its speeds said is still off the remembered track', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 60, 108);
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      const k = Math.floor(i / 8);
      if (e.vigil.entity.id !== 'V-3' || k < 300 || k >= 360) return e;
      return ev({ kind: 'bsm', vehicle: 'V-3', ts: e.vigil.ts, lat: v.lat, lon: v.lon + 250 * M, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-3');
    expect(r.slice(305, 360).filter((x) => x.offset_nis! > NIS_RULE).length).toBeGreaterThan(50);
  });

  it('a vehicle lying in two bouts a second apart: both are caught, and neither the truth between nor after them is', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 90, 105);
    const lying = (k: number) => (k >= 300 && k < 400) || (k >= 410 && k < 510);
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      if (e.vigil.entity.id !== 'V-3' || !lying(Math.floor(i / 8))) return e;
      return ev({ kind: 'bsm', vehicle: 'V-3', ts: e.vigil.ts, lat: v.lat, lon: v.lon + 150 * M, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-3');
    const caught = (x: Record<string, number>) => x.pos_nis! > NIS_RULE || x.offset_nis! > NIS_RULE;
    expect(r.slice(300, 400).filter(caught).length).toBeGreaterThan(90);
    expect(r.slice(410, 510).filter(caught).length).toBeGreaterThan(90);
    // the truth resuming is neither off the remembered track nor an impossible jump
    const truth = [...r.slice(401, 410), ...r.slice(511, 700)];
    expect(truth.filter((x) => flagged(x) || x.teleport_m! > 0)).toEqual([]);
  });

  it('positions offset at random by tens of metres are farther than the speeds carried the vehicle', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 60, 106);
    const rnd = seededRandom(7);
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      const k = Math.floor(i / 8);
      if (e.vigil.entity.id !== 'V-2' || k < 300 || k >= 350) return e;
      // VeReMi's random position offset: each axis uniform in ±70 m
      const dx = (rnd() * 2 - 1) * 70;
      const dy = (rnd() * 2 - 1) * 70;
      return ev({ kind: 'bsm', vehicle: 'V-2', ts: e.vigil.ts, lat: v.lat + dy * M, lon: v.lon + dx * M, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-2');
    // 10 σ of two fixes' difference is 4 m at 0.3 m of noise, 70 m at 5 m
    expect(r.slice(300, 350).filter((x) => x.reach_z! > 10).length).toBeGreaterThan(sigma < 1 ? 35 : 0);
    expect(r.slice(355).filter((x) => x.reach_z! > 10)).toEqual([]);
    // dead reckoning counts offsets across the road too (at 5 m of noise ±70 m is within its 10 σ)
    if (sigma < 1) expect(r.slice(300, 350).filter((x) => x.dead_reckoning_z! > 10).length).toBeGreaterThan(40);
    expect(r.slice(355).filter((x) => x.dead_reckoning_z! > 10)).toEqual([]);
  });

  it('an identity offset at random from its first message is judged step by step (no fix is ever trusted)', () => {
    const fx = new FeatureExtractor();
    const rnd = seededRandom(8);
    // V-4 falls silent at 30 s; NEW-4 appears where it was and lies from its first message
    const forged = fleet(sigma, 8, 50, 107).map((e, i) => {
      const v = e.vigil.vehicle!;
      if (e.vigil.entity.id !== 'V-4' || Math.floor(i / 8) < 300) return e;
      return ev({ kind: 'bsm', vehicle: 'NEW-4', ts: e.vigil.ts, lat: v.lat + (rnd() * 2 - 1) * 70 * M, lon: v.lon + (rnd() * 2 - 1) * 70 * M, speed: v.speed, heading: 0, accel: v.accel, seq: v.seq });
    });
    const r = rows(fx, forged);
    const liar = r.filter((x) => x.vid === 'NEW-4').slice(5);
    expect(liar.filter((x) => x.dead_reckoning_z! > 10).length).toBeGreaterThan(sigma < 1 ? liar.length * 0.8 : liar.length * 0.2);
    expect(r.filter((x) => x.vid !== 'NEW-4' && x.dead_reckoning_z! > 10)).toEqual([]);
  });

  it('a jump a kilometre away is impossible travel, and the truth after a stretch of lies there is not', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 60, 107);
    const rnd = seededRandom(9);
    // lies 1 km east, scattered ±80 m: each within reach of the one before it
    const forged = events.map((e, i) => {
      const v = e.vigil.vehicle!;
      const k = Math.floor(i / 8);
      if (e.vigil.entity.id !== 'V-5' || k < 300 || k >= 340) return e;
      const dx = 1_000 + (rnd() * 2 - 1) * 80;
      const dy = (rnd() * 2 - 1) * 80;
      // random speeds and headings too (DoS random): the remembered track cannot be dead-reckoned through them
      return ev({ kind: 'bsm', vehicle: 'V-5', ts: e.vigil.ts, lat: v.lat + dy * M, lon: v.lon + dx * M, speed: Math.round(rnd() * 4000) / 100, heading: Math.round(rnd() * 3600) / 10, seq: v.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-5');
    expect(r[300]!.teleport_m).toBeGreaterThan(0);
    expect(r.slice(340).filter((x) => x.teleport_m! > 0)).toEqual([]);
  });

  it('a frozen position is caught by its exact repeats', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 8, 60, 103);
    let frozen: VigilEvent | undefined;
    const forged = events.map((e, i) => {
      const k = Math.floor(i / 8);
      if (e.vigil.entity.id !== 'V-2' || k < 400) return e;
      frozen ??= e;
      const v = frozen.vigil.vehicle!;
      return ev({ kind: 'bsm', vehicle: 'V-2', ts: e.vigil.ts, lat: v.lat, lon: v.lon, speed: 0, heading: 0, accel: 0, seq: e.vigil.vehicle!.seq });
    });
    const r = rows(fx, forged).filter((x) => x.vid === 'V-2');
    expect(r.slice(405).map((x) => x.pos_repeat_s).filter((x) => !(x! > 2.7))).toEqual([]);
  });

  it('a flood and an exact replay are caught', () => {
    const fx = new FeatureExtractor();
    const events = fleet(sigma, 4, 20, 104);
    rows(fx, events);
    const last = events.at(-1)!.vigil;
    const flood = Array.from({ length: 30 }, (_, i) => ev({ kind: 'bsm', vehicle: 'V-1', ts: last.ts + 1 + i * 20, lat: 1.35, lon: 103.82 + 200 * M, speed: 12, heading: 0 }));
    expect(rows(fx, flood).at(-1)!.rate_1s).toBeGreaterThan(12);
    const old = events[80]!.vigil;
    const replayed = ev({ kind: 'bsm', vehicle: 'V-99', ts: last.ts + 2_000, lat: old.vehicle!.lat, lon: old.vehicle!.lon, speed: old.vehicle!.speed, heading: 0 });
    expect(fx.one(replayed)!.values.replay).toBe(1);
  });
});

describe('noise learnt from the traffic', () => {
  it('the learnt position noise moves with the noise of the training traffic', () => {
    const learnt = (sigma: number) => {
      const fx = new FeatureExtractor();
      rows(fx, fleet(sigma, 6, 60, 105));
      return Math.exp((fx.learnt().vehicle as { pos: { l: number } }).pos.l);
    };
    const low = learnt(0.5);
    const high = learnt(4);
    expect(low).toBeGreaterThan(0.4);
    expect(low).toBeLessThan(0.6);
    expect(high / low).toBeGreaterThan(8 * 0.8);
    expect(high / low).toBeLessThan(8 * 1.25);
  });

  it('a model bundle’s learnt noise is where detection starts', () => {
    const trained = new FeatureExtractor();
    rows(trained, fleet(4, 6, 60, 106));
    const fresh = new FeatureExtractor({ learnt: trained.learnt() });
    // the same values, each counting for a few hundred messages of the deployment's own
    const values = (l: unknown) => JSON.parse(JSON.stringify(l, (k, v) => (k === 'n' ? undefined : v)));
    expect(values(fresh.learnt())).toEqual(values(trained.learnt()));
    expect(fresh.learnt().vehicle).toBeDefined();
    // a malformed state is refused, not half-read
    expect(new FeatureExtractor().setLearnt({ vehicle: { version: 1, pos: 'x' } })).toBe(false);
  });

  it('a model trained where GNSS noise is 0.3 m adapts within seconds to a city where it is 5 m, and its honest traffic passes', () => {
    const trained = new FeatureExtractor();
    rows(trained, fleet(0.3, 6, 90, 109));
    const fx = new FeatureExtractor({ learnt: trained.learnt() });
    const r = rows(fx, fleet(5, 6, 30, 110));
    const sigma = Math.exp((fx.learnt().vehicle as { pos: { l: number } }).pos.l);
    expect(sigma).toBeGreaterThan(5 * 0.7);
    expect(sigma).toBeLessThan(5 / 0.7);
    // after the first 5 s (300 messages) of the new city
    const late = r.slice(300);
    expect(late.filter(flagged).length / late.length).toBeLessThan(0.005);
  });

  it("a message's stated accuracy is used when sent", () => {
    const fx = new FeatureExtractor();
    rows(fx, fleet(0.3, 6, 60, 107));
    // a newcomer with a 5 m receiver in a 0.3 m fleet
    const newcomer = (stated: boolean) =>
      fleet(5, 1, 10, 108, stated ? { pos_accuracy: 5 } : {}).map((e) => ev({ ...raw(e), vehicle: stated ? 'N-1' : 'N-2', ts: e.vigil.ts + 61_000 }));
    const withAcc = rows(fx, newcomer(true)).slice(10);
    const without = rows(fx, newcomer(false)).slice(10);
    expect(withAcc.filter((x) => x.pos_nis! > NIS_RULE).length).toBe(0);
    expect(without.filter((x) => x.pos_nis! > NIS_RULE).length).toBeGreaterThan(0);
  });
});

describe('the geofence', () => {
  const far = (fx: FeatureExtractor) => {
    rows(fx, northTrack('V-1', 30, 10));
    return fx.one(ev({ kind: 'bsm', vehicle: 'V-2', ts: T0 + 5_000, lat: 1.35 + 5_000 * M, lon: 103.82, speed: 10, heading: 0 }))!.values.area_out_z!;
  };

  it('is off without a service area, and says so', () => {
    const fx = new FeatureExtractor();
    expect(far(fx)).toBe(0);
    expect(fx.notes.some((n) => n.includes('geofence'))).toBe(true);
  });

  it('measures how far outside the service area a position lies, in σ', () => {
    const area: Array<[number, number]> = [
      [1.35 - 1_000 * M, 103.82 - 1_000 * M],
      [1.35 - 1_000 * M, 103.82 + 1_000 * M],
      [1.35 + 1_000 * M, 103.82 + 1_000 * M],
      [1.35 + 1_000 * M, 103.82 - 1_000 * M],
    ];
    const fx = new FeatureExtractor({ city: { area: [area] } });
    expect(fx.notes.some((n) => n.includes('geofence'))).toBe(false);
    expect(far(fx)).toBeGreaterThan(Z_RULE);
    expect(fx.one(ev({ kind: 'bsm', vehicle: 'V-3', ts: T0 + 6_000, lat: 1.35, lon: 103.82, speed: 10, heading: 0 }))!.values.area_out_z).toBe(0);
  });
});

describe('identities and radio', () => {
  it('a flood of new identities at one unit is counted; honest arrivals and the stream’s start are not', () => {
    const fx = new FeatureExtractor();
    // the stream's first seconds: every identity is new to the monitor, none is an arrival
    const start = Array.from({ length: 20 }, (_, i) => ev({ kind: 'bsm', vehicle: `V-${i}`, ts: T0 + i * 10, lat: 1.35, lon: 103.82 + i * 1e-4, speed: 10, heading: 0, rsu: 'RSU-1' }));
    expect(start.map((e) => fx.one(e)!.values.arrivals_1s).filter((x) => x! > 0)).toEqual([]);
    // two honest vehicles arriving later, then twenty fresh pseudonyms within a second
    const honest = ['V-A', 'V-B'].map((v, i) => ev({ kind: 'bsm', vehicle: v, ts: T0 + 10_000 + i * 300, lat: 1.351, lon: 103.82, speed: 10, heading: 0, rsu: 'RSU-1' }));
    expect(honest.map((e) => fx.one(e)!.values.arrivals_1s)).toEqual([1, 2]);
    const flood = Array.from({ length: 20 }, (_, i) => ev({ kind: 'bsm', vehicle: `GHOST-${i}`, ts: T0 + 20_000 + i * 20, lat: 1.35 + i * 1e-5, lon: 103.821, speed: 5 + i, heading: 0, rsu: 'RSU-1' }));
    const counts = flood.map((e) => fx.one(e)!.values.arrivals_1s!);
    expect(counts.at(-1)).toBe(20);
    // another unit hears its own vehicles only
    expect(fx.one(ev({ kind: 'bsm', vehicle: 'V-C', ts: T0 + 20_500, lat: 1.36, lon: 103.83, speed: 10, heading: 0, rsu: 'RSU-2' }))!.values.arrivals_1s).toBe(1);
  });

  it('identities moving as one are co-located', () => {
    const fx = new FeatureExtractor();
    const a = northTrack('V-10', 10, 10);
    const b = northTrack('V-11', 10, 10);
    let last = 0;
    for (let i = 0; i < 10; i++) {
      fx.one(a[i]!);
      last = fx.one(b[i]!)!.values.colocated!;
    }
    expect(last).toBe(1);
  });

  it('an identity that appears in formation with another and holds its place is a Sybil ghost; the sender is not', () => {
    const fx = new FeatureExtractor();
    const sender = northTrack('V-33', 60, 12, 100, { t0: T0 - 10_000 });
    const ghost = northTrack('V-34', 20, 12, 100, { t0: T0 - 6_000 + 1, lat0: 1.35 + (12 * 4 - 10) * M, lon: 103.82 + 3.5 * M });
    const follower = northTrack('V-35', 40, 11.3, 100, { t0: T0 - 6_000 + 2, lat0: 1.35 + (12 * 4 - 20) * M });
    const out: Record<string, Record<string, number>[]> = { 'V-33': [], 'V-34': [], 'V-35': [] };
    for (const e of [...sender, ...ghost, ...follower].sort((x, y) => x.vigil.ts - y.vigil.ts)) out[e.vigil.entity.id]!.push(fx.one(e)!.values);
    expect(out['V-34']!.at(-1)!.formation_log).toBeGreaterThan(0);
    expect(Math.max(...out['V-33']!.map((r) => r.formation_log!))).toBe(0);
    expect(out['V-35']!.at(-1)!.formation_log).toBe(0);
  });

  it('a new identity that came into its unit’s hearing right behind another (a queue entering coverage) is not in formation; one appearing beside a vehicle the unit has heard for long is', () => {
    const run = (senderT0: number) => {
      const fx = new FeatureExtractor();
      // the stream began long before (no identity here is new because monitoring just began)
      fx.one(ev({ kind: 'bsm', vehicle: 'V-0', ts: T0 - 60_000, lat: 1.4, lon: 103.9, speed: 10, heading: 0, rsu: 'RSU-1' }));
      const lead = northTrack('V-40', Math.round((T0 + 6_000 - senderT0) / 100), 12, 100, { t0: senderT0, rsu: 'RSU-1' });
      // 20 m behind the leader with its speed and heading, first heard at T0
      const at = (T0 - senderT0) / 1000;
      const follower = northTrack('V-41', 60, 12, 100, { t0: T0 + 3, lat0: 1.35 + (12 * at - 20) * M, rsu: 'RSU-1' });
      const out: number[] = [];
      for (const e of [...lead, ...follower].sort((x, y) => x.vigil.ts - y.vigil.ts)) {
        const v = fx.one(e)!.values;
        if (e.vigil.entity.id === 'V-41') out.push(v.formation_log!);
      }
      return Math.max(...out);
    };
    // the leader first heard 20 m / 12 m/s ≈ 1.7 s before: they entered together
    expect(run(T0 - 1_700)).toBe(0);
    // the leader heard for 20 s before an identity appears 20 m behind it and keeps the place
    expect(run(T0 - 20_000)).toBeGreaterThan(0);
  });

  it('positions beyond the receiving unit and two distant units at once', () => {
    const fx = new FeatureExtractor({ city: { rsus: { A: { lat: 1.35, lon: 103.82, rangeM: 300 }, B: { lat: 1.35 + 5000 * M, lon: 103.82, rangeM: 300 } } } });
    const inRange = fx.one(ev({ kind: 'bsm', vehicle: 'V-9', ts: T0, lat: 1.35 + 100 * M, lon: 103.82, speed: 10, heading: 0, rsu: 'A' }))!.values;
    expect(inRange.rsu_beyond_z).toBe(0);
    const far = fx.one(ev({ kind: 'bsm', vehicle: 'V-9', ts: T0 + 100, lat: 1.35 + 1300 * M, lon: 103.82, speed: 10, heading: 0, rsu: 'A' }))!.values;
    expect(far.rsu_beyond_z).toBeGreaterThan(1.75);
    const other = fx.one(ev({ kind: 'bsm', vehicle: 'V-9', ts: T0 + 200, lat: 1.35 + 5000 * M, lon: 103.82, speed: 10, heading: 0, rsu: 'B' }))!.values;
    expect(Math.expm1(other.rsu_conflict_log!)).toBeCloseTo(5000 - 600, -1);
  });

  it('a message older than the vehicle has already sent is late; a sequence gap the elapsed time explains is not', () => {
    const fx = new FeatureExtractor();
    const track = northTrack('V-28', 30, 10);
    rows(fx, track);
    const late = track[5]!;
    expect(fx.one(ev({ ...raw(late) }))!.values.behind_log).toBeGreaterThan(1.1);
    // 1.5 s in a dead zone at 10 Hz: 14 messages lost, seq advances by 15
    const back = ev({ kind: 'bsm', vehicle: 'V-28', ts: T0 + 2_900 + 1_500, lat: 1.35 + 44 * M, lon: 103.82, speed: 10, heading: 0, seq: 29 + 15 });
    expect(fx.one(back)!.values.seq_gap_log).toBe(0);
  });
});

/** The input record of a BSM event again (to resend it, changed). */
function raw(e: VigilEvent): Record<string, unknown> {
  const v = e.vigil.vehicle!;
  return { kind: 'bsm', vehicle: e.vigil.entity.id, ts: e.vigil.ts, lat: v.lat, lon: v.lon, speed: v.speed, heading: v.heading, ...(v.accel !== undefined ? { accel: v.accel } : {}), ...(v.seq !== undefined ? { seq: v.seq } : {}), ...(v.pos_accuracy !== undefined ? { pos_accuracy: v.pos_accuracy } : {}) };
}

describe('the flood rule by the messages’ own spacing (J2945/1: ≥ 90 ms at 10 Hz)', () => {
  const bsm = (ts: number, i: number) => ev({ kind: 'bsm', vehicle: 'V-7', ts, lat: 1.35 + 12 * (ts - T0) / 1000 * M, lon: 103.82, speed: 12, heading: 0, seq: i });
  it('a 10 Hz sender with ±5 ms jitter and its honest messages right after its own flood stay within 12; the flood does not', () => {
    const fx = new FeatureExtractor();
    const jitter = seededRandom(7);
    const honest = Array.from({ length: 50 }, (_, i) => bsm(T0 + i * 100 + Math.round(10 * jitter() - 5), i));
    expect(Math.max(...rows(fx, honest).map((r) => r.rate_1s!))).toBeLessThanOrEqual(12);
    const t1 = T0 + 5_000;
    // a 50 Hz flood under the same identity for one second, then the 10 Hz schedule again
    const flood = rows(fx, Array.from({ length: 50 }, (_, i) => bsm(t1 + i * 20, 50 + i)));
    expect(flood.slice(13).map((r) => r.rate_1s!).filter((x) => !(x > 12))).toEqual([]);
    const after = rows(fx, Array.from({ length: 10 }, (_, i) => bsm(t1 + 1_080 + i * 100, 100 + i)));
    // the window still holds the flood, but each of these is ≥ 90 ms from every other (by ts)
    expect(after.map((r) => r.rate_1s!).filter((x) => x > 12)).toEqual([]);
  });
});
