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
  /** log of the scale (meaningless while n is 0). */
  l = 0;
  n = 0;
  private warm: number[] | undefined = [];

  constructor(
    /** The median of |residual| / scale under the noise model. */
    private readonly target: number,
    /** Smallest step of the online update (the estimate's memory, ~1/step² values). */
    private readonly minStep: number,
    state?: ScaleState,
  ) {
    if (state && state.n > 0 && Number.isFinite(state.l)) {
      this.l = state.l;
      this.n = state.n;
      this.warm = undefined;
    }
  }

  get value(): number {
    return Math.exp(this.l);
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
      this.l = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
      if (this.warm.length >= WARM) this.warm = undefined;
      return;
    }
    const step = Math.max(this.minStep, 2 / Math.sqrt(this.n));
    this.l += x > this.l ? step : x < this.l ? -step : 0;
  }

  /** Folds a residual already divided by this scale (|r| / value). */
  foldRatio(z: number): void {
    this.fold(z * this.value);
  }

  state(): ScaleState {
    return { l: this.l, n: this.n };
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
  return Math.exp(w * own.l + (1 - w) * Math.log(broader));
}

/**
 * A share learnt from counts with a uniform prior (Laplace's rule of succession), e.g. how
 * often an honest vehicle repeats its last speed exactly.
 */
export class Share {
  hits = 0;
  n = 0;
  constructor(state?: { hits: number; n: number }) {
    if (state && state.n >= 0 && state.hits >= 0 && state.hits <= state.n) {
      this.hits = state.hits;
      this.n = state.n;
    }
  }
  fold(hit: boolean): void {
    this.n++;
    if (hit) this.hits++;
  }
  /** (hits + 1) / (n + 2). */
  get p(): number {
    return (this.hits + 1) / (this.n + 2);
  }
  state(): { hits: number; n: number } {
    return { hits: this.hits, n: this.n };
  }
}
