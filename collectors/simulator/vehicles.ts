/**
 * Vehicle motion on the road network: a point mass that follows street centre lines,
 * turns at intersections on quarter-circle arcs, and controls its speed with bounded
 * acceleration and braking. These bounds are what a detector's physics features assume
 * of an honest vehicle, so they are exported and tested.
 */
import type { RoadNetwork } from './network.js';
import type { Random } from '../../events/index.js';

/** Physics step, milliseconds. BSM send times are multiples of it. */
export const TICK_MS = 100;
const DT = TICK_MS / 1000;

/** Bounds an honest vehicle keeps (m/s², m/s², degrees per second). */
export const VEHICLE_LIMITS = {
  maxAccel: 3,
  maxBraking: 8,
  /** Quarter-turn radius at intersections, metres. */
  turnRadius: 12,
  /** Highest speed through a turn, m/s (lateral acceleration ≤ 3 m/s² on the arc). */
  turnSpeed: 6,
  /** turnSpeed / turnRadius, in degrees per second (≈ 28.6). */
  maxTurnRate: (6 / 12) * (180 / Math.PI),
} as const;

/** Comfortable planned braking, m/s²; the hard limit is only approached when stopping. */
const COMFORT_BRAKING = 2.5;
/**
 * Speeds aimed at stay a little under the limits: the controller works in 100 ms steps, so
 * it may arrive at a junction or a turn up to ~0.25 m/s above the speed it planned for.
 */
const TURN_TARGET = 0.95 * VEHICLE_LIMITS.turnSpeed;

/** 0 = north (+y), 1 = east (+x), 2 = south, 3 = west: a heading of dir × 90°. */
type Dir = 0 | 1 | 2 | 3;
const DX = [0, 1, 0, -1] as const;
const DY = [1, 0, -1, 0] as const;

interface Straight {
  kind: 'straight';
  /** Start point and direction. */
  x0: number;
  y0: number;
  dir: Dir;
  length: number;
  limit: number;
}

interface Arc {
  kind: 'arc';
  cx: number;
  cy: number;
  /** Angle (radians, mathematical: from east, counter-clockwise) at the start. */
  theta0: number;
  /** +1 for a left turn, -1 for a right turn (counter-clockwise is left). */
  sweep: 1 | -1;
  fromDir: Dir;
  length: number;
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
  /** Recent true states at send times, for replay by others (newest last). */
  readonly history: Array<Kinematics & { ts: number }> = [];

  private readonly speedFactor: number;
  private readonly accelMax: number;
  private pieces: Piece[] = [];
  private progress = 0;
  private col: number;
  private row: number;
  private dir: Dir;
  /** Distance along the current straight piece at which to stop, if a stop is planned. */
  private stopAt: number | undefined;
  private stopDwellMs = 0;
  private stoppedUntil = -Infinity;

  constructor(
    readonly id: string,
    private readonly net: RoadNetwork,
    private readonly rng: Random,
  ) {
    this.period = rng.pick([1, 1, 2, 2, 5, 5, 10, 10, 10, 4]);
    this.phaseMs = rng.int(0, 19);
    this.sendOffset = rng.int(0, this.period - 1);
    this.seq = rng.int(0, 4000);
    this.speedFactor = rng.uniform(0.85, 0.97);
    this.accelMax = rng.uniform(1.5, VEHICLE_LIMITS.maxAccel);
    // Start somewhere on the grid, heading along a street away from a random intersection.
    this.col = rng.int(0, net.size - 1);
    this.row = rng.int(0, net.size - 1);
    this.dir = rng.pick(this.exits(this.col, this.row, undefined));
    this.enterEdge(this.col * net.spacing, this.row * net.spacing);
    const first = this.pieces[0] as Straight;
    this.progress = rng.uniform(0, first.length * 0.5);
    const cap = this.allowedSpeed();
    this.speed = Math.min(cap, rng.uniform(0, first.limit * this.speedFactor));
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
    if (this.stopAt !== undefined && piece?.kind === 'straight' && this.progress >= this.stopAt - 1 && v < 0.6) {
      // Stopped at the line: wait for the light, or look both ways at a side street.
      v = 0;
      this.stopAt = undefined;
      this.stoppedUntil = nowMs + this.stopDwellMs;
    }
    a = (v - before) / DT;
    this.speed = v;
    this.accel = a;
    this.place();
  }

