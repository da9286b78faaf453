import { describe, expect, it } from 'vitest';
import { FeatureExtractor, RobustBaseline } from '../detector/index.js';
import { isPublicIpv4 } from '../detector/features/robust.js';
import { ev, miraiScan, T0, telemetry } from './detector-fixtures.js';

describe('device features', () => {
  it('Mirai-style scanning fans out over telnet', () => {
    const fx = new FeatureExtractor();
    const rows = miraiScan('D-1', 40).map((e) => fx.one(e)!.values);
    const last = rows.at(-1)!;
    expect(Math.round(Math.expm1(last.dst_distinct_log!))).toBe(40);
    expect(Math.round(Math.expm1(last.telnet_log!))).toBe(40);
    expect(Math.round(Math.expm1(last.port_distinct_log!))).toBe(2);
  });

  it('authentication failures in the window', () => {
    const fx = new FeatureExtractor();
    let v: Record<string, number> = {};
    for (let i = 0; i < 6; i++) v = fx.one(ev({ kind: 'auth', device: 'D-2', ts: T0 + i * 1000, user: `u${i % 3}`, outcome: i === 0 ? 'success' : 'failure' }))!.values;
    expect(Math.round(Math.expm1(v.fail_log!))).toBe(5);
    expect(v.fail_ratio).toBeCloseTo(5 / 6);
    expect(Math.round(Math.expm1(v.users_log!))).toBe(3);
  });

  it("a reading far from the device's baseline has a large z; the rhythm is learnt", () => {
    const fx = new FeatureExtractor();
    for (const e of telemetry('D-3', 50)) fx.one(e);
    const spike = fx.one(ev({ kind: 'telemetry', device: 'D-3', ts: T0 + 500_000, metrics: { temperature: 80 } }))!.values;
    expect(Math.expm1(spike.metric_z_max_log!)).toBeGreaterThan(20);
    const late = fx.one(ev({ kind: 'telemetry', device: 'D-3', ts: T0 + 600_000, metrics: { temperature: 20 } }))!.values;
    expect(late.rhythm).toBeGreaterThan(2);
  });

  it('the robust baseline resists injected extremes', () => {
    const b = new RobustBaseline(0.05);
    for (let i = 0; i < 200; i++) b.update(10 + (i % 2 ? 0.5 : -0.5));
    for (let i = 0; i < 5; i++) b.update(1000);
    expect(b.center).toBeLessThan(11);
    expect(b.z(1000)).toBeGreaterThan(100);
  });
});

