/**
 * A constant-velocity Kalman filter on a local tangent plane (metres east and north).
 * Position noise is isotropic (one variance for both axes, as the GNSS error of a
 * receiver is modelled) and so is the white-acceleration process noise, so both axes share
 * one 2 × 2 covariance [[pp, pv], [pv, vv]] (position, velocity); the state is (x, vx, y, vy).
 * Bar-Shalom, Li and Kirubarajan, "Estimation with Applications to Tracking and
 * Navigation" (2001), §6.3.2 (discretised white-noise acceleration) and §5.4 (NIS).
 */
export class CvKalman {
  x = 0;
  y = 0;
  vx = 0;
  vy = 0;
  /** Position variance per axis, m². */
  pp = 0;
  /** Position–velocity covariance per axis, m²/s. */
  pv = 0;
  /** Velocity variance per axis, m²/s². */
  vv = 0;
  /** Time of the state, ms. */
  ts = -1;

  get started(): boolean {
    return this.ts >= 0;
  }

  /** Starts at a measured position with position variance `r` and the given velocity and its variance. */
  init(ts: number, x: number, y: number, r: number, vx: number, vy: number, vv: number): void {
    this.ts = ts;
    this.x = x;
    this.y = y;
    this.vx = vx;
    this.vy = vy;
    this.pp = r;
    this.pv = 0;
    this.vv = vv;
  }

  /**
   * Moves the state to `ts` (ms) with white-acceleration process noise of spectral density
   * `q` (m²/s³), the continuous model of Bar-Shalom §6.2.2: Q = q [[dt³/3, dt²/2], [dt²/2, dt]].
   */
  predict(ts: number, q: number): void {
    const dt = (ts - this.ts) / 1000;
    if (dt <= 0) return;
    this.x += this.vx * dt;
    this.y += this.vy * dt;
    const { pp, pv, vv } = this;
    this.pp = pp + 2 * pv * dt + vv * dt * dt + (q * dt * dt * dt) / 3;
    this.pv = pv + vv * dt + (q * dt * dt) / 2;
    this.vv = vv + q * dt;
    this.ts = ts;
  }

  /**
   * The normalised innovation squared of a measured position with per-axis variance `r`:
   * νᵀ S⁻¹ ν with S = (pp + r) I, chi-square with 2 degrees of freedom when the model holds.
   */
  nis(mx: number, my: number, r: number): number {
    const dx = mx - this.x;
    const dy = my - this.y;
    return (dx * dx + dy * dy) / (this.pp + r);
  }

  /** Fuses a measured position with per-axis variance `r`. */
  update(mx: number, my: number, r: number): void {
    const s = this.pp + r;
    const kp = this.pp / s;
    const kv = this.pv / s;
    const dx = mx - this.x;
    const dy = my - this.y;
    this.x += kp * dx;
    this.y += kp * dy;
    this.vx += kv * dx;
    this.vy += kv * dy;
    const { pp, pv, vv } = this;
    this.pp = (pp * r) / s;
    this.pv = (pv * r) / s;
    this.vv = vv - (pv * pv) / s;
  }

  get speed(): number {
    return Math.sqrt(this.vx * this.vx + this.vy * this.vy);
  }
}
