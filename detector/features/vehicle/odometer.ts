/**
 * Speeds against positions over a horizon (`speed_audit_z`): a lie about speed alone
 * (VeReMi's constant speed offset, random speed, feigned braking) leaves the positions true,
 * so every fix stays trusted and the checks measured from the last trusted fix (reach,
 * dead reckoning) only ever span one interval, where the position noise hides a speed offset
 * of metres per second. Over t seconds the offset b shows as b·t metres between where the
 * positions went and where the reported speeds carried the vehicle, while the noise of two
 * fixes stays fixed and the speeds' own noise (taken as a bias) grows as σ_speed·t.
 *
 * The horizon is where those two noises are equal, t* = √2 σ_pos / σ_speed (beyond it a lie
 * gains little), from the trusted fixes kept at least ANCHOR_SPACING_MS apart. Two
 * directions:
 * - speeds too low: the straight distance between the fixes beyond the distance the reported
 *   speeds cover (no path is shorter than the straight line, so this holds on any road);
 * - speeds too high: the reported speeds' vector odometer (along the reported headings) beyond
 *   the fixes' displacement along it; a heading error e loses only |O|(1 − cos e) ≈ |O| e² / 2
 *   along the way, which the σ carries as a bias of σ_heading² |O|.
 * Returns the larger of the two in σ, 0 without an anchor at least MIN_HORIZON_S old.
 */
import { MAX_ACCEL, SPEED_RESOLUTION } from './bounds.js';
import type { Fix } from './fix.js';

/** Anchors kept per vehicle (ring). With ANCHOR_SPACING_MS they cover ≥ 16 s. */
const RING = 32;
/** Least time between two anchors, ms. */
const ANCHOR_SPACING_MS = 500;
/** Shortest horizon, s: below a second the check is the one-interval dead reckoning again. */
const MIN_HORIZON_S = 1;
/** Fields per anchor: ts, x, y, scalar odometer, odometer east, odometer north, interpolation variance. */
const W = 7;

export class SpeedAudit {
  private readonly a = new Float64Array(RING * W);
  private n = 0;
  private lastTs = Number.NaN;
  /**
   * Sum over the steps of (MAX_ACCEL · dt² / 4)², m²: the odometers interpolate each step
   * linearly between two reported speeds (and headings), and with acceleration bounded by
   * friction the true path strays from that by at most A·dt²/4 in a step (accelerating at A
   * to the middle and braking at A after it). Taken as independent between steps; a gap in
   * the stream makes it large, so the odometer across a gap (where the vehicle may have
   * turned or stopped unseen) claims nothing.
   */
  private interp = 0;
  /** Of the last check: +1 when the reported speeds carried the vehicle too far, −1 too short, 0 neither. */
  side = 0;

  /**
   * z of the speeds against the positions from the anchor about the horizon ago to `f`.
   * `odo`, `odoX`, `odoY`: the vehicle's odometers at `f` (index.ts); `sp` the calibrated
   * position σ of one fix (m), `ss` the speed σ (m/s), `sh` the heading σ (rad). When `trusted`,
   * `f` becomes an anchor afterwards (an untrusted fix may be a position lie: measured from it,
   * the truth resuming would look like a speed lie).
   */
  check(f: Fix, odo: number, odoX: number, odoY: number, sp: number, ss: number, sh: number, trusted: boolean): number {
    if (f.ts > this.lastTs) this.interp += (MAX_ACCEL * ((f.ts - this.lastTs) / 1000) ** 2 / 4) ** 2;
    if (!(f.ts <= this.lastTs)) this.lastTs = f.ts;
    const z = this.z(f, odo, odoX, odoY, sp, ss, sh);
    if (trusted) this.push(f, odo, odoX, odoY);
    return z;
  }

  private z(f: Fix, odo: number, odoX: number, odoY: number, sp: number, ss: number, sh: number): number {
    this.side = 0;
    const n = Math.min(this.n, RING);
    if (n === 0) return 0;
    const horizon = Math.max(MIN_HORIZON_S, (Math.SQRT2 * sp) / Math.max(ss, SPEED_RESOLUTION));
    // the newest anchor at least the horizon old, else the oldest one kept
    let k = -1;
    for (let j = 0; j < n; j++) {
      const i = ((this.n - 1 - j) % RING) * W;
      k = i;
      if (f.ts - this.a[i]! >= horizon * 1000) break;
    }
    const a = this.a;
    const dt = (f.ts - a[k]!) / 1000;
    if (!(dt >= MIN_HORIZON_S)) return 0;
    const dx = f.x - a[k + 1]!;
    const dy = f.y - a[k + 2]!;
    const dist = odo - a[k + 3]!;
    const ox = odoX - a[k + 4]!;
    const oy = odoY - a[k + 5]!;
    const q = SPEED_RESOLUTION * dt;
    const base = 2 * sp * sp + (ss * dt) ** 2 + (this.interp - a[k + 6]!);
    const under = Math.hypot(dx, dy) - dist - q;
    let z = under > 0 ? under / Math.sqrt(base) : 0;
    if (z > 0) this.side = -1;
    const o = Math.hypot(ox, oy);
    if (o > 0) {
      const over = o - (dx * ox + dy * oy) / o - q;
      const zo = over > 0 ? over / Math.sqrt(base + (sh * sh * o) ** 2) : 0;
      if (zo > z) {
        z = zo;
        this.side = 1;
      }
    }
    return z;
  }

  private push(f: Fix, odo: number, odoX: number, odoY: number): void {
    if (this.n > 0 && f.ts - this.a[((this.n - 1) % RING) * W]! < ANCHOR_SPACING_MS) return;
    const i = (this.n % RING) * W;
    this.a[i] = f.ts;
    this.a[i + 1] = f.x;
    this.a[i + 2] = f.y;
    this.a[i + 3] = odo;
    this.a[i + 4] = odoX;
    this.a[i + 5] = odoY;
    this.a[i + 6] = this.interp;
    this.n++;
  }
}
