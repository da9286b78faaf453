/**
 * Telemetry features of a device's readings: each metric against the device's own baseline
 * and its peers' (metric.ts), the rhythm of its reports (rhythm.ts), replays (replay.ts),
 * rare states, a changed set of metrics, and a move among its peers.
 */
import type { VigilEvent } from '../../../events/index.js';
import { learn, measure, newMetric, OWN_GATE, PEER_GATE, OWN_WARMUP, PeerState, Readings, type MetricState } from './metric.js';
import { TELEMETRY, TELEMETRY_FEATURES } from './names.js';
import { ReplayMemory } from './replay.js';
import { Beat, rhythm } from './rhythm.js';
import { EntityFeatures } from '../idle.js';

/** Consecutive rejected readings after which the device's own baseline accepts the new level. */
const REJECTS_TO_ACCEPT = 12;
/** Bits of a repeat below which it is not held against the reading when gating. */
const REPLAY_GATE_BITS = 8;
/** RMS shift (in peer spreads) from the device's usual offset beyond which a reading does not teach that offset. */
const SHIFT_GATE = 2;
/** Kinds of device (sets of metric names) tracked. */
const KINDS = 4096;

class TelemetryState {
  metrics = new Map<string, MetricState>();
  states = new Map<string, number>();
  statesTotal = 0;
  lastTs = -1;
  readonly beat = new Beat();
  readonly replay = new ReplayMemory();
  rejects = 0;
  /** Consecutive clean readings away from the device's usual offset from its peers. */
  shiftRejects = 0;
  lastKey = '';
  lastSchema = '';
  peers: PeerState | undefined;
}

/** The reading's metrics as one key (its values) and its schema (its names), `seq` left out. */
function keyOf(metrics: Record<string, unknown>): { key: string; schema: string } {
  let key = '';
  let schema = '';
  for (const name in metrics) {
    // `seq` counts records (the TON_IoT importer adds it to keep duplicate rows distinct):
    // not a reading, and a counter would make every replayed reading look new.
    if (name === 'seq') continue;
    schema += `${name},`;
    key += `${String(metrics[name])},`;
  }
  return { key, schema };
}

export class TelemetryFeatures extends EntityFeatures<TelemetryState> {
  private readonly kinds = new Map<string, PeerState>();
  private readonly r = new Readings();

