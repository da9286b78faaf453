/**
 * Track and dead reckoning: each vehicle's positions followed by a constant-velocity
 * constant-acceleration Kalman filter (kalman.ts), each new position tested by its normalised innovation squared
 * (NIS) against the chi-square gate. A position failing the gate is not fused, so a lie does
 * not drag the track; positions failing it several times in a row start a new track, and the
 * old one is kept as a memory dead-reckoned with the reported speeds and headings. While
 * the memory lasts, every message is also tested against it (offset_nis): a constant offset
 * stays suspect until the vehicle returns to where the old track says it is, and a message
 * that fits the memory switches the vehicle back to it (the stretch since was the lie).
 */
import { GATE_NIS, MAX_ACCEL, MAX_JERK, MAX_ROAD_SPEED } from './bounds.js';
import { RAD, type Fix } from './fix.js';
import { CaKalman } from './kalman.js';

/** Consecutive gate failures that start a new track: three at GATE_P each are ~1e-9 for honest noise. */
const MISSES_TO_RESTART = 3;
/** White-jerk spectral density of the tracker: the jerk bound is a 3 σ event. */
const Q = (MAX_JERK / 3) ** 2;
/**
 * Fused fixes after which a track born at a jump is taken for the vehicle's own again: an
 * honest restart (a GNSS glitch in the noise's tail) must not leave the vehicle unprotected
 * for good, and a lie that lasts this long with no memory of the truth before it cannot be
 * told from the truth by positions alone.
 */
const LINEAGE_FIXES = 100;
/** Variance of an unknown acceleration (a new track): the 1 g bound as 2 σ. */
const AA0 = (MAX_ACCEL / 2) ** 2;

/**
 * The old track kept after a restart: dead-reckoned position and its variance per axis, and
 * the old filter itself, predicted on with the manoeuvre noise (where physics lets the
 * vehicle have got to, whatever it reported since).
 */
interface Memory {
  kf: CaKalman;
  ts: number;
  x: number;
  y: number;
  vv: number;
  pp: number;
  /**
   * σ per axis, m, of the reported speeds' and headings' bias carried through the dead
   * reckoning: it grows with the time and distance reckoned (as in the reach and
   * dead-reckoning checks), so a memory's claim fades as its reckoning grows uncertain.
   */
  bias: number;
  speed: number;
  heading: number;
  /** The old track's fused count and lineage, restored when the vehicle switches back. */
  fusedN: number;
  bornOfJump: boolean;
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
  readonly kf = new CaKalman();
  private misses = 0;
  private memory: Memory | undefined;
  /** Positions fused since the track (re)started. */
  private fusedN = 0;
  /**
   * The track began at a jump away from another one (a restart), so which of the two was
   * the truth is unknown: such a track is never remembered. Otherwise, when the vehicle
   * jumps back from a lie whose start found no memory to keep (the jump came while the
   * pre-jump track was young), the lie would become the memory and the truth after it would
   * be flagged against it for as long as it lasted. Cleared after LINEAGE_FIXES fused fixes.
   */
  private bornOfJump = false;
  /** Positions fused in a row by the gate (a switch back or a restart starts it again). */
  private run = 0;
  /**
   * Since the track (re)started: its first position, the vector the reported speeds and
   * headings carried it since (trapezoid per message), the reckoning's bias σ (m, as in the
   * memory's), and the last message's reported motion. A track is worth remembering only
   * when its positions went where its reported motion says: a lie the vehicle was first
   * heard with (a position held while the speeds say it drives) is not the truth to judge
   * the truth by afterwards.
   */
  private readonly odo = { x0: 0, y0: 0, dx: 0, dy: 0, bias: 0, ts: 0, speed: 0, heading: 0 };

  /**
   * Past the start-up transient: a constant-acceleration track is determined by three
   * positions, and after five its covariance no longer reflects the vague start; only then
   * do its innovations say anything about the measurement noise.
   */
  get settled(): boolean {
    return this.fusedN >= 5;
  }

  /** Long past the transient (four times `settled`): its NIS may teach the fleet's NIS calibration. */
  get steady(): boolean {
    return this.fusedN >= 20;
  }

