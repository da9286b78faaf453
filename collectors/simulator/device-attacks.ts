/**
 * The IoT attacks (README.md, "IoT devices"): how an episode is planned, what the attacker
 * sends on its own rhythm, and how sensor_injection and replay tamper with readings.
 */
import { MIRAI_PORTS, MIRAI_USERS, randomPublicIp, type IotAttack } from './attacks.js';
import type { Device, Metrics } from './devices.js';
import type { Episode } from './episodes.js';
import type { Random } from '../../events/index.js';

export interface DeviceEpisode extends Episode {
  type: IotAttack;
  device: Device;
  /** Next attack message time for attacks on their own rhythm. */
  next: number;
  peerIp: string;
  mode: string;
  cracks: boolean;
  burstLeft: number;
  replayIndex: number;
  replayFrom: number;
}

/** Where attack messages go: the simulator's output with the episode's label. */
export interface DeviceAttackHost {
  push(ts: number, record: Record<string, unknown>, ep: Episode): void;
}

export function planDeviceEpisode(type: IotAttack, now: number, free: readonly Device[], episodeEvents: number, r: Random): DeviceEpisode | undefined {
  if (free.length === 0) return undefined;
  // Injection fakes physical readings: sensors and meters first.
  const physical = free.filter((d) => d.kind === 'environment' || d.kind === 'meter');
  const device = r.pick(type === 'sensor_injection' && physical.length > 0 ? physical : free);
  const E = episodeEvents;
  const ep: DeviceEpisode = {
    type,
    device,
    start: now,
    end: now,
    planned: 0,
    emitted: 0,
    rng: r.fork(`${type}:${now}`),
    next: now + r.int(0, 99),
    peerIp: '',
    mode: '',
    cracks: false,
    burstLeft: 0,
    replayIndex: 0,
    replayFrom: 0,
  };
  const period = device.profile.telemetryMs;
  switch (type) {
    case 'mirai_scan':
      // About 20 probes a second.
      ep.planned = Math.max(E, 60);
      ep.end = now + Math.round(ep.planned / 20) * 1000;
      break;
    case 'password_guessing':
      ep.planned = Math.max(8, Math.min(E, 200));
      // Ends after its last attempt; bursts average about 0.9 s per attempt, so this is a cap.
      ep.end = now + ep.planned * 2_000;
      ep.peerIp = randomPublicIp(r);
      ep.mode = r.chance(0.7) ? 'telnet' : 'ssh';
      ep.cracks = r.chance(0.35);
      ep.burstLeft = r.int(4, 10);
      break;
    case 'ddos':
      ep.planned = Math.max(6, Math.min(E, 120));
      ep.end = now + ep.planned * 500;
      ep.peerIp = randomPublicIp(r);
      ep.mode = r.chance(0.5) ? 'syn' : 'udp';
      break;
    case 'sensor_injection':
    case 'replay': {
      const seconds = r.uniform(30, 60);
      ep.end = now + Math.round(seconds) * 1000;
      ep.planned = 1 + Math.floor((seconds * 1000) / period);
      ep.mode = type === 'replay' ? 'replay' : { environment: r.pick(['heat', 'pm25']), meter: 'under_report', camera: 'frozen_scene', traffic_light: 'stuck_green' }[device.kind];
      ep.replayFrom = now - r.int(1, 6) * 3_600_000;
      break;
    }
    case 'impersonation': {
      const seconds = r.uniform(20, 40);
      ep.end = now + Math.round(seconds) * 1000;
      ep.planned = Math.round((seconds * 1000) / (period * 0.475) * (4 / 3));
      ep.peerIp = `10.66.${r.int(0, 255)}.${r.int(2, 254)}`;
      ep.mode = String(r.pick([-0.25, 0.2, 0.3]));
      break;
    }
    case 'silent_device':
      ep.end = now + r.int(45, 90) * 1000;
      ep.next = Infinity;
      break;
  }
  return ep;
}

