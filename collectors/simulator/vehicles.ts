/**
 * Vehicle motion on the street graph: a point mass that follows road centre-line
 * polylines, rounds every corner on a circular arc (a 12 m fillet at a real turn, a wide
 * one where a curved road bends gently), and controls its speed with bounded acceleration
 * and braking, looking far enough ahead to slow for every bend and stop in time. These
 * bounds are what a detector's physics features assume of an honest vehicle, so they are
 * exported and tested.
 */
import type { Road, RoadNetwork } from './network.js';
import type { Random } from '../../events/index.js';

/** Physics step, milliseconds. BSM send times are multiples of it. */
export const TICK_MS = 100;
const DT = TICK_MS / 1000;

/** Bounds an honest vehicle keeps (m/s², m/s², metres, m/s, degrees per second). */
export const VEHICLE_LIMITS = {
  maxAccel: 3,
  maxBraking: 8,
  /** Corner radius at a real turn, metres. */
  turnRadius: 12,
  /** Highest speed through a 12 m corner, m/s (lateral acceleration ≤ 3 m/s² on the arc). */
  turnSpeed: 6,
  /** turnSpeed / turnRadius, in degrees per second (≈ 28.6): no arc is driven faster. */
  maxTurnRate: (6 / 12) * (180 / Math.PI),
  /** Highest lateral acceleration on any arc, m/s². */
  maxLateral: 3,
} as const;

/** Comfortable planned braking, m/s²; the hard limit is only approached when stopping. */
const COMFORT_BRAKING = 2.5;
/**
 * Speeds aimed at stay a little under the limits: the controller works in 100 ms steps, so
 * it may arrive at a junction or a turn up to ~0.25 m/s above the speed it planned for.
 */
const TARGET_MARGIN = 0.95;
/** Below this deviation a vertex is a gentle bend, rounded as widely as the road allows. */
const GENTLE_RAD = (30 * Math.PI) / 180;
/** Above this deviation an exit is a U-turn, taken only at a dead end. */
const U_TURN_RAD = (150 * Math.PI) / 180;
/** Road ahead kept planned, metres: more than the braking distance from any limit. */
const PLAN_AHEAD_M = 250;
/** Longest tangent of a fillet at a junction, metres: keeps the stop line near the junction. */
const JUNCTION_TANGENT_M = 15;

interface Straight {
  kind: 'straight';
  x0: number;
  y0: number;
  /** Unit direction. */
  ux: number;
  uy: number;
  length: number;
  limit: number;
  /** Distance along the piece at which to stop, if a stop is planned, and for how long. */
  stopAt?: number;
  dwellMs: number;
}

interface Arc {
  kind: 'arc';
  cx: number;
  cy: number;
  r: number;
  /** Angle (radians, mathematical: from east, counter-clockwise) at the start. */
  theta0: number;
  /** +1 for a left (counter-clockwise) turn, -1 for a right turn. */
  sweep: 1 | -1;
  length: number;
  /** The road limit, already lowered to what the arc's radius allows. */
  limit: number;
}

type Piece = Straight | Arc;

/** The true state of a vehicle at one instant. */
export interface Kinematics {
  x: number;
  y: number;
  /** m/s */
  speed: number;
  /** Degrees from north, [0, 360). */
  heading: number;
  /** m/s² */
  accel: number;
}

/** The segment being driven towards its far corner, not yet cut into pieces. */
interface Open {
  sx: number;
  sy: number;
  cx: number;
  cy: number;
  limit: number;
  junction: boolean;
  stop: number | undefined;
}

/** Highest speed on an arc of radius r: lateral acceleration and turn rate both bounded. */
function arcSpeed(r: number): number {
  return Math.min(Math.sqrt(VEHICLE_LIMITS.maxLateral * r), (VEHICLE_LIMITS.maxTurnRate * Math.PI * r) / 180);
}

