/**
 * Per-vehicle plausibility features (after BITS and the VeReMi plausibility checks), each
 * judged against the noise the deployment's own traffic shows. One module per check
 * family: track and dead reckoning (track.ts, kalman.ts), speed and motion (motion.ts),
 * timing (timing.ts), replay (replay.ts), Sybil and radio (sybil.ts), position against the
 * city (position.ts); the noise they are judged against is learnt in noise.ts.
 */
import type { VigilEvent } from '../../../events/index.js';
import type { CityMap } from '../city.js';
import { GATE_Z, GNSS_WORST_M, HEADING_RESOLUTION, MAX_ROAD_SPEED, POSITION_RESOLUTION, RULE_P, SPEED_RESOLUTION } from './bounds.js';
import { angleDiff, fixOf, Plane, RAD, type Fix } from './fix.js';
import { S, VEHICLE_FEATURES } from './list.js';
import { motion, newMotionState, type MotionResult, type MotionState } from './motion.js';
import { NoiseModel, OwnNoise, parseLearnt, type VehicleLearnt } from './noise.js';
import { CityChecks } from './position.js';
import { ReplayIndex } from './replay.js';
import { Arrivals, newSybilState, radio, SybilIndex, type RadioResult, type SybilResult, type SybilState, type Tolerance } from './sybil.js';
import { newTimingState, timing, Watermarks, type TimingResult, type TimingState } from './timing.js';
import { SpeedAudit } from './odometer.js';
import { Track, type TrackResult } from './track.js';
import { LastSeen } from '../idle.js';

export { VEHICLE_FEATURES, VEHICLE_MODEL_WIDTH } from './list.js';
export type { VehicleLearnt } from './noise.js';
export { CaKalman } from './kalman.js';
export { chi2Quantile2, GATE_P, RULE_P } from './bounds.js';

/** Time constant of the smoothed speed residual, s: VeReMi-style speed lies last tens of seconds. */
const DRIFT_TAU_S = 5;
/** Fused in a row before a fix is trusted (where reach_z and the motion checks measure from): three at the gate's 1e-3 each are 1e-9 for lies at random. */
const TRUSTED_RUN = 3;
/** One-sided normal 5 % quantile: how far the current speed must itself be off the track, on the side the speed audit found, for the audit to blame it. */
const LOCAL_Z = 1.644_854;
/** Messages between two refreshes of the fleet's run survivals. */
const REFRESH_EVERY = 4096;
/** Largest surprise a repeated state adds up to, nats (far beyond any rule: −ln RULE_P = 13.8). */
const SURPRISE_CAP = 10 * -Math.log(RULE_P);

class Vehicle {
  readonly plane: Plane;
  readonly track = new Track();
  readonly own = new OwnNoise();
  readonly motion: MotionState = newMotionState();
  readonly timing: TimingState = newTimingState();
  readonly sybil: SybilState;
  readonly audit = new SpeedAudit();
  /** The previous in-order message's speed audit z, 0 where its own speed was not off the track on the audit's side. */
  audit1 = 0;
  prev: Fix | undefined;
  /** The one before `prev`. */
  prev2: Fix | undefined;
  /** The last message that passed the track's gate with no memory pending and broke no physics. */
  trusted: Fix | undefined;
  /** Metres the reported speeds carried the vehicle (trapezoid over its in-order messages), and that reading at `trusted`. */
  odo = 0;
  trustedOdo = 0;
  /** The same odometer as a vector (metres east and north along the reported headings), and its reading at `trusted`. */
  odoX = 0;
  odoY = 0;
  trustedOdoX = 0;
  trustedOdoY = 0;
  /** The previous in-order message's dead-reckoning z. */
  dead1 = 0;
  /** The odometer vector's last step (from `prev` to this message). */
  stepX = 0;
  stepY = 0;
  /** The previous in-order message's reach z. */
  reach1 = 0;
  /** The last fix within physical reach of the one before it: where a teleport is measured from. */
  reach: Fix | undefined;
  drift = 0;
  /** Messages in a row whose speed and heading agreed with the track (within the gate). */
  calm = 0;
  /** Since the track last fused a position (the run of misses a restart follows), the speed stepped beyond 1 g while standing after a stop beyond 1 g. */
  jumpBroke = false;
  constructor(lat: number, lon: number, ts: number) {
    this.plane = new Plane(lat, lon);
    this.sybil = newSybilState(ts);
  }
}

