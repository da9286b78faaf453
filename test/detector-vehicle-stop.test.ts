import { describe, expect, it } from 'vitest';
import { FeatureExtractor, seededRandom } from '../detector/index.js';
import type { VigilEvent } from '../events/index.js';
import { ev, M, T0 } from './detector-fixtures.js';

/** The starter rules' bounds: one-sided normal 1e-6 (stop_z) and the flood bound (rate_1s). */
const Z_RULE = 4.89;
const FLOOD_RULE = 12;
/** Reported-speed noise of the hand-made feeds, m/s (a speed sensor's, clipped at zero when standing). */
const SPEED_NOISE = 0.2;

function normal(seed: number): () => number {
  const r = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

/**
 * Vehicles on parallel roads 200 m apart at 10 Hz, position noise `sigma` m per axis, speed
 * noise SPEED_NOISE; `speedAt(v, t)` and `northAt(v, t)` give each vehicle's true motion.
 */
function feed(sigma: number, vehicles: number, seconds: number, seed: number, speedAt: (v: number, t: number) => number, northAt: (v: number, t: number) => number): VigilEvent[] {
  const noise = normal(seed);
  const out: VigilEvent[] = [];
  for (let i = 0; i < seconds * 10; i++)
    for (let v = 0; v < vehicles; v++) {
      const t = i / 10;
      const speed = Math.max(0, speedAt(v, t) + SPEED_NOISE * noise());
      out.push(
        ev({
          kind: 'bsm',
          vehicle: `V-${v}`,
          ts: T0 + i * 100 + v,
          lat: Math.round((1.35 + (northAt(v, t) + sigma * noise()) * M) * 1e7) / 1e7,
          lon: Math.round((103.82 + (v * 200 + sigma * noise()) * M) * 1e7) / 1e7,
          speed: Math.round(speed * 100) / 100,
          heading: 0,
          seq: i,
        }),
      );
    }
  return out;
}

/** V-0 cruises at 15 m/s, brakes at 3 m/s² from t = 30 s and stands; the others cruise. */
const cruise = (_v: number, _t: number) => 15;
const braking = (v: number, t: number) => (v !== 0 || t < 30 ? 15 : Math.max(0, 15 - 3 * (t - 30)));
const brakingNorth = (v: number, t: number) => {
  if (v !== 0 || t < 30) return 15 * t + v * 7;
  const d = Math.min(t - 30, 5);
  return 15 * 30 + 15 * d - 1.5 * d * d;
};

const rows = (fx: FeatureExtractor, events: VigilEvent[]) => events.map((e) => Object.assign({ ...fx.one(e)!.values }, { vid: e.vigil.entity.id }));

describe.each([0.3, 5])('a frozen vehicle ("eventual stop") at %s m of GNSS noise', (sigma) => {
  it('an honest stop at 3 m/s², then standing with a noisy speed, is no impossible stop', () => {
    const r = rows(new FeatureExtractor(), feed(sigma, 6, 60, 201, braking, brakingNorth)).filter((x) => x.vid === 'V-0');
    expect(r.filter((x) => x.stop_z! > Z_RULE)).toEqual([]);
  });

  it('a vehicle that stops dead from 15 m/s stays suspect while it stands, its speed noise about zero', () => {
    const events = feed(sigma, 6, 60, 202, cruise, (v, t) => 15 * t + v * 7);
    const noise = normal(203);
    // from t = 30 s V-1 reports itself frozen where it was: its position with GNSS noise, speed noise about 0
    const forged = events.map((e, i) => {
      const k = Math.floor(i / 6);
      if (e.vigil.entity.id !== 'V-1' || k < 300) return e;
      const north = 15 * 30 + 7;
      return ev({ kind: 'bsm', vehicle: 'V-1', ts: e.vigil.ts, lat: Math.round((1.35 + (north + sigma * noise()) * M) * 1e7) / 1e7, lon: Math.round((103.82 + (200 + sigma * noise()) * M) * 1e7) / 1e7, speed: Math.round(Math.max(0, SPEED_NOISE * noise()) * 100) / 100, heading: 0, seq: k });
    });
    const r = rows(new FeatureExtractor(), forged).filter((x) => x.vid === 'V-1');
    expect(r.slice(0, 300).filter((x) => x.stop_z! > 0)).toEqual([]);
    expect(r.slice(300).filter((x) => !(x.stop_z! > Z_RULE)).length).toBe(0);
  });
});

describe('the flood bound (10 Hz with ±5 ms jitter: at most 12 messages in a second)', () => {
  it('honest 10 Hz feeds never exceed it; 20 Hz from one identity does within the second', () => {
    const fx = new FeatureExtractor();
    const events = feed(0.3, 4, 20, 204, cruise, (v, t) => 15 * t + v * 7);
    expect(Math.max(...rows(fx, events).map((x) => x.rate_1s!))).toBeLessThanOrEqual(FLOOD_RULE);
    const last = events.at(-1)!.vigil.ts;
    const flood = Array.from({ length: 20 }, (_, i) => ev({ kind: 'bsm', vehicle: 'V-2', ts: last + 1 + i * 50, lat: 1.35 + (15 * 20 + 14 + 0.75 * i) * M, lon: 103.82 + 400 * M, speed: 15, heading: 0 }));
    const counts = rows(fx, flood).map((x) => x.rate_1s!);
    expect(counts.at(-1)).toBeGreaterThan(FLOOD_RULE);
    expect(counts.findIndex((c) => c > FLOOD_RULE)).toBeLessThan(12);
  });
});

describe.each([0.3, 5])('the truth resuming after a frozen stop at %s m of GNSS noise', (sigma) => {
  const OFFSET_RULE = 27.6;
  it('is not flagged against the frozen place; a frozen position with true speeds still is', () => {
    const events = feed(sigma, 6, 70, 205, cruise, (v, t) => 15 * t + v * 7);
    const noise = normal(206);
    const at = (v: number, north: number, ts: number, speed: number, seq: number) =>
      ev({ kind: 'bsm', vehicle: `V-${v}`, ts, lat: Math.round((1.35 + (north + sigma * noise()) * M) * 1e7) / 1e7, lon: Math.round((103.82 + (v * 200 + sigma * noise()) * M) * 1e7) / 1e7, speed: Math.round(speed * 100) / 100, heading: 0, seq });
    // V-1 stops dead and stands frozen from t = 30 s to 40 s, then its true messages resume;
    // V-2 reports a frozen position from t = 30 s with its true speed (constant position)
    const forged = events.map((e, i) => {
      const k = Math.floor(i / 6);
      const id = e.vigil.entity.id;
      if (id === 'V-1' && k >= 300 && k < 400) return at(1, 15 * 30 + 7, e.vigil.ts, Math.max(0, SPEED_NOISE * noise()), k);
      if (id === 'V-2' && k >= 300) return at(2, 15 * 30 + 14, e.vigil.ts, e.vigil.vehicle!.speed, k);
      return e;
    });
    const r = rows(new FeatureExtractor(), forged);
    const v1 = r.filter((x) => x.vid === 'V-1');
    expect(v1.slice(300, 400).filter((x) => !(x.stop_z! > Z_RULE)).length).toBe(0);
    expect(v1.slice(400).filter((x) => x.offset_nis! > OFFSET_RULE)).toEqual([]);
    // the lie's onset from an honest track keeps its memory where the gate sees the onset
    // (at 5 m the track follows a position frozen at 15 m/s: not caught by these features)
    const v2 = r.filter((x) => x.vid === 'V-2').slice(320);
    if (sigma < 1) expect(v2.filter((x) => !(x.offset_nis! > OFFSET_RULE)).length).toBeLessThan(v2.length / 10);
  });
});
