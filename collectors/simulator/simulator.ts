/**
 * The city simulator: vehicles and devices stepped in 100 ms ticks of simulated time,
 * attack episodes started by a controller that keeps the share of attack events near the
 * configured rate, and every message written as one input line (DESIGN.md "Input
 * formats") with its ground-truth label kept apart.
 *
 * Deterministic: all randomness comes from the seeded `Random`, time only from the ticks,
 * and the output of a tick is ordered by timestamp with ties in generation order.
 */
import { ATTACK_TYPES, DOS_RATE_HZ, FEIGNED_BRAKING, MIRAI_PORTS, MIRAI_USERS, RANDOM_POSITION_OFFSET_M, RANDOM_SPEED_MAX, isVehicleAttack, randomPublicIp, type AttackType, type IotAttack, type VehicleAttack } from './attacks.js';
import { Device, deviceEventRate, kindOfIndex, type Metrics } from './devices.js';
import { describeNetwork, receivingRsu, roadNetwork, toLatLon, type CityDescription, type RoadNetwork } from './network.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './options.js';
import { Random } from '../../events/index.js';
import { TICK_MS, Vehicle, type Kinematics } from './vehicles.js';

/** One simulated message: the input line a collector would receive, and its ground truth. */
export interface SimEvent {
  type: 'event';
  ts: number;
  /** The JSON input line (no trailing newline). */
  line: string;
  /** The attack that produced it; absent for normal traffic. */
  attack?: AttackType;
}

/** The label of an attack that sends nothing (`silent_device`): the window it lasted. */
export interface WindowLabel {
  id: string;
  label: 'attack';
  attack: 'silent_device';
  entity: string;
  /** Epoch milliseconds, start included. */
  start: number;
  /** Epoch milliseconds, end excluded. */
  end: number;
}

export interface SimWindow {
  type: 'window';
  ts: number;
  label: WindowLabel;
}

export type SimOutput = SimEvent | SimWindow;

/** The network plus this run's devices: what dashboards draw and the detector checks against. */
export interface SimulatedCity extends CityDescription {
  devices: Array<{
    id: string;
    kind: string;
    ip: string;
    lat: number;
    lon: number;
    /** Milliseconds between telemetry readings. */
    telemetryPeriodMs: number;
    /** The normal peers its network summaries name. */
    peers: Array<{ ip: string; port: number; proto: string; service: string }>;
  }>;
}

export interface SimulatorCounts {
  normal: number;
  attack: number;
  byAttack: Partial<Record<AttackType, number>>;
  byKind: Record<'bsm' | 'telemetry' | 'net' | 'auth', number>;
  /** BSMs sent where no RSU was in range, so never received. */
  lostOutOfRange: number;
  /** Attack episodes started. */
  episodes: number;
  /** `silent_device` windows labelled. */
  windows: number;
}

/** Roughly how far apart episodes start, seconds: 19 types cycle within about 40 s. */
const EPISODE_SPACING_S = 2;
const MIN_EPISODE_EVENTS = 10;
const OWED_HORIZON_MS = 2_000;

interface Episode {
  type: AttackType;
  start: number;
  end: number;
  planned: number;
  emitted: number;
  rng: Random;
}

interface VehicleEpisode extends Episode {
  type: VehicleAttack;
  vehicle: Vehicle;
  /** constant_position: the fixed point; *_offset: the fixed offset; eventual_stop: where it froze. */
  px: number;
  py: number;
  /** constant_speed: the reported speed; constant_speed_offset: the offset; feigned_braking: speed at start. */
  value: number;
  heading: number;
  replayTarget?: Vehicle;
  replayDelayMs: number;
  ghosts: Array<{ id: string; seq: number; along: number; across: number }>;
}

interface DeviceEpisode extends Episode {
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

export class CitySimulator {
  readonly options: ResolvedSimulatorOptions;
  readonly network: RoadNetwork;
  readonly vehicles: Vehicle[] = [];
  readonly devices: Device[] = [];
  readonly counts: SimulatorCounts = {
    normal: 0,
    attack: 0,
    byAttack: {},
    byKind: { bsm: 0, telemetry: 0, net: 0, auth: 0 },
    lostOutOfRange: 0,
    episodes: 0,
    windows: 0,
  };
  /** The attack types in the seed-shuffled order episodes cycle through. */
  readonly attackOrder: readonly AttackType[];

