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
import { ATTACK_TYPES, DOS_RATE_HZ, FLOOD_ATTACKS, isVehicleAttack, type AttackType, type IotAttack, type VehicleAttack } from './attacks.js';
import { planDeviceEpisode, stepDeviceAttack, tampered, type DeviceEpisode } from './device-attacks.js';
import { Device, deviceEventRate, kindOfIndex } from './devices.js';
import type { Episode } from './episodes.js';
import { cityGeoJson, describeNetwork, receivingRsu, roadNetwork, type CityDescription, type RoadNetwork } from './network.js';
import { resolveSimulatorOptions, type ResolvedSimulatorOptions, type SimulatorOptions } from './options.js';
import { Radio } from './radio.js';
import { Random } from './random.js';
import { falsify, isSybil, neighbourMessage, planVehicleEpisode, randomState, replayed, type VehicleEpisode } from './vehicle-attacks.js';
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
  private readonly vehicleEpisodes = new Map<Vehicle, VehicleEpisode>();
  private readonly deviceEpisodes = new Map<Device, DeviceEpisode>();
  private readonly usedVehicleIds = new Set<string>();
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
    for (const v of this.vehicles) this.stepVehicle(v, t0);
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

  // ---- vehicles -----------------------------------------------------------------------

  private stepVehicle(v: Vehicle, t0: number): void {
    const now = t0 + v.phaseMs;
    v.step(now);
    const ep = this.vehicleEpisodes.get(v);
    if (ep && FLOOD_ATTACKS.has(ep.type)) {
      this.flood(v, ep, now);
      // A flood under its own id replaces its messages; a Sybil flood comes on top of them.
      if (!isSybil(ep.type)) return;
    }
    if ((this.tick - v.sendOffset) % v.period !== 0) return;
    const truth = v.snapshot(now);
    if (!ep || isSybil(ep.type)) {
      this.sendOwn(v, now, truth, undefined, false);
      if (ep?.type === 'sybil') this.sendGhosts(v, ep, now, truth);
      if (ep?.type === 'data_replay_sybil') this.sendUnderPseudonym(v, ep, now, replayed(ep, now));
      return;
    }
    switch (ep.type) {
      case 'delayed_messages':
        this.sendDelayed(v, ep, now, truth);
        return;
      case 'data_replay':
        this.sendOwn(v, now, replayed(ep, now) ?? truth, ep, replayed(ep, now) !== undefined);
        return;
      case 'disruptive': {
        const copy = neighbourMessage(ep, this.vehicles, now);
        this.sendOwn(v, now, copy ?? truth, ep, copy !== undefined);
        return;
      }
      default:
        this.sendOwn(v, now, falsify(ep, now, truth, this.network), ep, false);
    }
  }

  /**
   * A message under the vehicle's own id and next seq. `copied`: the claim is someone's
   * sent message (already noisy); otherwise it goes through the vehicle's own sensor error.
   */
  private sendOwn(v: Vehicle, ts: number, claim: Kinematics, ep: VehicleEpisode | undefined, copied: boolean, remember = true): void {
    const t = this.radio.transmitter(v);
    const reported = copied ? claim : this.radio.read(t.error, ts, claim);
    v.seq++;
    if (remember) v.remember({ ts, ...reported });
    this.transmit(v, ts, ts, v.id, v.seq, reported, ep);
  }

  private transmit(v: Vehicle, ts: number, sendTime: number, id: string, seq: number, reported: Kinematics, ep: VehicleEpisode | undefined): void {
    const delivery = this.radio.deliver(v, sendTime);
    if (!delivery) return;
    const record = this.radio.record(id, ts, reported, seq, delivery.rsu, this.radio.transmitter(v).accuracy);
    this.push(ts, record, ep, delivery.at, id === v.id ? v.snapshot(ts) : undefined);
  }

  /** delayed_messages: a share of its own messages held back and sent late, with their own ts and seq. */
  private sendDelayed(v: Vehicle, ep: VehicleEpisode, now: number, truth: Kinematics): void {
    const t = this.radio.transmitter(v);
    const reported = this.radio.read(t.error, now, truth);
    v.seq++;
    v.remember({ ts: now, ...reported });
    if (ep.rng.chance(ep.value)) ep.held.push({ ...reported, ts: now, seq: v.seq });
    else this.transmit(v, now, now, v.id, v.seq, reported, undefined);
    while (ep.held.length > 0 && (ep.held[0]?.ts ?? now) <= now - ep.replayDelayMs) {
      const h = ep.held.shift() as VehicleEpisode['held'][number];
      const delivery = this.radio.deliver(v, now);
      if (delivery) this.push(h.ts, this.radio.record(v.id, h.ts, h, h.seq, delivery.rsu, t.accuracy), ep, delivery.at);
    }
  }

  /** The floods: DOS_RATE_HZ messages a second, under its own id or a new pseudonym each. */
  private flood(v: Vehicle, ep: VehicleEpisode, now: number): void {
    const gap = 1000 / DOS_RATE_HZ;
    for (let dt = 0; dt < TICK_MS; dt += gap) {
      const ts = now + dt;
      let claim: Kinematics | undefined;
      let copied = true;
      if (ep.type === 'dos') {
        // True kinematics, extrapolated within the tick.
        const ahead = (v.speed * dt) / 1000;
        const rad = (v.heading * Math.PI) / 180;
        claim = { ...v.snapshot(ts), x: v.x + ahead * Math.sin(rad), y: v.y + ahead * Math.cos(rad) };
        copied = false;
      } else if (ep.type === 'dos_random' || ep.type === 'dos_random_sybil') claim = randomState(ep, this.network);
      else claim = neighbourMessage(ep, this.vehicles, ts);
      if (!claim) continue;
      if (isSybil(ep.type)) this.sendUnderPseudonym(v, ep, ts, claim);
      else this.sendOwn(v, ts, claim, ep, copied, false);
    }
  }

  /** A message under a pseudonym: a new one every `burst` messages (every message for the floods). */
  private sendUnderPseudonym(v: Vehicle, ep: VehicleEpisode, ts: number, claim: Kinematics | undefined): void {
    if (!claim) return;
    if (ep.burstLeft <= 0 || ep.identities.length === 0) {
      ep.identities.push({ id: this.freshVehicleId(ep.rng), seq: ep.rng.int(0, 4000), along: 0, across: 0 });
      ep.burstLeft = ep.burst;
    }
    ep.burstLeft--;
    const pseudonym = ep.identities[ep.identities.length - 1] as VehicleEpisode['identities'][number];
    pseudonym.seq++;
    this.transmit(v, ts, ts, pseudonym.id, pseudonym.seq, claim, ep);
  }

  /** Sybil: each ghost copies the attacker's track at a fixed place in a formation around it, through a receiver of its own. */
  private sendGhosts(v: Vehicle, ep: VehicleEpisode, now: number, truth: Kinematics): void {
    const rad = (truth.heading * Math.PI) / 180;
    const own = this.radio.transmitter(v);
    ep.identities.forEach((g, j) => {
      const ts = now + 2 * j + 1;
      const x = truth.x + g.along * Math.sin(rad) + g.across * Math.cos(rad);
      const y = truth.y + g.along * Math.cos(rad) - g.across * Math.sin(rad);
      const speed = Math.max(0, truth.speed + ep.rng.normal(0, 0.15));
      const error = (g.error ??= own.error.clone(ep.rng.fork(g.id), this.options.profile.noise));
      g.seq++;
      this.transmit(v, ts, ts, g.id, g.seq, this.radio.read(error, ts, { ...truth, x, y, speed }), ep);
    });
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
    for (const [v, ep] of this.vehicleEpisodes) {
      if (ep.end > now) continue;
      // An attacker that spent its episode in a radio dead zone was never heard: try that type again.
      if (ep.emitted === 0) this.retry.push(ep.type);
      // Ghosts and pseudonyms are released, so a long live run never runs out of ids.
      for (const g of ep.identities) this.usedVehicleIds.delete(g.id);
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
