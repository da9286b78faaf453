import { describe, expect, it } from 'vitest';
import { DOS_RATE_HZ, cityProfile, type AttackType } from '../collectors/simulator/index.js';
import { byVehicle, dataKey, runSim, type Message, type SimRun } from './simulator-fixtures.js';

/** One attack type alone on a development city, with its honest traffic. */
function only(type: AttackType, profile = 'dev-grid', rate = 0.05): SimRun & { attacks: Message[]; honestIds: Set<string> } {
  const run = runSim({ seed: 6, profile, vehicles: 60, devices: 0, attackRate: rate, attacks: [type] }, 60);
  const attacks = run.bsms.filter((m) => m.attack === type);
  const honestIds = new Set(run.sim.vehicles.map((v) => v.id));
  return { ...run, attacks, honestIds };
}

/** Share of messages whose data fields equal an earlier-sent message of another real vehicle. */
function copiedShare(run: SimRun, attacks: readonly Message[], attackerOf: (m: Message) => string | undefined): number {
  const sent = new Map<string, Message[]>();
  for (const m of run.bsms) {
    if (m.attack) continue;
    const list = sent.get(dataKey(m.bsm)) ?? [];
    list.push(m);
    sent.set(dataKey(m.bsm), list);
  }
  const copied = attacks.filter((a) => (sent.get(dataKey(a.bsm)) ?? []).some((o) => o.bsm.vehicle !== attackerOf(a) && o.bsm.ts < a.bsm.ts));
  return copied.length / attacks.length;
}

const pseudonymRe = /^V-\d{4}$/;

describe('delayed_messages', () => {
  const run = only('delayed_messages');
  it('sends its own messages late, with their original ts and seq, after newer ones of the same vehicle', () => {
    expect(run.attacks.length).toBeGreaterThan(20);
    const tracks = byVehicle(run.bsms);
    let overtaken = 0;
    for (const a of run.attacks) {
      const before = (tracks.get(a.bsm.vehicle) ?? []).filter((m) => m.index < a.index);
      // A newer message is sent before every delayed one; it may rarely be lost on the way.
      if (Math.max(...before.map((m) => m.bsm.ts)) > a.bsm.ts && Math.max(...before.map((m) => m.bsm.seq)) > a.bsm.seq) overtaken++;
      // Never the same seq twice: the delayed message was held back, not repeated.
      expect(before.some((m) => m.bsm.seq === a.bsm.seq)).toBe(false);
      expect(a.truth).toBeUndefined();
    }
    expect(overtaken / run.attacks.length).toBeGreaterThan(0.9);
  });
});

describe('disruptive', () => {
  const run = only('disruptive');
  it('re-sends earlier messages of other vehicles under the attacker\'s own id and seq', () => {
    expect(run.attacks.length).toBeGreaterThan(20);
    for (const a of run.attacks) expect(run.honestIds.has(a.bsm.vehicle)).toBe(true);
    expect(copiedShare(run, run.attacks, (m) => m.bsm.vehicle)).toBeGreaterThan(0.8);
    // Several neighbours, not one target.
    const sources = new Map<string, string[]>();
    for (const m of run.bsms) if (!m.attack) sources.set(dataKey(m.bsm), [...(sources.get(dataKey(m.bsm)) ?? []), m.bsm.vehicle]);
    const perAttacker = [...byVehicle(run.attacks).values()].map((t) => new Set(t.flatMap((m) => sources.get(dataKey(m.bsm)) ?? [])).size);
    expect(Math.max(...perAttacker)).toBeGreaterThanOrEqual(2);
  });
});

describe.each(['dos_random', 'dos_disruptive'] as const)('%s', (type) => {
  const run = only(type);
  it(`floods at ${DOS_RATE_HZ} Hz under the attacker's own id`, () => {
    expect(run.attacks.length).toBeGreaterThan(100);
    for (const track of byVehicle(run.attacks).values()) {
      expect(run.honestIds.has(track[0]?.bsm.vehicle ?? '')).toBe(true);
      const gaps = track.slice(1).map((m, i) => m.bsm.ts - (track[i] as Message).bsm.ts).sort((a, b) => a - b);
      expect(gaps[Math.floor(gaps.length / 2)]).toBeLessThanOrEqual(1000 / DOS_RATE_HZ + 1);
    }
  });
  it(type === 'dos_random' ? 'with random data all over the city' : 'with other vehicles\' earlier data', () => {
    if (type === 'dos_random') {
      const xs = run.attacks.map((m) => m.x);
      expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(0.5 * run.sim.network.width);
      expect(new Set(run.attacks.map((m) => m.bsm.speed)).size).toBeGreaterThan(run.attacks.length * 0.5);
    } else expect(copiedShare(run, run.attacks, (m) => m.bsm.vehicle)).toBeGreaterThan(0.8);
  });
});

