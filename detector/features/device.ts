/**
 * Per-device IoT features: each metric against the device's own robust, decaying baseline,
 * the rhythm of its reports, network fan-out and volume (Mirai-style scanning of telnet
 * 23/2323, floods), and authentication failures. Three event kinds, three feature families,
 * each with its own model: a telemetry reading and a network flow have nothing in common.
 */
import type { VigilEvent } from '../../events/index.js';
import { Counter, isPublicIpv4, RobustBaseline, TimeWindow } from './robust.js';

export const TELEMETRY_FEATURES = [
  /** log1p of the largest robust z of any numeric metric against the device's baseline. */
  'metric_z_max_log',
  /** log1p of the mean robust z over the numeric metrics. */
  'metric_z_mean_log',
  /** log1p of the largest step (change since the last clean report) against the usual step. */
  'step_z_max_log',
  /** |log(interval / usual interval)|: the reporting rhythm. */
  'rhythm',
  /**
   * An earlier reading sent again (not simply the last one repeated): the improbability of
   * the repeat in bits (each metric's usual step over its resolution), summed over a run of
   * repeats in their original order; 0 when the reading is new.
   */
  'replay_bits',
  /** log1p of the rarity (−log frequency) of the device's string/boolean states. */
  'state_rarity',
  /** 1 when the set of metric names differs from the previous report. */
  'schema_change',
  /** log1p of the largest robust z of any metric against devices of the same kind (same metric names) now. */
  'peer_z_max_log',
  /** log1p of the largest, over metrics, of the smaller of the own and the peer z: off both baselines at once. */
  'both_z_max_log',
  /** Distance, in reporting periods (0–0.5), of the reading from the nearest beat of the device's rhythm (0 on the beat): a second sender. */
  'offbeat',
  /** 1 when a metric that only ever grew (a cumulative counter) went back by more than two of its usual steps. */
  'counter_back',
  /** 1 when a metric shows more decimals than its learnt resolution (a sender that formats its readings differently). */
  'finer_resolution',
  /**
   * log1p of the RMS, over metrics compared with peers, of the change in the device's offset
   * from its peers' centre against its usual offset (in the peers' spread; the uncertainty of
   * a usual offset learnt from few readings allowed for): the device moved among its peers.
   */
  'peer_shift_log',
] as const;

export const NET_FEATURES = [
  /** log1p of distinct destination addresses in the window. */
  'dst_distinct_log',
  /** log1p of distinct destination ports in the window. */
  'port_distinct_log',
  /** log1p of flows to telnet (23, 2323) in the window. */
  'telnet_log',
  /** log1p of flows per second in the window. */
  'flow_rate_log',
  /** log1p of bytes per second in the window. */
  'byte_rate_log',
  /** log1p of packets per second in the window. */
  'packet_rate_log',
  /** log1p of bytes per packet of this flow. */
  'bytes_per_packet_log',
  /** 1 when the destination is new for this device (after its first 50 flows). */
  'new_dst',
  /** 1 when the source address differs from the one this device usually uses. */
  'src_change',
  /** log1p of the flow rate against the device's own usual rate. */
  'flow_rate_z_log',
  /** 1 when the destination is a public address (outside RFC 1918/6598, loopback, link-local). */
  'dst_public',
  /** 1 when the device id already came from another address and this one's /24 is used by fewer than 3 devices (after 10 were seen). */
  'src_foreign',
  /** log1p of the packet rate in the window against the device's own usual packet rate. */
  'packet_rate_z_log',
  /** log1p of the byte rate in the window against the device's own usual byte rate. */
  'byte_rate_z_log',
] as const;

export const AUTH_FEATURES = [
  /** log1p of failed logins in the window. */
  'fail_log',
  /** Failed / all logins in the window. */
  'fail_ratio',
  /** log1p of distinct user names tried in the window. */
  'users_log',
  /** 1 for a failure. */
  'failure',
  /** 1 when the source address is new for this device. */
  'new_src',
  /** 1 when the source is a public address: a login from beyond the city network's edge. */
  'src_public',
  /** log1p of failed logins from this source address on any device in the window. */
  'src_fails_log',
  /** 1 when no device has seen a login from this source before (after the fleet's first 20 logins). */
  'src_new_fleet',
] as const;