export class Vehicle implements Kinematics {
  x = 0;
  y = 0;
  speed = 0;
  heading = 0;
  accel = 0;
  /** The next BSM sequence number. */
  seq: number;
  /** Send a BSM every `period` ticks (10 Hz … 1 Hz). */
  readonly period: number;
  /** Milliseconds after each tick boundary at which this vehicle's clock ticks (< 20). */
  readonly phaseMs: number;
  /** Tick index modulo `period` at which this vehicle sends. */
  readonly sendOffset: number;
  /** Recent messages as sent (reported, noisy values), for replay by others (newest last). */
  readonly history: Array<Kinematics & { ts: number }> = [];

  private readonly speedFactor: number;
  private readonly accelMax: number;
  private pieces: Piece[] = [];
  private progress = 0;
  private planned = 0;
  private open: Open;
  private atNode: string;
  private lastRoad: Road;
  private stoppedUntil = -Infinity;

  /** @param ratesHz the BSM rates this vehicle draws its own from */
  constructor(
    readonly id: string,
    private readonly net: RoadNetwork,
    private readonly rng: Random,
    ratesHz: readonly number[],
  ) {
    this.period = Math.max(1, Math.min(10, Math.round(1000 / TICK_MS / rng.pick(ratesHz))));
    this.phaseMs = rng.int(0, 19);
    this.sendOffset = rng.int(0, this.period - 1);
    this.seq = rng.int(0, 4000);
    this.speedFactor = rng.uniform(0.85, 0.97);
    this.accelMax = rng.uniform(1.5, VEHICLE_LIMITS.maxAccel);
    // Start partway along the first segment of a random road, in a random direction.
    const road = rng.pick(net.roads);
    const forward = rng.chance(0.5);
    const pts = forward ? road.points : [...road.points].reverse();
    const [ax, ay] = pts[0] as readonly [number, number];
    const [bx, by] = pts[1] as readonly [number, number];
    const s0 = rng.uniform(0, 0.5) * Math.hypot(bx - ax, by - ay);
    const len = Math.hypot(bx - ax, by - ay);
    this.open = { sx: ax + ((bx - ax) * s0) / len, sy: ay + ((by - ay) * s0) / len, cx: bx, cy: by, limit: road.speedLimit, junction: pts.length === 2, stop: undefined };
    for (let k = 2; k < pts.length; k++) this.corner(pts[k] as readonly [number, number], road.speedLimit, k === pts.length - 1);
    this.atNode = forward ? road.to : road.from;
    this.lastRoad = road;
    this.planAhead();
    this.speed = Math.min(this.allowedSpeed(), rng.uniform(0, road.speedLimit * this.speedFactor));
    this.place();
  }

  /** Advance one physics step ending at `nowMs`. */
  step(nowMs: number): void {
    if (nowMs < this.stoppedUntil) {
      this.accel = 0;
      this.speed = 0;
      return;
    }
    const before = this.speed;
    const target = this.allowedSpeed();
    let a = target > before ? Math.min(this.accelMax, (target - before) / DT) : Math.max(-VEHICLE_LIMITS.maxBraking, (target - before) / DT);
    let v = Math.max(0, before + a * DT);
    this.advance(v * DT);
    const piece = this.pieces[0];
    if (piece?.kind === 'straight' && piece.stopAt !== undefined && this.progress >= piece.stopAt - 1 && v < 0.6) {
      // Stopped at the line: wait for the light, or look both ways at a side street.
      v = 0;
      delete piece.stopAt;
      this.stoppedUntil = nowMs + piece.dwellMs;
    }
    a = (v - before) / DT;
    this.speed = v;
    this.accel = a;
    this.planAhead();
    this.place();
  }

  private cap(p: Piece): number {
    return p.kind === 'arc' ? Math.min(p.limit * this.speedFactor, TARGET_MARGIN * p.limit) : p.limit * this.speedFactor;
  }