  private tick = 0;
  private cursor = 0;
  /** Types whose episode sent nothing (its attacker out of radio range throughout). */
  private readonly retry: AttackType[] = [];
  private readonly rng: Random;
  private readonly gps: Random;
  private readonly attackRng: Random;
  private readonly vehicleEpisodes = new Map<Vehicle, VehicleEpisode>();
  private readonly deviceEpisodes = new Map<Device, DeviceEpisode>();
  private readonly usedVehicleIds = new Set<string>();
  private readonly episodeEvents: number;
  private buffer: Array<SimOutput & { order: number }> = [];

  /** `random` replaces the generator made from `options.seed` (tests pass their own). */
  constructor(options: SimulatorOptions = {}, random?: Random) {
    this.options = resolveSimulatorOptions(options);
    this.rng = random ?? new Random(this.options.seed);
    this.network = roadNetwork(this.options.network);
    const vehicleRng = this.rng.fork('vehicles');
    const deviceRng = this.rng.fork('devices');
    this.gps = this.rng.fork('gps');
    this.attackRng = this.rng.fork('attacks');
    // Shuffle all types whatever `attacks` allows, so that the random stream (and so every
    // run with all types) is the same as before the option existed.
    const allowed = new Set(this.options.attacks);
    this.attackOrder = this.attackRng.shuffle(ATTACK_TYPES).filter((t) => allowed.has(t));
    for (let i = 0; i < this.options.vehicles; i++) {
      this.vehicles.push(new Vehicle(this.freshVehicleId(vehicleRng), this.network, vehicleRng.fork(i)));
    }
    for (let i = 0; i < this.options.devices; i++) {
      this.devices.push(new Device(`D-${String(i + 1).padStart(4, '0')}`, i, this.network, deviceRng.fork(i), this.options.start));
    }
    // Size episodes so that, at the target rate, one starts about every EPISODE_SPACING_S.
    const normalRate =
      this.vehicles.reduce((sum, v) => sum + 1000 / (v.period * TICK_MS), 0) * 0.95 +
      Array.from({ length: this.options.devices }, (_, i) => deviceEventRate(kindOfIndex(i))).reduce((a, b) => a + b, 0);
    const f = this.options.attackRate;
    this.episodeEvents = Math.max(MIN_EPISODE_EVENTS, Math.round((f / (1 - f)) * normalRate * EPISODE_SPACING_S));
  }

  /** The city as JSON: streets, RSUs and this seed's devices. */
  describe(): SimulatedCity {
    const round = (v: number): number => Math.round(v * 1e7) / 1e7;
    return {
      ...describeNetwork(this.network),
      devices: this.devices.map((d) => ({
        id: d.id,
        kind: d.kind,
        ip: d.ip,
        lat: round(d.lat),
        lon: round(d.lon),
        telemetryPeriodMs: d.profile.telemetryMs,
        peers: d.profile.peers.map((p) => ({ ip: p.ip, port: p.port, proto: p.proto, service: p.service })),
      })),
    };
  }

  /** Simulated time reached, epoch milliseconds: everything before it has been produced. */
  get time(): number {
    return this.options.start + this.tick * TICK_MS;
  }

  /** Run every whole tick that ends at or before `until` (epoch ms); return what was sent, in order. */
  advance(until: number): SimOutput[] {
    const out: SimOutput[] = [];
    while (this.time + TICK_MS <= until) {
      this.step();
      this.buffer.sort((a, b) => a.ts - b.ts || a.order - b.order);
      for (const item of this.buffer) {
        const { order: _order, ...output } = item;
        out.push(output);
      }
      this.buffer = [];
      this.tick++;
    }
    return out;
  }

  /** End of the run: the windows of `silent_device` episodes still open, cut at the current time. */
  finish(): SimOutput[] {
    const out: SimOutput[] = [];
    for (const [device, ep] of this.deviceEpisodes) {
      if (ep.type === 'silent_device') out.push(this.window(ep, Math.min(ep.end, this.time)));
      this.deviceEpisodes.delete(device);
    }
    this.vehicleEpisodes.clear();
    return out;
  }

  // -------------------------------------------------------------------------------------

  private step(): void {
    const t0 = this.time;
    const t1 = t0 + TICK_MS;
    this.closeEpisodes(t0);
    this.maybeStartEpisode(t0);
    for (const v of this.vehicles) this.stepVehicle(v, t0);
    for (const d of this.devices) this.stepDevice(d, t1);
    for (const ep of this.deviceEpisodes.values()) this.stepDeviceAttack(ep, t1);
  }

