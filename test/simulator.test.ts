import { describe, expect, it } from 'vitest';
import { parseJsonRecord, resolveValidationOptions, type BsmInput } from '../events/index.js';
import type { IngestItem, IngestReceipt, IngestSink } from '../collectors/index.js';
import { CollectorError } from '../collectors/index.js';
import {
  ATTACK_TYPES,
  CitySimulator,
  SimulatorSource,
  VEHICLE_LIMITS,
  describeNetwork,
  nearestRoads,
  roadNetwork,
  simulate,
  toLocal,
  type Label,
  type SimulatorOptions,
} from '../collectors/simulator/index.js';

interface Run {
  events: string[];
  labels: string[];
}

function run(options: SimulatorOptions & { duration: number }): Run {
  const out: Run = { events: [], labels: [] };
  for (const chunk of simulate(options)) {
    out.events.push(...chunk.events);
    out.labels.push(...chunk.labels);
  }
  return out;
}

const parsed = (lines: string[]): Label[] => lines.map((l) => JSON.parse(l) as Label);
const eventLabels = (labels: Label[]): Label[] => labels.filter((l) => !l.id.startsWith('silence:'));
const attackShare = (labels: Label[]): number => {
  const events = eventLabels(labels);
  return events.filter((l) => l.label === 'attack').length / events.length;
};

// The default fleet (100 vehicles, 50 devices), 80 simulated seconds at the default rate 0.05
// (26 attack types, one episode about every 2 s).
const BASELINE_S = 80;
const baseline = run({ seed: 1, duration: BASELINE_S });
const baselineLabels = parsed(baseline.labels);
/** The labels of the event lines, index for index (without silent-device windows). */
const baselineEventLabels = eventLabels(baselineLabels);

describe('when the same seed and options are run twice', () => {
  it('writes byte-identical events and labels', () => {
    const again = run({ seed: 1, duration: BASELINE_S });
    expect(again.events.join('\n')).toBe(baseline.events.join('\n'));
    expect(again.labels.join('\n')).toBe(baseline.labels.join('\n'));
  });

  it('writes different traffic for a different seed', () => {
    const other = run({ seed: 2, duration: 60 });
    expect(other.events.slice(0, 100)).not.toEqual(baseline.events.slice(0, 100));
  });

  it('starts at the fixed default time, or at the one given', () => {
    const first = JSON.parse(baseline.events[0] as string) as { ts: number };
    expect(first.ts - Date.parse('2026-01-01T00:00:00Z')).toBeLessThan(100);
    const later = run({ seed: 1, duration: 1, start: '2026-06-01T12:00:00Z' });
    const ts = later.events.map((l) => (JSON.parse(l) as { ts: number }).ts);
    expect(Math.min(...ts)).toBeGreaterThanOrEqual(Date.parse('2026-06-01T12:00:00Z'));
    expect(Math.max(...ts)).toBeLessThan(Date.parse('2026-06-01T12:00:01Z'));
  });
});

describe('labels', () => {
  it('give, line for line, the id that the events part computes for each event line', () => {
    const validation = resolveValidationOptions({ now: () => Date.parse('2030-01-01T00:00:00Z') });
    const labels = baselineEventLabels;
    expect(labels).toHaveLength(baseline.events.length);
    baseline.events.forEach((line, i) => {
      const result = parseJsonRecord(line, validation);
      if (!result.ok) throw new Error(`line ${i} rejected: ${result.rejection.message}: ${line}`);
      expect(labels[i]?.id).toBe(result.event.id);
    });
  });

  it('never appear inside the events', () => {
    for (const line of baseline.events) expect(line).not.toMatch(/"(label|attack)"/);
  });

  it('name only known attack types, and carry no type on normal events', () => {
    for (const label of baselineLabels) {
      if (label.label === 'normal') expect(label).toEqual({ id: label.id, label: 'normal' });
      else expect(ATTACK_TYPES).toContain(label.attack);
    }
  });

  it.each([1, 2, 3, 4, 5])('include every attack type in an 80 s run at rate 0.05 (seed %i)', (seed) => {
    const labels = seed === 1 ? baselineLabels : parsed(run({ seed, duration: BASELINE_S }).labels);
    const seen = new Set(labels.flatMap((l) => (l.label === 'attack' ? [l.attack] : [])));
    expect([...ATTACK_TYPES].filter((t) => !seen.has(t))).toEqual([]);
  });

  it('mark a silent device by a window in which that device sends nothing', () => {
    const windows = baselineLabels.filter((l) => l.id.startsWith('silence:'));
    expect(windows.length).toBeGreaterThan(0);
    for (const w of windows) {
      if (!('entity' in w)) throw new Error('window label without entity');
      expect(w).toMatchObject({ label: 'attack', attack: 'silent_device', id: `silence:${w.entity}:${w.start}` });
      expect(w.end).toBeGreaterThan(w.start);
      const during = baseline.events.filter((line) => {
        const e = JSON.parse(line) as { device?: string; ts: number };
        return e.device === w.entity && e.ts >= w.start && e.ts < w.end;
      });
      expect(during).toEqual([]);
    }
  });
});

