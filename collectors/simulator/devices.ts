/**
 * IoT devices: what each kind measures, whom it talks to, and how often. Readings follow
 * the time of day in the city (UTC+8) with per-device baselines and noise, so that a
 * per-entity baseline learnt by the detector has something real to learn.
 */
import { pointAlong, toLatLon, type RoadNetwork } from './network.js';
import type { Random } from '../../events/index.js';

export const DEVICE_KINDS = ['environment', 'meter', 'camera', 'traffic_light'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/** A normal peer of a device: the flows its network summaries describe. */
export interface Peer {
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
  /** What the peer is. */
  service: string;
  /** Mean bytes per summary window. */
  bytes: number;
  /** Mean bytes per packet. */
  packetSize: number;
}

/** City services every device knows (the gateway's view of the normal network). */
export const SERVICES = {
  broker: { ip: '10.0.0.10', port: 8883, proto: 'tcp', service: 'mqtt-broker' },
  ntp: { ip: '10.0.0.5', port: 123, proto: 'udp', service: 'ntp' },
  dns: { ip: '10.0.0.53', port: 53, proto: 'udp', service: 'dns' },
  nvr: { ip: '10.0.1.20', port: 554, proto: 'tcp', service: 'video-recorder (RTSP)' },
  headEnd: { ip: '10.0.2.30', port: 4059, proto: 'tcp', service: 'meter head-end (DLMS/COSEM)' },
  tmc: { ip: '10.0.3.40', port: 443, proto: 'tcp', service: 'traffic management centre' },
} as const;

/** Operators' workstations in the network operations centre: the normal sources of logins. */
const NOC = ['10.0.5.11', '10.0.5.12', '10.0.5.13', '10.0.5.14'];

interface KindProfile {
  /** Telemetry period, milliseconds. */
  telemetryMs: number;
  /** Network summary window, milliseconds. */
  netMs: number;
  peers: Peer[];
  /** Mean time between logins, milliseconds, and who logs in how. */
  authMeanMs: number;
  users: string[];
  method: string;
  subnet: number;
}

const peer = (s: (typeof SERVICES)[keyof typeof SERVICES], bytes: number, packetSize: number): Peer => ({ ...s, bytes, packetSize });

export const KIND_PROFILES: Record<DeviceKind, KindProfile> = {
  environment: {
    telemetryMs: 10_000,
    netMs: 30_000,
    peers: [peer(SERVICES.broker, 1_800, 180), peer(SERVICES.dns, 240, 80)],
    authMeanMs: 1_800_000,
    users: ['maint'],
    method: 'ssh',
    subnet: 1,
  },
  meter: {
    telemetryMs: 15_000,
    netMs: 60_000,
    peers: [peer(SERVICES.headEnd, 2_400, 240), peer(SERVICES.ntp, 152, 76)],
    authMeanMs: 300_000,
    users: ['hes'],
    method: 'dlms',
    subnet: 2,
  },
  camera: {
    telemetryMs: 5_000,
    netMs: 10_000,
    // About 4 Mbit/s of video over a 10 s window.
    peers: [peer(SERVICES.nvr, 5_000_000, 1_350), peer(SERVICES.broker, 900, 150)],
    authMeanMs: 120_000,
    users: ['operator', 'viewer'],
    method: 'https',
    subnet: 3,
  },
  traffic_light: {
    telemetryMs: 5_000,
    netMs: 15_000,
    peers: [peer(SERVICES.tmc, 6_000, 300), peer(SERVICES.ntp, 152, 76)],
    authMeanMs: 60_000,
    users: ['tmc'],
    method: 'ssh',
    subnet: 4,
  },
};

/** Kinds in a fixed repeating mix: meters and sensors are the most numerous, as in a city. */
const KIND_MIX: DeviceKind[] = ['environment', 'meter', 'camera', 'traffic_light', 'meter', 'environment', 'meter', 'camera', 'environment', 'meter'];

/** Legitimate login failures (mistyped passwords), as a fraction of logins. */
const LOGIN_FAILURE_RATE = 0.04;

export type Metrics = Record<string, number | string>;

export class Device {
  readonly kind: DeviceKind;
  readonly profile: KindProfile;
  readonly ip: string;
  readonly x: number;
  readonly y: number;
  readonly lat: number;
  readonly lon: number;
  nextTelemetry: number;
  nextNet: number;
  nextAuth: number;
  /** Readings sent, newest last (what a replay attacker could have captured). */
  readonly sent: Array<{ ts: number; metrics: Metrics }> = [];
  /** Cumulative energy (meters), kWh. */
  private energy: number;
  /** Per-device offsets from the city-wide pattern. */
  private readonly bias: number;
  private readonly scale: number;
  private readonly cycleS: number;
  private readonly cycleOffsetS: number;

  constructor(
    readonly id: string,
    readonly index: number,
    net: RoadNetwork,
    private readonly rng: Random,
    startMs: number,
  ) {
    this.kind = KIND_MIX[index % KIND_MIX.length] as DeviceKind;
    this.profile = KIND_PROFILES[this.kind];
    this.ip = `10.20.${this.profile.subnet * 16 + Math.floor(index / 250)}.${(index % 250) + 2}`;
    // Cameras and traffic lights stand at intersections; sensors and meters along streets.
    const atJunction = this.kind === 'camera' || this.kind === 'traffic_light';
    if (atJunction) {
      const lights = net.intersections.filter((i) => i.signalised);
      const node = rng.pick(this.kind === 'traffic_light' && lights.length > 0 ? lights : net.intersections);
      this.x = node.x;
      this.y = node.y;
    } else {
      const road = rng.pick(net.roads);
      const p = pointAlong(road, rng.uniform(Math.min(20, road.length / 2), Math.max(road.length / 2, road.length - 20)));
      // Meters sit in the buildings, set back from the street.
      const setback = this.kind === 'meter' ? 15 : 0;
      this.x = p.x - p.uy * setback;
      this.y = p.y + p.ux * setback;
    }
    const ll = toLatLon(net, this.x, this.y);
    this.lat = ll.lat;
    this.lon = ll.lon;
    this.nextTelemetry = startMs + rng.int(0, this.profile.telemetryMs - 1);
    this.nextNet = startMs + rng.int(0, this.profile.netMs - 1);
    this.nextAuth = startMs + Math.round(rng.exponential(this.profile.authMeanMs));
    this.energy = rng.uniform(1_000, 40_000);
    this.bias = rng.normal(0, 1);
    this.scale = rng.uniform(0.6, 1.6);
    this.cycleS = rng.pick([90, 100, 120]);
    this.cycleOffsetS = rng.int(0, 119);
  }

  /** The next telemetry time after one at `ts`: the period with a little clock jitter. */
  telemetryAfter(ts: number): number {
    return ts + Math.round(this.profile.telemetryMs * (1 + this.rng.uniform(-0.02, 0.02)));
  }

  netAfter(ts: number): number {
    return ts + Math.round(this.profile.netMs * (1 + this.rng.uniform(-0.01, 0.01)));
  }

  authAfter(ts: number): number {
    return ts + Math.max(1_000, Math.round(this.rng.exponential(this.profile.authMeanMs)));
  }

  /**
   * Honest readings at `ts`. An impersonator or a replay passes its own `rng`, `shift`
   * (moves the baseline, as a clone's would differ) and `commit: false` (the real meter's
   * energy counter does not advance).
   */
  readings(ts: number, options: { rng?: Random; shift?: number; commit?: boolean } = {}): Metrics {
    const rng = options.rng ?? this.rng;
    const shift = options.shift ?? 0;
    const h = localHour(ts);
    const traffic = trafficLevel(h);
    const daylight = Math.max(0, Math.sin(((h - 6.5) / 12.5) * Math.PI));
    const r1 = (v: number): number => Math.round(v * 10) / 10;
    const r2 = (v: number): number => Math.round(v * 100) / 100;
    switch (this.kind) {
      case 'environment': {
        // Singapore: 25–33 °C, warmest mid-afternoon; humidity moves against temperature.
        const temperature = 28.5 + shift * 3 + 3.5 * Math.sin(((h - 9) / 24) * 2 * Math.PI) + 0.4 * this.bias + rng.normal(0, 0.15);
        return {
          temperature: r1(temperature),
          humidity: r1(Math.min(100, 78 - 2.4 * (temperature - 28.5) + 2 * this.bias + rng.normal(0, 0.8))),
          pm25: r1(Math.max(1, 12 + 14 * traffic * this.scale + rng.normal(0, 1.5))),
          noise_dba: r1(48 + 20 * traffic + 2 * this.bias + rng.normal(0, 1.5)),
          battery_v: r2(3.9 - 0.2 * Math.abs(this.bias) / 3 + rng.normal(0, 0.005)),
        };
      }
      case 'meter': {
        // Household load: a morning and a larger evening peak.
        const power = Math.max(0.05, this.scale * (0.35 + 0.6 * bump(h, 7.5, 1.2) + 1.4 * bump(h, 20, 2.2)) * (1 + shift) + rng.normal(0, 0.04));
        const energy = this.energy + (power * (this.profile.telemetryMs / 1000)) / 3600;
        if (options.commit !== false) this.energy = energy;
        const voltage = 230 + 2 * this.bias + rng.normal(0, 0.6);
        const pf = Math.min(0.99, 0.93 + 0.02 * this.bias + rng.normal(0, 0.005));
        return {
          power_kw: Math.round(power * 1000) / 1000,
          energy_kwh: Math.round(energy * (1 + shift) * 1000) / 1000,
          voltage_v: r1(voltage),
          current_a: r2((power * 1000) / (voltage * pf)),
          power_factor: r2(pf),
          frequency_hz: Math.round((50 + rng.normal(0, 0.015)) * 1000) / 1000,
        };
      }
      case 'camera': {
        const fps = 25 + shift * 5 - (rng.chance(0.03) ? rng.int(1, 4) : 0);
        return {
          fps,
          bitrate_kbps: Math.round(3_200 + 900 * daylight + 600 * traffic + rng.normal(0, 120)),
          cpu_pct: r1(Math.min(100, 35 + 25 * traffic + 3 * this.bias + rng.normal(0, 3))),
          temperature: r1(41 + 6 * daylight + this.bias + rng.normal(0, 0.4)),
          motion_events: Math.max(0, Math.round(traffic * 12 * this.scale + rng.normal(0, 1.5))),
        };
      }
      case 'traffic_light': {
        // A fixed-time plan: green, amber, red for the main street in a 90–120 s cycle.
        const t = (((ts / 1000 + this.cycleOffsetS) % this.cycleS) + this.cycleS) % this.cycleS;
        const green = this.cycleS * 0.5;
        const phase = t < green ? 'green' : t < green + 3 ? 'amber' : 'red';
        return {
          phase,
          cycle_s: this.cycleS,
          queue_len: Math.max(0, Math.round((phase === 'red' ? 6 : 1) * traffic * this.scale * 2 + rng.normal(0, 1))),
          cabinet_temp: r1(34 + 8 * daylight + this.bias + rng.normal(0, 0.3)),
          lamp_faults: rng.chance(0.002) ? 1 : 0,
          power_w: Math.round(180 + (phase === 'green' ? 40 : 25) + rng.normal(0, 4)),
        };
      }
    }
  }

  /** Network summaries for one window ending at `ts`: one per normal peer. */
  flows(ts: number): Array<Record<string, unknown>> {
    return this.profile.peers.map((p, i) => {
      const bytes = Math.max(p.packetSize, Math.round(p.bytes * this.scale * (0.8 + 0.4 * this.rng.next())));
      return {
        kind: 'net',
        device: this.id,
        ts: ts + i * 3,
        src: this.ip,
        dst: p.ip,
        dport: p.port,
        sport: this.rng.int(32_768, 60_999),
        proto: p.proto,
        bytes,
        packets: Math.max(1, Math.round(bytes / p.packetSize)),
      };
    });
  }

  /** A legitimate login at `ts`, occasionally mistyped. */
  login(ts: number): Record<string, unknown> {
    return {
      kind: 'auth',
      device: this.id,
      ts,
      user: this.rng.pick(this.profile.users),
      outcome: this.rng.chance(LOGIN_FAILURE_RATE) ? 'failure' : 'success',
      src: this.rng.pick(NOC),
      method: this.profile.method,
    };
  }

  remember(ts: number, metrics: Metrics): void {
    this.sent.push({ ts, metrics });
    if (this.sent.length > 64) this.sent.shift();
  }
}

/** Hour of day in the city (UTC+8), fractional. */
export function localHour(ts: number): number {
  return (((ts / 3_600_000 + 8) % 24) + 24) % 24;
}

/** Road traffic, 0–1: morning and evening rush hours over a daytime floor. */
export function trafficLevel(hour: number): number {
  return Math.min(1, 0.1 + 0.35 * (hour > 6 && hour < 23 ? 1 : 0) + 0.55 * bump(hour, 8.5, 1.3) + 0.55 * bump(hour, 18.5, 1.8));
}

function bump(hour: number, at: number, width: number): number {
  return Math.exp(-(((hour - at) / width) ** 2));
}

/** The average number of events a device sends per second (for sizing attack episodes). */
export function deviceEventRate(kind: DeviceKind): number {
  const p = KIND_PROFILES[kind];
  return 1000 / p.telemetryMs + (p.peers.length * 1000) / p.netMs + 1000 / p.authMeanMs;
}

export function kindOfIndex(index: number): DeviceKind {
  return KIND_MIX[index % KIND_MIX.length] as DeviceKind;
}