  private push(ts: number, record: Record<string, unknown>, ep?: Episode): void {
    const output: SimEvent = ep ? { type: 'event', ts, line: JSON.stringify(record), attack: ep.type } : { type: 'event', ts, line: JSON.stringify(record) };
    this.buffer.push({ ...output, order: this.buffer.length });
    const kind = record.kind as keyof SimulatorCounts['byKind'];
    this.counts.byKind[kind]++;
    if (ep) {
      ep.emitted++;
      this.counts.attack++;
      this.counts.byAttack[ep.type] = (this.counts.byAttack[ep.type] ?? 0) + 1;
    } else this.counts.normal++;
  }

  // ---- vehicles -----------------------------------------------------------------------

  private stepVehicle(v: Vehicle, t0: number): void {
    const now = t0 + v.phaseMs;
    v.step(now);
    const ep = this.vehicleEpisodes.get(v);
    if (ep?.type === 'dos') {
      // A flood: true kinematics, but 50 messages a second instead of 1–10.
      const gap = 1000 / DOS_RATE_HZ;
      for (let t = 0; t < TICK_MS; t += gap) {
        const ahead = (v.speed * t) / 1000;
        const rad = (v.heading * Math.PI) / 180;
        this.sendBsm(v, now + t, { ...v.snapshot(now), x: v.x + ahead * Math.sin(rad), y: v.y + ahead * Math.cos(rad) }, ep, true);
      }
      return;
    }
    if ((this.tick - v.sendOffset) % v.period !== 0) return;
    v.remember(now);
    const truth = v.snapshot(now);
    if (!ep || ep.type === 'sybil') {
      this.sendBsm(v, now, truth, undefined, true);
      if (ep) this.sendGhosts(ep, now, truth);
      return;
    }
    this.sendBsm(v, now, this.falsify(ep, now, truth), ep, false);
  }

  /**
   * What an attacker reports instead of the truth (VeReMi extension, "misbehaviour types").
   * Its radio is where the vehicle really is, so the receiving RSU is chosen from `truth`.
   */
  private falsify(ep: VehicleEpisode, now: number, truth: Kinematics): Kinematics {
    const r = ep.rng;
    const out = { ...truth };
    const extent = this.network.extent;
    switch (ep.type) {
      case 'constant_position':
        out.x = ep.px;
        out.y = ep.py;
        break;
      case 'constant_position_offset':
        out.x += ep.px;
        out.y += ep.py;
        break;
      case 'random_position':
        out.x = r.uniform(0, extent);
        out.y = r.uniform(0, extent);
        break;
      case 'random_position_offset':
        out.x += r.uniform(-RANDOM_POSITION_OFFSET_M, RANDOM_POSITION_OFFSET_M);
        out.y += r.uniform(-RANDOM_POSITION_OFFSET_M, RANDOM_POSITION_OFFSET_M);
        break;
      case 'constant_speed':
        out.speed = ep.value;
        out.accel = 0;
        break;
      case 'constant_speed_offset':
        out.speed = Math.max(0, truth.speed + ep.value);
        break;
      case 'random_speed':
        out.speed = r.uniform(0, RANDOM_SPEED_MAX);
        break;
      case 'eventual_stop':
        out.x = ep.px;
        out.y = ep.py;
        out.heading = ep.heading;
        out.speed = 0;
        out.accel = 0;
        break;
      case 'feigned_braking': {
        const reported = Math.max(0, ep.value - (FEIGNED_BRAKING * (now - ep.start)) / 1000);
        out.speed = reported;
        out.accel = reported > 0 ? -FEIGNED_BRAKING : 0;
        break;
      }
      case 'data_replay': {
        // The target's own message from replayDelayMs ago, under the attacker's identity.
        const target = ep.replayTarget;
        const history = target?.history ?? [];
        let old = history[0];
        for (const h of history) if (h.ts <= now - ep.replayDelayMs) old = h;
        if (old) Object.assign(out, { x: old.x, y: old.y, speed: old.speed, heading: old.heading, accel: old.accel });
        break;
      }
      case 'dos':
      case 'sybil':
        break;
    }
    return out;
  }