describe.each(['data_replay_sybil', 'dos_random_sybil', 'dos_disruptive_sybil'] as const)('%s', (type) => {
  const run = only(type);
  const ids = new Set(run.attacks.map((m) => m.bsm.vehicle));
  it('sends under pseudonyms that look like real vehicle ids and are no real vehicle\'s', () => {
    expect(run.attacks.length).toBeGreaterThan(20);
    expect(ids.size).toBeGreaterThan(2);
    for (const id of ids) {
      expect(id).toMatch(pseudonymRe);
      expect(run.honestIds.has(id)).toBe(false);
    }
    for (const id of run.honestIds) expect(id).toMatch(pseudonymRe);
  });
  it(type === 'data_replay_sybil' ? 'changes pseudonym every few messages, replaying a neighbour' : 'floods with a new pseudonym for every message', () => {
    const perId = [...byVehicle(run.attacks).values()].map((t) => t.length);
    if (type === 'data_replay_sybil') {
      expect(Math.max(...perId)).toBeLessThanOrEqual(4);
      expect(copiedShare(run, run.attacks, () => undefined)).toBeGreaterThan(0.8);
    } else {
      expect(Math.max(...perId)).toBe(1);
      const seconds = new Map<number, number>();
      for (const m of run.attacks) seconds.set(Math.floor(m.bsm.ts / 1000), (seconds.get(Math.floor(m.bsm.ts / 1000)) ?? 0) + 1);
      expect(Math.max(...seconds.values())).toBeGreaterThanOrEqual(DOS_RATE_HZ * 0.8);
      if (type === 'dos_disruptive_sybil') expect(copiedShare(run, run.attacks, () => undefined)).toBeGreaterThan(0.8);
    }
  });
  it('leaves the attacker\'s own messages honest', () => {
    const honest = run.bsms.filter((m) => !m.attack);
    expect(honest.every((m) => run.honestIds.has(m.bsm.vehicle))).toBe(true);
  });
});

describe.each(['constant_speed', 'eventual_stop', 'constant_position', 'feigned_braking'] as const)('a %s attacker on a noisy city', (type) => {
  const run = only(type, 'dev-noisy', 0.1);
  it('has GNSS noise on its forged messages as honest vehicles do', () => {
    const receivers = new Map(run.sim.vehicles.map((v) => [v.id, run.sim.receiverOf(v)]));
    const min = cityProfile('dev-noisy').noise.gnssSigma[0];
    expect(run.attacks.length).toBeGreaterThan(20);
    for (const track of byVehicle(run.attacks).values()) {
      if (track.length < 5) continue;
      const xs = track.map((m) => m.x);
      const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
      // Even a frozen or fixed claim moves with the attacker's receiver error.
      expect(new Set(track.map((m) => `${m.bsm.lat},${m.bsm.lon}`)).size).toBe(track.length);
      if (type === 'eventual_stop' || type === 'constant_position') expect(Math.sqrt(xs.reduce((a, x) => a + (x - mean) ** 2, 0) / xs.length)).toBeGreaterThan(min * 0.1);
    }
    if (type === 'constant_speed' || type === 'feigned_braking') {
      // The position is the truth through the attacker's own receiver.
      let z2 = 0;
      for (const m of run.attacks) {
        const r = receivers.get(m.bsm.vehicle);
        if (!r || !m.truth) throw new Error('no truth for an attacker\'s own message');
        z2 += ((m.x - m.truth.x) ** 2 + (m.y - m.truth.y) ** 2) / (2 * r.error.sigma ** 2);
      }
      expect(z2 / run.attacks.length).toBeGreaterThan(0.3);
      expect(z2 / run.attacks.length).toBeLessThan(3);
    }
  });
});
