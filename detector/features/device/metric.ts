/**
 * One numeric metric of a reading, against the device's own robust, decaying baseline and
 * against its peers (devices of the same kind, now): how far the value and its step lie
 * from the usual, whether it shows more decimals than the device ever does, whether a
 * counter that only grows went back. Only clean readings teach the baselines (`learn`):
 * an attacker's readings are measured, never learnt.
 */
import { RobustBaseline } from '../robust.js';
import { KindPeriod } from './rhythm.js';

/** Own-baseline z beyond which a reading is not folded into the device's baseline. */
export const OWN_GATE = 6;
/** Clean readings a metric's own baseline needs before it gates what it learns. */
export const OWN_WARMUP = 10;
/** Peer z beyond which a reading is not folded into any baseline. */
export const PEER_GATE = 6;
/** Spread between devices, in steps of one device, beyond which a metric is an identity, not compared with peers. */
const IDENTITY_RATIO = 100;
/** Readings of a kind before the peer baseline is used. */
const PEER_WARMUP = 10;
/** Clean steps up, none down, before a metric counts as a cumulative counter. */
const COUNTER_STEPS = 6;
/** Readings counting on from below a counter's last value after which that lower level is the device's. */
const COUNTER_BACK_ACCEPT = 4;
/** Clean steps up of a kind's devices before a metric that (almost) never went down counts as a counter for all of them. */
const KIND_COUNTER_STEPS = 5;
/** At most one clean step down per this many up for a kind's counter. */
const KIND_COUNTER_RATIO = 50;
/** A kind's counter moves by at most this fraction of its value between two reports ... */
const KIND_COUNTER_REL_STEP = 1e-4;
/** ... except in at most one step per this many up (a device back from an outage or a replay). */
const KIND_COUNTER_LARGE = 10;
/** Metrics of a kind tracked per baseline map. */
const KIND_METRICS = 64;

export interface MetricState {
  value: RobustBaseline;
  step: RobustBaseline;
  /** The last clean value. */
  last: number;
  hasLast: boolean;
  /** Clean steps up and down (a counter only grows). */
  incr: number;
  decr: number;
  /** Finest resolution seen (10^-decimals). */
  res: number;
  /** Clean readings by number of decimals (0–6): the resolution is the finest that at least a tenth of them show. */
  decimals: Uint32Array;
  /** The previous value reported (clean or not) and how often it changed: a setting never does. */
  prev: number;
  seen: number;
  changes: number;
  /**
   * The device's usual offset from its peers' centre (asinh) and how many clean readings
   * taught it ([offset, n]), per combination of the device's states: a traffic light's queue
   * sits above its peers' in red and below in green.
   */
  offs: Map<string, Float64Array>;
  /** A counter's clean reading that leapt ahead, waiting for the next clean one to confirm it (NaN none). */
  leapTo: number;
  /** The last reading of a run of a counter's readings going back and counting on from there, and the run's length. */
  backTo: number;
  backN: number;
}

export function newMetric(raw: number): MetricState {
  return { value: new RobustBaseline(0.02), step: new RobustBaseline(0.02), last: raw, hasLast: false, incr: 0, decr: 0, res: 1, decimals: new Uint32Array(7), prev: raw, seen: 0, changes: 0, offs: new Map(), leapTo: NaN, backTo: 0, backN: 0 };
}

/** Devices of one kind (the same metric names): their readings now, and their reporting period. */
export class PeerState {
  metrics = new Map<string, RobustBaseline>();
  /** Per metric: clean readings of these devices by number of decimals. */
  decimals = new Map<string, Uint32Array>();
  /** Per metric: how much one device's reading moves between consecutive reports (on asinh). */
  steps = new Map<string, RobustBaseline>();
  /** Per metric: clean steps up and down of these devices and steps of more than KIND_COUNTER_REL_STEP of the value ([up, down, large]). */
  trend = new Map<string, Float64Array>();
  readonly period = new KindPeriod();
}

/** 10^−d for the most decimals d that at least a tenth of the readings show (27.0 prints as 27). */
export function resolution(counts: Uint32Array): number {
  let total = 0;
  for (const c of counts) total += c;
  for (let d = counts.length - 1; d > 0; d--) if (counts[d]! * 10 >= total) return 10 ** -d;
  return 1;
}

function decimals(text: string): number {
  const dot = text.indexOf('.');
  if (dot < 0) return 0;
  const e = text.indexOf('e');
  return e < 0 ? Math.min(6, text.length - dot - 1) : 6;
}