describe('IoT features against own and peer baselines', () => {
  /** Readings of `devices` environment sensors every 10 s, each with its own small offset and noise. */
  const fleet = (devices: number, rounds: number, t0 = T0, at?: (d: number, r: number) => Record<string, number> | undefined) => {
    const out: ReturnType<typeof ev>[] = [];
    for (let r = 0; r < rounds; r++)
      for (let d = 0; d < devices; d++) {
        const noise = Math.sin(d * 7 + r * 3) * 0.2;
        const metrics = at?.(d, r) ?? { temperature: Math.round((28 + d * 0.05 + noise) * 10) / 10, humidity: Math.round((80 + noise * 4 - d * 0.1) * 10) / 10 };
        out.push(ev({ kind: 'telemetry', device: `D-${100 + d}`, ts: t0 + r * 10_000 + d * 300, metrics }));
      }
    return out;
  };

  it('a reading off its own baseline and its peers scores on both; honest ones do not', () => {
    const fx = new FeatureExtractor();
    const rows = fleet(10, 20).map((e) => fx.one(e)!.values);
    expect(Math.max(...rows.slice(50).map((r) => r.both_z_max_log!))).toBeLessThan(2);
    const hot = fx.one(ev({ kind: 'telemetry', device: 'D-103', ts: T0 + 200_000 + 900, metrics: { temperature: 48.3, humidity: 80.1 } }))!.values;
    expect(Math.expm1(hot.both_z_max_log!)).toBeGreaterThan(20);
    expect(Math.expm1(hot.peer_z_max_log!)).toBeGreaterThan(20);
  });

  it('injected readings are measured, never learnt: the next honest reading is near the baseline', () => {
    const fx = new FeatureExtractor();
    for (const e of fleet(10, 20)) fx.one(e);
    const z: number[] = [];
    for (let i = 0; i < 5; i++) z.push(fx.one(ev({ kind: 'telemetry', device: 'D-104', ts: T0 + 200_000 + i * 10_000 + 1_200, metrics: { temperature: 47 + i, humidity: 80 } }))!.values.metric_z_max_log!);
    // the fifth injected reading is as far off as the first (the baseline did not move towards them)
    expect(Math.expm1(z[4]!)).toBeGreaterThan(0.9 * Math.expm1(z[0]!));
    const honest = fx.one(ev({ kind: 'telemetry', device: 'D-104', ts: T0 + 250_000 + 1_200, metrics: { temperature: 28.2, humidity: 79.6 } }))!.values;
    expect(Math.expm1(honest.metric_z_max_log!)).toBeLessThan(6);
  });

  it('readings of another hour move a device among its peers as the day moves them all; honest devices stay in place', () => {
    const fx = new FeatureExtractor();
    // the city warms and dries by 0.1 °C and 0.4 % a report; each device keeps its own offset
    const at = (d: number, r: number) => {
      const noise = Math.sin(d * 7 + r * 3) * 0.2;
      return { temperature: Math.round((28 + r * 0.1 + d * 0.1 + noise) * 10) / 10, humidity: Math.round((80 - 0.4 * r + noise * 4 - d * 0.3) * 10) / 10 };
    };
    // from report 50 on, D-100 sends what it read 40 reports before (new readings: no copy to match)
    const rows = fleet(10, 58, T0, (d, r) => (d === 0 && r >= 50 ? at(d, r - 40) : at(d, r))).map((e) => ({ id: e.vigil.entity.id, v: fx.one(e)!.values }));
    const moved = rows.filter((r) => r.id === 'D-100').slice(50).map((r) => Math.expm1(r.v.peer_shift_log!));
    const honest = rows.filter((r) => r.id !== 'D-100').slice(5 * 9).map((r) => Math.expm1(r.v.peer_shift_log!));
    expect(moved).toHaveLength(8);
    for (const s of moved) expect(s).toBeGreaterThan(5);
    expect(Math.max(...honest)).toBeLessThan(1.5);
    // the shifted readings did not teach the device's usual offset: it stays out of place
    expect(moved.at(-1)!).toBeGreaterThan(0.8 * moved[0]!);
  });

  it("a traffic light's place among its peers is learnt per phase: red, with its queue, is no shift", () => {
    const fx = new FeatureExtractor();
    let most = 0;
    for (let r = 0; r < 40; r++)
      for (let d = 0; d < 10; d++) {
        const red = (r + d) % 10 < 2; // red at a fifth of the reports, at different times
        const noise = Math.sin(d * 7 + r * 3);
        const metrics = { phase: red ? 'red' : 'green', queue_len: Math.round((red ? 14 : 2) + noise * 1.5), power_w: Math.round((red ? 205 : 220) + noise * 3) };
        const v = fx.one(ev({ kind: 'telemetry', device: `D-${100 + d}`, ts: T0 + r * 5_000 + d * 300, metrics }))!.values;
        if (r >= 10) most = Math.max(most, Math.expm1(v.peer_shift_log!));
      }
    expect(most).toBeGreaterThan(0.2);
    expect(most).toBeLessThan(1.5); // 3.8 with one offset for both phases
  });

  it("a dropped frame is not a shift: a metric that hardly varies is measured in its kind's resolution", () => {
    const fx = new FeatureExtractor();
    // cameras at 25 fps; D-100's first readings carry a decimal (its own resolution is 0.1)
    const at = (d: number, r: number) => ({ fps: d === 0 && r < 3 ? 25.5 : 25, cpu_pct: Math.round((50 + d + Math.sin(d * 7 + r * 3) * 2) * 10) / 10 });
    const rows = fleet(10, 30, T0, (d, r) => (d === 0 && r === 29 ? { ...at(d, r), fps: 23 } : at(d, r))).map((e) => ({ id: e.vigil.entity.id, v: fx.one(e)!.values }));
    const dropped = rows.filter((r) => r.id === 'D-100').at(-1)!.v;
    expect(Math.expm1(dropped.peer_shift_log!)).toBeGreaterThan(0.5); // it did move
    expect(Math.expm1(dropped.peer_shift_log!)).toBeLessThan(3);
  });

  it('a device whose first readings were tampered with does not shift when it comes back to its peers', () => {
    const fx = new FeatureExtractor();
    const at = (d: number, r: number) => {
      const noise = Math.sin(d * 7 + r * 3) * 0.2;
      return { temperature: Math.round((28 + r * 0.1 + d * 0.1 + noise) * 10) / 10, humidity: Math.round((80 - 0.4 * r + noise * 4 - d * 0.3) * 10) / 10 };
    };
    // D-100 reads 4 °C and 16 % low (another hour's readings) for its first 20 reports, then its own
    const rows = fleet(10, 40, T0, (d, r) => (d === 0 && r < 20 ? at(d, r - 40) : at(d, r))).map((e) => ({ id: e.vigil.entity.id, v: fx.one(e)!.values }));
    const back = rows.filter((r) => r.id === 'D-100').slice(20).map((r) => Math.expm1(r.v.peer_shift_log!));
    expect(back).toHaveLength(20);
    expect(Math.max(...back)).toBeLessThan(1.5);
  });

  it("a device whose first readings are already injected is caught by its peers", () => {
    const fx = new FeatureExtractor();
    const rows = fleet(10, 6, T0, (d, r) => (d === 0 && r >= 3 ? { temperature: 49, humidity: 80 } : undefined)).map((e) => ({ id: e.vigil.entity.id, v: fx.one(e)!.values }));
    const injected = rows.filter((r) => r.id === 'D-100').slice(3);
    for (const r of injected) expect(Math.expm1(r.v.peer_z_max_log!)).toBeGreaterThan(20);
  });

  it('a second sender between the beats of the kind is off-beat; the real device stays on it', () => {
    const fx = new FeatureExtractor();
    for (const e of fleet(10, 10)) fx.one(e);
    const off: number[] = [];
    const on: number[] = [];
    for (let r = 10; r < 16; r++) {
      on.push(fx.one(ev({ kind: 'telemetry', device: 'D-105', ts: T0 + r * 10_000 + 1_500, metrics: { temperature: 28.3, humidity: 79.5 } }))!.values.offbeat!);
      off.push(fx.one(ev({ kind: 'telemetry', device: 'D-105', ts: T0 + r * 10_000 + 1_500 + 4_200, metrics: { temperature: 28.4, humidity: 79.4 } }))!.values.offbeat!);
    }
    expect(on).toEqual([0, 0, 0, 0, 0, 0]);
    for (const o of off) expect(o).toBeCloseTo(0.42, 2);
  });

  it('earlier readings sent again in their order add up bits; the last reading repeated is no replay', () => {
    const fx = new FeatureExtractor();
    const readings = Array.from({ length: 30 }, (_, i) => ({ a: Math.round((20 + Math.sin(i * 1.7) * 2) * 100) / 100, b: Math.round((50 + Math.cos(i * 2.3) * 5) * 100) / 100 }));
    const send = (i: number, m: Record<string, number>) => fx.one(ev({ kind: 'telemetry', device: 'D-7', ts: T0 + i * 10_000, metrics: m }))!.values;
    readings.forEach((m, i) => expect(send(i, m).replay_bits).toBe(0));
    expect(send(30, readings[29]!).replay_bits).toBe(0); // the same reading again: a sensor that did not change
    const b1 = send(31, readings[5]!).replay_bits!;
    const b2 = send(32, readings[6]!).replay_bits!;
    const b3 = send(33, readings[7]!).replay_bits!;
    expect(b1).toBeGreaterThan(6);
    expect(b2).toBeGreaterThan(b1);
    expect(b3).toBeGreaterThan(b2);
    expect(b3).toBeGreaterThan(12);
  });

  it('a cumulative counter going backwards is flagged; a metric that moves both ways is not', () => {
    const fx = new FeatureExtractor();
    const send = (i: number, energy: number, t: number) => fx.one(ev({ kind: 'telemetry', device: 'D-8', ts: T0 + i * 15_000, metrics: { energy_kwh: energy, temperature: t } }))!.values;
    for (let i = 0; i < 10; i++) expect(send(i, 1000 + i * 0.004, 20 + (i % 2)).counter_back).toBe(0);
    expect(send(10, 999.5, 20).counter_back).toBe(1);
    expect(send(11, 1000.044, 19).counter_back).toBe(0);
  });
});

