/**
 * The vehicle replay and Sybil indexes against naive references: the same answers on
 * streams made to stress them (few vehicles on a few speeds and headings, so states share
 * keys and cells; messages out of time order; identities that reappear; attackers that
 * copy another identity's state), message by message.
 */
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../events/index.js';
import type { Fix } from '../detector/features/vehicle/fix.js';
import { ReplayIndex } from '../detector/features/vehicle/replay.js';
import { newSybilState, SybilIndex, type SybilResult, type SybilState, type Tolerance } from '../detector/features/vehicle/sybil.js';
import { VEHICLE_LENGTH, VEHICLE_WIDTH } from '../detector/features/vehicle/bounds.js';
import { angleDiffDeg } from '../detector/geo.js';

interface Msg {
  id: string;
  f: Fix;
}

/**
 * Vehicles near one point, speeds and headings drawn from a handful of values; one message
 * in ten is sent late (up to 3 s), one in twenty repeats another identity's state from up
 * to 12 s ago at a point within a few metres (a replay or a ghost), and now and then a new
 * identity keeps formation beside another.
 */
function stream(seed: number, n: number): Msg[] {
  const r = seededRandom(seed);
  const out: Msg[] = [];
  let ts = 1_700_000_000_000;
  for (let i = 0; i < n; i++) {
    ts += Math.floor(r() * 40);
    // a new group of identities every 2,000 messages: some are young while others are heard
    const id = `V-${Math.floor(r() * 12) + 12 * Math.floor(i / 2000)}`;
    let lat = 1.3 + (r() - 0.5) * 0.004;
    let lon = 103.8 + (r() - 0.5) * 0.004;
    let speed = [0, 8.5, 12, 12.01, 13.89][Math.floor(r() * 5)]!;
    let heading = [0, 90, 90.1, 180, 359.9][Math.floor(r() * 5)]!;
    let t = r() < 0.1 ? ts - Math.floor(r() * 3000) : ts;
    if (r() < 0.05 && out.length > 0) {
      const old = out[Math.max(0, out.length - 1 - Math.floor(r() * 300))]!.f;
      lat = old.lat + (r() - 0.5) * 2e-4;
      lon = old.lon + (r() - 0.5) * 2e-4;
      speed = old.speed;
      heading = old.heading;
      t = ts;
    }
    const f: Fix = { ts: t, lat, lon, x: 0, y: 0, speed, heading, accel: undefined, seq: undefined, posAccuracy: undefined, headingAccuracy: undefined, rsu: '' };
    out.push({ id, f });
    // a new ghost 10 m east of one vehicle for a while, copying its motion (formation)
    const group = Math.floor(i / 2000);
    if (i % 2000 >= 1000 && i % 2000 < 1200 && id === `V-${12 * group}` && t === ts)
      out.push({ id: `G-${group}`, f: { ...f, ts: ts + 1, lon: lon + 10 / (111_195 * Math.cos((lat * Math.PI) / 180)) } });
  }
  return out;
}

/** `ReplayIndex.near` by its definition: every state of the last 10 s (in arrival order), scanned. */
class NaiveNear {
  private readonly states: Msg[] = [];
  private head = 0;
  near(id: string, f: Fix, radius: number): number {
    while (this.head < this.states.length && this.states[this.head]!.f.ts < f.ts - 10_000) this.head++;
    if (f.speed <= 0) return 0;
    let hit = 0;
    const cosLat = Math.cos((f.lat * Math.PI) / 180);
    for (let i = this.head; i < this.states.length; i++) {
      const e = this.states[i]!;
      if (e.id === id || f.ts - e.f.ts < 300 || e.f.speed !== f.speed || angleDiffDeg(e.f.heading, f.heading) !== 0) continue;
      const dy = (e.f.lat - f.lat) * 111_195;
      const dx = (e.f.lon - f.lon) * 111_195 * cosLat;
      if (dx * dx + dy * dy <= radius * radius) hit = 1;
    }
    this.states.push({ id, f });
    return hit;
  }
}

