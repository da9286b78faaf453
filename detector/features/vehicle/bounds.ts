/**
 * The fixed numbers of the vehicle detector. Each is a physical bound of road vehicles, a
 * figure of the BSM standards, or a statistical constant; nothing here is fitted to a
 * simulator or a city (what depends on the deployment is learnt: see noise.ts).
 */

/** Standard gravity, m/s². */
export const G = 9.80665;
/**
 * Largest longitudinal or lateral acceleration of a road vehicle, m/s²: the tyre–road
 * friction coefficient of dry asphalt is at most about 1 (Wong, "Theory of Ground Vehicles",
 * 4th ed., table 1.3: peak μ 0.8–0.9), so no braking, traction or cornering exceeds ≈ 1 g.
 */
export const MAX_ACCEL = 1.0 * G;
/**
 * Largest jerk of a road vehicle, m/s³: service brakes build full deceleration (≈ 1 g) in
 * about half a second (UN ECE R13-H annex 3 response times of 0.35–0.6 s), so acceleration
 * changes by at most ≈ 1 g per 0.5 s.
 */
export const MAX_JERK = MAX_ACCEL / 0.5;
/**
 * Highest plausible speed on a public road, m/s (250 km/h: above every posted limit in
 * the world and the governed top speed of most production cars).
 */
export const MAX_ROAD_SPEED = 250 / 3.6;
/**
 * Largest error of one GNSS fix from a working receiver, m, whatever the feed's learnt noise:
 * the GPS SPS Performance Standard (5th ed., 2020, 3.8) bounds the horizontal error at 15 m
 * (95 %) at the worst site, and urban-canyon multipath adds tens of metres, up to about 100 m
 * in measurement studies. A displacement beyond what the fastest road vehicle covers plus
 * this on both fixes is a teleport, even before any noise has been learnt (a liar alone on
 * the air teaches the fleet noise nothing honest).
 */
export const GNSS_WORST_M = 100;
/** Highest BSM rate, Hz: SAE J2735 / J2945/1 send at a nominal 10 Hz at most. */
export const MAX_BSM_HZ = 10;
/**
 * Random jitter of a BSM's transmit time, ms: SAE J2945/1 (2020, 6.3.8) randomises each
 * transmission by up to ±5 ms, so two BSMs of one identity are at least 100 − 2 × 5 = 90 ms
 * apart at the 10 Hz maximum.
 */
export const BSM_JITTER_MS = 5;
/**
 * Least spacing of two BSMs of one identity, ms (the 10 Hz maximum less J2945/1's jitter on
 * both): a message this far from its identity's others is on schedule, whatever came before.
 * Most messages of one identity within any one second (the one-second window reaching back
 * from a message, itself included): at ≥ 90 ms apart, ⌈1000 / 90⌉ = 12. More is a flood,
 * whatever the city's own rate.
 */
export const MIN_SPACING_MS = 1000 / MAX_BSM_HZ - 2 * BSM_JITTER_MS;
export const FLOOD_PER_S = Math.ceil(1000 / MIN_SPACING_MS);
/** Lane width, m (AASHTO "Green Book", 3.6 m for most roads; 3.5 m in EU practice). */
export const LANE_WIDTH = 3.5;
/** Resolution of a BSM speed (SAE J2735 DE_Speed: 0.02 m/s): the smallest noise that can be told. */
export const SPEED_RESOLUTION = 0.02;
/** Resolution of a BSM heading (SAE J2735 DE_Heading: 0.0125°), radians. */
export const HEADING_RESOLUTION = (0.0125 * Math.PI) / 180;
/** Resolution of a BSM position (SAE J2735 DE_Latitude: 1e-7°), metres. */
export const POSITION_RESOLUTION = 0.011;
/** Smallest two vehicles' centres can be apart, m: a car is about 1.8 m wide (so two side by side are ≥ 1.8 m apart). */
export const VEHICLE_WIDTH = 1.8;
/** Smallest distance between a vehicle and the one ahead in its lane, m (a car is ≥ 3.5 m long). */
export const VEHICLE_LENGTH = 3.5;

/**
 * False-alarm probability per message of the tracker's gate: a measurement whose
 * innovation is rarer than this under the noise model is not fused into the track.
 */
export const GATE_P = 1e-3;
/** False-alarm probability per message of a rule (statistical thresholds in the starter rules). */
export const RULE_P = 1e-6;

/** The (1 − p) quantile of the chi-square distribution with 2 degrees of freedom: −2 ln p (exact). */
export function chi2Quantile2(p: number): number {
  return -2 * Math.log(p);
}

/** Median of chi-square with 2 degrees of freedom (2 ln 2). */
export const CHI2_2_MEDIAN = 2 * Math.LN2;
/** Median of |z| for a standard normal z (the 0.75 quantile). */
export const HALF_NORMAL_MEDIAN = 0.674_489_75;

/** Two-sided normal quantile at GATE_P (3.29): the gate of a one-dimensional residual. */
export const GATE_Z = 3.290_527;

/**
 * A vehicle's or a unit's own noise estimate learns from innovations that pass the gate at
 * twice the σ in use: a receiver noisier than the fleet is learnt step by step, while a
 * forged position many σ away never teaches the estimate to excuse it.
 */
export const OWN_GATE_FACTOR = 2;

/** Gate of the tracker: chi-square 2-dof quantile at GATE_P (13.8). */
export const GATE_NIS = chi2Quantile2(GATE_P);