/** The noise a message is judged against: σ of position (m), speed (m/s), heading (rad), speed step (m/s). */
interface Sigmas {
  pos: number;
  speed: number;
  heading: number;
  step: number;
  interval: number;
}

/** Metres `f` lies beyond where the fastest road vehicle could have got from `ref`, with a worst-case GNSS error on each fix (Infinity without a reference). */
function beyondReach(ref: Fix | undefined, f: Fix): number {
  if (!ref || !(f.ts > ref.ts)) return Infinity;
  return Math.hypot(f.x - ref.x, f.y - ref.y) - MAX_ROAD_SPEED * ((f.ts - ref.ts) / 1000) - 2 * GNSS_WORST_M;
}

export class VehicleFeatures {
  readonly names = VEHICLE_FEATURES;
  private readonly vehicles = new Map<string, Vehicle>();
  private readonly seen = new LastSeen();
  private noise: NoiseModel;
  private readonly replays = new ReplayIndex();
  private readonly sybils = new SybilIndex();
  private readonly arrivals = new Arrivals();
  private readonly marks = new Watermarks();
  private readonly checks: CityChecks;
  private readonly tr: TrackResult = { nis: 0, d2: 0, pp: 0, offsetNis: 0, switched: false, fused: false, speedR: 0, speedV: 0, headingR: 0, headingV: 0 };
  private readonly mo: MotionResult = { accelZ: 0, accelExcessZ: 0, lateralExcessZ: 0, brakeZ: 0, stepR: 0 };
  private readonly ti: TimingResult = { dt: 0, rate: 0, floodRate: 0, seqGapLog: 0, behindS: 0, lateS: 0 };
  private readonly sg: Sigmas = { pos: 0, speed: 0, heading: 0, step: 0, interval: 0 };
  private readonly tol: Tolerance = { pos: 0, speed: 0, heading: 0 };
  private readonly sy: SybilResult = { colocated: 0, formation: 0 };
  private readonly ra: RadioResult = { beyond: 0, conflict: 0 };
  private messages = 0;

  constructor(
    private readonly city: CityMap = {},
    learnt?: VehicleLearnt,
  ) {
    this.checks = new CityChecks(city);
    this.noise = new NoiseModel(learnt);
  }

  get entities(): number {
    return this.vehicles.size;
  }

  /** Checks that cannot run for lack of a map, for the detector to log once. */
  get notes(): string[] {
    const out: string[] = [];
    if (!this.checks.hasArea) out.push('vehicle: no service area in the city map: the geofence feature is off (a model trained without a map still checks the area it learnt)');
    if (!this.checks.hasRoads) out.push('vehicle: no road network: the off-road check is off');
    if (!this.city.rsus || Object.keys(this.city.rsus).length === 0) out.push('vehicle: no roadside-unit map: range checks are off, two-unit conflicts use the nominal DSRC range');
    return out;
  }

  /** Starts from noise learnt by `vigil train` (a model bundle's `features.vehicle`); malformed state is ignored. */
  setLearnt(raw: unknown): boolean {
    const learnt = parseLearnt(raw);
    if (!learnt) return false;
    this.noise = new NoiseModel(learnt);
    return true;
  }

  /** What the traffic so far taught: the fleet's and units' noise, for the model bundle. */
  learnt(): VehicleLearnt {
    return this.noise.learnt([...this.vehicles.values()].map((v) => v.own));
  }