/** `SybilIndex.check` with one object per message and one map of cells keyed x·1000003 + y (the form it replaced). */
class NaiveSybil {
  private readonly cells = new Map<number, Array<{ id: string; f: Fix }>>();
  private bucket = -1;
  private start = -1;
  check(st: SybilState, id: string, f: Fix, tol: Tolerance): [number, number] {
    const bucket = Math.floor(f.ts / 1000);
    if (bucket !== this.bucket) {
      for (const [k, list] of this.cells) {
        const kept = list.filter((e) => e.f.ts >= (bucket - 1) * 1000);
        if (kept.length === 0) this.cells.delete(k);
        else this.cells.set(k, kept);
      }
      this.bucket = bucket;
    }
    if (this.start < 0) this.start = f.ts;
    const cosLat = Math.cos((f.lat * Math.PI) / 180);
    const cy = Math.floor((f.lat * 111_195) / 50);
    const cx = Math.floor((f.lon * 111_195 * cosLat) / 50);
    const young = f.ts - st.firstTs <= 2000 && st.firstTs - this.start > 2000;
    const ps = st.partners;
    let held = 0;
    const seen = new Set<string>();
    const found: Array<{ id: string; d: number }> = [];
    const coloM = Math.max(VEHICLE_WIDTH, tol.pos);
    for (let x = cx - 1; x <= cx + 1; x++)
      for (let y = cy - 1; y <= cy + 1; y++)
        for (const e of this.cells.get(x * 1_000_003 + y) ?? []) {
          if (e.id === id || Math.abs(f.ts - e.f.ts) > 1000 || Math.abs(e.f.speed - f.speed) > tol.speed || angleDiffDeg(e.f.heading, f.heading) > tol.heading) continue;
          const dy = (e.f.lat - f.lat) * 111_195;
          const dx = (e.f.lon - f.lon) * 111_195 * cosLat;
          const d = Math.sqrt(dx * dx + dy * dy);
          if (d <= coloM + f.speed * (Math.abs(f.ts - e.f.ts) / 1000) * 0.2) seen.add(e.id);
          if (d < VEHICLE_LENGTH || d > 50) continue;
          ps.forEach((p, k) => {
            if (p === e.id && Math.abs(d - st.partnerDists[k]!) <= tol.pos) held |= 1 << k;
          });
          if (young && f.speed > tol.speed && found.length < 8) found.push({ id: e.id, d });
        }
    const key = cx * 1_000_003 + cy;
    this.cells.set(key, [...(this.cells.get(key) ?? []), { id, f }]);
    let formation = 0;
    if (held !== 0) {
      const keep = ps.map((p, k) => [p, st.partnerDists[k]!] as const).filter((_, k) => held & (1 << k));
      st.partners = keep.map(([p]) => p);
      st.partnerDists = keep.map(([, d]) => d);
      formation = Math.log1p((f.ts - st.firstTs) / 1000);
    } else {
      st.partners = [];
      st.partnerDists = [];
      for (const c of found)
        if (!st.partners.includes(c.id)) {
          st.partners.push(c.id);
          st.partnerDists.push(c.d);
        }
    }
    return [seen.size, formation];
  }
}

describe('the vehicle replay and Sybil indexes', () => {
  for (const seed of [1, 2, 3]) {
    it(`answer replay_near as a scan of every recent state does (seed ${seed})`, () => {
      const fast = new ReplayIndex();
      const naive = new NaiveNear();
      let hits = 0;
      for (const m of stream(seed, 20_000)) {
        const radius = 2 + (m.f.ts % 7);
        const want = naive.near(m.id, m.f, radius);
        expect(fast.near(m.id, m.f, radius)).toBe(want);
        hits += want;
      }
      // the stream exercises both answers
      expect(hits).toBeGreaterThan(50);
    });

    it(`find the colocated identities and formations the object-per-message index found (seed ${seed})`, () => {
      const fast = new SybilIndex();
      const naive = new NaiveSybil();
      const fastStates = new Map<string, SybilState>();
      const naiveStates = new Map<string, SybilState>();
      const out: SybilResult = { colocated: 0, formation: 0 };
      let colocated = 0;
      let formations = 0;
      for (const m of stream(seed + 10, 20_000)) {
        if (!fastStates.has(m.id)) {
          fastStates.set(m.id, newSybilState(m.f.ts));
          naiveStates.set(m.id, newSybilState(m.f.ts));
        }
        const tol: Tolerance = { pos: 3, speed: 0.5 + (m.f.ts % 3) * 0.2, heading: 2 };
        const [c, formation] = naive.check(naiveStates.get(m.id)!, m.id, m.f, tol);
        fast.check(fastStates.get(m.id)!, m.id, m.f, tol, out);
        expect([out.colocated, out.formation]).toEqual([c, formation]);
        expect(fastStates.get(m.id)!.partners).toEqual(naiveStates.get(m.id)!.partners);
        colocated += c > 0 ? 1 : 0;
        formations += formation > 0 ? 1 : 0;
      }
      expect(colocated).toBeGreaterThan(20);
      expect(formations).toBeGreaterThan(0);
    });
  }
});
