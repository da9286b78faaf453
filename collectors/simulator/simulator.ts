/**
 * The city simulator: vehicles and devices stepped in 100 ms ticks of simulated time,
 * attack episodes started by a controller that keeps the share of attack events near the
 * configured rate, and every message written as one input line (DESIGN.md "Input
 * formats") with its ground-truth label kept apart. The city — layout, noise, receivers —
 * comes from a profile (profiles.ts).
 *
 * Deterministic: all randomness comes from the seeded `Random`, time only from the ticks,
 * and the output of a tick is ordered by arrival time with ties in generation order.
 */
import { parseJsonRecord, resolveValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import { ATTACK_TYPES, isVehicleAttack, type AttackType, type IotAttack, type VehicleAttack } from './attacks.js';
import { planDeviceEpisode, stepDeviceAttack, tampered, type DeviceEpisode } from './device-attacks.js';
import { Device, deviceEventRate, kindOfIndex } from './devices.js';
import type { Episode } from './episodes.js';
import { cityGeoJson, describeNetwork, receivingRsu, roadNetwork, type CityDescription, type RoadNetwork } from './network.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './options.js';
import { Radio, type Transmitter } from './radio.js';
import { Random } from '../../events/index.js';
import { planVehicleEpisode, type VehicleEpisode } from './vehicle-attacks.js';
import { VehicleTraffic } from './vehicle-traffic.js';
import { TICK_MS, Vehicle, type Kinematics } from './vehicles.js';

/** One simulated message: the input line a collector would receive, and its ground truth. */
export interface SimEvent {
  type: 'event';
  /** The message's own timestamp, epoch ms. */
  ts: number;
  /** When it reaches the pipeline (after the RSU's latency), epoch ms; output is in this order. */
  at: number;
  /** The JSON input line (no trailing newline). */
  line: string;
  /** The attack that produced it; absent for normal traffic. */
  attack?: AttackType;
  /** For a BSM under a real vehicle's own id: where that vehicle really was when it sent (local metres) and how it moved. */
  truth?: Kinematics;
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
  at: number;
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
  /** BSMs in range that the RSU lost all the same (its packet loss). */
  lostPacketLoss: number;
  /** Attack episodes started. */
  episodes: number;
  /** `silent_device` windows labelled. */
  windows: number;
}

/** Roughly how far apart episodes start, seconds. */
const EPISODE_SPACING_S = 2;
const MIN_EPISODE_EVENTS = 10;
const OWED_HORIZON_MS = 2_000;
/** How long a released ghost or pseudonym id stays unused, milliseconds. */
const ID_QUARANTINE_MS = 15 * 60_000;

/** Whether the events part accepts TRANSFER-SPEC §2's accuracy fields (it does once h-city's events/ lands). */
function acceptsAccuracyFields(): boolean {
  const probe = '{"kind":"bsm","vehicle":"V-1","ts":1767225600000,"lat":1,"lon":1,"speed":1,"heading":1,"pos_accuracy":1,"heading_accuracy":1}';
  return parseJsonRecord(probe, resolveValidationOptions({ now: () => 1767225600000 })).ok;
}

type Pending = SimOutput & { order: number };

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
    lostPacketLoss: 0,
    episodes: 0,
    windows: 0,
  };
  /** The attack types in the seed-shuffled order episodes cycle through. */
  readonly attackOrder: readonly AttackType[];
  /** Attack events an episode is sized to, at the target rate. */
  readonly episodeEvents: number;

  private tick = 0;
  private cursor = 0;
  private order = 0;
  /** Types whose episode sent nothing (its attacker out of radio range throughout). */
  private readonly retry: AttackType[] = [];
  private readonly rng: Random;
  private readonly attackRng: Random;
  private readonly radio: Radio;
  private readonly traffic: VehicleTraffic;
  private readonly vehicleEpisodes = new Map<Vehicle, VehicleEpisode>();
  private readonly deviceEpisodes = new Map<Device, DeviceEpisode>();
  private readonly usedVehicleIds = new Set<string>();
  private readonly retiredIds: Array<{ id: string; at: number }> = [];
  private readonly idSpace: number;
  /** Outputs not yet arrived, in generation order. */
  private pending: Pending[] = [];

  /** `random` replaces the generator made from `options.seed` (tests pass their own). */
  constructor(options: SimulatorOptions = {}, random?: Random) {
    this.options = resolveSimulatorOptions(options);
    const profile = this.options.profile;
    this.rng = random ?? new Random(this.options.seed);
    this.network = roadNetwork(this.options.network);
    const vehicleRng = this.rng.fork('vehicles');
    const deviceRng = this.rng.fork('devices');
    const gps = this.rng.fork('gps');
    this.attackRng = this.rng.fork('attacks');
    this.radio = new Radio(this.network, profile.noise, profile.accuracy, acceptsAccuracyFields(), this.rng.fork('channel'));
    this.traffic = new VehicleTraffic(this.network, this.vehicles, this.radio, profile.noise, this);
    this.idSpace = Math.max(9_999, (this.options.vehicles + 50) * 4);
    // Shuffle all types whatever `attacks` allows, so that the random stream is the same
    // for every restriction.
    const allowed = new Set(this.options.attacks);
    this.attackOrder = this.attackRng.shuffle(ATTACK_TYPES).filter((t) => allowed.has(t));
    for (let i = 0; i < this.options.vehicles; i++) {
      const v = new Vehicle(this.freshVehicleId(vehicleRng), this.network, vehicleRng.fork(i), profile.ratesHz);
      this.radio.attach(v, gps.fork(i));
      this.vehicles.push(v);
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

  /** A vehicle's receiver: its sensor error (sigmas, tau) and the accuracy figures it sends. */
  receiverOf(v: Vehicle): Readonly<Transmitter> {
    return this.radio.transmitter(v);
  }

  /** The city file (TRANSFER-SPEC §1, GeoJSON) of this run's profile. */
  cityFile(): Record<string, unknown> {
    return cityGeoJson(this.network, this.options.profile.name);
  }

  /** Simulated time reached, epoch milliseconds: everything before it has been produced. */
  get time(): number {
    return this.options.start + this.tick * TICK_MS;
  }

  /** Run every whole tick that ends at or before `until` (epoch ms); return what arrived, in order. */
  advance(until: number): SimOutput[] {
    const out: SimOutput[] = [];
    while (this.time + TICK_MS <= until) {
      this.step();
      this.tick++;
      this.release(this.time, out);
    }
    return out;
  }

  /** End of the run: what is still in flight, then the windows of `silent_device` episodes still open, cut at the current time. */
  finish(): SimOutput[] {
    const out: SimOutput[] = [];
    this.release(Infinity, out);
    for (const [device, ep] of this.deviceEpisodes) {
      if (ep.type === 'silent_device') out.push(this.window(ep, Math.min(ep.end, this.time)));
      this.deviceEpisodes.delete(device);
    }
    this.vehicleEpisodes.clear();
    return out;
  }

  /** Move everything that has arrived before `before` to `out`, by arrival then generation order. */
  private release(before: number, out: SimOutput[]): void {
    const due = this.pending.filter((p) => p.at < before);
    if (due.length === 0) return;
    this.pending = due.length === this.pending.length ? [] : this.pending.filter((p) => p.at >= before);
    due.sort((a, b) => a.at - b.at || a.order - b.order);
    for (const item of due) {
      const { order: _order, ...output } = item;
      out.push(output);
    }
  }

  // -------------------------------------------------------------------------------------

  private step(): void {
    const t0 = this.time;
    const t1 = t0 + TICK_MS;
    this.closeEpisodes(t0);
    this.maybeStartEpisode(t0);
    for (const v of this.vehicles) this.traffic.step(v, t0, this.tick, this.vehicleEpisodes.get(v));
    for (const d of this.devices) this.stepDevice(d, t1);
    for (const ep of this.deviceEpisodes.values()) stepDeviceAttack(this, ep, t1);
    this.counts.lostOutOfRange = this.radio.lostOutOfRange;
    this.counts.lostPacketLoss = this.radio.lostPacketLoss;
  }

  /** Emit one message; `at` is its arrival (devices: their own timestamp). */
  push(ts: number, record: Record<string, unknown>, ep?: Episode, at = ts, truth?: Kinematics): void {
    const output: SimEvent = { type: 'event', ts, at, line: JSON.stringify(record) };
    if (ep) output.attack = ep.type;
    if (truth) output.truth = truth;
    this.pending.push({ ...output, order: this.order++ });
    const kind = record.kind as keyof SimulatorCounts['byKind'];
    this.counts.byKind[kind]++;
    if (ep) {
      ep.emitted++;
      this.counts.attack++;
      this.counts.byAttack[ep.type] = (this.counts.byAttack[ep.type] ?? 0) + 1;
    } else this.counts.normal++;
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
        this.push(ts, { kind: 'telemetry', device: d.id, ts, metrics: tampered(ep, honest) }, ep);
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
    // An attacker in radio range (else nothing it sends is received), moving if possible.
    const free = this.vehicles.filter((v) => !this.vehicleEpisodes.has(v) && receivingRsu(this.network, v.x, v.y) !== undefined);
    const moving = free.filter((v) => v.speed > 3);
    const pool = moving.length > 0 ? moving : free;
    if (pool.length === 0) return false;
    const ep = planVehicleEpisode(this, type, this.attackRng.pick(pool), now, this.attackRng);
    if (ep) this.vehicleEpisodes.set(ep.vehicle, ep);
    return ep !== undefined;
  }

  private startDeviceEpisode(type: IotAttack, now: number): boolean {
    const free = this.devices.filter((d) => !this.deviceEpisodes.has(d));
    const ep = planDeviceEpisode(type, now, free, this.episodeEvents, this.attackRng);
    if (ep) this.deviceEpisodes.set(ep.device, ep);
    return ep !== undefined;
  }

  private closeEpisodes(now: number): void {
    while (this.retiredIds.length > 0 && (this.retiredIds[0]?.at ?? now) <= now - ID_QUARANTINE_MS) this.usedVehicleIds.delete(this.retiredIds.shift()?.id ?? '');
    for (const [v, ep] of this.vehicleEpisodes) {
      if (ep.end > now) continue;
      // An attacker that spent its episode in a radio dead zone was never heard: try that type again.
      if (ep.emitted === 0) this.retry.push(ep.type);
      // Ghosts and pseudonyms are released after a while, so a long live run never runs out
      // of ids, yet no id is seen under two identities within minutes.
      for (const g of ep.identities) this.retiredIds.push({ id: g.id, at: now });
      this.vehicleEpisodes.delete(v);
    }
    for (const [d, ep] of this.deviceEpisodes) {
      if (ep.end > now) continue;
      if (ep.emitted === 0 && ep.type !== 'silent_device') this.retry.push(ep.type);
      if (ep.type === 'silent_device') this.pending.push({ ...this.window(ep, ep.end), order: this.order++ });
      this.deviceEpisodes.delete(d);
    }
  }

  private window(ep: DeviceEpisode, end: number): SimWindow {
    this.counts.windows++;
    return {
      type: 'window',
      ts: end,
      at: end,
      label: { id: `silence:${ep.device.id}:${ep.start}`, label: 'attack', attack: 'silent_device', entity: ep.device.id, start: ep.start, end },
    };
  }

  /** A vehicle id no one uses yet: honest, ghost and pseudonym ids look alike (random 4-digit numbers). */
  freshVehicleId(rng: Random): string {
    const width = String(this.idSpace).length;
    // A crowded id space frees the longest-retired ids before their quarantine ends.
    while (this.usedVehicleIds.size >= this.idSpace * 0.7 && this.retiredIds.length > 0) this.usedVehicleIds.delete(this.retiredIds.shift()?.id ?? '');
    if (this.usedVehicleIds.size >= this.idSpace * 0.9) throw new CollectorError('BAD_OPTION', `simulator ran out of vehicle ids (${this.usedVehicleIds.size} in use)`, false);
    for (;;) {
      const id = `V-${String(rng.int(1, this.idSpace)).padStart(width, '0')}`;
      if (!this.usedVehicleIds.has(id)) {
        this.usedVehicleIds.add(id);
        return id;
      }
    }
  }
}