  /** Writes the features of one BSM into `out` at `offset` and advances the vehicle's state. */
  /**
   * Forgets the tracks of vehicles last heard before `before` (epoch ms, event time); returns
   * how many. A vehicle heard again later starts a new track, as a new arrival does.
   */
  evictIdle(before: number): number {
    return this.seen.evict(before, this.vehicles);
  }

  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    out.fill(0, offset, offset + VEHICLE_FEATURES.length);
    const ev = event.vigil.vehicle;
    if (!ev) return;
    const id = event.vigil.entity.id;
    this.seen.touch(id, event.vigil.ts);
    let veh = this.vehicles.get(id);
    const first = !veh;
    if (!veh) this.vehicles.set(id, (veh = new Vehicle(ev.lat, ev.lon, event.vigil.ts)));
    const f = fixOf(event, veh.plane)!;
    const sg = this.sigmas(veh, f);
    const ti = this.ti;
    timing(veh.timing, f, this.marks, ti);
    this.writeTiming(veh, ti, sg, out, offset);
    if (ti.behindS === 0) {
      this.kinematics(veh, f, sg, out, offset);
      if (ti.dt > 0) this.noise.foldInterval(ti.dt, veh.own);
      veh.prev2 = veh.prev;
      veh.prev = f;
    }
    this.writeShared(veh, id, f, sg, out, offset);
    out[offset + S.arrivals_1s] = this.arrivals.check(veh.sybil, first, f);
    // the run survivals follow the fleet (median over vehicles; cheap enough this rarely)
    const m = ++this.messages;
    if (m % REFRESH_EVERY === 0 || (m & (m - 1)) === 0) this.noise.refreshRuns([...this.vehicles.values()].map((x) => x.own));
  }

  private sigmas(veh: Vehicle, f: Fix): Sigmas {
    const n = this.noise;
    const sg = this.sg;
    sg.pos = f.posAccuracy !== undefined ? Math.max(POSITION_RESOLUTION, f.posAccuracy * n.posAccFactor.value) : n.posSigma(veh.own, n.unit(f.rsu));
    sg.speed = n.speedSigma(veh.own);
    sg.heading = f.headingAccuracy !== undefined ? Math.max(HEADING_RESOLUTION, f.headingAccuracy * RAD * n.headingAccFactor.value) : n.headingSigma(veh.own);
    sg.step = n.stepSigma(veh.own);
    sg.interval = n.intervalS(veh.own);
    return sg;
  }

  private writeTiming(veh: Vehicle, ti: TimingResult, sg: Sigmas, out: Float32Array, o: number): void {
    const iv = Math.max(sg.interval, 1 / 1000);
    if (ti.dt > 0) out[o + S.dt_rel] = Math.max(-3, Math.min(3, Math.log(ti.dt / iv)));
    else if (ti.dt === 0) out[o + S.dt_rel] = -3;
    out[o + S.rate_1s] = ti.floodRate;
    out[o + S.rate_rel] = ti.rate / Math.max(1, 1 / iv);
    out[o + S.seq_gap_log] = ti.seqGapLog;
    out[o + S.behind_log] = Math.log1p(ti.behindS / iv);
    out[o + S.late_log] = Math.log1p(ti.lateS / iv);
    void veh;
  }

  /** Track, speed and motion checks of an in-order message. */
  private kinematics(veh: Vehicle, f: Fix, sg: Sigmas, out: Float32Array, o: number): void {
    const n = this.noise;
    const tr = this.tr;
    const settled = veh.track.settled;
    const steady = veh.track.steady;
    const r = (sg.pos * n.nisScale) ** 2;
    const tail = n.nisTail;
    // The old track is not worth remembering when it ends standing after a stop beyond 1 g
    // and the speed then steps beyond 1 g again as the positions leave it (the truth resuming
    // after a frozen "eventual stop": cruising to 0 and back in tenths of a second): its
    // reported motion broke physics on entering and on leaving, so the place it claims is
    // the suspect one, and the truth would be flagged against the frozen place for as long as
    // the reckoning stayed sure. A lie's onset from an honest track (no impossible stop
    // before it: a frozen position, an offset) keeps its memory.
    veh.track.step(f, r, sg.speed * sg.speed, sg.heading * sg.heading, veh.calm >= 5 && !veh.jumpBroke, tail, tr);
    let calm = settled;
    if (steady && tr.pp > 0 && !tr.switched) n.foldNis(tr.nis);
    if (veh.prev && veh.prev2) this.foldPosition(veh.prev2, veh.prev, f, sg.pos, veh);
    const ready = n.ready;
    if (ready) {
      out[o + S.pos_nis] = tr.nis / tail;
      out[o + S.pos_nis_log] = Math.log1p(tr.nis / tail);
      out[o + S.offset_nis] = tr.offsetNis / tail;
      out[o + S.offset_nis_log] = Math.log1p(tr.offsetNis / tail);
    }
    let speedZ = 0;
    if (settled && tr.speedV > 0) {
      const z = tr.speedR / Math.sqrt(tr.speedV + sg.speed * sg.speed);
      speedZ = z;
      if (Math.abs(z) > GATE_Z) calm = false;
      const dt = veh.prev ? (f.ts - veh.prev.ts) / 1000 : 0;
      veh.drift += (1 - Math.exp(-dt / DRIFT_TAU_S)) * (z - veh.drift);
      n.foldDrift(veh.drift);
      if (ready) {
        out[o + S.speed_z] = Math.abs(z);
        out[o + S.drift_z] = Math.abs(veh.drift) / n.drift.value;
      }
    }
    if (settled && tr.headingV > 0) {
      const hz = Math.abs(tr.headingR) / Math.sqrt(tr.headingV + sg.heading * sg.heading);
      if (hz > GATE_Z) calm = false;
      if (ready) out[o + S.heading_z] = hz;
    }
    veh.calm = calm ? veh.calm + 1 : 0;
    // Measured from the last fix that was itself within reach, so a run of teleports is
    // judged against where the vehicle could have been, not against the previous lie.
    // A message that switched back to the remembered pre-jump track is where the vehicle's
    // own motion since puts it (track.ts), so it is the truth resuming, not a teleport,
    // however far the lies in between had wandered.
    // A lie may itself fall within reach of the one before it (a flood of random positions),
    // so the jump must also be beyond reach of the last trusted fix: the truth resuming
    // after the lie is within reach of where the vehicle truly was.
    const fromReach = beyondReach(veh.reach, f);
    const excess = tr.switched ? 0 : Math.min(fromReach, beyondReach(veh.trusted, f));
    out[o + S.teleport_m] = Number.isFinite(excess) ? Math.max(0, excess) : 0;
    if (veh.reach === undefined || fromReach <= 0 || tr.switched) veh.reach = f;
    this.mo.accelExcessZ = 0;
    if (veh.prev) this.motionChecks(veh, veh.prev, f, sg, out, o);
    veh.jumpBroke = !tr.fused && (veh.jumpBroke || (this.mo.accelExcessZ > 0 && veh.motion.stopZ > 0));
    if (veh.prev && f.ts > veh.prev.ts) this.advanceOdometer(veh, veh.prev, f);
    // two messages in a row beyond: an honest fix in the noise's tail is alone, a lie persists
    const reach = this.reachZ(veh, f, sg);
    out[o + S.reach_z] = Math.min(reach, veh.reach1);
    veh.reach1 = reach;
    const dead = this.deadReckoningZ(veh, f, sg);
    out[o + S.dead_reckoning_z] = Math.min(dead, veh.dead1);
    veh.dead1 = dead;
    if (tr.fused && veh.track.fusedRun >= TRUSTED_RUN && !veh.track.remembering && this.mo.accelExcessZ === 0) {
      veh.trusted = f;
      veh.trustedOdo = veh.odo;
      veh.trustedOdoX = veh.odoX;
      veh.trustedOdoY = veh.odoY;
    }
    // The horizon still holds a lie for a while after it ends: the message is blamed only while
    // its own speed is off the track's on the same side (one-sided normal 5 %), as a lie's is.
    const audit = veh.audit.check(f, veh.odo, veh.odoX, veh.odoY, sg.pos * n.nisScale, sg.speed, sg.heading, veh.trusted === f);
    // and, as for the dead reckoning, two messages in a row: the truth's own speed noise is off on one, a lie's stays off
    const blamed = speedZ * veh.audit.side > LOCAL_Z ? audit : 0;
    if (ready) out[o + S.speed_audit_z] = Math.min(blamed, veh.audit1);
    veh.audit1 = blamed;
  }

  /**
   * The VeReMi position-against-speed check, judged against the learnt noise: the distance
   * from the last trusted fix beyond the distance the reported speeds cover since (the
   * triangle inequality: no path is shorter than the straight line), less the speeds'
   * quantisation, in σ of two fixes' position noise (the tracker's calibrated σ) and of the
   * reported speeds' noise over the interval (taken as fully correlated: a speed bias).
   * Measured from the last trusted fix, so the truth resuming after a lie is judged against
   * where the vehicle truly was, not against the lie.
   */
  private reachZ(veh: Vehicle, f: Fix, sg: Sigmas): number {
    const ref = veh.trusted;
    if (!ref || !(f.ts > ref.ts) || !this.noise.ready) return 0;
    const dt = (f.ts - ref.ts) / 1000;
    const moved = Math.hypot(f.x - ref.x, f.y - ref.y);
    const excess = moved - (veh.odo - veh.trustedOdo) - SPEED_RESOLUTION * dt;
    if (excess <= 0) return 0;
    const sp = sg.pos * this.noise.nisScale;
    return excess / Math.sqrt(2 * sp * sp + (sg.speed * dt) ** 2);
  }

  /** Trapezoid step of the odometers: the mean of the two reported speeds along the mean of the two reported headings. */
  private advanceOdometer(veh: Vehicle, prev: Fix, f: Fix): void {
    const d = ((prev.speed + f.speed) / 2) * ((f.ts - prev.ts) / 1000);
    veh.odo += d;
    const h = (prev.heading + angleDiff(f.heading, prev.heading) / 2) * RAD;
    veh.stepX = d * Math.sin(h);
    veh.stepY = d * Math.cos(h);
    veh.odoX += veh.stepX;
    veh.odoY += veh.stepY;
  }

  /**
   * Dead reckoning: where the reported speeds and headings put the vehicle against where it
   * says it is, a vector (so an offset across the road counts as much as one along it), in σ
   * of two fixes' calibrated position noise, the speeds' noise over the interval and the
   * headings' noise over the distance covered (both taken as a bias, fully correlated), less
   * the speeds' quantisation. From the last trusted fix and from the previous message, the
   * smaller counting: the truth resuming after a lie is judged against where the vehicle
   * truly was, and an identity that lies from its first message (no fix ever trusted) is
   * judged step by step.
   */
  private deadReckoningZ(veh: Vehicle, f: Fix, sg: Sigmas): number {
    if (!this.noise.ready) return 0;
    const prev = veh.prev;
    let z = prev && f.ts > prev.ts ? this.missZ(prev, f, veh.stepX, veh.stepY, Math.hypot(veh.stepX, veh.stepY), sg) : 0;
    const ref = veh.trusted;
    if (ref && f.ts > ref.ts) z = Math.min(z, this.missZ(ref, f, veh.odoX - veh.trustedOdoX, veh.odoY - veh.trustedOdoY, veh.odo - veh.trustedOdo, sg));
    return z;
  }

  /** |f − (ref + dead-reckoned vector)| in σ (see deadReckoningZ); `dist` is the odometer's distance since `ref`. */
  private missZ(ref: Fix, f: Fix, dx: number, dy: number, dist: number, sg: Sigmas): number {
    const dt = (f.ts - ref.ts) / 1000;
    const miss = Math.hypot(f.x - ref.x - dx, f.y - ref.y - dy) - SPEED_RESOLUTION * dt;
    if (miss <= 0) return 0;
    const sp = sg.pos * this.noise.nisScale;
    return miss / Math.sqrt(2 * sp * sp + (sg.speed * dt) ** 2 + (sg.heading * dist) ** 2);
  }

  /** The middle fix's deviation from the line through its neighbours, for the position noise. */
  private foldPosition(a: Fix, b: Fix, c: Fix, used: number, veh: Vehicle): void {
    const span = c.ts - a.ts;
    if (!(b.ts > a.ts && c.ts > b.ts)) return;
    const w0 = (c.ts - b.ts) / span;
    const w2 = (b.ts - a.ts) / span;
    const dx = b.x - (w0 * a.x + w2 * c.x);
    const dy = b.y - (w0 * a.y + w2 * c.y);
    this.noise.foldPosition(dx * dx + dy * dy, 1 + w0 * w0 + w2 * w2, used, veh.own, this.noise.unit(b.rsu), b.posAccuracy);
  }

  private motionChecks(veh: Vehicle, prev: Fix, f: Fix, sg: Sigmas, out: Float32Array, o: number): void {
    const mo = this.mo;
    motion(prev, veh.trusted, f, veh.motion, sg.step, sg.heading, sg.speed, mo);
    if (f.ts > prev.ts) {
      this.noise.foldStep(mo.stepR, veh.own);
      if (f.speed > 0 && prev.speed > 0) this.noise.foldHeadingStep(angleDiff(f.heading, prev.heading) * RAD, veh.own, f.headingAccuracy === undefined ? undefined : f.headingAccuracy * RAD);
    }
    this.noise.foldRepeats(veh.own, veh.motion.speedRun, veh.motion.posRun);
    out[o + S.accel_z] = mo.accelZ;
    out[o + S.accel_excess_z] = mo.accelExcessZ;
    out[o + S.lateral_excess_z] = mo.lateralExcessZ;
    out[o + S.brake_z] = mo.brakeZ;
    out[o + S.stop_z] = veh.motion.stopZ;
    // Exact repeats: with white noise σ a quantised value repeats with probability about
    // resolution / (2 σ √π) per axis (two independent draws), so a run of k has k times its
    // surprise; the runs the deployment's vehicles show (learnt) bound it from above, since a
    // feed that rounds coarsely, or noise correlated in time, repeats honestly.
    const pSpeed = Math.min(1, SPEED_RESOLUTION / (2 * sg.speed * Math.sqrt(Math.PI)));
    const pPos = Math.min(1, (POSITION_RESOLUTION / (2 * sg.pos * Math.sqrt(Math.PI))) ** 2);
    const run = veh.motion;
    const speedS = Math.min(run.speedRun * -Math.log(pSpeed), this.noise.speedRunSurprise(run.speedRun));
    const posS = Math.min(run.posRun * -Math.log(pPos), this.noise.posRunSurprise(run.posRun));
    out[o + S.speed_repeat_s] = Math.log1p(Math.min(SURPRISE_CAP, speedS));
    out[o + S.pos_repeat_s] = Math.log1p(Math.min(SURPRISE_CAP, posS));
  }

  /** Checks that compare with other identities and with the city; run for every message. */
  private writeShared(veh: Vehicle, id: string, f: Fix, sg: Sigmas, out: Float32Array, o: number): void {
    out[o + S.speed] = f.speed;
    out[o + S.speed_excess] = Math.max(0, f.speed - MAX_ROAD_SPEED);
    const lastTs = veh.timing.n > 1 ? veh.timing.times[(veh.timing.n - 2) % veh.timing.times.length]! : -1;
    out[o + S.replay] = this.replays.exact(id, f, lastTs);
    // three σ of the difference of two fixes
    const posTol = 3 * Math.SQRT2 * sg.pos;
    out[o + S.replay_near] = this.replays.near(id, f, posTol);
    const tol = this.tol;
    tol.pos = posTol;
    tol.speed = 3 * Math.SQRT2 * sg.speed + posTol;
    tol.heading = (3 * Math.SQRT2 * sg.heading) / RAD;
    this.sybils.check(veh.sybil, id, f, tol, this.sy);
    out[o + S.colocated] = this.sy.colocated;
    out[o + S.formation_log] = this.sy.formation;
    radio(veh.sybil, f, this.city, this.ra);
    out[o + S.rsu_beyond_z] = Math.log1p(this.ra.beyond / sg.pos);
    out[o + S.rsu_conflict_log] = Math.log1p(this.ra.conflict);
    out[o + S.road_z] = Math.log1p(this.checks.offRoad(f.lat, f.lon) / sg.pos);
    out[o + S.area_out_z] = this.checks.outside(f.lat, f.lon) / sg.pos;
  }
}
