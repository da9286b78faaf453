/**
 * Per-device IoT features: each metric against the device's own robust, decaying baseline,
 * the rhythm of its reports, network fan-out and volume (Mirai-style scanning of telnet
 * 23/2323, floods), and authentication failures. Three event kinds, three feature families,
 * each with its own model: a telemetry reading and a network flow have nothing in common.
 */
import type { VigilEvent } from '../../events/index.js';
import { Counter, RobustBaseline, TimeWindow } from './robust.js';

export const TELEMETRY_FEATURES = [
  /** log1p of the largest robust z of any numeric metric against the device's baseline. */
  'metric_z_max_log',
  /** log1p of the mean robust z over the numeric metrics. */
  'metric_z_mean_log',
  /** log1p of the largest step (change since the last report) against the usual step. */
  'step_z_max_log',
  /** |log(interval / usual interval)|: the reporting rhythm. */
  'rhythm',
  /** 1 when the exact reading was reported before (not as the previous report): a replay. */
  'repeat',
  /** log1p of the rarity (−log frequency) of the device's string/boolean states. */
  'state_rarity',
  /** 1 when the set of metric names differs from the previous report. */
  'schema_change',
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
] as const;

export interface DeviceWindows {
  /** Network window, milliseconds. @default 10000 */
  netWindowMs: number;
  /** Authentication window, milliseconds. @default 60000 */
  authWindowMs: number;
}
export const DEFAULT_DEVICE_WINDOWS: DeviceWindows = { netWindowMs: 10_000, authWindowMs: 60_000 };

interface MetricState {
  value: RobustBaseline;
  step: RobustBaseline;
  last: number;
}

class TelemetryState {
  metrics = new Map<string, MetricState>();
  states = new Map<string, number>();
  statesTotal = 0;
  interval = new RobustBaseline(0.05);
  lastTs = -1;
  lastKey = '';
  lastSchema = '';
  /** The last 512 readings, as keys with their multiplicity. */
  recent = new Map<string, number>();
  ring: string[] = [];
  ringPos = 0;
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
}

class AuthState {
  window = new TimeWindow<{ fail: boolean; user: string }>();
  users = new Counter<string>();
  fails = 0;
  sources = new Set<string>();
  n = 0;
}

export class DeviceFeatures {
  private readonly telemetry = new Map<string, TelemetryState>();
  private readonly net = new Map<string, NetState>();
  private readonly auth = new Map<string, AuthState>();

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
    let zMax = 0;
    let zSum = 0;
    let stepMax = 0;
    let numeric = 0;
    let rarity = 0;
    let key = '';
    let schema = '';
    for (const name in metrics) {
      // `seq` counts records (the TON_IoT importer adds it to keep duplicate rows distinct):
      // not a reading, and a counter would make every replayed reading look new.
      if (name === 'seq') continue;
      const raw = metrics[name]!;
      schema += `${name},`;
      key += `${String(raw)},`;
      if (typeof raw === 'number') {
        let m = s.metrics.get(name);
        if (!m) {
          m = { value: new RobustBaseline(0.02), step: new RobustBaseline(0.02), last: raw };
          s.metrics.set(name, m);
        }
        const z = m.value.update(raw);
        const sz = m.value.n > 1 ? m.step.update(Math.abs(raw - m.last)) : 0;
        m.last = raw;
        zSum += z;
        if (z > zMax) zMax = z;
        if (sz > stepMax) stepMax = sz;
        numeric++;
      } else {
        const state = `${name}=${String(raw)}`;
        const c = s.states.get(state) ?? 0;
        if (s.statesTotal >= 20) rarity = Math.max(rarity, -Math.log((c + 1) / (s.statesTotal + 2)));
        s.states.set(state, c + 1);
        s.statesTotal++;
      }
    }
    out[offset] = Math.log1p(Math.min(zMax, 1e6));
    out[offset + 1] = numeric > 0 ? Math.log1p(Math.min(zSum / numeric, 1e6)) : 0;
    out[offset + 2] = Math.log1p(Math.min(stepMax, 1e6));
    if (s.lastTs >= 0) {
      const dt = Math.max(0, ts - s.lastTs);
      const usual = s.interval.center;
      if (s.interval.n >= 3) out[offset + 3] = Math.abs(Math.log((dt + 100) / (usual + 100)));
      s.interval.update(dt);
    }
    // Readings with a fractional part rarely repeat exactly; a repeat that is not simply the
    // last report again is what a replay of recorded traffic looks like.
    if ((s.recent.get(key) ?? 0) > 0 && key !== s.lastKey && /\.\d/.test(key)) out[offset + 4] = 1;
    s.recent.set(key, (s.recent.get(key) ?? 0) + 1);
    if (s.ring.length < 512) s.ring.push(key);
    else {
      const old = s.ring[s.ringPos]!;
      const c = (s.recent.get(old) ?? 1) - 1;
      if (c <= 0) s.recent.delete(old);
      else s.recent.set(old, c);
      s.ring[s.ringPos] = key;
      s.ringPos = (s.ringPos + 1) % 512;
    }
    out[offset + 5] = Math.log1p(rarity);
    out[offset + 6] = s.lastSchema !== '' && s.lastSchema !== schema ? 1 : 0;
    s.lastSchema = schema;
    s.lastKey = key;
    s.lastTs = ts;
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
    out[offset + 3] = Math.log1p(flowRate);
    out[offset + 4] = Math.log1p(st.bytes / secs);
    out[offset + 5] = Math.log1p(st.packets / secs);
    out[offset + 6] = Math.log1p(flow.bytes / Math.max(1, flow.packets));
    st.flows++;
    if (!st.known.has(flow.dst)) {
      if (st.flows > 50) out[offset + 7] = 1;
      if (st.known.size < 1024) st.known.add(flow.dst);
    }
    const src = event.source?.ip ?? '';
    if (st.src === '' || st.srcStable < 5) {
      st.srcStable = st.src === src ? st.srcStable + 1 : 1;
      st.src = src;
    } else if (src !== st.src) out[offset + 8] = 1;
    out[offset + 9] = Math.log1p(Math.min(st.rate.update(flowRate), 1e6));
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
    }
    st.n++;
  }
}
