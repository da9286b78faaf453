/**
 * The attacks the simulator injects, by the names the labels use. What each one does is
 * documented in README.md beside this file; the vehicle attacks follow the VeReMi
 * extension's definitions (Kamel et al., "VeReMi Extension", ICC 2020) where it has one.
 */
import type { Random } from '../../events/index.js';

export const VEHICLE_ATTACKS = [
  'constant_position',
  'constant_position_offset',
  'random_position',
  'random_position_offset',
  'constant_speed',
  'constant_speed_offset',
  'random_speed',
  'eventual_stop',
  'data_replay',
  'dos',
  'sybil',
  'feigned_braking',
  'delayed_messages',
  'disruptive',
  'dos_random',
  'dos_disruptive',
  'data_replay_sybil',
  'dos_random_sybil',
  'dos_disruptive_sybil',
] as const;

/** Attacks that flood at DOS_RATE_HZ. */
export const FLOOD_ATTACKS: ReadonlySet<string> = new Set(['dos', 'dos_random', 'dos_disruptive', 'dos_random_sybil', 'dos_disruptive_sybil']);
/** Attacks that send under identities other than the attacker's, which keeps sending honestly under its own. */
export const SYBIL_ATTACKS: ReadonlySet<string> = new Set(['sybil', 'data_replay_sybil', 'dos_random_sybil', 'dos_disruptive_sybil']);

export const IOT_ATTACKS = ['mirai_scan', 'password_guessing', 'ddos', 'sensor_injection', 'replay', 'impersonation', 'silent_device'] as const;

export const ATTACK_TYPES = [...VEHICLE_ATTACKS, ...IOT_ATTACKS] as const;

export type VehicleAttack = (typeof VEHICLE_ATTACKS)[number];
export type IotAttack = (typeof IOT_ATTACKS)[number];
export type AttackType = VehicleAttack | IotAttack;

export function isVehicleAttack(type: AttackType): type is VehicleAttack {
  return (VEHICLE_ATTACKS as readonly string[]).includes(type);
}

/** VeReMi's RandomPosOffset and our random_position_offset: each axis uniform in ±this, metres. */
export const RANDOM_POSITION_OFFSET_M = 70;
/** Highest speed random_speed reports, m/s (VeReMi draws from [0, max speed]). */
export const RANDOM_SPEED_MAX = 40;
/** Deceleration a feigned_braking attacker reports, m/s²: an emergency stop. */
export const FEIGNED_BRAKING = 7;
/** Message rate of a dos flood, Hz (honest vehicles send 1–10 Hz). */
export const DOS_RATE_HZ = 50;
/** How far a disruptive attacker hears the neighbours whose messages it re-sends, metres (DSRC range). */
export const NEIGHBOUR_RANGE_M = 300;

/** Mirai's scanner hits telnet on 23, and on 2323 one time in ten (Antonakakis et al., 2017). */
export const MIRAI_PORTS = { primary: 23, alternate: 2323, alternateShare: 0.1 } as const;

/** User names from Mirai's built-in credential list. */
export const MIRAI_USERS = ['root', 'admin', 'support', 'user', 'guest', 'ubnt', 'supervisor', 'Administrator', 'service', 'tech', 'mother', '666666', '888888', 'default'];

/**
 * First octets Mirai's random scanner never picks (loopback, private, multicast and the
 * US DoD/GE/HP/USPS blocks hard-coded in its source), reused for attack targets.
 */
const SKIPPED_FIRST_OCTETS = new Set([0, 3, 6, 7, 10, 11, 15, 16, 21, 22, 26, 28, 29, 30, 33, 55, 56, 127, 214, 215]);

/** A random routable public IPv4 address, as Mirai's scanner draws them. */
export function randomPublicIp(rng: Random): string {
  for (;;) {
    const a = rng.int(1, 223);
    const b = rng.int(0, 255);
    if (SKIPPED_FIRST_OCTETS.has(a)) continue;
    if ((a === 192 && b === 168) || (a === 172 && b >= 16 && b < 32) || (a === 100 && b >= 64 && b < 128) || (a === 169 && b === 254) || (a === 198 && (b === 18 || b === 19))) continue;
    return `${a}.${b}.${rng.int(0, 255)}.${rng.int(1, 254)}`;
  }
}