describe('IoT features: rival beats, identities, formatting, young baselines, looping replays', () => {
  const sensors = (devices: number, rounds: number, at?: (d: number, r: number) => Record<string, number> | undefined) => {
    const out: ReturnType<typeof ev>[] = [];
    for (let r = 0; r < rounds; r++)
      for (let d = 0; d < devices; d++) {
        const noise = Math.sin(d * 7 + r * 3) * 0.2;
        const metrics = at?.(d, r) ?? { temperature: Math.round((28 + d * 0.05 + noise) * 10) / 10, humidity: Math.round((80 + noise * 4 - d * 0.1) * 10) / 10 };
        out.push(ev({ kind: 'telemetry', device: `D-${100 + d}`, ts: T0 + r * 10_000 + d * 300, metrics }));
      }
    return out;
  };
  const send = (fx: FeatureExtractor, device: string, ts: number, metrics: Record<string, number>) => fx.one(ev({ kind: 'telemetry', device, ts, metrics }))!.values;

  it('a clone that takes the beat just before the device: the reading nearer the own baseline keeps the beat', () => {
    const fx = new FeatureExtractor();
    for (const e of sensors(10, 14)) fx.one(e);
    // D-105 reports at r·10 s + 1.5 s; a clone (0.9 °C warmer) lands 200 ms before its beat
    const clone = send(fx, 'D-105', T0 + 14 * 10_000 + 1_300, { temperature: 29.2, humidity: 77.8 });
    expect(clone.offbeat).toBe(0);
    const real = send(fx, 'D-105', T0 + 14 * 10_000 + 1_500, { temperature: 28.3, humidity: 79.6 });
    expect(real.offbeat).toBe(0);
    for (let r = 15; r < 18; r++) expect(send(fx, 'D-105', T0 + r * 10_000 + 1_500, { temperature: 28.2, humidity: 79.7 }).offbeat).toBe(0);
    // the other way round (the device first), the clone is the rival and is off the beat
    const late = send(fx, 'D-105', T0 + 18 * 10_000 + 1_500, { temperature: 28.2, humidity: 79.8 });
    const rival = send(fx, 'D-105', T0 + 18 * 10_000 + 1_800, { temperature: 29.2, humidity: 77.9 });
    expect(late.offbeat).toBe(0);
    expect(rival.offbeat).toBeGreaterThanOrEqual(0.05);
  });

  it("a counter's level is the device's history: not compared with peers; a shared metric still is", () => {
    const fx = new FeatureExtractor();
    // energy counters from 30 to 40,000 kWh, each growing 0.004 kWh per report
    const rows = sensors(10, 20, (d, r) => ({ energy_kwh: Math.round(((d === 0 ? 30 : 4_000 * d) + r * 0.004) * 1000) / 1000, temperature: Math.round((28 + Math.sin(d * 7 + r * 3) * 0.2) * 10) / 10 }));
    const peerZ = rows.map((e) => ({ id: e.vigil.entity.id, v: fx.one(e)!.values }));
    for (const r of peerZ.slice(-10)) expect(Math.expm1(r.v.peer_z_max_log!)).toBeLessThan(6);
    const hot = send(fx, 'D-103', T0 + 20 * 10_000 + 900, { energy_kwh: 12_000.08, temperature: 48 });
    expect(Math.expm1(hot.peer_z_max_log!)).toBeGreaterThan(20);
  });

  it('more decimals than the device and its kind report is another sender; a device that prints 0.9 for 0.90 is not', () => {
    const fx = new FeatureExtractor();
    for (const e of sensors(10, 15, (d, r) => ({ fps: 25, power_factor: d === 0 ? 0.9 : Math.round((0.91 + d * 0.007 + (r % 3) * 0.01) * 100) / 100 }))) fx.one(e);
    expect(send(fx, 'D-105', T0 + 15 * 10_000 + 1_500, { fps: 26.5, power_factor: 0.95 }).finer_resolution).toBe(1);
    expect(send(fx, 'D-106', T0 + 15 * 10_000 + 1_800, { fps: 24, power_factor: 0.95 }).finer_resolution).toBe(0);
    expect(send(fx, 'D-100', T0 + 15 * 10_000, { fps: 25, power_factor: 0.89 }).finer_resolution).toBe(0);
  });

  it('a lucky start does not freeze the own baseline: an injection much later is still measured, not learnt', () => {
    const fx = new FeatureExtractor();
    // D-100's first four readings agree to the decimal; the next nine scatter by ±0.7 (far
    // for a baseline that saw no spread, ordinary for its peers)
    for (const e of sensors(10, 13, (d, r) => (d === 0 ? { temperature: r < 4 ? 28 : r % 2 ? 27.3 : 28.7, humidity: 80 } : undefined))) fx.one(e);
    const z: number[] = [];
    for (let i = 0; i < 6; i++) z.push(send(fx, 'D-100', T0 + (13 + i) * 10_000, { temperature: 45 + i, humidity: 80 }).metric_z_max_log!);
    expect(Math.expm1(z[5]!)).toBeGreaterThan(20);
    expect(Math.expm1(z[5]!)).toBeGreaterThan(0.9 * Math.expm1(z[0]!));
  });

  it('a replay that loops over a short capture keeps adding bits', () => {
    const fx = new FeatureExtractor();
    const readings = Array.from({ length: 20 }, (_, i) => ({ a: Math.round((20 + Math.sin(i * 1.7) * 2) * 100) / 100, b: Math.round((50 + Math.cos(i * 2.3) * 5) * 100) / 100 }));
    readings.forEach((m, i) => send(fx, 'D-9', T0 + i * 10_000, m));
    const bits = [5, 6, 5, 6, 5].map((k, j) => send(fx, 'D-9', T0 + (20 + j) * 10_000, readings[k]!).replay_bits!);
    // 5, 6 in order; then back to 5 (the first reading of this run) and on: capped at 64 bits
    expect(bits[1]!).toBeGreaterThan(bits[0]!);
    expect(bits[2]!).toBeGreaterThan(bits[1]!);
    expect(bits[4]).toBe(64);
  });

  it('a replay of a capture in which a reading occurs twice still adds up in order', () => {
    const fx = new FeatureExtractor();
    // few distinct values (a traffic light's): reading 12 is reading 2 again
    const readings = Array.from({ length: 20 }, (_, i) => ({ q: (i * 7) % 5, t: 37 + ((i * 3) % 7) / 10, p: 216 + ((i * 5) % 11) }));
    readings[12] = { ...readings[2]! };
    readings.forEach((m, i) => send(fx, 'D-10', T0 + i * 5_000, m));
    const bits = [2, 3, 4, 5].map((k, j) => send(fx, 'D-10', T0 + (20 + j) * 5_000, readings[k]!).replay_bits!);
    for (let j = 1; j < bits.length; j++) expect(bits[j]!).toBeGreaterThan(bits[j - 1]!);
    expect(bits[3]!).toBeGreaterThan(3 * bits[0]!);
  });

  it("a kind's counter going back is flagged from a device's second reading; a rising measurement is not a counter", () => {
    const meters = (fx: FeatureExtractor, rounds: number) => {
      for (let r = 0; r < rounds; r++)
        for (let d = 0; d < 6; d++) send(fx, `D-${200 + d}`, T0 + r * 15_000 + d * 500, { energy_kwh: Math.round((5_000 + d * 3_000 + r * 0.004 * (d + 1)) * 1000) / 1000, power_kw: 0.5 + ((d + r) % 3) / 10 });
    };
    const fx = new FeatureExtractor();
    meters(fx, 3); // 12 steps up, each a millionth of the value
    const t = T0 + 3 * 15_000;
    expect(send(fx, 'D-300', t, { energy_kwh: 12_000.5, power_kw: 0.6 }).counter_back).toBe(0);
    expect(send(fx, 'D-300', t + 15_000, { energy_kwh: 11_999.6, power_kw: 0.5 }).counter_back).toBe(1);
    expect(send(fx, 'D-301', t, { energy_kwh: 13_000.5, power_kw: 0.6 }).counter_back).toBe(0);
    expect(send(fx, 'D-301', t + 15_000, { energy_kwh: 13_000.504, power_kw: 0.5 }).counter_back).toBe(0);
    // a level that rose at every report of every device (pm2.5 in the morning rush) moves by
    // far more than a ten-thousandth of itself: a device's first drop is no counter going back
    // a clone's reading on the beat, 20 % ahead, is not the counter's new value: the real
    // meter's next readings are not counters going back
    const cx = new FeatureExtractor();
    meters(cx, 3);
    const seq = Array.from({ length: 9 }, (_, k) => (k === 5 ? 14_400.6 : Math.round((12_000.5 + k * 0.004) * 1000) / 1000));
    expect(seq.map((e, k) => send(cx, 'D-302', t + k * 15_000, { energy_kwh: e, power_kw: 0.6 }).counter_back)).toEqual(seq.map(() => 0));
    // a leap confirmed by the next reading is the new level (a meter back after an outage)
    const lx = new FeatureExtractor();
    meters(lx, 3);
    const after = [12_000.5, 12_000.504, 12_003.2, 12_003.204, 12_003.1].map((e, k) => send(lx, 'D-303', t + k * 15_000, { energy_kwh: e, power_kw: 0.6 }).counter_back);
    expect(after).toEqual([0, 0, 0, 0, 1]);
    // a clone that took a meter's first reports (two agreeing readings 30 % ahead) set the
    // counter's level: the real meter counting on from below is flagged 4 times, then is the level
    const kx = new FeatureExtractor();
    meters(kx, 3);
    const clone = [15_600.65, 15_600.654].map((e, k) => send(kx, 'D-304', t + k * 15_000, { energy_kwh: e, power_kw: 0.6 }).counter_back);
    const real = Array.from({ length: 8 }, (_, k) => send(kx, 'D-304', t + (k + 2) * 15_000, { energy_kwh: Math.round((12_000.5 + k * 0.004) * 1000) / 1000, power_kw: 0.6 }).counter_back);
    expect(clone).toEqual([0, 0]);
    expect(real).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    const gx = new FeatureExtractor();
    for (let r = 0; r < 3; r++) for (let d = 0; d < 6; d++) send(gx, `D-${200 + d}`, T0 + r * 15_000 + d * 500, { pm25: 20 + d + r * 0.5 });
    send(gx, 'D-300', t, { pm25: 24 });
    expect(send(gx, 'D-300', t + 15_000, { pm25: 22.5 }).counter_back).toBe(0);
  });
});