describe('the attack rate', () => {
  it.each([0.02, 0.05, 0.1, 0.3])('keeps the share of attack events near %f', (rate) => {
    const labels = rate === 0.05 ? baselineLabels : parsed(run({ seed: 7, duration: 60, attackRate: rate }).labels);
    expect(attackShare(labels)).toBeGreaterThan(rate * 0.8);
    expect(attackShare(labels)).toBeLessThan(rate * 1.2);
  });

  it('restricted to one type injects only that type, still near the rate', () => {
    const labels = parsed(run({ seed: 5, duration: 60, attacks: ['constant_speed_offset'] }).labels);
    const types = new Set(eventLabels(labels).flatMap((l) => (l.label === 'attack' ? [l.attack] : [])));
    expect([...types]).toEqual(['constant_speed_offset']);
    expect(attackShare(labels)).toBeGreaterThan(0.04);
    expect(attackShare(labels)).toBeLessThan(0.06);
  });

  it('restricted to every type gives the same traffic as no restriction', () => {
    const all = run({ seed: 1, duration: BASELINE_S, attacks: [...ATTACK_TYPES].reverse() });
    expect(all.events).toEqual(baseline.events);
  });

  it('of 0 gives normal traffic only', () => {
    const labels = parsed(run({ seed: 1, duration: 30, attackRate: 0 }).labels);
    expect(labels.length).toBeGreaterThan(1000);
    expect(labels.every((l) => l.label === 'normal')).toBe(true);
  });
});