  /** Sybil: each ghost copies the attacker's track at a fixed place in a formation around it. */
  private sendGhosts(ep: VehicleEpisode, now: number, truth: Kinematics): void {
    const rad = (truth.heading * Math.PI) / 180;
    const rsu = receivingRsu(this.network, truth.x, truth.y);
    ep.ghosts.forEach((g, j) => {
      const x = truth.x + g.along * Math.sin(rad) + g.across * Math.cos(rad);
      const y = truth.y + g.along * Math.cos(rad) - g.across * Math.sin(rad);
      const speed = Math.max(0, truth.speed + ep.rng.normal(0, 0.15));
      g.seq++;
      if (rsu) this.push(now + 2 * j + 1, this.bsmRecord(g.id, now + 2 * j + 1, { ...truth, x, y, speed }, g.seq, rsu.id, true), ep);
    });
  }

  private sendBsm(v: Vehicle, ts: number, k: Kinematics, ep: VehicleEpisode | undefined, honestPosition: boolean): void {
    v.seq++;
    const rsu = receivingRsu(this.network, v.x, v.y);
    if (!rsu) {
      this.counts.lostOutOfRange++;
      return;
    }
    this.push(ts, this.bsmRecord(v.id, ts, k, v.seq, rsu.id, honestPosition), ep);
  }

  private bsmRecord(id: string, ts: number, k: Kinematics, seq: number, rsu: string, gpsNoise: boolean): Record<string, unknown> {
    // GNSS error of a consumer receiver: about 0.3 m per axis.
    const x = k.x + (gpsNoise ? this.gps.normal(0, 0.3) : 0);
    const y = k.y + (gpsNoise ? this.gps.normal(0, 0.3) : 0);
    const { lat, lon } = toLatLon(this.network, x, y);
    let heading = Math.round(k.heading * 10) / 10;
    if (heading >= 360) heading -= 360;
    return {
      kind: 'bsm',
      vehicle: id,
      ts,
      lat: Math.round(lat * 1e7) / 1e7,
      lon: Math.round(lon * 1e7) / 1e7,
      speed: Math.round(Math.max(0, k.speed) * 100) / 100,
      heading,
      accel: Math.round(Math.max(-99, Math.min(99, k.accel)) * 100) / 100 || 0,
      seq,
      rsu,
    };
  }

  // ---- devices ------------------------------------------------------------------------

