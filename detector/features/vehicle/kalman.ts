/**
 * A constant-acceleration Kalman filter on a local tangent plane (metres east and north).
 * Position noise is isotropic (one variance for both axes, as a receiver's GNSS error is
 * modelled) and so is the white-jerk process noise, so both axes share one symmetric 3 × 3
 * covariance of (position, velocity, acceleration); the state is (x, vx, ax, y, vy, ay).
 * Constant acceleration rather than constant velocity: under braking or acceleration a
 * constant-velocity track lags the true speed for seconds, and that lag would read as a
 * speed lie. Bar-Shalom, Li and Kirubarajan, "Estimation with Applications to Tracking and
 * Navigation" (2001), §6.2.3 (continuous white-noise jerk model) and §5.4 (NIS).
 */
export class CaKalman {
  x = 0;
  y = 0;
  vx = 0;
  vy = 0;
  ax = 0;
  ay = 0;
  /** Covariance per axis: position (m²), position–velocity, position–acceleration, velocity (m²/s²), velocity–acceleration, acceleration (m²/s⁴). */
  pp = 0;
  pv = 0;
  pa = 0;
  vv = 0;
  va = 0;
  aa = 0;
  /** Time of the state, ms (−1: not started). */
  ts = -1;

  get started(): boolean {
    return this.ts >= 0;
  }

  /** Starts at a measured position with variance `r`, a velocity with variance `vv`, and acceleration 0 with variance `aa`. */
  init(ts: number, x: number, y: number, r: number, vx: number, vy: number, vv: number, aa: number): void {
    this.ts = ts;
    this.x = x;
    this.y = y;
    this.vx = vx;
    this.vy = vy;
    this.ax = this.ay = 0;
    this.pp = r;
    this.vv = vv;
    this.aa = aa;
    this.pv = this.pa = this.va = 0;
  }

  copyFrom(o: CaKalman): void {
    Object.assign(this, { x: o.x, y: o.y, vx: o.vx, vy: o.vy, ax: o.ax, ay: o.ay, pp: o.pp, pv: o.pv, pa: o.pa, vv: o.vv, va: o.va, aa: o.aa, ts: o.ts });
  }

  /**
   * Moves the state to `ts` (ms) with white-jerk process noise of spectral density `q`
   * ((m/s³)² s): Q = q [[dt⁵/20, dt⁴/8, dt³/6], [dt⁴/8, dt³/3, dt²/2], [dt³/6, dt²/2, dt]].
   */
  predict(ts: number, q: number): void {
    const dt = (ts - this.ts) / 1000;
    if (dt <= 0) return;
    const h = (dt * dt) / 2;
    this.x += this.vx * dt + this.ax * h;
    this.y += this.vy * dt + this.ay * h;
    this.vx += this.ax * dt;
    this.vy += this.ay * dt;
    const { pp, pv, pa, vv, va, aa } = this;
    // F P with F = [[1, dt, h], [0, 1, dt], [0, 0, 1]], then (F P) Fᵀ
    const r00 = pp + pv * dt + pa * h;
    const r01 = pv + vv * dt + va * h;
    const r02 = pa + va * dt + aa * h;
    const r11 = vv + va * dt;
    const r12 = va + aa * dt;
    const d2 = dt * dt;
    const d3 = d2 * dt;
    this.pp = r00 + r01 * dt + r02 * h + (q * d3 * d2) / 20;
    this.pv = r01 + r02 * dt + (q * d2 * d2) / 8;
    this.pa = r02 + (q * d3) / 6;
    this.vv = r11 + r12 * dt + (q * d3) / 3;
    this.va = r12 + (q * d2) / 2;
    this.aa = aa + q * dt;
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
    const { pp, pv, pa, vv, va, aa } = this;
    const s = pp + r;
    const dx = mx - this.x;
    const dy = my - this.y;
    const kp = pp / s;
    const kv = pv / s;
    const ka = pa / s;
    this.x += kp * dx;
    this.y += kp * dy;
    this.vx += kv * dx;
    this.vy += kv * dy;
    this.ax += ka * dx;
    this.ay += ka * dy;
    this.pp = pp - pp * kp;
    this.pv = pv - pp * kv;
    this.pa = pa - pp * ka;
    this.vv = vv - pv * kv;
    this.va = va - pv * ka;
    this.aa = aa - pa * ka;
  }

  get speed(): number {
    return Math.sqrt(this.vx * this.vx + this.vy * this.vy);
  }
}
