/**
 * The noise of the deployment's feeds, learnt from its own unlabelled traffic: position
 * (per vehicle, per roadside unit, fleet), reported speed and heading, speed steps, the
 * honesty of stated accuracies, message intervals and how often honest states repeat.
 * `vigil train` stores the fleet and per-unit values in the model bundle; detection starts
 * from them and keeps every estimate up to date online (the same estimators).
 */
import { chi2Quantile2, CHI2_2_MEDIAN, GATE_NIS, HALF_NORMAL_MEDIAN, OWN_GATE_FACTOR, HEADING_RESOLUTION, POSITION_RESOLUTION, SPEED_RESOLUTION } from './bounds.js';
import { RobustQuantile, RobustScale, runBin, RunSurvival, RUN_BINS, shrunk, type ScaleState } from './scale.js';

/** Memory of the fleet-wide estimates (≈ 1 / step² values): slow, so no burst of attacks moves them far. */
const FLEET_STEP = 0.002;
/** Memory of a roadside unit's and a vehicle's own estimates: a few hundred messages. */
const OWN_STEP = 0.01;
/** Pseudo-count of the broader estimate when a vehicle's or unit's own one is shrunk towards it. */
const PRIOR_N = 200;
/**
 * What a learnt state from a model bundle counts for when detection starts: as many values as
 * the prior a vehicle's own estimate is shrunk with. The bundle was trained on another
 * stretch of traffic, often another city (its receivers, and its unit names: `RSU-04` there is
 * not `RSU-04` here), so the deployment's own traffic must take over within a few hundred
 * messages rather than after as many as training saw; the online step is 1/√n until the
 * estimator's memory floor.
 */
const LOADED_N = PRIOR_N;

/** What `vigil train` learns about the vehicle feeds (JSON in the model bundle, `features.vehicle`). */
export interface VehicleLearnt {
  version: 1;
  /** Position noise, m (1 σ per axis): fleet, and per roadside unit. */
  pos: ScaleState;
  rsu: Record<string, ScaleState>;
  /** Factor by which stated position accuracies are to be multiplied to be honest. */
  posAccFactor: ScaleState;
  headingAccFactor: ScaleState;
  /** Noise of a speed step (the change between two messages against the reported acceleration), m/s: √2 × the speed noise. */
  step: ScaleState;
  /** Noise of a heading step, rad: √2 × the heading noise. */
  hstep: ScaleState;
  /** Scale of the smoothed speed residual. */
  drift: ScaleState;
  /**
   * Factor on the position σ that makes the tracker's median NIS the chi-square median:
   * noise correlated in time (GNSS errors are, over seconds) hides from second differences
   * but not from a track.
   */
  nisFactor: ScaleState;
  /** The 0.9 quantile of the tracker's NIS (a few per cent of attackers barely move it). */
  nisQ90: ScaleState;
  /** Message interval, s (median). */
  interval: ScaleState;
  /** Survival of runs of exactly repeated speed / position by length bin (median over vehicles). */
  speedRuns: number[];
  posRuns: number[];
}

/** A vehicle's own noise estimates. */
export class OwnNoise {
  pos = new RobustScale(1, OWN_STEP);
  step = new RobustScale(1, OWN_STEP);
  hstep = new RobustScale(1, OWN_STEP);
  interval = new RobustScale(1, OWN_STEP);
  speedRuns = new RunSurvival();
  posRuns = new RunSurvival();
}

export class NoiseModel {
  pos: RobustScale;
  readonly rsu = new Map<string, RobustScale>();
  posAccFactor: RobustScale;
  headingAccFactor: RobustScale;
  step: RobustScale;
  hstep: RobustScale;
  drift: RobustScale;
  nisFactor: RobustScale;
  nisQ90: RobustQuantile;
  interval: RobustScale;
  /** Learnt run survivals (fixed from training), or undefined: the running pooled ones. */
  private speedRunsLearnt: number[] | undefined;
  private posRunsLearnt: number[] | undefined;
  private readonly speedRunsAll = new RunSurvival();
  private readonly posRunsAll = new RunSurvival();

  constructor(learnt?: VehicleLearnt) {
    this.pos = new RobustScale(1, FLEET_STEP, learnt?.pos, LOADED_N);
    this.posAccFactor = new RobustScale(1, FLEET_STEP, learnt?.posAccFactor, LOADED_N);
    this.headingAccFactor = new RobustScale(1, FLEET_STEP, learnt?.headingAccFactor, LOADED_N);
    this.hstep = new RobustScale(1, FLEET_STEP, learnt?.hstep, LOADED_N);
    this.step = new RobustScale(1, FLEET_STEP, learnt?.step, LOADED_N);
    this.drift = new RobustScale(1, FLEET_STEP, learnt?.drift, LOADED_N);
    this.nisFactor = new RobustScale(1, FLEET_STEP, learnt?.nisFactor, LOADED_N);
    this.nisQ90 = new RobustQuantile(0.9, FLEET_STEP, learnt?.nisQ90, LOADED_N);
    this.interval = new RobustScale(1, FLEET_STEP, learnt?.interval, LOADED_N);
    for (const [k, s] of Object.entries(learnt?.rsu ?? {})) this.rsu.set(k, new RobustScale(1, OWN_STEP, s, LOADED_N));
    this.speedRunsLearnt = learnt?.speedRuns;
    this.posRunsLearnt = learnt?.posRuns;
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
    // (before the fleet's estimate is warm, a vague metre: the checks read 0 until it is)
    const unit = bounded(shrunk(rsu, this.pos.ready ? this.pos.value : 1, PRIOR_N), this.pos.value);
    return Math.max(POSITION_RESOLUTION, bounded(shrunk(own.pos, unit, PRIOR_N), unit));
  }