describe('IoT network and login features', () => {
  const flow = (device: string, ts: number, src: string, dst: string, packets = 10) => ev({ kind: 'net', device, ts, src, dst, dport: 8883, proto: 'tcp', bytes: packets * 100, packets });

  it('flows to public addresses, a second source address from a rare network, and volume against the device', () => {
    const fx = new FeatureExtractor();
    for (let r = 0; r < 20; r++) for (let d = 0; d < 12; d++) fx.one(flow(`D-${d}`, T0 + r * 30_000 + d * 100, `10.20.1.${d + 2}`, '10.0.0.10'));
    const normal = fx.one(flow('D-3', T0 + 600_000, '10.20.1.5', '10.0.0.10'))!.values;
    expect([normal.dst_public, normal.src_foreign, normal.src_change]).toEqual([0, 0, 0]);
    const clone = fx.one(flow('D-3', T0 + 600_100, '10.66.4.9', '10.0.0.10'))!.values;
    expect([clone.src_foreign, clone.src_change]).toEqual([1, 1]);
    const flood = fx.one(flow('D-4', T0 + 600_200, '10.20.1.6', '198.51.100.7', 6000))!.values;
    expect(flood.dst_public).toBe(1);
    expect(Math.expm1(flood.packet_rate_z_log!)).toBeGreaterThan(50);
  });

  it('logins from a public address, failures per source across devices, a source no device has seen', () => {
    const fx = new FeatureExtractor();
    for (let i = 0; i < 25; i++) fx.one(ev({ kind: 'auth', device: `D-${i % 5}`, ts: T0 + i * 1000, user: 'maint', outcome: 'success', src: '10.0.5.11' }));
    const first = fx.one(ev({ kind: 'auth', device: 'D-1', ts: T0 + 30_000, user: 'root', outcome: 'failure', src: '203.0.113.5' }))!.values;
    expect([first.src_public, first.src_new_fleet, Math.round(Math.expm1(first.src_fails_log!))]).toEqual([1, 1, 1]);
    const second = fx.one(ev({ kind: 'auth', device: 'D-2', ts: T0 + 31_000, user: 'admin', outcome: 'failure', src: '203.0.113.5' }))!.values;
    expect([second.src_new_fleet, Math.round(Math.expm1(second.src_fails_log!))]).toEqual([0, 2]);
    const noc = fx.one(ev({ kind: 'auth', device: 'D-2', ts: T0 + 32_000, user: 'maint', outcome: 'failure', src: '10.0.5.11' }))!.values;
    expect([noc.src_public, noc.src_new_fleet, Math.round(Math.expm1(noc.src_fails_log!))]).toEqual([0, 0, 1]);
  });

  it('public addresses and a warm-started baseline', () => {
    expect(['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '127.0.0.1', '169.254.1.1', '224.0.0.1', 'fe80::1', ''].map(isPublicIpv4)).toEqual(Array(9).fill(false));
    expect(['8.8.8.8', '172.32.0.1', '100.128.0.1', '203.0.113.5'].map(isPublicIpv4)).toEqual([true, true, true, true]);
    const b = new RobustBaseline(0.02, 10);
    for (const x of [500, 480, 10, 11, 9, 10, 12, 10, 9, 11]) expect(b.update(x)).toBe(0);
    expect(b.center).toBeCloseTo(10.5, 5); // the median, not dragged by the two early extremes
    expect(b.z(500)).toBeGreaterThan(100);
  });
});