/** What a reading's metrics add up to, and per metric (index 0…numeric − 1) what `learn` needs. */
export class Readings {
  numeric = 0;
  zMax = 0;
  zSum = 0;
  stepMax = 0;
  peerMax = 0;
  bothMax = 0;
  bits = 0;
  counterBack = 0;
  finer = 0;
  /** Every metric's own baseline has at least 3 readings. */
  warm = true;
  /** The largest own z among baselines past their warm-up. */
  zGate = 0;
  readonly metric: MetricState[] = [];
  readonly dec: number[] = [];
  readonly kindDec: Array<Uint32Array | undefined> = [];
  readonly raw: number[] = [];
  readonly z: number[] = [];
  readonly peer: Array<RobustBaseline | undefined> = [];
  readonly peerZ: number[] = [];
  /** Offset from the peers' centre (asinh; NaN when not compared) and its unit. */
  readonly off: number[] = [];
  readonly unit: number[] = [];
  readonly usualOff: Array<Float64Array | undefined> = [];
  readonly trend: Array<Float64Array | undefined> = [];
  readonly kindCounter: number[] = [];

  reset(): void {
    this.numeric = this.zMax = this.zSum = this.stepMax = this.peerMax = this.bothMax = this.bits = this.counterBack = this.finer = this.zGate = 0;
    this.warm = true;
  }
}

function kindMap<V>(map: Map<string, V>, name: string, make: () => V): V | undefined {
  let v = map.get(name);
  if (!v && map.size < KIND_METRICS) map.set(name, (v = make()));
  return v;
}

/** Measures metric `name` = `raw` of a reading into `r` (slot r.numeric, then advanced). */
export function measure(m: MetricState, peers: PeerState, name: string, raw: number, r: Readings): void {
  const i = r.numeric;
  // the resolution is learnt from clean readings, the finest that a tenth of them show:
  // a clone's 23.75 fps must not make every later whole-number drop look 100 times larger
  const dec = decimals(String(raw));
  const res = 10 ** -dec;
  r.dec[i] = dec;
  const mres = m.value.n > 0 ? m.res : Math.min(m.res, res);
  // finer than both the device's and its kind's resolution (a device whose power factor
  // sits near 0.90 prints 0.9 most of the time; its kind shows two decimals)
  const kd = kindMap(peers.decimals, name, () => new Uint32Array(7));
  r.kindDec[i] = kd;
  if (m.value.n >= OWN_WARMUP && kd && res < m.res * 0.5 && res < resolution(kd) * 0.5) r.finer = 1;
  if (m.value.n < 3) r.warm = false;
  const z = m.value.z(raw, mres);
  const sz = m.hasLast ? m.step.z(Math.abs(raw - m.last), mres) : 0;
  if (m.step.n >= 3) r.bits += Math.log2(1 + m.step.center / mres);
  counterGoingBack(m, peers, name, raw, mres, r);
  const ps = kindMap(peers.steps, name, () => new RobustBaseline(0.02, PEER_WARMUP));
  if (m.seen > 0) ps?.fold(Math.abs(Math.asinh(raw) - Math.asinh(m.prev)));
  if (m.seen++ > 0 && raw !== m.prev) m.changes++;
  m.prev = raw;
  // a value that never changes is a setting (a signal plan's cycle), not a measurement:
  // devices may differ in it, so it is not held against their peers
  const setting = m.seen >= 2 && m.changes === 0;
  const pb = kindMap(peers.metrics, name, () => new RobustBaseline(0.02, PEER_WARMUP));
  // compared on asinh (log-like for large values): kinds of devices differ by a factor
  // Peers are not compared on a metric in which devices differ by 100 times more than
  // a reading moves between reports: a cumulative counter (energy) or a serial number
  // is the device's history, not a condition its peers share.
  const ares = mres / Math.sqrt(1 + raw * raw);
  const identity = ps !== undefined && ps.n >= PEER_WARMUP && pb !== undefined && pb.scale > IDENTITY_RATIO * Math.max(ps.center, ps.scale, ares);
  const pz = pb && !setting && !identity ? pb.z(Math.asinh(raw), ares) : 0;
  const both = m.value.n >= 3 ? Math.min(z, pz) : pz;
  // Where the device sits among its peers (its offset from their centre, in their spread)
  // stays put as the city's day moves both; readings from another hour (an old capture
  // replayed, with no earlier copy to match) or injected ones move it.
  // (measured once the device's states are known, in the telemetry extractor)
  let d = NaN;
  if (pb && !setting && !identity && pb.n >= PEER_WARMUP) {
    d = Math.asinh(raw) - pb.center;
    // in the peers' spread, never finer than the kind's resolution (a camera's fps is 25
    // at almost every report: one dropped frame is not 20 spreads)
    r.unit[i] = Math.max(pb.scale, ares, kd ? resolution(kd) / Math.sqrt(1 + raw * raw) : 0);
  }
  r.off[i] = d;
  r.metric[i] = m;
  r.raw[i] = raw;
  r.z[i] = z;
  r.peer[i] = pb;
  r.peerZ[i] = pz;
  r.zSum += z;
  if (z > r.zMax) r.zMax = z;
  // a young own baseline (a few readings that happened to agree) does not gate: the peers do
  if (m.value.n >= OWN_WARMUP && z > r.zGate) r.zGate = z;
  if (sz > r.stepMax) r.stepMax = sz;
  if (pz > r.peerMax) r.peerMax = pz;
  if (both > r.bothMax) r.bothMax = both;
  r.numeric++;
}