  private stepDevice(d: Device, t1: number): void {
    const ep = this.deviceEpisodes.get(d);
    const silent = ep?.type === 'silent_device';
    while (d.nextTelemetry < t1) {
      const ts = d.nextTelemetry;
      d.nextTelemetry = d.telemetryAfter(ts);
      const honest = d.readings(ts);
      if (silent) continue;
      if (ep && (ep.type === 'sensor_injection' || ep.type === 'replay')) {
        this.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: this.tampered(ep, honest) }, ep);
        continue;
      }
      d.remember(ts, honest);
      this.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: honest });
    }
    while (d.nextNet < t1) {
      const ts = d.nextNet;
      d.nextNet = d.netAfter(ts);
      const flows = d.flows(ts);
      if (!silent) for (const f of flows) this.push(f.ts as number, f);
    }
    while (d.nextAuth < t1) {
      const ts = d.nextAuth;
      d.nextAuth = d.authAfter(ts);
      const login = d.login(ts);
      if (!silent) this.push(ts, login);
    }
  }

  /** sensor_injection and replay replace the device's readings in transit. */
  private tampered(ep: DeviceEpisode, honest: Metrics): Metrics {
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
  private stepDeviceAttack(ep: DeviceEpisode, t1: number): void {
    const d = ep.device;
    const r = ep.rng;
    while (ep.next < t1 && ep.next < ep.end) {
      const ts = ep.next;
      switch (ep.type) {
        case 'mirai_scan': {
          const dport = r.chance(MIRAI_PORTS.alternateShare) ? MIRAI_PORTS.alternate : MIRAI_PORTS.primary;
          const packets = r.chance(0.3) ? 2 : 1; // a SYN, sometimes retransmitted
          this.push(ts, { kind: 'net', device: d.id, ts, src: d.ip, dst: randomPublicIp(r), dport, sport: r.int(1024, 65_535), proto: 'tcp', bytes: packets * 60, packets }, ep);
          ep.next = ts + Math.max(1, Math.round(r.exponential(50)));
          break;
        }
        case 'password_guessing': {
          const last = ep.emitted + 1 >= ep.planned;
          this.push(ts, { kind: 'auth', device: d.id, ts, user: r.pick(MIRAI_USERS), outcome: last && ep.cracks ? 'success' : 'failure', src: ep.peerIp, method: ep.mode }, ep);
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
          this.push(
            ts,
            { kind: 'net', device: d.id, ts, src: d.ip, dst: ep.peerIp, dport: syn ? 80 : r.int(1, 65_535), sport: r.int(1024, 65_535), proto: syn ? 'tcp' : 'udp', bytes: packets * size, packets },
            ep,
          );
          ep.next = ts + 500;
          break;
        }
        case 'impersonation': {
          // The clone's own rhythm and baseline; its flows come from another address.
          this.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: d.readings(ts, { rng: r, shift: Number(ep.mode), commit: false }) }, ep);
          if (ep.emitted % 3 === 1) {
            const p = d.profile.peers[0];
            if (p) {
              const bytes = Math.round(p.bytes * r.uniform(0.3, 0.6));
              this.push(ts + 7, { kind: 'net', device: d.id, ts: ts + 7, src: ep.peerIp, dst: p.ip, dport: p.port, sport: r.int(1024, 65_535), proto: p.proto, bytes, packets: Math.max(1, Math.round(bytes / p.packetSize)) }, ep);
            }
          }
          ep.next = ts + Math.round(d.profile.telemetryMs * r.uniform(0.35, 0.6));
          break;
        }
        case 'sensor_injection':
        case 'replay':
          // The first tampered reading goes out at once; later ones replace the device's own.
          this.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: this.tampered(ep, d.readings(ts, { rng: r, commit: false })) }, ep);
          ep.next = Infinity;
          break;
        case 'silent_device':
          ep.next = Infinity;
          break;
      }
    }
  }

  // ---- attack episodes ----------------------------------------------------------------

  /**
   * Start the next episode when attack events sent plus those still planned fall behind
   * rate / (1 − rate) × normal events sent: the attack share then stays near the rate.
   */
  private maybeStartEpisode(now: number): void {
    const f = this.options.attackRate;
    if (f <= 0) return;
    // Only what running episodes will send soon counts as owed: normal traffic keeps growing
    // while a long episode trickles out, so counting its whole plan would undershoot the rate.
    let owed = this.counts.attack;
    for (const ep of [...this.vehicleEpisodes.values(), ...this.deviceEpisodes.values()]) {
      const left = Math.max(0, ep.planned - ep.emitted);
      const perMs = ep.planned / Math.max(TICK_MS, ep.end - ep.start);
      owed += Math.min(left, perMs * OWED_HORIZON_MS);
    }
    if (owed >= (f / (1 - f)) * this.counts.normal) return;
    const retry = this.retry.shift();
    if (retry !== undefined && this.startEpisode(retry, now)) return;
    for (let tries = 0; tries < this.attackOrder.length; tries++) {
      const type = this.attackOrder[this.cursor % this.attackOrder.length] as AttackType;
      this.cursor++;
      if (this.startEpisode(type, now)) return;
    }
  }

  private startEpisode(type: AttackType, now: number): boolean {
    const started = isVehicleAttack(type) ? this.startVehicleEpisode(type, now) : this.startDeviceEpisode(type, now);
    if (started) this.counts.episodes++;
    return started;
  }

  private startVehicleEpisode(type: VehicleAttack, now: number): boolean {
    const r = this.attackRng;
    // An attacker in radio range (else nothing it sends is received), moving if possible.
    const free = this.vehicles.filter((v) => !this.vehicleEpisodes.has(v) && receivingRsu(this.network, v.x, v.y) !== undefined);
    const moving = free.filter((v) => v.speed > 3);
    const pool = moving.length > 0 ? moving : free;
    if (pool.length === 0 || (type === 'data_replay' && this.vehicles.length < 2)) return false;
    const vehicle = r.pick(pool);
    const rate = 1000 / (vehicle.period * TICK_MS);
    const ghosts = type === 'sybil' ? r.int(3, 5) : 0;
    const perSecond = type === 'dos' ? DOS_RATE_HZ : type === 'sybil' ? rate * ghosts : rate;
    const seconds = Math.min(30, Math.max(3, this.episodeEvents / perSecond));
    const ep: VehicleEpisode = {
      type,
      vehicle,
      start: now,
      end: now + Math.round(seconds * 10) * 100,
      planned: Math.round(seconds * perSecond),
      emitted: 0,
      rng: r.fork(`${type}:${now}`),
      px: 0,
      py: 0,
      value: 0,
      heading: vehicle.heading,
      replayDelayMs: 0,
      ghosts: [],
    };
    const extent = this.network.extent;
    switch (type) {
      case 'constant_position':
        ep.px = r.uniform(0, extent);
        ep.py = r.uniform(0, extent);
        break;
      case 'constant_position_offset': {
        const angle = r.uniform(0, 2 * Math.PI);
        const dist = r.uniform(100, 300);
        ep.px = dist * Math.cos(angle);
        ep.py = dist * Math.sin(angle);
        break;
      }
      case 'constant_speed':
        ep.value = r.uniform(5, 35);
        break;
      case 'constant_speed_offset':
        ep.value = r.pick([-1, 1]) * r.uniform(5, 15);
        break;
      case 'eventual_stop':
        ep.px = vehicle.x;
        ep.py = vehicle.y;
        break;
      case 'feigned_braking':
        ep.value = vehicle.speed;
        break;
      case 'data_replay': {
        // The nearest other vehicle: a neighbour whose messages the attacker has heard.
        let best: Vehicle | undefined;
        let bestD = Infinity;
        for (const other of this.vehicles) {
          if (other === vehicle) continue;
          const dd = Math.hypot(other.x - vehicle.x, other.y - vehicle.y);
          if (dd < bestD) {
            best = other;
            bestD = dd;
          }
        }
        if (best) ep.replayTarget = best;
        ep.replayDelayMs = r.int(2_000, 6_000);
        break;
      }
      case 'sybil':
        for (let j = 0; j < ghosts; j++) {
          ep.ghosts.push({ id: this.freshVehicleId(r), seq: r.int(0, 4000), along: -(10 + 9 * j) + r.uniform(-1, 1), across: j % 2 === 0 ? 3.5 : -3.5 });
        }
        break;
      default:
        break;
    }
    this.vehicleEpisodes.set(vehicle, ep);
    return true;
  }

  private startDeviceEpisode(type: IotAttack, now: number): boolean {
    const r = this.attackRng;
    const free = this.devices.filter((d) => !this.deviceEpisodes.has(d));
    if (free.length === 0) return false;
    // Injection fakes physical readings: sensors and meters first.
    const physical = free.filter((d) => d.kind === 'environment' || d.kind === 'meter');
    const device = r.pick(type === 'sensor_injection' && physical.length > 0 ? physical : free);
    const E = this.episodeEvents;
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
    this.deviceEpisodes.set(device, ep);
    return true;
  }

  private closeEpisodes(now: number): void {
    for (const [v, ep] of this.vehicleEpisodes) {
      if (ep.end > now) continue;
      // An attacker that spent its episode in a radio dead zone was never heard: try that type again.
      if (ep.emitted === 0) this.retry.push(ep.type);
      // Ghost identities are released, so a long live run never runs out of ids.
      for (const g of ep.ghosts) this.usedVehicleIds.delete(g.id);
      this.vehicleEpisodes.delete(v);
    }
    for (const [d, ep] of this.deviceEpisodes) {
      if (ep.end > now) continue;
      if (ep.emitted === 0 && ep.type !== 'silent_device') this.retry.push(ep.type);
      if (ep.type === 'silent_device') {
        const w = this.window(ep, ep.end);
        this.buffer.push({ ...w, order: this.buffer.length });
      }
      this.deviceEpisodes.delete(d);
    }
  }

  private window(ep: DeviceEpisode, end: number): SimWindow {
    this.counts.windows++;
    return {
      type: 'window',
      ts: end,
      label: { id: `silence:${ep.device.id}:${ep.start}`, label: 'attack', attack: 'silent_device', entity: ep.device.id, start: ep.start, end },
    };
  }

  /** A vehicle id no one uses yet: honest and ghost ids look alike (random 4-digit numbers). */
  private freshVehicleId(rng: Random): string {
    const space = Math.max(9_999, (this.options.vehicles + 50) * 2);
    const width = String(space).length;
    for (;;) {
      const id = `V-${String(rng.int(1, space)).padStart(width, '0')}`;
      if (!this.usedVehicleIds.has(id)) {
        this.usedVehicleIds.add(id);
        return id;
      }
    }
  }
}
