/**
 * Robust online noise scales. A scale is learnt so that the median of |residual| / scale
 * equals the median the noise model expects (0.674 for a normal residual, 1.386 for a
 * 2-dof NIS): a median is unmoved by a few per cent of attackers, and the estimate follows
 * a receiver whose noise changes. The first values are kept and their exact median starts
 * the estimate; after that a sign-driven stochastic approximation of the median of the
 * log-residual (Robbins–Monro) keeps it up to date at O(1) per message.
 */

/** Values folded exactly (their median) before the online update takes over. */
const WARM = 31;

export interface ScaleState {
  /** log of the scale. */
  l: number;
  /** Values folded. */
  n: number;
}

export class RobustScale {
  /** The stochastic-approximation iterate of the log scale. */
  l = 0;
  /** Its running (Polyak–Ruppert) average over the estimator's memory: the value used, far less jittery than the iterate. */
  avg = 0;
  n = 0;
  private warm: number[] | undefined = [];

  constructor(
    /** The median of |residual| / scale under the noise model. */
    private readonly target: number,
    /** Smallest step of the online update (the estimate's memory, ~1/step² values). */
    private readonly minStep: number,
    state?: ScaleState,
    /** A restored state counts as at most this many values . @default Infinity */
    priorN = Infinity,
  ) {
    if (state && state.n > 0 && Number.isFinite(state.l)) {
      this.l = this.avg = state.l;
      this.n = Math.max(WARM, Math.min(state.n, priorN));
      this.warm = undefined;
    }
  }

  get value(): number {
    return Math.exp(this.avg);
  }

  get ready(): boolean {
    return this.n >= WARM;
  }

  /** Folds one residual magnitude (≥ 0) in. */
  fold(r: number): void {
    if (!(r >= 0) || !Number.isFinite(r)) return;
    const x = Math.log(Math.max(r, 1e-12) / this.target);
    this.n++;
    if (this.warm) {
      this.warm.push(x);
      const s = this.warm.slice().sort((a, b) => a - b);
      const m = s.length >> 1;
      this.l = this.avg = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      if (this.warm.length >= WARM) this.warm = undefined;
      return;
    }
    const step = Math.max(this.minStep, 1 / Math.sqrt(this.n));
    this.l += x > this.l ? step : x < this.l ? -step : 0;
    const w = Math.max(this.minStep, 1 / (this.n - WARM + 1));
    this.avg += w * (this.l - this.avg);
  }

  /** Folds a residual already divided by this scale (|r| / value). */
  foldRatio(z: number): void {
    this.fold(z * this.value);
  }

  state(): ScaleState {
    return { l: this.avg, n: this.n };
  }
}

/**
 * The scale to use for one source (a vehicle or a roadside unit) given its own estimate and
 * a broader one: the broader alone until the own one has WARM values, then a pooled value
 * shrunk towards the broader one with `prior` pseudo-values (log scales averaged by count).
 */
export function shrunk(own: RobustScale | undefined, broader: number, prior: number): number {
  if (!own || !own.ready || !(broader > 0)) return broader;
  const w = own.n / (own.n + prior);
  return Math.exp(w * own.avg + (1 - w) * Math.log(broader));
}

/**
 * An upper quantile of a positive value, learnt online: the log-quantile moves up by
 * step·p on a value above it and down by step·(1 − p) below (the stochastic approximation
 * of the p quantile). A quantile well below 1 − (share of attackers) is barely moved by them.
 */
export class RobustQuantile {
  l = 0;
  n = 0;
  constructor(
    readonly p: number,
    private readonly minStep: number,
    state?: ScaleState,
    /** A restored state counts as at most this many values. @default Infinity */
    priorN = Infinity,
  ) {
    if (state && state.n > 0 && Number.isFinite(state.l)) {
      this.l = state.l;
      this.n = Math.max(100, Math.min(state.n, priorN));
    }
  }
  get ready(): boolean {
    return this.n >= 100;
  }
  get value(): number {
    return Math.exp(this.l);
  }
  fold(x: number): void {
    if (!(x > 0) || !Number.isFinite(x)) return;
    this.n++;
    if (this.n === 1) {
      this.l = Math.log(x);
      return;
    }
    const step = Math.max(this.minStep, 1 / Math.sqrt(this.n));
    this.l += Math.log(x) > this.l ? step * this.p : -step * (1 - this.p);
  }
  state(): ScaleState {
    return { l: this.l, n: this.n };
  }
}

/** Run-length bins: run ≥ 1, 2, 4, … 1024 messages. */
export const RUN_BINS = 11;

/**
 * How often a run of exactly repeated states reaches each length: for every message, the
 * bins its current run length has reached are counted. The survival S(k) of a run of k is
 * (count + 1) / (n + 2) (Laplace's rule of succession) once one was seen.
 */
export class RunSurvival {
  readonly counts = new Float64Array(RUN_BINS);
  n = 0;

  fold(run: number): void {
    this.n++;
    for (let b = 0; b < RUN_BINS && run >= 1 << b; b++) this.counts[b]!++;
  }

  /**
   * S per bin; 0 for a length never seen (no evidence that honest runs reach it: the
   * physical bound of the caller decides alone, since n messages cannot show a rarity below
   * 1 / n).
   */
  survival(): number[] {
    return Array.from(this.counts, (c) => (c > 0 ? (c + 1) / (this.n + 2) : 0));
  }
}

/** The bin of a run of `run` ≥ 1 messages. */
export function runBin(run: number): number {
  return Math.min(RUN_BINS - 1, 31 - Math.clz32(run));
}
