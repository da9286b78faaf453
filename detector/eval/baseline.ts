/**
 * The plausibility baseline every evaluation row is shown beside: five VeReMi-style checks
 * on each basic safety message (after van der Heijden et al., "VeReMi: A Dataset for
 * Comparable Evaluation of Misbehavior Detection in VANETs", SecureComm 2018, and Kamel et
 * al., ICC 2020), with no learning at all — every bound is physical or from a standard:
 *
 * - speed above a road vehicle's top speed;
 * - acceleration (reported, or from the speed change over ≥ 1 s) beyond tyre friction;
 * - the distance between two positions ≥ 1 s apart against what the reported speeds cover;
 * - more messages per second than the BSM rate allows;
 * - an exact kinematic state (position, speed, heading) sent before, by any identity.
 *
 * A message failing any check scores 100, else 0 (the checks are binary; the matrix reads
 * F1 and false positives at the one threshold 50).
 */
import type { VigilEvent } from '../../events/index.js';
import { distanceM } from '../geo.js';

/**
 * Top speed, m/s: 250 km/h, where manufacturers' speed limiters stop production road cars
 * (the German makers' voluntary agreement of 1987; few road vehicles exceed it).
 */
export const BASELINE_MAX_SPEED = 250 / 3.6;
/**
 * Largest |acceleration|, m/s²: 1 g, the friction limit of road tyres on dry asphalt
 * (peak coefficient ≈ 0.8–1.0; Wong, Theory of Ground Vehicles, 4th ed., 2008, Table 1.4).
 */
export const BASELINE_MAX_ACCEL = 9.81;
/**
 * 1-sigma position error assumed when a message does not say (`pos_accuracy`), metres: the
 * GPS SPS Performance Standard (5th ed., 2020) bounds horizontal error at ≤ 8 m 95 % in open
 * sky (≈ 4 m 1σ); 5 m allows for urban degradation.
 */
export const BASELINE_GNSS_SIGMA_M = 5;
/** Sigmas of position error allowed on each of the two positions compared. */
const SIGMAS = 3;
/** Speed error allowed on a reported speed, m/s (J2735 Speed has 0.02 m/s units; sensors are good to about ±1 m/s). */
const SPEED_TOL = 1;
/**
 * Most messages per second from one identity: SAE J2945/1 sends BSMs at 10 Hz at most;
 * 50 % is allowed for jitter in transmission and reception times.
 */
export const BASELINE_MAX_RATE_HZ = 10 * 1.5;
/** How long a state is remembered for the repeat check, milliseconds. */
const REPEAT_MEMORY_MS = 30_000;

export type BaselineCheck = 'speed' | 'accel' | 'position' | 'rate' | 'repeat';

interface Fix {
  ts: number;
  lat: number;
  lon: number;
  speed: number;
}

interface Track {
  /** Recent fixes (about the last 5 s), oldest first. */
  fixes: Fix[];
  /** Message times of the last second. */
  times: number[];
}

/** The baseline's per-vehicle state; feed it every event in time order. */
export class PlausibilityBaseline {
  private readonly tracks = new Map<string, Track>();
  private readonly states = new Map<string, { id: string; ts: number }>();
  private readonly stateOrder: Array<{ key: string; ts: number }> = [];
  private stateHead = 0;

  /** 100 for a message failing a check, 0 for one passing, NaN for events that are not BSMs. */
  score(events: readonly VigilEvent[]): Float32Array {
    const out = new Float32Array(events.length);
    for (let i = 0; i < events.length; i++) {
      const failed = this.check(events[i]!);
      out[i] = failed === null ? Number.NaN : failed.length > 0 ? 100 : 0;
    }
    return out;
  }

  /** The checks a message fails ([] for none); null for an event that is not a BSM. */
  check(e: VigilEvent): BaselineCheck[] | null {
    const v = e.vigil.vehicle;
    if (e.vigil.kind !== 'bsm' || !v) return null;
    const failed: BaselineCheck[] = [];
    const ts = e.vigil.ts;
    if (v.speed > BASELINE_MAX_SPEED) failed.push('speed');
    if (v.accel !== undefined && Math.abs(v.accel) > BASELINE_MAX_ACCEL) failed.push('accel');
    let t = this.tracks.get(e.vigil.entity.id);
    if (!t) this.tracks.set(e.vigil.entity.id, (t = { fixes: [], times: [] }));
    while (t.times.length > 0 && t.times[0]! <= ts - 1_000) t.times.shift();
    t.times.push(ts);
    if (t.times.length > BASELINE_MAX_RATE_HZ) failed.push('rate');
    const ref = reference(t.fixes, ts);
    if (ref) {
      const dt = (ts - ref.ts) / 1000;
      if (!failed.includes('accel') && Math.abs(v.speed - ref.speed) > BASELINE_MAX_ACCEL * dt + 2 * SPEED_TOL) failed.push('accel');
      const sigma = v.pos_accuracy ?? BASELINE_GNSS_SIGMA_M;
      const tol = 2 * SIGMAS * sigma + SPEED_TOL * dt;
      const moved = distanceM(ref.lat, ref.lon, v.lat, v.lon);
      // The distance covered at the mean of the two speeds (exact for constant
      // acceleration); a turn makes the straight line shorter, never longer.
      const covered = ((ref.speed + v.speed) / 2) * dt;
      if (moved > covered + tol || moved < covered * TURN_CHORD - tol) failed.push('position');
    }
    t.fixes.push({ ts, lat: v.lat, lon: v.lon, speed: v.speed });
    while (t.fixes.length > 0 && t.fixes[0]!.ts < ts - 5_000) t.fixes.shift();
    if (this.repeated(e, ts)) failed.push('repeat');
    return failed;
  }

  private repeated(e: VigilEvent, ts: number): boolean {
    const v = e.vigil.vehicle!;
    const key = `${v.lat},${v.lon},${v.speed},${v.heading}`;
    while (this.stateHead < this.stateOrder.length && this.stateOrder[this.stateHead]!.ts < ts - REPEAT_MEMORY_MS) {
      const old = this.stateOrder[this.stateHead++]!;
      if (this.states.get(old.key)?.ts === old.ts) this.states.delete(old.key);
    }
    if (this.stateHead > 65_536) {
      this.stateOrder.splice(0, this.stateHead);
      this.stateHead = 0;
    }
    const seen = this.states.get(key);
    this.states.set(key, { id: e.id, ts });
    this.stateOrder.push({ key, ts });
    return seen !== undefined && seen.id !== e.id;
  }
}

/**
 * Chord over arc for the sharpest turn a second allows: at 1 g lateral and any speed the
 * heading turns at most g / v rad/s; chord/arc = sin(θ/2)/(θ/2) ≥ 0.5 for θ ≤ π over the
 * window (a U-turn), so half the covered distance is the least a straight line can show.
 */
const TURN_CHORD = 0.5;

/** The newest fix at least 1 s and at most 5 s before `ts`. */
function reference(fixes: Fix[], ts: number): Fix | undefined {
  for (let i = fixes.length - 1; i >= 0; i--) {
    const f = fixes[i]!;
    if (ts - f.ts >= 1_000) return ts - f.ts <= 5_000 ? f : undefined;
  }
  return undefined;
}

/** Baseline scores of a whole labelled stream, in order (NaN for events that are not BSMs). */
export function baselineScores(events: readonly VigilEvent[], baseline = new PlausibilityBaseline()): Float32Array {
  return baseline.score(events);
}