  /** The highest speed that keeps every limit and stop ahead reachable with comfortable braking. */
  private allowedSpeed(): number {
    const head = this.pieces[0];
    if (!head) return 0;
    // Look one step ahead: the speed chosen now is held for the whole step.
    const at = this.progress + this.speed * DT;
    let target = this.cap(head);
    if (head.kind === 'straight' && head.stopAt !== undefined) target = Math.min(target, Math.sqrt(2 * COMFORT_BRAKING * Math.max(0, head.stopAt - at)));
    let dist = head.length - at;
    for (let j = 1; j < this.pieces.length; j++) {
      const p = this.pieces[j] as Piece;
      const reach = 2 * COMFORT_BRAKING * Math.max(0, dist);
      if (reach > target * target + 1000) break;
      target = Math.min(target, Math.sqrt(this.cap(p) ** 2 + reach));
      if (p.kind === 'straight' && p.stopAt !== undefined) target = Math.min(target, Math.sqrt(2 * COMFORT_BRAKING * Math.max(0, dist + p.stopAt)));
      dist += p.length;
    }
    return Math.max(0, target);
  }

  private advance(distance: number): void {
    let left = distance;
    for (;;) {
      const piece = this.pieces[0];
      if (!piece) return;
      const room = piece.length - this.progress;
      if (left < room) {
        this.progress += left;
        return;
      }
      left -= room;
      this.planned -= piece.length;
      this.pieces.shift();
      this.progress = 0;
    }
  }

  /** Keep at least PLAN_AHEAD_M of road cut into pieces ahead of the vehicle. */
  private planAhead(): void {
    while (this.planned - this.progress < PLAN_AHEAD_M) this.nextRoad();
  }

  /** Choose the road out of the junction ahead, decide whether to stop there, and queue it. */
  private nextRoad(): void {
    const node = this.atNode;
    const ux = this.open.cx - this.open.sx;
    const uy = this.open.cy - this.open.sy;
    const ul = Math.hypot(ux, uy) || 1;
    const out = (this.net.adjacency.get(node) ?? []).map((road) => {
      const pts = road.from === node ? road.points : [...road.points].reverse();
      const [ax, ay] = pts[0] as readonly [number, number];
      const [bx, by] = pts[1] as readonly [number, number];
      const dot = ((bx - ax) * ux + (by - ay) * uy) / (Math.hypot(bx - ax, by - ay) * ul);
      return { road, pts, deviation: Math.acos(Math.max(-1, Math.min(1, dot))) };
    });
    let options = out.filter((o) => o.road !== this.lastRoad && o.deviation <= U_TURN_RAD);
    if (options.length === 0) options = out.filter((o) => o.road !== this.lastRoad);
    if (options.length === 0) options = out;
    const ahead = options.reduce((best, o) => (o.deviation < best.deviation ? o : best), options[0] as (typeof options)[number]);
    const turns = options.filter((o) => o !== ahead);
    const choice = ahead.deviation < GENTLE_RAD && (turns.length === 0 || this.rng.chance(0.6)) ? ahead : turns.length > 0 ? this.rng.pick(turns) : ahead;
    const junction = this.net.nodeById.get(node);
    const signalised = junction?.signalised === true;
    const stops = out.length >= 3 && this.rng.chance(signalised ? 0.45 : 0.2);
    const dwellMs = signalised ? this.rng.int(5_000, 30_000) : this.rng.int(1_000, 4_000);
    // A dead end: turn round standing still.
    if (stops || choice.deviation > U_TURN_RAD) this.open.stop = stops ? dwellMs : 2_000;
    const pts = choice.pts;
    for (let k = 1; k < pts.length; k++) this.corner(pts[k] as readonly [number, number], choice.road.speedLimit, k === pts.length - 1);
    this.atNode = choice.road.from === node ? choice.road.to : choice.road.from;
    this.lastRoad = choice.road;
  }