export interface DeviceWindows {
  /** Network window, milliseconds. @default 10000 */
  netWindowMs: number;
  /** Authentication window, milliseconds. @default 60000 */
  authWindowMs: number;
}
export const DEFAULT_DEVICE_WINDOWS: DeviceWindows = { netWindowMs: 10_000, authWindowMs: 60_000 };

/** Own-baseline z beyond which a reading is not folded into the device's baseline. */
const OWN_GATE = 6;
/** Clean readings a metric's own baseline needs before it gates what it learns. */
const OWN_WARMUP = 10;
/** Peer z beyond which a reading is not folded into any baseline. */
const PEER_GATE = 6;
/** Consecutive rejected readings after which the device's own baseline accepts the new level. */
const REJECTS_TO_ACCEPT = 12;
/** Spread between devices, in steps of one device, beyond which a metric is an identity, not compared with peers. */
const IDENTITY_RATIO = 100;
/** Readings of a kind before the peer baseline is used. */
const PEER_WARMUP = 10;
/** On the beat: within this fraction of a period (× √periods) of the device's rhythm. */
const BEAT_TOLERANCE = 0.035;
/** A reading this soon after the anchor (in periods) is a rival for the anchor's beat. */
const RIVAL_WINDOW = 2 * BEAT_TOLERANCE;
/** Bits of a repeat below which it is not held against the reading when gating. */
const REPLAY_GATE_BITS = 8;
const RING = 512;
/** Clean steps up, none down, before a metric counts as a cumulative counter. */
const COUNTER_STEPS = 6;
/** Readings counting on from below a counter's last value after which that lower level is the device's. */
const COUNTER_BACK_ACCEPT = 4;
/** RMS shift (in peer spreads) from the device's usual offset beyond which a reading does not teach that offset. */
const SHIFT_GATE = 2;
/** Clean steps up of a kind's devices before a metric that (almost) never went down counts as a counter for all of them. */
const KIND_COUNTER_STEPS = 5;
/** At most one clean step down per this many up for a kind's counter. */
const KIND_COUNTER_RATIO = 50;
/** A kind's counter moves by at most this fraction of its value between two reports ... */
const KIND_COUNTER_REL_STEP = 1e-4;
/** ... except in at most one step per this many up (a device back from an outage or a replay). */
const KIND_COUNTER_LARGE = 10;
/** Intervals of a kind before its period is used: a clone at the start of a run must not set it. */
const PERIOD_WARMUP = 12;
/** Intervals kept per kind for its period. */
const PERIOD_RING = 63;

interface MetricState {
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

/** Devices of one kind (the same metric names): their readings now, and their reporting period. */
class PeerState {
  metrics = new Map<string, RobustBaseline>();
  /** Per metric: clean readings of these devices by number of decimals. */
  decimals = new Map<string, Uint32Array>();
  /** Per metric: how much one device's reading moves between consecutive reports (on asinh). */
  steps = new Map<string, RobustBaseline>();
  /** Per metric: clean steps up and down of these devices and steps of more than KIND_COUNTER_REL_STEP of the value ([up, down, large]). */
  trend = new Map<string, Float64Array>();
  /** Recent intervals between consecutive readings of these devices; their median is the kind's period. */
  private intervals: number[] = [];
  private next = 0;
  private stale = 0;
  period = 0;