  constructor() {
    super(() => new TelemetryState());
  }

  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < TELEMETRY_FEATURES.length; i++) out[offset + i] = 0;
    const metrics = event.vigil.metrics;
    if (!metrics) return;
    const id = event.vigil.entity.id;
    const s = this.states.at(id, event.vigil.ts);
    const ts = event.vigil.ts;
    const { key, schema } = keyOf(metrics);
    const peers = this.peersOf(s, schema);
    if (s.lastTs >= 0) peers.period.add(ts - s.lastTs);
    const period = peers.period.period;
    if (s.lastTs >= 0 && period > 0) out[offset + TELEMETRY.rhythm] = rhythm(ts - s.lastTs, period);

    const r = this.r;
    r.reset();
    const { rarity, stateKey } = this.readMetrics(s, peers, metrics, r);
    // Rhythm: the beat of the device's kind, anchored on the device's last reading that fell on it.
    const offbeat = s.beat.offbeat(ts, period, r.numeric > 0 && r.warm ? r.zSum / r.numeric : -1);
    out[offset + TELEMETRY.metric_z_max_log] = Math.log1p(Math.min(r.zMax, 1e6));
    out[offset + TELEMETRY.metric_z_mean_log] = r.numeric > 0 ? Math.log1p(Math.min(r.zSum / r.numeric, 1e6)) : 0;
    out[offset + TELEMETRY.step_z_max_log] = Math.log1p(Math.min(r.stepMax, 1e6));
    const replayBits = s.replay.observe(key, s.lastKey, r.bits);
    out[offset + TELEMETRY.replay_bits] = Math.min(64, replayBits);
    out[offset + TELEMETRY.state_rarity] = Math.log1p(rarity);
    out[offset + TELEMETRY.schema_change] = s.lastSchema !== '' && s.lastSchema !== schema ? 1 : 0;
    out[offset + TELEMETRY.peer_z_max_log] = Math.log1p(Math.min(r.peerMax, 1e6));
    out[offset + TELEMETRY.both_z_max_log] = Math.log1p(Math.min(r.bothMax, 1e6));
    out[offset + TELEMETRY.offbeat] = offbeat;
    out[offset + TELEMETRY.counter_back] = r.counterBack;
    out[offset + TELEMETRY.finer_resolution] = r.finer;
    const shift = this.peerShift(r, stateKey);
    out[offset + TELEMETRY.peer_shift_log] = Math.log1p(Math.min(shift, 1e6));
    this.learnReading(s, r, stateKey, offbeat, replayBits, shift);
    s.lastSchema = schema;
    s.lastKey = key;
    s.lastTs = ts;
  }

  /** The device's kind (devices with the same metric names). */
  private peersOf(s: TelemetryState, schema: string): PeerState {
    if (schema !== s.lastSchema || !s.peers) {
      let p = this.kinds.get(schema);
      if (!p) {
        p = new PeerState();
        if (this.kinds.size < KINDS) this.kinds.set(schema, p);
      }
      s.peers = p;
    }
    return s.peers;
  }

  /** Measures the numeric metrics into `r`; the string and boolean ones are states, scored by rarity. */
  private readMetrics(s: TelemetryState, peers: PeerState, metrics: Record<string, unknown>, r: Readings): { rarity: number; stateKey: string } {
    let rarity = 0;
    let stateKey = '';
    for (const name in metrics) {
      if (name === 'seq') continue;
      const raw = metrics[name]!;
      if (typeof raw === 'number') {
        let m = s.metrics.get(name);
        if (!m) {
          m = newMetric(raw);
          s.metrics.set(name, m);
        }
        measure(m, peers, name, raw, r);
      } else {
        const state = `${name}=${String(raw)}`;
        stateKey += `${state},`;
        const c = s.states.get(state) ?? 0;
        if (s.statesTotal >= 20) rarity = Math.max(rarity, -Math.log((c + 1) / (s.statesTotal + 2)));
        s.states.set(state, c + 1);
        s.statesTotal++;
      }
    }
    return { rarity, stateKey };
  }

  /**
   * Shift among the peers: the RMS change of the device's offset from its peers' centre
   * against its usual offset in this combination of states. Only a move away from the
   * kind's centre counts (a device whose first readings were tampered with comes back
   * towards its peers).
   */
  private peerShift(r: Readings, stateKey: string): number {
    let shiftSq = 0;
    let shiftN = 0;
    for (let i = 0; i < r.numeric; i++) {
      const d = r.off[i]!;
      const o = Number.isNaN(d) ? undefined : r.metric[i]!.offs.get(stateKey);
      r.usualOff[i] = o;
      if (!o) continue;
      if (Math.abs(d) >= Math.abs(o[0]!)) {
        const sh = Math.abs(d - o[0]!) / r.unit[i]! / Math.sqrt(1 + 1 / o[1]!);
        shiftSq += sh * sh;
      }
      shiftN++;
    }
    return shiftN > 0 ? Math.sqrt(shiftSq / shiftN) : 0;
  }

  /**
   * Only clean readings teach the baselines: on the beat, not a replay, no counter going
   * back, near the device's peers, and near its own baseline (unless the device has kept
   * to a new level for a while). An attacker's readings are measured, never learnt.
   */
  private learnReading(s: TelemetryState, r: Readings, stateKey: string, offbeat: number, replayBits: number, shift: number): void {
    const suspect = offbeat > 0 || r.counterBack > 0 || r.finer > 0 || replayBits >= REPLAY_GATE_BITS;
    const clean = !suspect && ((r.zGate <= OWN_GATE && r.peerMax <= PEER_GATE) || s.rejects >= REJECTS_TO_ACCEPT);
    if (clean) s.rejects = 0;
    else s.rejects++;
    // the usual offset from the peers learns from readings near it only (an old capture's
    // readings sit elsewhere), unless the device has kept to a new place for a while
    const shiftOk = shift <= SHIFT_GATE || s.shiftRejects >= REJECTS_TO_ACCEPT;
    if (clean) s.shiftRejects = shift <= SHIFT_GATE ? 0 : s.shiftRejects + 1;
    for (let i = 0; i < r.numeric; i++) {
      const m = r.metric[i]!;
      const pb = r.peer[i];
      // the peers learn from any reading on the beat that is no replay and near them
      if (pb && offbeat === 0 && r.counterBack === 0 && replayBits < REPLAY_GATE_BITS && r.peerZ[i]! <= PEER_GATE && (m.value.n < OWN_WARMUP || r.z[i]! <= OWN_GATE)) pb.fold(Math.asinh(r.raw[i]!));
      if (clean) learn(r, i, stateKey, shiftOk);
    }
  }
}
