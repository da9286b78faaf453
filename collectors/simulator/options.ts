import { CollectorError } from '../errors.js';
import { ATTACK_TYPES, type AttackType } from './attacks.js';
import type { RoadNetworkOptions } from './network.js';
import { checkNetwork, checkProfile, cityProfile, type CityProfile } from './profiles.js';

/** The simulated city and its attackers. Every option has a default. */
export interface SimulatorOptions {
  /** Fixes every random choice: the same seed and options give the same output, byte for byte. @default 1 */
  seed?: number;
  /** Honest vehicles on the road network. @default 100 */
  vehicles?: number;
  /** IoT devices (environment sensors, meters, cameras, traffic-light controllers). @default 50 */
  devices?: number;
  /**
   * Target fraction of all emitted events that are attack events, from 0 to 0.5.
   * @default 0.05
   */
  attackRate?: number;
  /**
   * Simulated start time: epoch milliseconds or ISO-8601. Fixed by default so that runs
   * are reproducible; the live source passes its clock's time.
   * @default '2026-01-01T00:00:00Z' (08:00 in the city, UTC+8)
   */
  start?: number | string;
  /**
   * The city: a profile name (`default`, `dev-grid`, `dev-ring`, `dev-irregular`,
   * `dev-noisy`, held-out `city-a`…`city-d`) or `random:N`, or a profile object.
   * @default 'default' (the 13 × 13 Singapore grid, 0.3 m GNSS noise)
   */
  profile?: string | CityProfile;
  /** Overrides of the profile's road network (layout, centre, receivers…). @default none */
  network?: RoadNetworkOptions;
  /**
   * Attack types episodes are drawn from (in the seed-shuffled order, others skipped), for
   * evaluating one attack type alone at a given rate, as VeReMi does. @default all of `ATTACK_TYPES`
   */
  attacks?: readonly AttackType[];
}

export interface ResolvedSimulatorOptions {
  seed: number;
  vehicles: number;
  devices: number;
  attackRate: number;
  /** Epoch milliseconds, a multiple of the 100 ms physics step. */
  start: number;
  profile: CityProfile;
  /** The profile's network with `network`'s overrides. */
  network: RoadNetworkOptions;
  attacks: readonly AttackType[];
}

export const DEFAULT_START = '2026-01-01T00:00:00Z';
export const MAX_VEHICLES = 5_000;
export const MAX_DEVICES = 10_000;
export const MAX_ATTACK_RATE = 0.5;

/** Normalise and check the options once; a wrong one fails here with a message naming it. */
export function resolveSimulatorOptions(options: SimulatorOptions = {}): ResolvedSimulatorOptions {
  const seed = options.seed ?? 1;
  const vehicles = options.vehicles ?? 100;
  const devices = options.devices ?? 50;
  const attackRate = options.attackRate ?? 0.05;
  wholeNumber('seed', seed, 0, Number.MAX_SAFE_INTEGER);
  wholeNumber('vehicles', vehicles, 0, MAX_VEHICLES);
  wholeNumber('devices', devices, 0, MAX_DEVICES);
  if (typeof attackRate !== 'number' || !Number.isFinite(attackRate) || attackRate < 0 || attackRate > MAX_ATTACK_RATE) {
    throw bad(`attackRate: expected a fraction from 0 to ${MAX_ATTACK_RATE}, got ${String(attackRate)}`);
  }
  const rawStart = options.start ?? DEFAULT_START;
  const start = typeof rawStart === 'number' ? rawStart : Date.parse(rawStart);
  // Validation rejects timestamps before 2000 (seconds sent as milliseconds).
  if (!Number.isFinite(start) || start < Date.UTC(2000, 0, 1) || start > Date.UTC(9000, 0, 1)) {
    throw bad(`start: expected an ISO-8601 time or epoch milliseconds from 2000 on, got ${JSON.stringify(rawStart)}`);
  }
  const attacks = options.attacks ?? ATTACK_TYPES;
  if (!Array.isArray(attacks) || attacks.length === 0) throw bad(`attacks: expected a non-empty list of ${ATTACK_TYPES.join(', ')}`);
  for (const a of attacks) {
    if (!(ATTACK_TYPES as readonly string[]).includes(a)) throw bad(`attacks: expected one of ${ATTACK_TYPES.join(', ')}, got ${JSON.stringify(a)}`);
  }
  const profile = typeof options.profile === 'object' && options.profile !== null ? checkProfile(options.profile) : cityProfile(options.profile ?? 'default');
  const network = checkNetwork({ ...profile.network, ...options.network });
  return { seed, vehicles, devices, attackRate, start: Math.floor(start / 100) * 100, profile, network, attacks: [...new Set(attacks)] };
}

function wholeNumber(name: string, value: unknown, min: number, max: number): void {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`${name}: expected a whole number from ${min} to ${max}, got ${String(value)}`);
  }
}

function bad(message: string): CollectorError {
  return new CollectorError('BAD_OPTION', `simulator option ${message}`, false);
}
