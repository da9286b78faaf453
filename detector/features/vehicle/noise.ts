/**
 * The noise of the deployment's feeds, learnt from its own unlabelled traffic: position
 * (per vehicle, per roadside unit, fleet), reported speed and heading, speed steps, the
 * honesty of stated accuracies, message intervals and how often honest states repeat.
 * `vigil train` stores the fleet and per-unit values in the model bundle; detection starts
 * from them and keeps every estimate up to date online (the same estimators).
 */
import { CHI2_2_MEDIAN, GATE_NIS, GATE_Z, HALF_NORMAL_MEDIAN, OWN_GATE_FACTOR, HEADING_RESOLUTION, POSITION_RESOLUTION, SPEED_RESOLUTION } from './bounds.js';
import { RobustScale, Share, shrunk, type ScaleState } from './scale.js';

/** Memory of the fleet-wide estimates (≈ 1 / step² values): slow, so no burst of attacks moves them far. */
const FLEET_STEP = 0.003;
/** Memory of a roadside unit's and a vehicle's own estimates: a few hundred messages. */
const OWN_STEP = 0.03;
/** Pseudo-count of the broader estimate when a vehicle's or unit's own one is shrunk towards it. */
const PRIOR_N = 100;

/** What `vigil train` learns about the vehicle feeds (JSON in the model bundle, `features.vehicle`). */
export interface VehicleLearnt {
  version: 1;
  /** Position noise, m (1 σ per axis): fleet, and per roadside unit. */
  pos: ScaleState;
  rsu: Record<string, ScaleState>;
  /** Factor by which stated position accuracies are to be multiplied to be honest. */
  posAccFactor: ScaleState;
  headingAccFactor: ScaleState;
  /** Reported speed noise, m/s; reported heading noise, rad. */
  speed: ScaleState;
  heading: ScaleState;
  /** Speed step noise (speed change against the reported acceleration), m/s. */
  step: ScaleState;
  /** Scale of the smoothed speed residual. */
  drift: ScaleState;
  /** Message interval, s (median). */
  interval: ScaleState;
  /** How often an honest moving vehicle repeats its previous speed / position exactly (median over vehicles). */
  speedRepeat: number;
  posRepeat: number;
}

/** A vehicle's own noise estimates. */
export class OwnNoise {
  pos = new RobustScale(1, OWN_STEP);
  speed = new RobustScale(1, OWN_STEP);
  heading = new RobustScale(1, OWN_STEP);
  step = new RobustScale(1, OWN_STEP);
  interval = new RobustScale(1, OWN_STEP);
  speedRepeat = new Share();
  posRepeat = new Share();
}

export class NoiseModel {
  pos: RobustScale;
  readonly rsu = new Map<string, RobustScale>();
  posAccFactor: RobustScale;
  headingAccFactor: RobustScale;
  speed: RobustScale;
  heading: RobustScale;
  step: RobustScale;
  drift: RobustScale;
  interval: RobustScale;
  /** Learnt repeat shares (fixed from training), or undefined: use the running ones. */
  private speedRepeatLearnt: number | undefined;
  private posRepeatLearnt: number | undefined;
  private readonly speedRepeatAll = new Share();
  private readonly posRepeatAll = new Share();

  constructor(learnt?: VehicleLearnt) {
    this.pos = new RobustScale(1, FLEET_STEP, learnt?.pos);
    this.posAccFactor = new RobustScale(1, FLEET_STEP, learnt?.posAccFactor);
    this.headingAccFactor = new RobustScale(1, FLEET_STEP, learnt?.headingAccFactor);
    this.speed = new RobustScale(1, FLEET_STEP, learnt?.speed);
    this.heading = new RobustScale(1, FLEET_STEP, learnt?.heading);
    this.step = new RobustScale(1, FLEET_STEP, learnt?.step);
    this.drift = new RobustScale(1, FLEET_STEP, learnt?.drift);
    this.interval = new RobustScale(1, FLEET_STEP, learnt?.interval);
    for (const [k, s] of Object.entries(learnt?.rsu ?? {})) this.rsu.set(k, new RobustScale(1, OWN_STEP, s));
    this.speedRepeatLearnt = learnt?.speedRepeat;
    this.posRepeatLearnt = learnt?.posRepeat;
  }