/**
 * More than two usual steps back on a counter: a smooth trend turning round is not a
 * counter going back. A metric whose clean steps, over all devices of the kind, (almost)
 * only went up and were tiny beside its value (an energy counter: 0.004 of 36,810 kWh) is
 * a counter from a device's first reading on: a replay in its first minute sends the energy back.
 */
function counterGoingBack(m: MetricState, peers: PeerState, name: string, raw: number, mres: number, r: Readings): void {
  const i = r.numeric;
  const tr = kindMap(peers.trend, name, () => new Float64Array(3));
  r.trend[i] = tr;
  const kindCounter = tr !== undefined && tr[0]! >= KIND_COUNTER_STEPS && tr[1]! * KIND_COUNTER_RATIO < tr[0]! && tr[2]! * KIND_COUNTER_LARGE < tr[0]!;
  r.kindCounter[i] = kindCounter ? 1 : 0;
  if (m.hasLast && (m.incr >= COUNTER_STEPS || kindCounter) && m.decr === 0 && raw < m.last - Math.max(2 * m.step.center, mres)) {
    r.counterBack = 1;
    // Readings that keep counting on from the lower level are the device's: the higher
    // one was another sender's (a clone that took the meter's first reports).
    const onward = m.backN > 0 && raw >= m.backTo && raw - m.backTo <= KIND_COUNTER_REL_STEP * Math.max(Math.abs(raw), mres);
    m.backN = onward ? m.backN + 1 : 1;
    m.backTo = raw;
    if (m.backN >= COUNTER_BACK_ACCEPT) {
      m.last = raw;
      m.leapTo = NaN;
      m.backN = 0;
    }
  }
}

/**
 * Folds metric i of a clean reading into the device's baselines: its resolution, value,
 * usual offset from its peers (when `shiftOk`), and its step, unless a counter leapt ahead.
 */
export function learn(r: Readings, i: number, stateKey: string, shiftOk: boolean): void {
  const m = r.metric[i]!;
  const raw = r.raw[i]!;
  m.decimals[r.dec[i]!]!++;
  m.res = resolution(m.decimals);
  const kd = r.kindDec[i];
  if (kd) kd[r.dec[i]!]!++;
  m.value.fold(raw);
  const d = r.off[i]!;
  if (!Number.isNaN(d) && shiftOk) {
    let o = r.usualOff[i];
    if (o) o[0]! += Math.max(0.1, 1 / (o[1]! + 1)) * (d - o[0]!);
    else if (m.offs.size < 16) m.offs.set(stateKey, (o = Float64Array.of(d, 0)));
    if (o) o[1]!++;
  }
  // A kind's counter leaping ahead (a clone's reading on the beat, 20 % above the real
  // meter's) becomes its last value only once the next clean reading confirms the new
  // level: otherwise every later reading of the real meter would be a counter going back.
  const leap = KIND_COUNTER_REL_STEP * Math.max(Math.abs(raw), m.res);
  if (r.kindCounter[i] === 1 && m.hasLast && raw - m.last > leap) {
    const confirmed = !Number.isNaN(m.leapTo) && raw >= m.leapTo && raw - m.leapTo <= leap;
    if (!confirmed) {
      m.leapTo = raw;
      return;
    }
    // the leap was the new level: this reading steps from it (a leap is no usual step)
    m.last = m.leapTo;
    m.leapTo = NaN;
  } else m.leapTo = NaN;
  if (m.hasLast) {
    m.step.fold(Math.abs(raw - m.last));
    const tr = r.trend[i];
    if (tr && Math.abs(raw - m.last) > KIND_COUNTER_REL_STEP * Math.max(Math.abs(raw), m.res)) tr[2]!++;
    if (raw > m.last) {
      m.incr++;
      if (tr) tr[0]!++;
    } else if (raw < m.last) {
      m.decr++;
      if (tr) tr[1]!++;
    }
  }
  m.last = raw;
  m.hasLast = true;
}
