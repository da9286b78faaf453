/**
 * The vehicle attacks (README.md, "Vehicles"), after the VeReMi extension's misbehaviour
 * types (Kamel et al., "VeReMi Extension: A Dataset for Comparable Evaluation of
 * Misbehavior Detection in VANETs", IEEE ICC 2020): how an episode is planned and what an
 * attacker claims instead of the truth. The claim then goes through the attacker's own
 * sensor error, as an honest vehicle's does (simulator.ts), unless it is copied from a
 * message someone already sent, which carries that sender's error.
 */
import { DOS_RATE_HZ, FEIGNED_BRAKING, NEIGHBOUR_RANGE_M, RANDOM_POSITION_OFFSET_M, RANDOM_SPEED_MAX, SYBIL_ATTACKS, type VehicleAttack } from './attacks.js';
import type { Episode } from './episodes.js';
import type { SensorError } from './noise.js';
import type { RoadNetwork } from './network.js';
import type { Random } from '../../events/index.js';
import { TICK_MS, type Kinematics, type Vehicle } from './vehicles.js';

/** A second identity an attacker sends under: a Sybil ghost or a pseudonym. */
export interface Identity {
  id: string;
  seq: number;
  /** sybil: place in the formation, metres behind (negative) and beside the attacker. */
  along: number;
  across: number;
  /** sybil: the ghost's own receiver error, made on its first message. */
  error?: SensorError;
}

export interface VehicleEpisode extends Episode {
  type: VehicleAttack;
  vehicle: Vehicle;
  /** constant_position: the fixed point; *_offset: the fixed offset; eventual_stop: where it froze. */
  px: number;
  py: number;
  /** constant_speed: the speed; constant_speed_offset: the offset; feigned_braking: speed at start; delayed_messages: share held back. */
  value: number;
  heading: number;
  replayTarget?: Vehicle;
  /** data_replay(_sybil): age of the replayed message; delayed_messages: the delay. Milliseconds. */
  replayDelayMs: number;
  /** sybil: the ghosts; *_sybil: every pseudonym used, released when the episode ends. */
  identities: Identity[];
  /** data_replay_sybil: messages per pseudonym, and how many the current one has left. */
  burst: number;
  burstLeft: number;
  /** delayed_messages: messages held back, oldest first. */
  held: Array<Kinematics & { ts: number; seq: number }>;
}

export interface VehicleAttackHost {
  readonly network: RoadNetwork;
  readonly vehicles: readonly Vehicle[];
  /** Attack events an episode is sized to, at the target rate. */
  readonly episodeEvents: number;
  freshVehicleId(rng: Random): string;
}

/** Plan an episode for `vehicle`; undefined when the type cannot run (no neighbour to copy). */
export function planVehicleEpisode(host: VehicleAttackHost, type: VehicleAttack, vehicle: Vehicle, now: number, r: Random): VehicleEpisode | undefined {
  const needsNeighbour = type === 'data_replay' || type === 'data_replay_sybil' || type === 'disruptive' || type === 'dos_disruptive' || type === 'dos_disruptive_sybil';
  if (needsNeighbour && host.vehicles.length < 2) return undefined;
  const rate = 1000 / (vehicle.period * TICK_MS);
  const ghosts = type === 'sybil' ? r.int(3, 5) : 0;
  const held = type === 'delayed_messages' ? r.uniform(0.4, 0.8) : 0;
  const perSecond = type.startsWith('dos') ? DOS_RATE_HZ : type === 'sybil' ? rate * ghosts : type === 'delayed_messages' ? rate * held : rate;
  const seconds = Math.min(30, Math.max(3, host.episodeEvents / perSecond));
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
    value: held,
    heading: vehicle.heading,
    replayDelayMs: 0,
    identities: [],
    burst: 1,
    burstLeft: 0,
    held: [],
  };
  switch (type) {
    case 'constant_position':
      ep.px = r.uniform(0, host.network.width);
      ep.py = r.uniform(0, host.network.height);
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
    case 'delayed_messages':
      ep.replayDelayMs = Math.round(r.uniform(1_000, Math.min(5_000, seconds * 500)));
      break;
    case 'data_replay':
    case 'data_replay_sybil': {
      const target = nearest(host.vehicles, vehicle);
      if (target) ep.replayTarget = target;
      ep.replayDelayMs = r.int(2_000, 6_000);
      ep.burst = r.int(1, 4);
      break;
    }
    case 'sybil':
      for (let j = 0; j < ghosts; j++) {
        ep.identities.push({ id: host.freshVehicleId(r), seq: r.int(0, 4000), along: -(10 + 9 * j) + r.uniform(-1, 1), across: j % 2 === 0 ? 3.5 : -3.5 });
      }
      break;
    default:
      break;
  }
  return ep;
}

function nearest(vehicles: readonly Vehicle[], vehicle: Vehicle): Vehicle | undefined {
  let best: Vehicle | undefined;
  let bestD = Infinity;
  for (const other of vehicles) {
    if (other === vehicle) continue;
    const d = Math.hypot(other.x - vehicle.x, other.y - vehicle.y);
    if (d < bestD) {
      best = other;
      bestD = d;
    }
  }
  return best;
}

/** What an attacker claims in place of `truth` for the types that forge its own messages. */
export function falsify(ep: VehicleEpisode, now: number, truth: Kinematics, net: RoadNetwork): Kinematics {
  const r = ep.rng;
  const out = { ...truth };
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
      out.x = r.uniform(0, net.width);
      out.y = r.uniform(0, net.height);
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
    default:
      break;
  }
  return out;
}

/** data_replay(_sybil): the target's message from replayDelayMs ago, as it was sent. */
export function replayed(ep: VehicleEpisode, now: number): Kinematics | undefined {
  let old: (Kinematics & { ts: number }) | undefined;
  for (const h of ep.replayTarget?.history ?? []) if (h.ts <= now - ep.replayDelayMs) old = h;
  return old ?? ep.replayTarget?.history[0];
}

/** disruptive, dos_disruptive(_sybil): an earlier message of a random vehicle within radio range. */
export function neighbourMessage(ep: VehicleEpisode, vehicles: readonly Vehicle[], now: number): Kinematics | undefined {
  const me = ep.vehicle;
  const heard = vehicles.filter((v) => v !== me && v.history.length > 0 && Math.abs(v.x - me.x) < NEIGHBOUR_RANGE_M && Math.abs(v.y - me.y) < NEIGHBOUR_RANGE_M && Math.hypot(v.x - me.x, v.y - me.y) <= NEIGHBOUR_RANGE_M);
  const pool = heard.length > 0 ? heard : vehicles.filter((v) => v !== me && v.history.length > 0);
  if (pool.length === 0) return undefined;
  const history = ep.rng.pick(pool).history;
  const earlier = history.filter((h) => h.ts <= now - 500);
  return ep.rng.pick(earlier.length > 0 ? earlier : history);
}

/** dos_random(_sybil): every field drawn at random over the city and the plausible ranges. */
export function randomState(ep: VehicleEpisode, net: RoadNetwork): Kinematics {
  const r = ep.rng;
  return { x: r.uniform(0, net.width), y: r.uniform(0, net.height), speed: r.uniform(0, RANDOM_SPEED_MAX), heading: r.uniform(0, 360), accel: r.uniform(-FEIGNED_BRAKING, 3) };
}

export function isSybil(type: VehicleAttack): boolean {
  return SYBIL_ATTACKS.has(type);
}