  /** Noise of one reported speed, m/s (a speed step's over √2). */
  speedSigma(own: OwnNoise): number {
    return this.stepSigma(own) / Math.SQRT2;
  }

  /** Noise of one reported heading, rad. */
  headingSigma(own: OwnNoise): number {
    const step = this.hstep.ready ? shrunk(own.hstep, this.hstep.value, PRIOR_N) : 0;
    return Math.max(HEADING_RESOLUTION / Math.sqrt(12), step / Math.SQRT2);
  }

  /** Noise of a speed step, m/s. */
  stepSigma(own: OwnNoise): number {
    const step = this.step.ready ? shrunk(own.step, this.step.value, PRIOR_N) : 0;
    return Math.max(SPEED_RESOLUTION / Math.sqrt(6), step);
  }

  intervalS(own: OwnNoise): number {
    return shrunk(own.interval, this.interval.ready ? this.interval.value : 0.1, 10);
  }

  /**
   * Folds the deviation of a position from the line through its neighbours (squared, m²;
   * `k` its variance in units of σ² per axis: 1 + w0² + w2² for interpolation weights w).
   * Model-free: it needs neither the track nor the σ it replaces, and vehicles move nearly
   * linearly over three messages (3 m/s² over 0.1 s bends the line by 1.5 cm). The median
   * of d2 / (k σ²) is the chi-square (2 dof) median. A vehicle's and a unit's own estimates
   * learn only from deviations within the loose gate about the σ the message was judged
   * with (a forged position teaches them nothing); the fleet's median needs no gate.
   */
  foldPosition(d2: number, k: number, used: number, own: OwnNoise, rsu: RobustScale | undefined, stated: number | undefined): void {
    // a position repeated exactly is a frozen one (the repeat checks' question), not noise
    if (d2 === 0) return;
    const sigma = Math.sqrt(d2 / (k * CHI2_2_MEDIAN));
    if (stated !== undefined) {
      this.posAccFactor.fold(sigma / stated);
      return;
    }
    this.pos.fold(sigma);
    const loose = OWN_GATE_FACTOR * used;
    if (this.pos.ready && d2 > GATE_NIS * k * loose * loose) return;
    rsu?.fold(sigma);
    own.pos.fold(sigma);
  }

  /**
   * Folds the heading change between two messages (rad). Its median over the fleet is the
   * noise of a heading difference (√2 σ): vehicles drive straight far more often than they
   * turn, and a median ignores the turns.
   */
  foldHeadingStep(dh: number, own: OwnNoise, stated: number | undefined): void {
    if (stated !== undefined) {
      this.headingAccFactor.fold(Math.abs(dh) / (Math.SQRT2 * stated * HALF_NORMAL_MEDIAN));
      return;
    }
    this.hstep.fold(Math.abs(dh) / HALF_NORMAL_MEDIAN);
    own.hstep.fold(Math.abs(dh) / HALF_NORMAL_MEDIAN);
  }

  /** Folds a speed step against the reported acceleration (m/s). */
  foldStep(r: number, own: OwnNoise): void {
    this.step.fold(Math.abs(r) / HALF_NORMAL_MEDIAN);
    own.step.fold(Math.abs(r) / HALF_NORMAL_MEDIAN);
  }

  /** The NIS factor in use (1 until warm). */
  get nisScale(): number {
    // within the loose gate's factor of 1: second differences are a fair first estimate
    return this.nisFactor.ready ? Math.min(OWN_GATE_FACTOR, Math.max(1 / OWN_GATE_FACTOR, this.nisFactor.value)) : 1;
  }

  /**
   * How much heavier than chi-square the honest NIS tail is: the learnt 0.9 quantile over
   * chi-square's (−2 ln 0.1 = 4.61), at least 1. NIS divided by it keeps an exponential
   * tail's rarity (P(NIS > x) = exp(−x / 2τ)), so the statistical gates and rules hold for
   * receivers whose errors are correlated in time or whose vehicles manoeuvre more.
   */
  get nisTail(): number {
    return this.nisQ90.ready ? Math.max(1, this.nisQ90.value / chi2Quantile2(0.1)) : 1;
  }

