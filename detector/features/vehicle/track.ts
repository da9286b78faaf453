/**
 * Track and dead reckoning: each vehicle's positions followed by a constant-velocity
 * Kalman filter (kalman.ts), each new position tested by its normalised innovation squared
 * (NIS) against the chi-square gate. A position failing the gate is not fused, so a lie does
 * not drag the track; positions failing it several times in a row start a new track, and the
 * old one is kept as a memory dead-reckoned with the reported speeds and headings. While
 * the memory lasts, every message is also tested against it (offset_nis): a constant offset
 * stays suspect until the vehicle returns to where the old track says it is, and a message
 * that fits the memory switches the vehicle back to it (the stretch since was the lie).
 */
import { GATE_NIS, MANOEUVRE_SIGMA, MAX_ROAD_SPEED } from './bounds.js';
import { RAD, type Fix } from './fix.js';
import { CvKalman } from './kalman.js';

/** Consecutive gate failures that start a new track: three at GATE_P each are ~1e-9 for honest noise. */
const MISSES_TO_RESTART = 3;
/** Process noise spectral density of the tracker, m²/s³: σ² of white acceleration over one second. */
const Q = MANOEUVRE_SIGMA * MANOEUVRE_SIGMA;

/** The old track kept after a restart: dead-reckoned position and its variance per axis. */
interface Memory {
  ts: number;
  x: number;
  y: number;
  vv: number;
  pp: number;
  speed: number;
  heading: number;
}

export interface TrackResult {
  /** NIS of the position against the track's prediction (0 for a first fix). */
  nis: number;
  /** Squared distance from the prediction (m²) and the prediction's position variance per axis (m²): for the noise estimate. */
  d2: number;
  pp: number;
  /** NIS against the remembered pre-jump track (0: no memory). */
  offsetNis: number;
  /** The message went back to the remembered track. */
  switched: boolean;
  /** The position was fused into the track. */
  fused: boolean;
  /** Speed residual (reported − track), m/s, and its model variance apart from the speed noise. */
  speedR: number;
  speedV: number;
  /** Heading residual, rad, and its model variance apart from the heading noise. */
  headingR: number;
  headingV: number;
}

export class Track {
  readonly kf = new CvKalman();
  private misses = 0;
  private memory: Memory | undefined;

  /**
   * Tests `f` against the track, then fuses it when it passes. `r` is the message's
   * position variance per axis (m²); `s2`, `h2` the reported speed and heading variances
   * used to dead-reckon the memory.
   */
  step(f: Fix, r: number, s2: number, h2: number, out: TrackResult): void {
    out.nis = out.d2 = out.pp = out.offsetNis = out.speedR = out.speedV = out.headingR = out.headingV = 0;
    out.switched = out.fused = false;
    const kf = this.kf;
    if (!kf.started) {
      kf.init(f.ts, f.x, f.y, r, 0, 0, MAX_ROAD_SPEED * MAX_ROAD_SPEED);
      out.fused = true;
      return;
    }
    if (f.ts < kf.ts) return; // out of order: timing.ts judges it; the track is not rewound
    kf.predict(f.ts, Q);
    this.velocityResiduals(f, out);
    out.nis = kf.nis(f.x, f.y, r);
    out.d2 = (f.x - kf.x) ** 2 + (f.y - kf.y) ** 2;
    out.pp = kf.pp;
    const m = this.memory;
    if (m) {
      this.reckon(m, f, s2, h2);
      const mn = ((f.x - m.x) ** 2 + (f.y - m.y) ** 2) / (m.pp + r);
      if (mn <= GATE_NIS) {
        // back on the old track: the stretch since the jump was the lie
        kf.init(f.ts, f.x, f.y, r, f.speed * Math.sin(f.heading * RAD), f.speed * Math.cos(f.heading * RAD), m.vv);
        this.memory = undefined;
        this.misses = 0;
        out.switched = out.fused = true;
        return;
      }
      out.offsetNis = mn;
    }
    if (out.nis <= GATE_NIS) {
      kf.update(f.x, f.y, r);
      this.misses = 0;
      out.fused = true;
      return;
    }
    if (++this.misses < MISSES_TO_RESTART) return;
    // sustained failure: a new track here; the old one is remembered unless one already is
    // (a vehicle hopping between forged places keeps the memory of where it truly was)
    if (!this.memory) this.memory = { ts: kf.ts, x: kf.x, y: kf.y, pp: kf.pp, vv: kf.vv, speed: f.speed, heading: f.heading };
    kf.init(f.ts, f.x, f.y, r, kf.vx, kf.vy, kf.vv + r);
    this.misses = 0;
  }

  /** Whether a pre-jump memory is held. */
  get remembering(): boolean {
    return this.memory !== undefined;
  }

  /**
   * Reported speed and heading against the track's velocity (after predict). The track's
   * velocity variance is vv per axis: along its direction for the speed, vv / |v|² for its
   * course (radians²).
   */
  private velocityResiduals(f: Fix, out: TrackResult): void {
    const kf = this.kf;
    const sp = kf.speed;
    out.speedR = f.speed - sp;
    out.speedV = kf.vv;
    if (sp > 0 && f.speed > 0) {
      const course = Math.atan2(kf.vx, kf.vy);
      let d = f.heading * RAD - course;
      d = Math.atan2(Math.sin(d), Math.cos(d));
      out.headingR = d;
      out.headingV = kf.vv / (sp * sp);
    }
  }

  /** Dead-reckons the memory to `f.ts` with the mean of the last and this message's reported velocity. */
  private reckon(m: Memory, f: Fix, s2: number, h2: number): void {
    const dt = (f.ts - m.ts) / 1000;
    if (dt <= 0) return;
    const a = m.heading * RAD;
    const b = f.heading * RAD;
    m.x += ((m.speed * Math.sin(a) + f.speed * Math.sin(b)) / 2) * dt;
    m.y += ((m.speed * Math.cos(a) + f.speed * Math.cos(b)) / 2) * dt;
    m.pp += (s2 + f.speed * f.speed * h2) * dt * dt;
    m.ts = f.ts;
    m.speed = f.speed;
    m.heading = f.heading;
  }
}
