import { describe, expect, it } from 'vitest';
import { FeatureExtractor, seededRandom } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import type { Fix } from '../detector/features/vehicle/fix.js';
import { SpeedAudit } from '../detector/features/vehicle/odometer.js';
import { ev, M, T0 } from './detector-fixtures.js';

/** The starter rule's bound on speed_audit_z: Cantelli's one-sided 1 % (41-vehicle-speed-audit.yml). */
const RULE = 10;
/** Reported-speed noise of the hand-made feeds, m/s. */
const SPEED_NOISE = 0.2;

function normal(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

interface Motion {
  /** True speed (m/s) and distance north (m) of vehicle v at t s. */
  speed: (v: number, t: number) => number;
  north: (v: number, t: number) => number;
  /** What vehicle v reports as its speed and acceleration at t instead of the truth (undefined: the truth). */
  lie?: (v: number, t: number, truth: number) => { speed: number; accel: number } | undefined;
  /** Vehicle v is not heard at t. */
  silent?: (v: number, t: number) => boolean;
}

/** Vehicles on parallel roads 200 m apart, driving north at `hz`, position noise `sigma` m per axis. */
function feed(sigma: number, vehicles: number, seconds: number, hz: number, seed: number, m: Motion): VigilEvent[] {
  const noise = normal(seed);
  const out: VigilEvent[] = [];
  const dt = 1 / hz;
  for (let i = 0; i < seconds * hz; i++)
    for (let v = 0; v < vehicles; v++) {
      const t = i * dt;
      const truth = m.speed(v, t);
      const accel = (m.speed(v, t + 0.05) - m.speed(v, t - 0.05)) / 0.1;
      const lie = m.lie?.(v, t, truth);
      const speed = Math.max(0, (lie?.speed ?? truth) + SPEED_NOISE * noise());
      const north = m.north(v, t) + sigma * noise();
      const east = v * 200 + sigma * noise();
      if (m.silent?.(v, t)) continue;
      out.push(
        ev({
          kind: 'bsm',
          vehicle: `V-${v}`,
          ts: T0 + Math.round(i * dt * 1000) + v,
          lat: Math.round((1.35 + north * M) * 1e7) / 1e7,
          lon: Math.round((103.82 + east * M) * 1e7) / 1e7,
          speed: Math.round(speed * 100) / 100,
          heading: 0,
          accel: Math.round((lie?.accel ?? accel) * 100) / 100,
          seq: i,
        }),
      );
    }
  return out;
}

/** Every vehicle cruises at 12 + v m/s. */
const cruise: Motion = { speed: (v) => 12 + v, north: (v, t) => (12 + v) * t };
/** Vehicle v brakes at 3 m/s² from t = 20 + 5v s to a stop, stands 10 s, then accelerates at 2 m/s² back to 15 m/s. */
function stopAndGo(v: number, t: number): { speed: number; north: number } {
  const t0 = 20 + 5 * v;
  if (t < t0) return { speed: 15, north: 15 * t };
  const brake = Math.min(t - t0, 5);
  let north = 15 * t0 + 15 * brake - 1.5 * brake * brake;
  if (t < t0 + 5) return { speed: 15 - 3 * brake, north };
  if (t < t0 + 15) return { speed: 0, north };
  const go = Math.min(t - t0 - 15, 7.5);
  north += go * go;
  if (t < t0 + 22.5) return { speed: 2 * go, north };
  return { speed: 15, north: north + 15 * (t - t0 - 22.5) };
}
const stopping: Motion = { speed: (v, t) => stopAndGo(v, t).speed, north: (v, t) => stopAndGo(v, t).north };

const rows = (events: VigilEvent[]) => {
  const fx = new FeatureExtractor();
  return events.map((e) => ({ vid: e.vigil.entity.id, t: (e.vigil.ts - T0) / 1000, z: fx.one(e)!.values.speed_audit_z! }));
};

describe.each([0.3, 5])('speeds against positions over a horizon, at %s m of GNSS noise', (sigma) => {
  it.each([1, 10])('honest vehicles cruising, braking to a stop, standing and pulling away at %s Hz are not blamed', (hz) => {
    const r = [...rows(feed(sigma, 6, 90, hz, 301, cruise)), ...rows(feed(sigma, 6, 90, hz, 302, stopping))];
    expect(r.filter((x) => x.z > RULE)).toEqual([]);
  });

  it('an honest vehicle unheard for 15 s while it stopped and pulled away is not blamed for the gap', () => {
    const r = rows(feed(sigma, 6, 90, 10, 303, { ...stopping, silent: (v, t) => v === 1 && t > 24 && t < 39 }));
    expect(r.filter((x) => x.z > RULE)).toEqual([]);
  });

  it('feigned braking: speeds falling at 7 m/s² to 0 while the positions keep going is flagged', () => {
    const lie = (v: number, t: number) => (v === 1 && t >= 40 && t < 70 ? { speed: Math.max(0, 13 - 7 * (t - 40)), accel: t - 40 < 13 / 7 ? -7 : 0 } : undefined);
    const r = rows(feed(sigma, 6, 90, 10, 304, { ...cruise, lie })).filter((x) => x.vid === 'V-1');
    const during = r.filter((x) => x.t >= 50 && x.t < 70);
    expect(r.filter((x) => x.t < 40 && x.z > RULE)).toEqual([]);
    expect(during.filter((x) => x.z > RULE).length).toBeGreaterThan(during.length / 2);
  });

  it.each([8, -8])('a constant speed offset of %s m/s with true positions is flagged', (offset) => {
    const lie = (v: number, t: number, truth: number) => (v === 1 && t >= 40 && t < 70 ? { speed: truth + offset, accel: 0 } : undefined);
    const r = rows(feed(sigma, 6, 90, 10, 305, { ...cruise, lie })).filter((x) => x.vid === 'V-1');
    const during = r.filter((x) => x.t >= 55 && x.t < 70);
    const after = r.filter((x) => x.t >= 70);
    expect(r.filter((x) => x.t < 40 && x.z > RULE)).toEqual([]);
    // the track's velocity is vaguer at 5 m, so the current speed is less often clearly off it
    expect(during.filter((x) => x.z > RULE).length).toBeGreaterThan(during.length * (sigma < 1 ? 0.5 : 0.25));
    // the truth resuming, with the lie still within the horizon, is blamed only where its own speed is off the track
    expect(after.filter((x) => x.z > RULE).length).toBeLessThanOrEqual(after.length * 0.05);
  });
});

describe('SpeedAudit, the horizon check on its own', () => {
  const fix = (ts: number, north: number, speed: number): Fix => ({ ts, x: 0, y: north, lat: 0, lon: 0, speed, heading: 0, accel: undefined, seq: undefined, posAccuracy: undefined, headingAccuracy: undefined, rsu: '' });

  it('a 5 m/s over-report gives the documented z from the anchor the horizon picks', () => {
    // 10 Hz, true 10 m/s north, exact positions; reported 15 m/s; σ_pos 1 m, σ_speed 0.2 m/s, σ_heading 0.01 rad
    const audit = new SpeedAudit();
    let odo = 0;
    let z = 0;
    for (let i = 0; i <= 200; i++) {
      if (i > 0) odo += 15 * 0.1;
      z = audit.check(fix(i * 100, i, 15), odo, 0, odo, 1, 0.2, 0.01, true);
    }
    // horizon √2 · 1 / 0.2 = 7.07 s: the newest anchor (every 0.5 s) at least that old is 7.5 s back
    const dt = 7.5;
    const o = 15 * dt;
    const over = o - 10 * dt - 0.02 * dt;
    const interp = dt * 10 * ((9.80665 * 0.01) / 4) ** 2;
    const want = over / Math.sqrt(2 + (0.2 * dt) ** 2 + interp + (0.01 * 0.01 * o) ** 2);
    expect(z).toBeCloseTo(want, 6);
    expect(audit.side).toBe(1);
  });

  it('across a 15 s gap the interpolation error claims nothing: a stop nobody heard is no speed lie', () => {
    const audit = new SpeedAudit();
    let odo = 0;
    for (let i = 0; i <= 100; i++) {
      if (i > 0) odo += 1.5;
      audit.check(fix(i * 100, 1.5 * i, 15), odo, 0, odo, 1, 0.2, 0.01, true);
    }
    // unheard for 15 s, in which it braked to a stop 52.5 m on; the odometer's trapezoid says 112.5 m
    odo += ((15 + 0) / 2) * 15;
    const z = audit.check(fix(25_000, 150 + 52.5, 0), odo, 0, odo, 1, 0.2, 0.01, true);
    expect(z).toBeLessThan(1);
  });
});