describe('honest vehicles', () => {
  const net = roadNetwork();
  const rsus = new Map(net.rsus.map((r) => [r.id, r]));
  const byVehicle = new Map<string, BsmInput[]>();
  baseline.events.forEach((line, i) => {
    const e = JSON.parse(line) as BsmInput;
    if (e.kind !== 'bsm' || baselineEventLabels[i]?.label !== 'normal') return;
    const track = byVehicle.get(e.vehicle) ?? [];
    track.push(e);
    byVehicle.set(e.vehicle, track);
  });
  const messages = [...byVehicle.values()].flat();

  it('are many, each sending at its own rate of 1 to 10 Hz', () => {
    expect(byVehicle.size).toBeGreaterThanOrEqual(95);
    for (const track of byVehicle.values()) {
      const gaps = track.slice(1).map((m, i) => Number(m.ts) - Number(track[i]?.ts));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(100);
      // The shortest gap is the send period (longer gaps: out of range, or an attack in between).
      expect(Math.min(...gaps)).toBeLessThanOrEqual(1000);
    }
  });

  it('stay on the road network, within the speed limit of the road they are on', () => {
    for (const m of messages) {
      const p = toLocal(net, m.lat, m.lon);
      // GNSS noise (0.3 m) plus the corner cut of a 12 m turn (3.5 m).
      const { distance, roads } = nearestRoads(net, p.x, p.y, 5);
      expect(distance).toBeLessThan(5);
      expect(m.speed).toBeLessThanOrEqual(Math.max(...roads.map((r) => r.speedLimit)) + 0.01);
    }
  });

  it('accelerate, brake and turn within the physical bounds', () => {
    let pairs = 0;
    for (const track of byVehicle.values()) {
      for (let i = 1; i < track.length; i++) {
        const a = track[i - 1] as BsmInput;
        const b = track[i] as BsmInput;
        const dt = (Number(b.ts) - Number(a.ts)) / 1000;
        const dv = (b.speed - a.speed) / dt;
        expect(dv).toBeLessThanOrEqual(VEHICLE_LIMITS.maxAccel + 0.1);
        expect(dv).toBeGreaterThanOrEqual(-VEHICLE_LIMITS.maxBraking - 0.1);
        expect(Math.abs(b.accel ?? 0)).toBeLessThanOrEqual(VEHICLE_LIMITS.maxBraking);
        const turn = Math.abs(((b.heading - a.heading + 540) % 360) - 180) / dt;
        // Headings are sent to 0.1°, so allow that rounding over the shortest (0.1 s) gap.
        expect(turn).toBeLessThanOrEqual(VEHICLE_LIMITS.maxTurnRate + 1);
        pairs++;
      }
    }
    expect(pairs).toBeGreaterThan(10_000);
  });

  it('do turn at intersections and stop at some', () => {
    const turning = messages.filter((m) => m.heading % 90 !== 0);
    const stopped = messages.filter((m) => m.speed === 0);
    expect(turning.length).toBeGreaterThan(100);
    expect(stopped.length).toBeGreaterThan(100);
  });

  it('are received by an RSU within its range, and not at all out of every range', () => {
    for (const m of messages) {
      const rsu = rsus.get(m.rsu ?? '');
      if (!rsu) throw new Error(`unknown RSU ${m.rsu}`);
      const p = toLocal(net, m.lat, m.lon);
      expect(Math.hypot(p.x - rsu.x, p.y - rsu.y)).toBeLessThanOrEqual(rsu.range + 2);
    }
    const sim = new CitySimulator({ seed: 1 });
    sim.advance(sim.time + 60_000);
    expect(sim.counts.lostOutOfRange).toBeGreaterThan(0);
  });
});

