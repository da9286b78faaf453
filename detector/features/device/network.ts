/**
 * Network features of a device's flows: fan-out and volume in a sliding window
 * (Mirai-style scanning of telnet 23/2323, floods), against the device's own usual rates,
 * and where the flows come from (a changed source address, a clone on a network few
 * devices use) and go (a new or a public destination).
 */
import type { VigilEvent } from '../../../events/index.js';
import { Counter, isPublicIpv4, RobustBaseline, TimeWindow } from '../robust.js';
import { NET, NET_FEATURES } from './names.js';
import { EntityFeatures } from '../idle.js';

/** Own-rate z beyond which a flow is not folded into the device's usual rates. */
const OWN_GATE = 6;

interface Flow {
  dst: string;
  port: number;
  bytes: number;
  packets: number;
}

const isTelnet = (port: number): boolean => port === 23 || port === 2323;

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

  /** The window moved to end at this flow. */
  slide(since: number, flow: Flow, ts: number): void {
    this.window.evict(since, (f) => {
      this.dsts.remove(f.dst);
      this.ports.remove(f.port);
      if (isTelnet(f.port)) this.telnet--;
      this.bytes -= f.bytes;
      this.packets -= f.packets;
    });
    this.window.push(ts, flow);
    this.dsts.add(flow.dst);
    this.ports.add(flow.port);
    if (isTelnet(flow.port)) this.telnet++;
    this.bytes += flow.bytes;
    this.packets += flow.packets;
  }
}

export class NetFeatures extends EntityFeatures<NetState> {
  /** /24 of a source address → devices sending from it (at most 4 kept). */
  private readonly srcPrefixes = new Map<string, Set<string>>();

  /** @param windowMs the network window, milliseconds */
  constructor(private readonly windowMs: number) {
    super(() => new NetState());
  }

  extract(event: VigilEvent, out: Float32Array, offset: number): void {
    for (let i = 0; i < NET_FEATURES.length; i++) out[offset + i] = 0;
    const id = event.vigil.entity.id;
    const s = this.states.at(id, event.vigil.ts);
    const ts = event.vigil.ts;
    const flow: Flow = {
      dst: event.destination?.ip ?? '',
      port: event.destination?.port ?? -1,
      bytes: event.network?.bytes ?? 0,
      packets: event.network?.packets ?? 0,
    };
    s.slide(ts - this.windowMs, flow, ts);
    const secs = this.windowMs / 1000;
    out[offset + NET.dst_distinct_log] = Math.log1p(s.dsts.distinct);
    out[offset + NET.port_distinct_log] = Math.log1p(s.ports.distinct);
    out[offset + NET.telnet_log] = Math.log1p(s.telnet);
    const flowRate = s.window.size / secs;
    const byteRate = s.bytes / secs;
    const packetRate = s.packets / secs;
    out[offset + NET.flow_rate_log] = Math.log1p(flowRate);
    out[offset + NET.byte_rate_log] = Math.log1p(byteRate);
    out[offset + NET.packet_rate_log] = Math.log1p(packetRate);
    out[offset + NET.bytes_per_packet_log] = Math.log1p(flow.bytes / Math.max(1, flow.packets));
    s.flows++;
    if (!s.known.has(flow.dst)) {
      if (s.flows > 50) out[offset + NET.new_dst] = 1;
      if (s.known.size < 1024) s.known.add(flow.dst);
    }
    const src = event.source?.ip ?? '';
    let srcChange = 0;
    if (s.src === '' || s.srcStable < 5) {
      s.srcStable = s.src === src ? s.srcStable + 1 : 1;
      s.src = src;
    } else if (src !== s.src) srcChange = 1;
    out[offset + NET.src_change] = srcChange;
    const dstPublic = isPublicIpv4(flow.dst) ? 1 : 0;
    out[offset + NET.dst_public] = dstPublic;
    const foreign = this.foreign(s, id, src);
    out[offset + NET.src_foreign] = foreign;
    const fz = s.rate.z(flowRate);
    const pz = s.packetRate.z(packetRate);
    const bz = s.byteRate.z(byteRate);
    out[offset + NET.flow_rate_z_log] = Math.log1p(Math.min(fz, 1e6));
    out[offset + NET.packet_rate_z_log] = Math.log1p(Math.min(pz, 1e6));
    out[offset + NET.byte_rate_z_log] = Math.log1p(Math.min(bz, 1e6));
    // The device's usual volume is learnt from its own ordinary flows only.
    if (dstPublic === 0 && foreign === 0 && srcChange === 0 && Math.max(fz, pz, bz) <= OWN_GATE) {
      s.rate.fold(flowRate);
      s.packetRate.fold(packetRate);
      s.byteRate.fold(byteRate);
    }
  }

  /** 1 for a second source of this device id on a network few devices use: a clone. */
  private foreign(s: NetState, id: string, src: string): number {
    const dot = src.lastIndexOf('.');
    if (dot <= 0) return 0;
    let foreign = 0;
    const prefix = src.slice(0, dot);
    let users = this.srcPrefixes.get(prefix);
    if (!users) {
      users = new Set();
      if (this.srcPrefixes.size < 65_536) this.srcPrefixes.set(prefix, users);
    }
    const rare = this.states.size >= 10 && (users.size < 3 || (users.size === 3 && !users.has(id)));
    if (rare && (s.sources.size > 1 || (s.sources.size === 1 && !s.sources.has(src)))) foreign = 1;
    if (users.size < 4) users.add(id);
    if (s.sources.size < 8) s.sources.add(src);
    return foreign;
  }
}