  /** Folds a settled track's NIS (computed with the factor in use). */
  foldNis(nis: number): void {
    this.nisQ90.fold(nis);
    if (this.nisFactor.ready && nis > GATE_NIS * this.nisTail * OWN_GATE_FACTOR * OWN_GATE_FACTOR) return;
    this.nisFactor.foldRatio(Math.sqrt(nis / CHI2_2_MEDIAN));
  }

  /** Folds a smoothed speed z into the fleet's scale of it. */
  foldDrift(e: number): void {
    this.drift.fold(Math.abs(e) / HALF_NORMAL_MEDIAN);
  }

  /** Folds an interval between two in-order messages, s. */
  foldInterval(dt: number, own: OwnNoise): void {
    if (!(dt > 0)) return;
    this.interval.fold(dt);
    own.interval.fold(dt);
  }

  foldRepeats(own: OwnNoise, speedRun: number, posRun: number): void {
    own.speedRuns.fold(speedRun);
    own.posRuns.fold(posRun);
    this.speedRunsAll.fold(speedRun);
    this.posRunsAll.fold(posRun);
  }

  /**
   * Re-derives the run survivals from the vehicles seen so far (the median over vehicles,
   * as in `learnt`), when there are enough of them: the online update of what training learnt.
   */
  refreshRuns(vehicles: Iterable<OwnNoise>): void {
    const l = this.learnt(vehicles);
    this.speedRunsLearnt = l.speedRuns;
    this.posRunsLearnt = l.posRuns;
  }

  /** −ln of how often honest runs of exactly repeated speed reach `run` (0 for no run). */
  speedRunSurprise(run: number): number {
    return run < 1 ? 0 : -Math.log((this.speedRunsLearnt ?? this.speedRunsAll.survival())[runBin(run)]!); // Infinity: never seen
  }

  posRunSurprise(run: number): number {
    return run < 1 ? 0 : -Math.log((this.posRunsLearnt ?? this.posRunsAll.survival())[runBin(run)]!);
  }

  /**
   * The learnt state. Run survivals are, per length, the median over vehicles with enough
   * messages of each vehicle's own (a few per cent of vehicles holding a forged speed or
   * position do not move a median), floored by the pooled rule of succession.
   */
  learnt(vehicles: Iterable<OwnNoise>): VehicleLearnt {
    const sp: number[][] = [];
    const po: number[][] = [];
    for (const o of vehicles) {
      if (o.speedRuns.n >= 30) sp.push(o.speedRuns.survival());
      if (o.posRuns.n >= 30) po.push(o.posRuns.survival());
    }
    const rsu: Record<string, ScaleState> = {};
    for (const [k, s] of [...this.rsu].sort(([a], [b]) => a.localeCompare(b))) if (s.ready) rsu[k] = s.state();
    return {
      version: 1,
      pos: this.pos.state(),
      rsu,
      posAccFactor: this.posAccFactor.state(),
      headingAccFactor: this.headingAccFactor.state(),
      step: this.step.state(),
      hstep: this.hstep.state(),
      drift: this.drift.state(),
      nisFactor: this.nisFactor.state(),
      nisQ90: this.nisQ90.state(),
      interval: this.interval.state(),
      speedRuns: sp.length < 5 && this.speedRunsLearnt ? this.speedRunsLearnt : medianSurvival(sp, this.speedRunsAll),
      posRuns: po.length < 5 && this.posRunsLearnt ? this.posRunsLearnt : medianSurvival(po, this.posRunsAll),
    };
  }
}

/**
 * A vehicle's or unit's own σ kept within a factor OWN_GATE_FACTOR² of the broader one: the
 * loose gate lets an estimate move by OWN_GATE_FACTOR per step of evidence, and no single
 * source is believed to be more than that many steps away from its peers.
 */
function bounded(own: number, broader: number): number {
  const f = OWN_GATE_FACTOR * OWN_GATE_FACTOR;
  return Math.min(broader * f, Math.max(broader / f, own));
}

function medianSurvival(perVehicle: number[][], pooled: RunSurvival): number[] {
  if (perVehicle.length < 5) return pooled.survival();
  return Array.from({ length: RUN_BINS }, (_, b) => median(perVehicle.map((s) => s[b]!)));
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
  const scales = ['pos', 'posAccFactor', 'headingAccFactor', 'step', 'hstep', 'drift', 'nisFactor', 'nisQ90', 'interval'] as const;
  for (const k of scales) if (!isScale(o[k])) return undefined;
  if (typeof o.rsu !== 'object' || o.rsu === null || !Object.values(o.rsu).every(isScale)) return undefined;
  if (!isSurvival(o.speedRuns) || !isSurvival(o.posRuns)) return undefined;
  return o as unknown as VehicleLearnt;
}

const isScale = (s: unknown): s is ScaleState => typeof s === 'object' && s !== null && Number.isFinite((s as ScaleState).l) && Number.isInteger((s as ScaleState).n) && (s as ScaleState).n >= 0;
const isSurvival = (p: unknown): p is number[] => Array.isArray(p) && p.length === RUN_BINS && p.every((x) => typeof x === 'number' && x >= 0 && x <= 1);