  /** Whether the fleet position noise is known yet (the checks that divide by it read 0 until then). */
  get ready(): boolean {
    return this.pos.ready;
  }

  unit(rsu: string): RobustScale | undefined {
    if (rsu === '') return undefined;
    let s = this.rsu.get(rsu);
    if (!s) this.rsu.set(rsu, (s = new RobustScale(1, OWN_STEP)));
    return s;
  }

  /** Position noise σ (m per axis) of a message without a stated accuracy: its vehicle's, else its unit's, else the fleet's. */
  posSigma(own: OwnNoise, rsu: RobustScale | undefined): number {
    const unit = shrunk(rsu, this.pos.value, PRIOR_N);
    return Math.max(POSITION_RESOLUTION, shrunk(own.pos, unit, PRIOR_N));
  }

  speedSigma(own: OwnNoise): number {
    return Math.max(SPEED_RESOLUTION / Math.sqrt(12), shrunk(own.speed, this.speed.value, PRIOR_N));
  }

  headingSigma(own: OwnNoise): number {
    return Math.max(HEADING_RESOLUTION / Math.sqrt(12), shrunk(own.heading, this.heading.value, PRIOR_N));
  }

  stepSigma(own: OwnNoise): number {
    return Math.max(SPEED_RESOLUTION / Math.sqrt(6), shrunk(own.step, this.step.value, PRIOR_N));
  }

  intervalS(own: OwnNoise): number {
    return shrunk(own.interval, this.interval.ready ? this.interval.value : 0.1, 10);
  }

  /**
   * Folds one position innovation (squared distance d2 from the prediction whose per-axis
   * variance is pp) into each level: each level's σ moves so that the median NIS it implies
   * is the chi-square median. A level learns only from innovations within its loose gate
   * (OWN_GATE_FACTOR × its σ), except while it warms up.
   */
  foldPosition(d2: number, pp: number, own: OwnNoise, rsu: RobustScale | undefined, stated: number | undefined): void {
    const fold = (s: RobustScale, sigma: number) => {
      const loose = OWN_GATE_FACTOR * sigma;
      if (s.ready && d2 / (pp + loose * loose) > GATE_NIS) return;
      s.foldRatio(Math.sqrt(d2 / (pp + sigma * sigma) / CHI2_2_MEDIAN));
    };
    if (stated !== undefined) {
      fold(this.posAccFactor, stated * this.posAccFactor.value);
      return;
    }
    fold(this.pos, this.pos.value);
    if (rsu) fold(rsu, rsu.value);
    fold(own.pos, own.pos.value);
  }

  /** Folds a speed residual r (m/s) whose model variance apart from the speed noise is v. */
  foldSpeed(r: number, v: number, own: OwnNoise): void {
    foldZ(this.speed, r, v);
    foldZ(own.speed, r, v);
  }

  foldHeading(r: number, v: number, own: OwnNoise, stated: number | undefined): void {
    if (stated !== undefined) {
      const s = this.headingAccFactor;
      const sigma = stated * s.value;
      const loose = OWN_GATE_FACTOR * sigma;
      if (!s.ready || Math.abs(r) / Math.sqrt(v + loose * loose) <= GATE_Z) s.foldRatio(Math.abs(r) / Math.sqrt(v + sigma * sigma) / HALF_NORMAL_MEDIAN);
      return;
    }
    foldZ(this.heading, r, v);
    foldZ(own.heading, r, v);
  }

  /** Folds a speed step against the reported acceleration (m/s). */
  foldStep(r: number, own: OwnNoise): void {
    foldZ(this.step, r, 0);
    foldZ(own.step, r, 0);
  }