  /**
   * Tests `f` against the track, then fuses it when it passes. `r` is the message's
   * position variance per axis (m²); `s2`, `h2` the reported speed and heading variances
   * used to dead-reckon the memory; `consistent`: the vehicle's reported speeds and headings
   * have lately agreed with this track (only such a track is worth remembering: a frozen or
   * forged stretch the vehicle started with is not where it truly was); `tail` how much
   * heavier than chi-square the honest NIS tail is (noise.ts nisTail): the gate scales with it.
   */
  step(f: Fix, r: number, s2: number, h2: number, consistent: boolean, tail: number, out: TrackResult): void {
    const gate = GATE_NIS * tail;
    out.nis = out.d2 = out.pp = out.offsetNis = out.speedR = out.speedV = out.headingR = out.headingV = 0;
    out.switched = out.fused = false;
    const kf = this.kf;
    if (!kf.started) {
      kf.init(f.ts, f.x, f.y, r, 0, 0, MAX_ROAD_SPEED * MAX_ROAD_SPEED, AA0);
      this.fusedN = 1;
      this.restartOdometer(f);
      out.fused = true;
      return;
    }
    if (f.ts < kf.ts) return; // out of order: timing.ts judges it; the track is not rewound
    this.advanceOdometer(f, s2, h2);
    kf.predict(f.ts, Q);
    this.velocityResiduals(f, out);
    out.nis = kf.nis(f.x, f.y, r);
    out.d2 = (f.x - kf.x) ** 2 + (f.y - kf.y) ** 2;
    out.pp = kf.pp;
    const m = this.memory;
    if (m) {
      this.reckon(m, f, s2, h2);
      m.kf.predict(f.ts, Q);
      const mn = ((f.x - m.x) ** 2 + (f.y - m.y) ** 2) / (m.pp + m.bias * m.bias + r);
      // Back on the old track: where the reported motion since puts the vehicle (a position
      // lie with true speeds ends), or a jump away from the new track to a place the old one
      // could physically have reached (the truth resuming after a stretch whose speeds lied too).
      if (mn <= gate || (out.nis > gate && m.kf.nis(f.x, f.y, r) <= gate)) {
        kf.init(f.ts, f.x, f.y, r, m.kf.vx, m.kf.vy, m.kf.vv, AA0);
        this.memory = undefined;
        this.misses = 0;
        this.run = 0;
        // The track resumed is the remembered one, which had settled (only a settled track
        // is remembered) and keeps its velocity: it is settled again, so a second lie soon
        // after finds a memory to keep (a vehicle lying in bouts).
        this.fusedN = m.fusedN;
        this.bornOfJump = m.bornOfJump;
        this.restartOdometer(f);
        // judged against the track it rejoins, not the lie it leaves
        out.nis = Math.min(mn, m.kf.nis(f.x, f.y, r));
        out.switched = out.fused = true;
        return;
      }
      out.offsetNis = mn;
    }
    if (out.nis <= gate) {
      kf.update(f.x, f.y, r);
      this.misses = 0;
      if (++this.fusedN >= LINEAGE_FIXES) this.bornOfJump = false;
      this.run++;
      out.fused = true;
      return;
    }
    this.run = 0;
    if (++this.misses < MISSES_TO_RESTART) return;
    // sustained failure: a new track here; the old one is remembered unless one already is
    // (a vehicle hopping between forged places keeps the memory of where it truly was), and
    // only when it had settled (a track still in its start-up transient knows little)
    if (!this.memory && this.settled && consistent && !this.bornOfJump && this.wentWhereReported(r, tail)) {
      const old = new CaKalman();
      old.copyFrom(kf);
      this.memory = { kf: old, ts: kf.ts, x: kf.x, y: kf.y, pp: kf.pp, vv: kf.vv, bias: 0, speed: f.speed, heading: f.heading, fusedN: this.fusedN, bornOfJump: this.bornOfJump };
    }
    this.bornOfJump = true;
    // (velocity unknown after a jump: the old one as a guess, vaguely)
    kf.init(f.ts, f.x, f.y, r, kf.vx, kf.vy, MAX_ROAD_SPEED * MAX_ROAD_SPEED, AA0);
    this.misses = 0;
    this.fusedN = 1;
    this.restartOdometer(f);
  }

  private restartOdometer(f: Fix): void {
    const o = this.odo;
    o.x0 = f.x;
    o.y0 = f.y;
    o.dx = o.dy = o.bias = 0;
    o.ts = f.ts;
    o.speed = f.speed;
    o.heading = f.heading;
  }

  private advanceOdometer(f: Fix, s2: number, h2: number): void {
    const o = this.odo;
    const dt = (f.ts - o.ts) / 1000;
    if (!(dt > 0)) return;
    const a = o.heading * RAD;
    const b = f.heading * RAD;
    o.dx += ((o.speed * Math.sin(a) + f.speed * Math.sin(b)) / 2) * dt;
    o.dy += ((o.speed * Math.cos(a) + f.speed * Math.cos(b)) / 2) * dt;
    o.bias += Math.sqrt(s2 + f.speed * f.speed * h2) * dt;
    o.ts = f.ts;
    o.speed = f.speed;
    o.heading = f.heading;
  }

  /**
   * Whether the track's displacement since it began matches the vector its reported speeds
   * and headings add up to, within the gate (scaled by the learnt tail): the variance of two
   * fixes' position noise (`r` per axis each) plus the reckoning's bias squared. A feigned
   * stretch whose speeds say the vehicle drove while its positions stood (or the reverse)
   * fails it however slowly each message drifts from the track.
   */
  private wentWhereReported(r: number, tail: number): boolean {
    const o = this.odo;
    const ex = this.kf.x - o.x0 - o.dx;
    const ey = this.kf.y - o.y0 - o.dy;
    return (ex * ex + ey * ey) / (2 * r + o.bias * o.bias) <= GATE_NIS * tail;
  }

  /** Positions the gate fused in a row: a random lie may pass it once, not several times running. */
  get fusedRun(): number {
    return this.run;
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
    m.bias += Math.sqrt(s2 + f.speed * f.speed * h2) * dt;
    m.ts = f.ts;
    m.speed = f.speed;
    m.heading = f.heading;
  }
}