  /** The polyline goes on to (nx, ny): cut the open segment into a straight and its corner arc. */
  private corner(next: readonly [number, number], nextLimit: number, nextIsJunction: boolean): void {
    const o = this.open;
    const lin = Math.hypot(o.cx - o.sx, o.cy - o.sy);
    const lout = Math.hypot(next[0] - o.cx, next[1] - o.cy);
    const ux = lin > 0 ? (o.cx - o.sx) / lin : 0;
    const uy = lin > 0 ? (o.cy - o.sy) / lin : 0;
    const vx = lout > 0 ? (next[0] - o.cx) / lout : ux;
    const vy = lout > 0 ? (next[1] - o.cy) / lout : uy;
    const theta = Math.acos(Math.max(-1, Math.min(1, ux * vx + uy * vy)));
    const cross = ux * vy - uy * vx;
    let t = 0;
    if (theta > 1e-3 && theta <= U_TURN_RAD) {
      const half = Math.tan(theta / 2);
      const wanted = theta < GENTLE_RAD ? Infinity : VEHICLE_LIMITS.turnRadius * half;
      t = Math.min(wanted, lin, lout / 2, o.junction ? Math.max(JUNCTION_TANGENT_M, VEHICLE_LIMITS.turnRadius * half) : Infinity);
    }
    const straight: Straight = { kind: 'straight', x0: o.sx, y0: o.sy, ux, uy, length: Math.max(0, lin - t), limit: o.limit, dwellMs: 0 };
    if (o.stop !== undefined) {
      straight.stopAt = Math.max(0, Math.min(straight.length, lin - 8));
      straight.dwellMs = o.stop;
    }
    this.push(straight);
    if (t > 0) {
      const r = t / Math.tan(theta / 2);
      const px = o.cx - ux * t;
      const py = o.cy - uy * t;
      const sweep = cross > 0 ? 1 : -1;
      // The centre lies on the side the road turns to.
      const cx = px - sweep * uy * r;
      const cy = py + sweep * ux * r;
      this.push({ kind: 'arc', cx, cy, r, theta0: Math.atan2(py - cy, px - cx), sweep, length: r * theta, limit: Math.min(o.limit, nextLimit, arcSpeed(r)) });
    }
    this.open = { sx: o.cx + vx * t, sy: o.cy + vy * t, cx: next[0], cy: next[1], limit: nextLimit, junction: nextIsJunction, stop: undefined };
  }

  private push(piece: Piece): void {
    if (piece.length <= 1e-9 && !(piece.kind === 'straight' && piece.stopAt !== undefined)) return;
    this.pieces.push(piece);
    this.planned += piece.length;
  }

  /** Position and heading from the current piece and progress. */
  private place(): void {
    const piece = this.pieces[0];
    if (!piece) return;
    let hx: number;
    let hy: number;
    if (piece.kind === 'straight') {
      this.x = piece.x0 + piece.ux * this.progress;
      this.y = piece.y0 + piece.uy * this.progress;
      hx = piece.ux;
      hy = piece.uy;
    } else {
      const theta = piece.theta0 + (piece.sweep * this.progress) / piece.r;
      this.x = piece.cx + piece.r * Math.cos(theta);
      this.y = piece.cy + piece.r * Math.sin(theta);
      hx = -piece.sweep * Math.sin(theta);
      hy = piece.sweep * Math.cos(theta);
    }
    const deg = (Math.atan2(hx, hy) * 180) / Math.PI;
    this.heading = deg < 0 ? deg + 360 : deg >= 360 ? deg - 360 : deg;
  }

  snapshot(ts: number): Kinematics & { ts: number } {
    return { ts, x: this.x, y: this.y, speed: this.speed, heading: this.heading, accel: this.accel };
  }

  /** Keep a message as sent, for neighbours that replay it. */
  remember(sent: Kinematics & { ts: number }): void {
    this.history.push(sent);
    if (this.history.length > 120) this.history.shift();
  }
}
