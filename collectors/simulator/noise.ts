/**
 * What a vehicle's own sensors add to the truth before it goes into a BSM: GNSS position
 * error as a first-order Gauss–Markov process (errors of a consumer receiver drift slowly
 * with multipath and atmosphere, correlated over seconds to a minute, Rankin 1994; Kaplan
 * & Hegarty, "Understanding GPS", ch. 7) plus a white part, and white heading, speed and
 * acceleration errors. Attackers carry the same error: their reports start from their own
 * receiver's readings.
 */
import type { Random } from '../../events/index.js';

/** A closed range [lowest, highest] each vehicle draws its own value from. */
export type Span = readonly [number, number];

export interface NoiseProfile {
  /** Per-axis 1-sigma of the whole GNSS position error, metres. */
  gnssSigma: Span;
  /** Share of that variance in the time-correlated (Gauss–Markov) part, 0–1; the rest is white. */
  correlatedShare: number;
  /** Correlation time of the Gauss–Markov part, seconds. */
  tauS: Span;
  /** 1-sigma heading error, degrees. */
  headingSigmaDeg: Span;
  /** 1-sigma speed error, m/s (acceleration error: twice this, m/s²). */
  speedSigma: Span;
}

/** Who sends `pos_accuracy` / `heading_accuracy` (SAE J2735 PositionalAccuracy, 1 sigma) and how honestly. */
export interface AccuracyProfile {
  /** Share of vehicles that send them. */
  share: number;
  /** Share of those whose receiver under-states its error (factor 0.3–0.6). */
  understated: number;
  /** Share of those whose receiver over-states it (factor 1.6–3). The rest: 0.85–1.2. */
  overstated: number;
}

/** One receiver's error: a vehicle's, a Sybil ghost's or a pseudonym's. */
export class SensorError {
  readonly sigma: number;
  readonly headingSigma: number;
  readonly speedSigma: number;
  readonly tauS: number;
  private readonly gm: number;
  private readonly white: number;
  private ex: number;
  private ey: number;
  private last: number | undefined;

  constructor(
    private readonly rng: Random,
    profile: NoiseProfile,
  ) {
    this.sigma = rng.uniform(profile.gnssSigma[0], profile.gnssSigma[1]);
    this.tauS = rng.uniform(profile.tauS[0], profile.tauS[1]);
    this.headingSigma = rng.uniform(profile.headingSigmaDeg[0], profile.headingSigmaDeg[1]);
    this.speedSigma = rng.uniform(profile.speedSigma[0], profile.speedSigma[1]);
    this.gm = this.sigma * Math.sqrt(profile.correlatedShare);
    this.white = this.sigma * Math.sqrt(1 - profile.correlatedShare);
    // Start in the stationary distribution, so the first message is as noisy as the rest.
    this.ex = this.gm > 0 ? rng.normal(0, this.gm) : 0;
    this.ey = this.gm > 0 ? rng.normal(0, this.gm) : 0;
  }

  /** The same kind of receiver (its sigmas and tau) with errors of its own. */
  clone(rng: Random, profile: NoiseProfile): SensorError {
    const fixed: NoiseProfile = {
      gnssSigma: [this.sigma, this.sigma],
      correlatedShare: profile.correlatedShare,
      tauS: [this.tauS, this.tauS],
      headingSigmaDeg: [this.headingSigma, this.headingSigma],
      speedSigma: [this.speedSigma, this.speedSigma],
    };
    return new SensorError(rng, fixed);
  }

  /** Position error at `ts` (epoch ms), metres east and north; times must not go backwards. */
  position(ts: number): { dx: number; dy: number } {
    if (this.gm > 0) {
      const dt = this.last === undefined ? 0 : Math.max(0, ts - this.last) / 1000;
      // Exact discretisation of dx/dt = -x/tau + w: variance stays gm² whatever the gap.
      const phi = Math.exp(-dt / this.tauS);
      const q = this.gm * Math.sqrt(1 - phi * phi);
      if (dt > 0) {
        this.ex = phi * this.ex + this.rng.normal(0, q);
        this.ey = phi * this.ey + this.rng.normal(0, q);
      }
    }
    this.last = ts;
    if (this.white === 0) return { dx: this.ex, dy: this.ey };
    return { dx: this.ex + this.rng.normal(0, this.white), dy: this.ey + this.rng.normal(0, this.white) };
  }

  heading(deg: number): number {
    return this.headingSigma > 0 ? deg + this.rng.normal(0, this.headingSigma) : deg;
  }

  speed(v: number): number {
    return this.speedSigma > 0 ? Math.max(0, v + this.rng.normal(0, this.speedSigma)) : v;
  }

  accel(a: number): number {
    return this.speedSigma > 0 ? a + this.rng.normal(0, 2 * this.speedSigma) : a;
  }
}

/** The accuracy figures one vehicle sends, or undefined when it sends none. */
export function accuracyReport(rng: Random, profile: AccuracyProfile, error: SensorError): { pos: number; heading: number } | undefined {
  if (!rng.chance(profile.share)) return undefined;
  const u = rng.next();
  const factor = u < profile.understated ? rng.uniform(0.3, 0.6) : u < profile.understated + profile.overstated ? rng.uniform(1.6, 3) : rng.uniform(0.85, 1.2);
  const round = (v: number, max: number): number => Math.min(max, Math.max(0.1, Math.round(v * 10) / 10));
  return { pos: round(error.sigma * factor, 1000), heading: round(Math.max(0.1, error.headingSigma) * factor, 180) };
}