describe('attacks are detectable in principle', () => {
  const net = roadNetwork();
  const rsus = new Map(net.rsus.map((r) => [r.id, r]));
  const of = (type: string): BsmInput[] =>
    baseline.events
      .filter((_, i) => {
        const l = baselineEventLabels[i];
        return l?.label === 'attack' && l.attack === type;
      })
      .map((line) => JSON.parse(line) as BsmInput);

  it('random_position claims places off the road or far from the RSU that heard it', () => {
    const msgs = of('random_position');
    expect(msgs.length).toBeGreaterThan(0);
    const implausible = msgs.filter((m) => {
      const p = toLocal(net, m.lat, m.lon);
      const rsu = rsus.get(m.rsu ?? '');
      return nearestRoads(net, p.x, p.y).distance > 6 || !rsu || Math.hypot(p.x - rsu.x, p.y - rsu.y) > rsu.range;
    });
    expect(implausible.length / msgs.length).toBeGreaterThan(0.8);
  });

  it('dos sends faster than the 10 Hz any honest vehicle keeps', () => {
    const msgs = of('dos');
    const first = msgs[0] as BsmInput;
    const own = msgs.filter((m) => m.vehicle === first.vehicle);
    expect(Number(own[1]?.ts) - Number(own[0]?.ts)).toBeLessThan(100);
  });

  it('sybil ghosts are identities that never send honest messages', () => {
    const ghosts = new Set(of('sybil').map((m) => m.vehicle));
    expect(ghosts.size).toBeGreaterThanOrEqual(3);
    const honest = new Set(
      baseline.events.filter((line, i) => baselineEventLabels[i]?.label === 'normal' && line.includes('"bsm"')).map((line) => (JSON.parse(line) as BsmInput).vehicle),
    );
    for (const g of ghosts) expect(honest.has(g)).toBe(false);
  });

  it('a replayed message is a new event, not a copy of the one replayed', () => {
    const ids = baselineEventLabels.map((l) => l.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('the road network', () => {
  it('is the same for every seed, with RSUs of a known range and speed limits on every road', () => {
    const a = new CitySimulator({ seed: 1 }).describe();
    const b = new CitySimulator({ seed: 99 }).describe();
    expect(a.roads).toEqual(b.roads);
    expect(a.rsus).toEqual(b.rsus);
    expect(a.devices).not.toEqual(b.devices);
    const city = describeNetwork(roadNetwork());
    expect(city.rsus.length).toBeGreaterThan(10);
    for (const r of city.rsus) expect(r.range).toBe(300);
    expect(new Set(city.roads.map((r) => r.speedLimitKmh))).toEqual(new Set([40, 60]));
    expect(Math.abs(city.center.lat - 1.3521)).toBeLessThan(1e-9);
    expect(JSON.parse(JSON.stringify(a))).toEqual(a);
  });
});

describe('options', () => {
  it.each([
    [{ vehicles: -1 }, /vehicles/],
    [{ devices: 1.5 }, /devices/],
    [{ attackRate: 0.9 }, /attackRate/],
    [{ seed: Number.NaN }, /seed/],
    [{ start: 'yesterday' }, /start/],
    [{ attacks: ['meteor_strike'] }, /attacks/],
    [{ attacks: [] }, /attacks/],
  ] as const)('reject %o with a message naming the option', (options, name) => {
    expect(() => new CitySimulator(options as SimulatorOptions)).toThrow(name);
    expect(() => new CitySimulator(options as SimulatorOptions)).toThrow(CollectorError);
  });

  it('with no vehicles or no devices still run, and attack what there is', () => {
    const noCars = parsed(run({ seed: 3, vehicles: 0, duration: 60, attackRate: 0.2 }).labels);
    expect(noCars.some((l) => l.label === 'attack')).toBe(true);
    const noDevices = parsed(run({ seed: 3, devices: 0, duration: 30 }).labels);
    expect(noDevices.some((l) => l.label === 'attack')).toBe(true);
  });
});

describe('the live source', () => {
  class MemorySink implements IngestSink {
    batches: Array<{ source: string; items: readonly IngestItem[]; wait: boolean | undefined }> = [];
    async submit(source: string, items: readonly IngestItem[], options?: { wait?: boolean }): Promise<IngestReceipt> {
      this.batches.push({ source, items, wait: options?.wait });
      return { accepted: items.length, duplicates: 0, rejected: 0, results: items.map((i) => ({ id: i.event?.id ?? '' })) };
    }
    dropped(): void {}
  }

  it('submits valid events stamped with the clock\'s time, and stops cleanly', async () => {
    let now = Date.parse('2026-03-01T10:00:00Z');
    const first = now;
    const clock = (): number => now;
    const labels: Label[] = [];
    const sink = new MemorySink();
    let pauses = 0;
    const source = new SimulatorSource({
      seed: 4,
      vehicles: 20,
      devices: 10,
      attackRate: 0.1,
      clock,
      onLabel: (l) => labels.push(l),
      // Each pause lets half a second of clock time pass.
      sleep: async () => {
        now += 500;
        pauses++;
        if (pauses === 40) void source.stop();
      },
    });
    await source.start(sink);
    await new Promise<void>((resolve) => {
      const check = (): void => (pauses >= 40 ? resolve() : void setTimeout(check, 5));
      check();
    });
    await source.stop();
    const items = sink.batches.flatMap((b) => b.items);
    expect(sink.batches.every((b) => b.source === 'simulator' && b.wait === true)).toBe(true);
    expect(items.length).toBeGreaterThan(500);
    for (const item of items) {
      if (!item.event) throw new Error(`rejected: ${item.rejection?.message}`);
      expect(item.event.vigil.ts).toBeGreaterThanOrEqual(first);
      expect(item.event.vigil.ts).toBeLessThan(now);
    }
    const eventIds = eventLabels(labels).map((l) => l.id);
    expect(eventIds).toEqual(items.map((i) => i.event?.id));
    expect(labels.some((l) => l.label === 'attack')).toBe(true);
    const submitted = sink.batches.length;
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.batches.length).toBe(submitted);
  });
});