  addInterval(dt: number): void {
    if (this.intervals.length < PERIOD_RING) this.intervals.push(dt);
    else this.intervals[this.next++ % PERIOD_RING] = dt;
    // the median moves slowly: recomputed every 16 intervals (and while it is being learnt)
    if (this.intervals.length >= PERIOD_WARMUP && (this.period === 0 || ++this.stale >= 16 || this.intervals.length < 16)) {
      this.stale = 0;
      const sorted = [...this.intervals].sort((a, b) => a - b);
      this.period = sorted[sorted.length >> 1]!;
    }
  }
}

class TelemetryState {
  metrics = new Map<string, MetricState>();
  states = new Map<string, number>();
  statesTotal = 0;
  lastTs = -1;
  /** The last on-beat reading. */
  anchor = -1;
  /** The anchor's mean own-baseline z (−1 unknown). */
  anchorZ = -1;
  /** Recent readings off the beat (−1 empty). */
  offs = [-1, -1, -1];
  offNext = 0;
  offRun = 0;
  rejects = 0;
  /** Consecutive clean readings away from the device's usual offset from its peers. */
  shiftRejects = 0;
  lastKey = '';
  lastSchema = '';
  peers: PeerState | undefined;
  /** The last RING readings: key → index of its latest occurrence. */
  recent = new Map<string, number>();
  ring: string[] = [];
  count = 0;
  prevMatch = -1;
  prevBits = 0;
  /** Ring index of the first reading of the current run of repeats (−1 none). */
  runStart = -1;
}

interface Flow {
  dst: string;
  port: number;
  bytes: number;
  packets: number;
}

class NetState {
  window = new TimeWindow<Flow>();
  dsts = new Counter<string>();
  ports = new Counter<number>();
  telnet = 0;
  bytes = 0;
  packets = 0;
  known = new Set<string>();
  flows = 0;
  src = '';
  srcStable = 0;
  rate = new RobustBaseline(0.01);
  sources = new Set<string>();
  packetRate = new RobustBaseline(0.02);
  byteRate = new RobustBaseline(0.02);
}

class AuthState {
  window = new TimeWindow<{ fail: boolean; user: string }>();
  users = new Counter<string>();
  fails = 0;
  sources = new Set<string>();
  n = 0;
}

const numScratch: MetricState[] = [];
const resScratch: number[] = [];
const decScratch: Array<Uint32Array | undefined> = [];
const rawScratch: number[] = [];
const zScratch: number[] = [];
const peerScratch: Array<RobustBaseline | undefined> = [];
const peerZScratch: number[] = [];
const offScratch: number[] = [];
const unitScratch: number[] = [];
const offsScratch: Array<Float64Array | undefined> = [];
const trScratch: Array<Float64Array | undefined> = [];
const kcScratch: number[] = [];

/** 10^−d for the most decimals d that at least a tenth of the readings show (27.0 prints as 27). */
function resolution(counts: Uint32Array): number {
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

export class DeviceFeatures {
  private readonly telemetry = new Map<string, TelemetryState>();
  private readonly net = new Map<string, NetState>();
  private readonly auth = new Map<string, AuthState>();
  private readonly peers = new Map<string, PeerState>();
  /** /24 of a source address → devices sending from it (at most 4 kept). */
  private readonly srcPrefixes = new Map<string, Set<string>>();
  private readonly authSources = new Set<string>();
  private authSeen = 0;
  private readonly srcFails = new TimeWindow<string>();
  private readonly srcFailCount = new Counter<string>();

  constructor(private readonly windows: DeviceWindows = DEFAULT_DEVICE_WINDOWS) {}

  get entities(): number {
    return new Set([...this.telemetry.keys(), ...this.net.keys(), ...this.auth.keys()]).size;
  }

  extractTelemetry(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < TELEMETRY_FEATURES.length; i++) out[offset + i] = 0;
    const metrics = event.vigil.metrics;
    if (!metrics) return;
    const id = event.vigil.entity.id;
    let s = this.telemetry.get(id);
    if (!s) {
      s = new TelemetryState();
      this.telemetry.set(id, s);
    }
    const ts = event.vigil.ts;
    let key = '';
    let schema = '';
    for (const name in metrics) {
      // `seq` counts records (the TON_IoT importer adds it to keep duplicate rows distinct):
      // not a reading, and a counter would make every replayed reading look new.
      if (name === 'seq') continue;
      schema += `${name},`;
      key += `${String(metrics[name])},`;
    }
    if (schema !== s.lastSchema || !s.peers) {
      let p = this.peers.get(schema);
      if (!p) {
        p = new PeerState();
        if (this.peers.size < 4096) this.peers.set(schema, p);
      }
      s.peers = p;
    }
    const peers = s.peers;

    if (s.lastTs >= 0) peers.addInterval(ts - s.lastTs);
    const period = peers.period;
    if (s.lastTs >= 0 && period > 0) out[offset + 3] = Math.abs(Math.log((Math.max(0, ts - s.lastTs) + 100) / (period + 100)));

    let zMax = 0;
    let zSum = 0;
    let stepMax = 0;
    let peerMax = 0;
    let bothMax = 0;
    let numeric = 0;
    let rarity = 0;
    let bits = 0;
    let counterBack = 0;
    let finer = 0;
    let warm = true;
    let zGate = 0;
    let stateKey = '';
    for (const name in metrics) {
      if (name === 'seq') continue;
      const raw = metrics[name]!;
      if (typeof raw === 'number') {
        let m = s.metrics.get(name);
        if (!m) {
          m = { value: new RobustBaseline(0.02), step: new RobustBaseline(0.02), last: raw, hasLast: false, incr: 0, decr: 0, res: 1, decimals: new Uint32Array(7), prev: raw, seen: 0, changes: 0, offs: new Map(), leapTo: NaN, backTo: 0, backN: 0 };
          s.metrics.set(name, m);
        }
        // the resolution is learnt from clean readings, the finest that a tenth of them show:
        // a clone's 23.75 fps must not make every later whole-number drop look 100 times larger
        const dec = decimals(String(raw));
        const res = 10 ** -dec;
        resScratch[numeric] = dec;
        const mres = m.value.n > 0 ? m.res : Math.min(m.res, res);
        // finer than both the device's and its kind's resolution (a device whose power factor
        // sits near 0.90 prints 0.9 most of the time; its kind shows two decimals)
        let kd = peers.decimals.get(name);
        if (!kd && peers.decimals.size < 64) peers.decimals.set(name, (kd = new Uint32Array(7)));
        decScratch[numeric] = kd;
        if (m.value.n >= OWN_WARMUP && kd && res < m.res * 0.5 && res < resolution(kd) * 0.5) finer = 1;
        if (m.value.n < 3) warm = false;
        const z = m.value.z(raw, mres);
        const sz = m.hasLast ? m.step.z(Math.abs(raw - m.last), mres) : 0;
        if (m.step.n >= 3) bits += Math.log2(1 + m.step.center / mres);
        // more than two usual steps back: a smooth trend turning round is not a counter going back
        // A metric whose clean steps, over all devices of the kind, (almost) only went up and
        // were tiny beside its value (an energy counter: 0.004 of 36,810 kWh) is a counter from
        // a device's first reading on: a replay in its first minute sends the energy back.
        let tr = peers.trend.get(name);
        if (!tr && peers.trend.size < 64) peers.trend.set(name, (tr = new Float64Array(3)));
        trScratch[numeric] = tr;
        const kindCounter = tr !== undefined && tr[0]! >= KIND_COUNTER_STEPS && tr[1]! * KIND_COUNTER_RATIO < tr[0]! && tr[2]! * KIND_COUNTER_LARGE < tr[0]!;
        kcScratch[numeric] = kindCounter ? 1 : 0;
        if (m.hasLast && (m.incr >= COUNTER_STEPS || kindCounter) && m.decr === 0 && raw < m.last - Math.max(2 * m.step.center, mres)) {
          counterBack = 1;
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
        let ps = peers.steps.get(name);
        if (!ps && peers.steps.size < 64) peers.steps.set(name, (ps = new RobustBaseline(0.02, PEER_WARMUP)));
        if (m.seen > 0) ps?.fold(Math.abs(Math.asinh(raw) - Math.asinh(m.prev)));
        if (m.seen++ > 0 && raw !== m.prev) m.changes++;
        m.prev = raw;
        // a value that never changes is a setting (a signal plan's cycle), not a measurement:
        // devices may differ in it, so it is not held against their peers
        const setting = m.seen >= 2 && m.changes === 0;
        let pb = peers.metrics.get(name);
        if (!pb && peers.metrics.size < 64) peers.metrics.set(name, (pb = new RobustBaseline(0.02, PEER_WARMUP)));
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
        // (measured once the device's states are known, below)
        let d = NaN;
        if (pb && !setting && !identity && pb.n >= PEER_WARMUP) {
          d = Math.asinh(raw) - pb.center;
          // in the peers' spread, never finer than the kind's resolution (a camera's fps is 25
          // at almost every report: one dropped frame is not 20 spreads)
          unitScratch[numeric] = Math.max(pb.scale, ares, kd ? resolution(kd) / Math.sqrt(1 + raw * raw) : 0);
        }
        offScratch[numeric] = d;
        numScratch[numeric] = m;
        rawScratch[numeric] = raw;
        zScratch[numeric] = z;
        peerScratch[numeric] = pb;
        peerZScratch[numeric] = pz;
        zSum += z;
        if (z > zMax) zMax = z;
        // a young own baseline (a few readings that happened to agree) does not gate: the peers do
        if (m.value.n >= OWN_WARMUP && z > zGate) zGate = z;
        if (sz > stepMax) stepMax = sz;
        if (pz > peerMax) peerMax = pz;
        if (both > bothMax) bothMax = both;
        numeric++;
      } else {
        const state = `${name}=${String(raw)}`;
        stateKey += `${state},`;
        const c = s.states.get(state) ?? 0;
        if (s.statesTotal >= 20) rarity = Math.max(rarity, -Math.log((c + 1) / (s.statesTotal + 2)));
        s.states.set(state, c + 1);
        s.statesTotal++;
      }
    }
    // Rhythm: the beat of the device's kind (the median interval between consecutive
    // readings of its peers), anchored on the device's last reading that fell on it. A
    // clone reporting beside the real device falls between the beats.
    const offbeat = this.beat(s, ts, period, numeric > 0 && warm ? zSum / numeric : -1);
    out[offset] = Math.log1p(Math.min(zMax, 1e6));
    out[offset + 1] = numeric > 0 ? Math.log1p(Math.min(zSum / numeric, 1e6)) : 0;
    out[offset + 2] = Math.log1p(Math.min(stepMax, 1e6));

    // Replay: a reading seen before (not simply the last one again), weighed by how unlikely
    // a chance repeat is; repeats in their original order add up, and so does a replay that
    // loops back to the first reading of its run (a short capture sent over and over).
    let replayBits = 0;
    const index = s.count++;
    let seen = key !== s.lastKey ? s.recent.get(key) : undefined;
    if (seen !== undefined) {
      // A reading can occur more than once in the ring (a traffic light has few values): the
      // run continues if the reading after the last match is this one, if this one followed
      // the previous reading somewhere, or if it is the run's first (a looping replay).
      let continues = false;
      if (s.prevMatch >= 0) {
        const nextOne = s.prevMatch + 1;
        if (nextOne < index && index - nextOne <= RING && s.ring[nextOne % RING] === key) {
          seen = nextOne;
          continues = true;
        } else if (seen > 0 && index - (seen - 1) <= RING && s.ring[(seen - 1) % RING] === s.lastKey) {
          // the previous reading matched a later copy of the one before this
          continues = true;
        } else if (s.runStart >= 0 && index - s.runStart <= RING && s.ring[s.runStart % RING] === key) {
          seen = s.runStart;
          continues = true;
        }
      }
      replayBits = continues ? s.prevBits + bits : bits;
      if (!continues) s.runStart = index;
      s.prevMatch = seen;
      s.prevBits = replayBits;
    } else {
      s.prevMatch = -1;
      s.prevBits = 0;
      s.runStart = -1;
    }
    out[offset + 4] = Math.min(64, replayBits);
    if (s.ring.length >= RING) {
      const old = s.ring[index % RING]!;
      if (s.recent.get(old) === index - RING) s.recent.delete(old);
      s.ring[index % RING] = key;
    } else s.ring.push(key);
    s.recent.set(key, index);

    out[offset + 5] = Math.log1p(rarity);
    out[offset + 6] = s.lastSchema !== '' && s.lastSchema !== schema ? 1 : 0;
    out[offset + 7] = Math.log1p(Math.min(peerMax, 1e6));
    out[offset + 8] = Math.log1p(Math.min(bothMax, 1e6));
    out[offset + 9] = offbeat;
    out[offset + 10] = counterBack;
    out[offset + 11] = finer;
    // Shift among the peers: only a move away from the kind's centre counts (a device whose
    // first readings were tampered with comes back towards its peers).
    let shiftSq = 0;
    let shiftN = 0;
    for (let i = 0; i < numeric; i++) {
      const d = offScratch[i]!;
      const o = Number.isNaN(d) ? undefined : numScratch[i]!.offs.get(stateKey);
      offsScratch[i] = o;
      if (!o) continue;
      if (Math.abs(d) >= Math.abs(o[0]!)) {
        const sh = Math.abs(d - o[0]!) / unitScratch[i]! / Math.sqrt(1 + 1 / o[1]!);
        shiftSq += sh * sh;
      }
      shiftN++;
    }
    const shift = shiftN > 0 ? Math.sqrt(shiftSq / shiftN) : 0;
    out[offset + 12] = Math.log1p(Math.min(shift, 1e6));

    // Only clean readings teach the baselines: on the beat, not a replay, no counter going
    // back, near the device's peers, and near its own baseline (unless the device has kept
    // to a new level for a while). An attacker's readings are measured, never learnt.
    const suspect = offbeat > 0 || counterBack > 0 || finer > 0 || replayBits >= REPLAY_GATE_BITS;
    const clean = !suspect && ((zGate <= OWN_GATE && peerMax <= PEER_GATE) || s.rejects >= REJECTS_TO_ACCEPT);
    if (clean) s.rejects = 0;
    else s.rejects++;
    // the usual offset from the peers learns from readings near it only (an old capture's
    // readings sit elsewhere), unless the device has kept to a new place for a while
    const shiftOk = shift <= SHIFT_GATE || s.shiftRejects >= REJECTS_TO_ACCEPT;
    if (clean) s.shiftRejects = shift <= SHIFT_GATE ? 0 : s.shiftRejects + 1;
    for (let i = 0; i < numeric; i++) {
      const m = numScratch[i]!;
      const raw = rawScratch[i]!;
      const pb = peerScratch[i];
      if (pb && (offbeat === 0 && counterBack === 0 && replayBits < REPLAY_GATE_BITS) && peerZScratch[i]! <= PEER_GATE && (m.value.n < OWN_WARMUP || zScratch[i]! <= OWN_GATE)) pb.fold(Math.asinh(raw));
      if (!clean) continue;
      m.decimals[resScratch[i]!]!++;
      m.res = resolution(m.decimals);
      const kd = decScratch[i];
      if (kd) kd[resScratch[i]!]!++;
      m.value.fold(raw);
      const d = offScratch[i]!;
      if (!Number.isNaN(d) && shiftOk) {
        let o = offsScratch[i];
        if (o) o[0]! += Math.max(0.1, 1 / (o[1]! + 1)) * (d - o[0]!);
        else if (m.offs.size < 16) m.offs.set(stateKey, (o = Float64Array.of(d, 0)));
        if (o) o[1]!++;
      }
      // A kind's counter leaping ahead (a clone's reading on the beat, 20 % above the real
      // meter's) becomes its last value only once the next clean reading confirms the new
      // level: otherwise every later reading of the real meter would be a counter going back.
      const leap = KIND_COUNTER_REL_STEP * Math.max(Math.abs(raw), m.res);
      if (kcScratch[i] === 1 && m.hasLast && raw - m.last > leap) {
        const confirmed = !Number.isNaN(m.leapTo) && raw >= m.leapTo && raw - m.leapTo <= leap;
        if (!confirmed) {
          m.leapTo = raw;
          continue;
        }
        // the leap was the new level: this reading steps from it (a leap is no usual step)
        m.last = m.leapTo;
        m.leapTo = NaN;
      } else m.leapTo = NaN;
      if (m.hasLast) {
        m.step.fold(Math.abs(raw - m.last));
        const tr = trScratch[i];
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
    s.lastSchema = schema;
    s.lastKey = key;
    s.lastTs = ts;
  }

  /**
   * Distance (periods, 0–0.5) of a reading from the nearest beat of the device's rhythm; 0
   * on the beat. `zMean` is the reading's mean own-baseline z (−1 while unknown).
   */
  private beat(s: TelemetryState, ts: number, period: number, zMean: number): number {
    if (s.anchor < 0 || period <= 0) {
      s.anchor = ts;
      s.anchorZ = zMean;
      return 0;
    }
    const k = (ts - s.anchor) / period;
    const m = Math.max(1, Math.round(k));
    const err = Math.abs(k - m);
    // Off the anchor's beat but one period after a recent off-beat reading: the beat itself
    // moved (the anchor was a clone's reading that happened to fall near it).
    let moved = false;
    for (const off of s.offs) if (off >= 0 && Math.abs((ts - off) / period - 1) <= BEAT_TOLERANCE) moved = true;
    // Two readings for one beat: the one nearer the device's own baseline is the device's.
    const rival = k < RIVAL_WINDOW;
    const keeps = rival && zMean >= 0 && s.anchorZ >= 0 && zMean < s.anchorZ;
    if (err <= BEAT_TOLERANCE * Math.sqrt(m) || moved || keeps) {
      s.anchor = ts;
      s.anchorZ = zMean;
      s.offRun = 0;
      s.offs.fill(-1);
      return 0;
    }
    s.offs[s.offNext++ % s.offs.length] = ts;
    // a lasting change of rhythm (a device reconfigured, a clock reset): follow it
    if (++s.offRun >= 8) {
      s.anchor = ts;
      s.anchorZ = zMean;
      s.offRun = 0;
    }
    // distance to the nearest beat; right after the anchor (a near-duplicate) at least 2 tolerances
    return Math.round(k) === 0 ? Math.max(k, 2 * BEAT_TOLERANCE) : err;
  }

  extractNet(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < NET_FEATURES.length; i++) out[offset + i] = 0;
    const id = event.vigil.entity.id;
    let s = this.net.get(id);
    if (!s) {
      s = new NetState();
      this.net.set(id, s);
    }
    const ts = event.vigil.ts;
    const st = s;
    st.window.evict(ts - this.windows.netWindowMs, (f) => {
      st.dsts.remove(f.dst);
      st.ports.remove(f.port);
      if (f.port === 23 || f.port === 2323) st.telnet--;
      st.bytes -= f.bytes;
      st.packets -= f.packets;
    });
    const flow: Flow = {
      dst: event.destination?.ip ?? '',
      port: event.destination?.port ?? -1,
      bytes: event.network?.bytes ?? 0,
      packets: event.network?.packets ?? 0,
    };
    st.window.push(ts, flow);
    st.dsts.add(flow.dst);
    st.ports.add(flow.port);
    if (flow.port === 23 || flow.port === 2323) st.telnet++;
    st.bytes += flow.bytes;
    st.packets += flow.packets;
    const secs = this.windows.netWindowMs / 1000;
    out[offset] = Math.log1p(st.dsts.distinct);
    out[offset + 1] = Math.log1p(st.ports.distinct);
    out[offset + 2] = Math.log1p(st.telnet);
    const flowRate = st.window.size / secs;
    const byteRate = st.bytes / secs;
    const packetRate = st.packets / secs;
    out[offset + 3] = Math.log1p(flowRate);
    out[offset + 4] = Math.log1p(byteRate);
    out[offset + 5] = Math.log1p(packetRate);
    out[offset + 6] = Math.log1p(flow.bytes / Math.max(1, flow.packets));
    st.flows++;
    if (!st.known.has(flow.dst)) {
      if (st.flows > 50) out[offset + 7] = 1;
      if (st.known.size < 1024) st.known.add(flow.dst);
    }
    const src = event.source?.ip ?? '';
    let srcChange = 0;
    if (st.src === '' || st.srcStable < 5) {
      st.srcStable = st.src === src ? st.srcStable + 1 : 1;
      st.src = src;
    } else if (src !== st.src) srcChange = 1;
    out[offset + 8] = srcChange;
    const dstPublic = isPublicIpv4(flow.dst) ? 1 : 0;
    out[offset + 10] = dstPublic;
    let foreign = 0;
    const dot = src.lastIndexOf('.');
    if (dot > 0) {
      const prefix = src.slice(0, dot);
      let users = this.srcPrefixes.get(prefix);
      if (!users) {
        users = new Set();
        if (this.srcPrefixes.size < 65_536) this.srcPrefixes.set(prefix, users);
      }
      // a second source for this device id, from a network few devices use: a clone
      const rare = this.net.size >= 10 && (users.size < 3 || (users.size === 3 && !users.has(id)));
      if (rare && (st.sources.size > 1 || (st.sources.size === 1 && !st.sources.has(src)))) foreign = 1;
      if (users.size < 4) users.add(id);
      if (st.sources.size < 8) st.sources.add(src);
    }
    out[offset + 11] = foreign;
    const fz = st.rate.z(flowRate);
    const pz = st.packetRate.z(packetRate);
    const bz = st.byteRate.z(byteRate);
    out[offset + 9] = Math.log1p(Math.min(fz, 1e6));
    out[offset + 12] = Math.log1p(Math.min(pz, 1e6));
    out[offset + 13] = Math.log1p(Math.min(bz, 1e6));
    // The device's usual volume is learnt from its own ordinary flows only.
    if (dstPublic === 0 && foreign === 0 && srcChange === 0 && Math.max(fz, pz, bz) <= OWN_GATE) {
      st.rate.fold(flowRate);
      st.packetRate.fold(packetRate);
      st.byteRate.fold(byteRate);
    }
  }

  extractAuth(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < AUTH_FEATURES.length; i++) out[offset + i] = 0;
    const id = event.vigil.entity.id;
    let s = this.auth.get(id);
    if (!s) {
      s = new AuthState();
      this.auth.set(id, s);
    }
    const st = s;
    const ts = event.vigil.ts;
    st.window.evict(ts - this.windows.authWindowMs, (a) => {
      st.users.remove(a.user);
      if (a.fail) st.fails--;
    });
    const fail = event.event.outcome === 'failure';
    const user = event.user?.name ?? '';
    st.window.push(ts, { fail, user });
    st.users.add(user);
    if (fail) st.fails++;
    out[offset] = Math.log1p(st.fails);
    out[offset + 1] = st.fails / st.window.size;
    out[offset + 2] = Math.log1p(st.users.distinct);
    out[offset + 3] = fail ? 1 : 0;
    const src = event.source?.ip;
    if (src !== undefined) {
      if (!st.sources.has(src)) {
        if (st.n > 10) out[offset + 4] = 1;
        if (st.sources.size < 256) st.sources.add(src);
      }
      out[offset + 5] = isPublicIpv4(src) ? 1 : 0;
      const fc = this.srcFailCount;
      this.srcFails.evict(ts - this.windows.authWindowMs, (k) => fc.remove(k));
      if (fail) {
        this.srcFails.push(ts, src);
        fc.add(src);
      }
      out[offset + 6] = Math.log1p(fc.get(src));
      if (!this.authSources.has(src)) {
        if (this.authSeen >= 20) out[offset + 7] = 1;
        if (this.authSources.size < 65_536) this.authSources.add(src);
      }
      this.authSeen++;
    }
    st.n++;
  }
}