  /** The highest speed that keeps every limit ahead reachable with comfortable braking. */
  private allowedSpeed(): number {
    const piece = this.pieces[0];
    if (!piece) return 0;
    let target = piece.limit * this.speedFactor;
    if (piece.kind === 'arc') return Math.min(target, TURN_TARGET);
    // Look one step ahead: the speed chosen now is held for the whole step.
    const at = this.progress + this.speed * DT;
    const toEnd = Math.max(0, piece.length - at);
    const next = this.pieces[1];
    const endSpeed = next ? (next.kind === 'arc' ? TURN_TARGET : next.limit * this.speedFactor) : 0;
    target = Math.min(target, Math.sqrt(endSpeed * endSpeed + 2 * COMFORT_BRAKING * toEnd));
    if (this.stopAt !== undefined) target = Math.min(target, Math.sqrt(2 * COMFORT_BRAKING * Math.max(0, this.stopAt - at)));
    return target;
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
      this.pieces.shift();
      this.progress = 0;
      this.stopAt = undefined;
      // A new block: decide what to do at its far end (planNext always queues the block after).
      if (this.pieces[0]?.kind === 'straight') this.planNext();
    }
  }

  /** Enter the block leaving intersection (col, row) in `dir` at (x, y). */
  private enterEdge(x: number, y: number): void {
    this.pieces = [this.blockPiece(x, y)];
    this.planNext();
  }

  private blockPiece(x: number, y: number): Straight {
    const toCol = this.col + DX[this.dir];
    const toRow = this.row + DY[this.dir];
    const length = Math.abs(toCol * this.net.spacing - x) + Math.abs(toRow * this.net.spacing - y);
    return { kind: 'straight', x0: x, y0: y, dir: this.dir, length, limit: this.limitOf(this.col, this.row, this.dir) };
  }

  /** With a straight piece at the head, decide the turn at its end and append the pieces after it. */
  private planNext(): void {
    const straight = this.pieces[0];
    if (straight?.kind !== 'straight') return;
    const bCol = this.col + DX[this.dir];
    const bRow = this.row + DY[this.dir];
    const options = this.exits(bCol, bRow, this.dir);
    const ahead = options.includes(this.dir);
    const turns = options.filter((d) => d !== this.dir);
    const next: Dir = ahead && (turns.length === 0 || this.rng.chance(0.6)) ? this.dir : this.rng.pick(turns);
    const signalised = this.net.intersections[bRow * this.net.size + bCol]?.signalised === true;
    const stops = this.rng.chance(signalised ? 0.45 : 0.2);
    const dwellMs = signalised ? this.rng.int(5_000, 30_000) : this.rng.int(1_000, 4_000);
    const r = VEHICLE_LIMITS.turnRadius;
    const bx = bCol * this.net.spacing;
    const by = bRow * this.net.spacing;
    if (next !== this.dir) {
      straight.length = Math.max(0, straight.length - r);
      const ex = bx - DX[this.dir] * r;
      const ey = by - DY[this.dir] * r;
      const cx = ex + DX[next] * r;
      const cy = ey + DY[next] * r;
      const left = next === (((this.dir + 3) % 4) as Dir);
      const limit = Math.min(straight.limit, this.limitOf(bCol, bRow, next));
      this.pieces.push({ kind: 'arc', cx, cy, theta0: Math.atan2(ey - cy, ex - cx), sweep: left ? 1 : -1, fromDir: this.dir, length: (Math.PI / 2) * r, limit });
    }
    if (stops) {
      this.stopAt = next !== this.dir ? straight.length : Math.max(0, straight.length - 8);
      this.stopDwellMs = dwellMs;
    }
    // The block after the intersection; it is planned in turn when the vehicle reaches it.
    this.col = bCol;
    this.row = bRow;
    this.dir = next;
    const start = next !== straight.dir ? { x: bx + DX[next] * r, y: by + DY[next] * r } : { x: bx, y: by };
    this.pieces.push(this.blockPiece(start.x, start.y));
  }

  /** Directions out of an intersection that stay on the grid, never a U-turn. */
  private exits(col: number, row: number, arriving: Dir | undefined): Dir[] {
    const out: Dir[] = [];
    for (const d of [0, 1, 2, 3] as const) {
      if (arriving !== undefined && d === (arriving + 2) % 4) continue;
      const c = col + DX[d];
      const r = row + DY[d];
      if (c >= 0 && r >= 0 && c < this.net.size && r < this.net.size) out.push(d);
    }
    return out;
  }

  private limitOf(col: number, row: number, dir: Dir): number {
    // East-west blocks belong to the street of their row, north-south ones to their column's.
    const index = dir === 1 || dir === 3 ? row : col;
    return this.net.limits[index % 4 === 0 ? 'arterial' : 'side'];
  }

  /** Position and heading from the current piece and progress. */
  private place(): void {
    const piece = this.pieces[0];
    if (!piece) return;
    if (piece.kind === 'straight') {
      this.x = piece.x0 + DX[piece.dir] * this.progress;
      this.y = piece.y0 + DY[piece.dir] * this.progress;
      this.heading = piece.dir * 90;
    } else {
      const r = VEHICLE_LIMITS.turnRadius;
      const theta = piece.theta0 + (piece.sweep * this.progress) / r;
      this.x = piece.cx + r * Math.cos(theta);
      this.y = piece.cy + r * Math.sin(theta);
      // A left (counter-clockwise) turn lowers the compass heading.
      this.heading = (((piece.fromDir * 90 - (piece.sweep * this.progress * 180) / (Math.PI * r)) % 360) + 360) % 360;
    }
  }

  snapshot(ts: number): Kinematics & { ts: number } {
    return { ts, x: this.x, y: this.y, speed: this.speed, heading: this.heading, accel: this.accel };
  }

  remember(ts: number): void {
    this.history.push(this.snapshot(ts));
    if (this.history.length > 120) this.history.shift();
  }
}
