/**
 * Speed and motion: the message's reported speed, acceleration and heading change against
 * the previous message's and against physics (friction bounds acceleration and cornering
 * at ≈ 1 g, bounds.ts), each excess divided by the noise the vehicle's reports show, and a
 * state held exactly while the vehicle's own noise says honest reports never repeat.
 */
import { GATE_Z, MAX_ACCEL, SPEED_RESOLUTION } from './bounds.js';
import { angleDiff, RAD, type Fix } from './fix.js';

export interface MotionState {
  /** Messages in a row with exactly the previous non-zero speed. */
  speedRun: number;
  /** Messages in a row with exactly the previous position. */
  posRun: number;
  /** z of an implausibly abrupt stop, held while the vehicle stands (0: none). */
  stopZ: number;
  /** Messages in a row whose speed is beyond the standing bound. */
  moving: number;
}

export interface MotionResult {
  /** |reported accel − speed change / dt| in units of the speed-step noise (0 without accel). */
  accelZ: number;
  /** Speed change beyond what 1 g allows over dt, in units of the speed-step noise. */
  accelExcessZ: number;
  /** Heading change × speed beyond 1 g of cornering over dt, in units of the heading noise. */
  lateralExcessZ: number;
  /** Reported hard braking the speeds do not show, in units of the speed-step noise. */
  brakeZ: number;
  /** The speed step (m/s) against the reported acceleration, for the noise estimate. */
  stepR: number;
}

export function newMotionState(): MotionState {
  return { speedRun: 0, posRun: 0, stopZ: 0, moving: 0 };
}

/**
 * `prev` is the vehicle's previous in-order message, `trusted` its last message that passed
 * every track and physics check; `stepSigma` the speed-step noise (m/s), `headingSigma` the
 * reported heading noise (rad), `speedSigma` the reported speed noise (m/s). A speed change that breaks physics says that one of the two
 * messages lies, not which: after a lie the truth resuming breaks it against the lie but not
 * against the last trusted message, so the smaller excess counts.
 */
export function motion(prev: Fix, trusted: Fix | undefined, f: Fix, st: MotionState, stepSigma: number, headingSigma: number, speedSigma: number, out: MotionResult): void {
  out.accelZ = out.accelExcessZ = out.lateralExcessZ = out.brakeZ = out.stepR = 0;
  const dt = (f.ts - prev.ts) / 1000;
  st.speedRun = f.speed > 0 && f.speed === prev.speed ? st.speedRun + 1 : 0;
  st.posRun = f.lat === prev.lat && f.lon === prev.lon ? st.posRun + 1 : 0;
  if (dt <= 0) return;
  const dv = f.speed - prev.speed;
  const meanAccel = prev.accel !== undefined && f.accel !== undefined ? (prev.accel + f.accel) / 2 : undefined;
  // the step noise of two reported speeds (√2 σ_speed) and of the accelerations between them
  const sd = Math.max(stepSigma, SPEED_RESOLUTION);
  if (meanAccel !== undefined) {
    out.stepR = dv - meanAccel * dt;
    out.accelZ = Math.abs(out.stepR) / sd;
    // feigned braking: a hard deceleration reported that the speeds do not show
    if (f.accel! < -MAX_ACCEL / 3 && f.speed > 0) out.brakeZ = Math.max(0, dv - f.accel! * dt) / sd;
  } else out.stepR = dv;
  out.accelExcessZ = Math.max(0, Math.abs(dv) - MAX_ACCEL * dt) / sd;
  if (out.accelExcessZ > 0 && trusted && trusted !== prev && trusted.ts < f.ts) {
    const ref = Math.max(0, Math.abs(f.speed - trusted.speed) - MAX_ACCEL * ((f.ts - trusted.ts) / 1000)) / sd;
    if (ref < out.accelExcessZ) out.accelExcessZ = ref;
  }
  const v = Math.max(f.speed, prev.speed);
  if (v > 0) {
    const turn = angleDiff(f.heading, prev.heading) * RAD;
    out.lateralExcessZ = Math.max(0, v * turn - MAX_ACCEL * dt) / (v * Math.SQRT2 * headingSigma + sd);
  }
  // An abrupt stop (a frozen "eventual stop" begins with one) stays suspect while standing.
  // A standing vehicle's reported speed is its speed noise about zero, so "standing" is
  // within the gate's two-sided bound of the learnt speed noise, not only the resolution;
  // it moves off when two speeds in a row are beyond it (one is the noise's tail: 1e-3).
  const still = Math.max(SPEED_RESOLUTION, GATE_Z * speedSigma);
  const standing = f.speed <= still;
  st.moving = standing ? 0 : st.moving + 1;
  if (standing && prev.speed > still && out.accelExcessZ > 0) st.stopZ = out.accelExcessZ;
  else if (st.moving >= 2) st.stopZ = 0;
}