  /** Folds a smoothed speed z into the fleet's scale of it. */
  foldDrift(e: number): void {
    foldZ(this.drift, e, 0);
  }

  /** Folds an interval between two in-order messages, s. */
  foldInterval(dt: number, own: OwnNoise): void {
    if (!(dt > 0)) return;
    this.interval.fold(dt);
    own.interval.fold(dt);
  }

  foldRepeats(own: OwnNoise, speedSame: boolean, posSame: boolean): void {
    own.speedRepeat.fold(speedSame);
    own.posRepeat.fold(posSame);
    this.speedRepeatAll.fold(speedSame);
    this.posRepeatAll.fold(posSame);
  }

  speedRepeatP(): number {
    return this.speedRepeatLearnt ?? this.speedRepeatAll.p;
  }

  posRepeatP(): number {
    return this.posRepeatLearnt ?? this.posRepeatAll.p;
  }

  /**
   * The learnt state. Repeat shares are the median over vehicles with enough messages of
   * each vehicle's own share (a few per cent of vehicles holding a forged speed or position
   * do not move a median), else the pooled share.
   */
  learnt(vehicles: Iterable<OwnNoise>): VehicleLearnt {
    const sp: number[] = [];
    const po: number[] = [];
    for (const o of vehicles) {
      if (o.speedRepeat.n >= 30) sp.push(o.speedRepeat.p);
      if (o.posRepeat.n >= 30) po.push(o.posRepeat.p);
    }
    const rsu: Record<string, ScaleState> = {};
    for (const [k, s] of [...this.rsu].sort(([a], [b]) => a.localeCompare(b))) if (s.ready) rsu[k] = s.state();
    return {
      version: 1,
      pos: this.pos.state(),
      rsu,
      posAccFactor: this.posAccFactor.state(),
      headingAccFactor: this.headingAccFactor.state(),
      speed: this.speed.state(),
      heading: this.heading.state(),
      step: this.step.state(),
      drift: this.drift.state(),
      interval: this.interval.state(),
      speedRepeat: sp.length >= 5 ? median(sp) : this.speedRepeatP(),
      posRepeat: po.length >= 5 ? median(po) : this.posRepeatP(),
    };
  }
}

/**
 * Folds a residual r with model variance v (besides the scale learnt) into `s`, within the
 * loose gate. `target` is the median |r| / σ the scale is defined by (1 when the scale is the
 * median itself).
 */
function foldZ(s: RobustScale, r: number, v: number, target = HALF_NORMAL_MEDIAN): void {
  const sigma = s.value;
  const loose = OWN_GATE_FACTOR * sigma;
  if (s.ready && Math.abs(r) / Math.sqrt(v + loose * loose) > GATE_Z) return;
  s.foldRatio(Math.abs(r) / Math.sqrt(v + sigma * sigma) / target);
}

function median(xs: number[]): number {
  const s = xs.slice().sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Reads a learnt state from a model bundle defensively (the bundle is a file); undefined when absent or malformed. */
export function parseLearnt(raw: unknown): VehicleLearnt | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const o = raw as Record<string, unknown>;
  if (o.version !== 1) return undefined;
  const scales = ['pos', 'posAccFactor', 'headingAccFactor', 'speed', 'heading', 'step', 'drift', 'interval'] as const;
  for (const k of scales) if (!isScale(o[k])) return undefined;
  if (typeof o.rsu !== 'object' || o.rsu === null || !Object.values(o.rsu).every(isScale)) return undefined;
  if (!isShare(o.speedRepeat) || !isShare(o.posRepeat)) return undefined;
  return o as unknown as VehicleLearnt;
}

const isScale = (s: unknown): s is ScaleState => typeof s === 'object' && s !== null && Number.isFinite((s as ScaleState).l) && Number.isInteger((s as ScaleState).n) && (s as ScaleState).n >= 0;
const isShare = (p: unknown): p is number => typeof p === 'number' && p > 0 && p < 1;