/** sensor_injection and replay replace the device's readings in transit. */
export function tampered(ep: DeviceEpisode, honest: Metrics): Metrics {
  const d = ep.device;
  if (ep.type === 'replay') {
    const recorded = d.sent.filter((s) => s.ts <= ep.start - 30_000);
    if (recorded.length >= 2) {
      // Readings captured earlier, sent again in their original order.
      const pick = recorded[ep.replayIndex++ % recorded.length];
      if (pick) return pick.metrics;
    }
    // Nothing captured yet in this run: readings from hours before it (the attacker's old capture).
    const old = d.readings(ep.replayFrom + ep.replayIndex++ * d.profile.telemetryMs, { rng: ep.rng, commit: false });
    if (typeof old.energy_kwh === 'number') old.energy_kwh = Math.round((old.energy_kwh - ((ep.start - ep.replayFrom) / 3_600_000) * 0.9) * 1000) / 1000;
    return old;
  }
  const m = { ...honest };
  const r = ep.rng;
  switch (ep.mode) {
    case 'heat':
      m.temperature = Math.round(((m.temperature as number) + r.uniform(15, 25)) * 10) / 10;
      break;
    case 'pm25':
      m.pm25 = Math.round(r.uniform(180, 350) * 10) / 10;
      break;
    case 'under_report':
      m.power_kw = Math.round((m.power_kw as number) * r.uniform(0.05, 0.2) * 1000) / 1000;
      m.current_a = Math.round((m.current_a as number) * 0.1 * 100) / 100;
      break;
    case 'frozen_scene':
      m.motion_events = 0;
      m.bitrate_kbps = 1_200;
      break;
    case 'stuck_green':
      m.phase = 'green';
      m.queue_len = 0;
      break;
  }
  return m;
}

/** Attack messages on the attacker's own rhythm. */
export function stepDeviceAttack(host: DeviceAttackHost, ep: DeviceEpisode, t1: number): void {
  const d = ep.device;
  const r = ep.rng;
  while (ep.next < t1 && ep.next < ep.end) {
    const ts = ep.next;
    switch (ep.type) {
      case 'mirai_scan': {
        const dport = r.chance(MIRAI_PORTS.alternateShare) ? MIRAI_PORTS.alternate : MIRAI_PORTS.primary;
        const packets = r.chance(0.3) ? 2 : 1; // a SYN, sometimes retransmitted
        host.push(ts, { kind: 'net', device: d.id, ts, src: d.ip, dst: randomPublicIp(r), dport, sport: r.int(1024, 65_535), proto: 'tcp', bytes: packets * 60, packets }, ep);
        ep.next = ts + Math.max(1, Math.round(r.exponential(50)));
        break;
      }
      case 'password_guessing': {
        const last = ep.emitted + 1 >= ep.planned;
        host.push(ts, { kind: 'auth', device: d.id, ts, user: r.pick(MIRAI_USERS), outcome: last && ep.cracks ? 'success' : 'failure', src: ep.peerIp, method: ep.mode }, ep);
        if (last) ep.end = ts + 1;
        if (--ep.burstLeft > 0) ep.next = ts + r.int(250, 700);
        else {
          ep.burstLeft = r.int(4, 10);
          ep.next = ts + r.int(2_000, 5_000);
        }
        break;
      }
      case 'ddos': {
        const syn = ep.mode === 'syn';
        const packets = syn ? r.int(3_000, 8_000) : r.int(1_000, 4_000);
        const size = syn ? 60 : r.int(512, 1_400);
        host.push(
          ts,
          { kind: 'net', device: d.id, ts, src: d.ip, dst: ep.peerIp, dport: syn ? 80 : r.int(1, 65_535), sport: r.int(1024, 65_535), proto: syn ? 'tcp' : 'udp', bytes: packets * size, packets },
          ep,
        );
        ep.next = ts + 500;
        break;
      }
      case 'impersonation': {
        // The clone's own rhythm and baseline; its flows come from another address.
        host.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: d.readings(ts, { rng: r, shift: Number(ep.mode), commit: false }) }, ep);
        if (ep.emitted % 3 === 1) {
          const p = d.profile.peers[0];
          if (p) {
            const bytes = Math.round(p.bytes * r.uniform(0.3, 0.6));
            host.push(ts + 7, { kind: 'net', device: d.id, ts: ts + 7, src: ep.peerIp, dst: p.ip, dport: p.port, sport: r.int(1024, 65_535), proto: p.proto, bytes, packets: Math.max(1, Math.round(bytes / p.packetSize)) }, ep);
          }
        }
        ep.next = ts + Math.round(d.profile.telemetryMs * r.uniform(0.35, 0.6));
        break;
      }
      case 'sensor_injection':
      case 'replay':
        // The first tampered reading goes out at once; later ones replace the device's own.
        host.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: tampered(ep, d.readings(ts, { rng: r, commit: false })) }, ep);
        ep.next = Infinity;
        break;
      case 'silent_device':
        ep.next = Infinity;
        break;
    }
  }
}
