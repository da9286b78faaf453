/**
 * Replay: a message whose kinematic state was sent before. With any GNSS noise, honest
 * states essentially never repeat bit for bit, so an exact repeat of (lat, lon, speed,
 * heading) is a replay (`replay`), and so is exactly another identity's speed and heading
 * at a place within its position noise of where that identity was seconds ago
 * (`replay_near`: a neighbour's recorded message under another identity).
 */
import { angleDiff, type Fix } from './fix.js';

/** A payload counts as replayed within this window, ms (the longest attack episodes last minutes). */
export const REPLAY_WINDOW_MS = 300_000;
/** Another identity's state counts for `replay_near` this long, ms … */
const NEAR_MS = 10_000;
/** … and only once this old (a state sent at the same moment is a Sybil question, sybil.ts), ms. */
const NEAR_MIN_AGE_MS = 300;

interface Payload {
  key: number;
  id: string;
  ts: number;
  lat: number;
  lon: number;
  speed: number;
  heading: number;
  next: Payload | undefined;
}

const F64 = new Float64Array(1);
const I32 = new Int32Array(F64.buffer);
/** A 32-bit hash step over the bits of a double (exact values, no string building). */
export function mix(h: number, x: number): number {
  F64[0] = x;
  h = Math.imul(h ^ I32[0]!, 0x9e3779b1);
  h = Math.imul(h ^ I32[1]!, 0x85ebca77);
  return h ^ (h >>> 15);
}

export class ReplayIndex {
  private readonly payloads = new Map<number, Payload>();
  private readonly queue: Payload[] = [];
  private readonly queueTs: number[] = [];
  private head = 0;
  private readonly recent = new RecentStates();

  /** 1 when (lat, lon, speed, heading) was sent before in the window, and not as this identity's previous message. */
  exact(id: string, f: Fix, lastTs: number): number {
    if (f.speed <= 0) return 0; // a standing vehicle may legitimately repeat itself
    this.expire(f.ts);
    const key = mix(mix(mix(mix(0x61c88647, f.lat), f.lon), f.speed), f.heading);
    let seen = this.payloads.get(key);
    while (seen && !(seen.lat === f.lat && seen.lon === f.lon && seen.speed === f.speed && seen.heading === f.heading)) seen = seen.next;
    const replay = seen && f.ts - seen.ts <= REPLAY_WINDOW_MS && !(seen.id === id && seen.ts === lastTs) ? 1 : 0;
    if (!seen) {
      seen = { key, id, ts: f.ts, lat: f.lat, lon: f.lon, speed: f.speed, heading: f.heading, next: this.payloads.get(key) };
      this.payloads.set(key, seen);
    } else if (replay === 1) return 1;
    seen.id = id;
    seen.ts = f.ts;
    this.queue.push(seen);
    this.queueTs.push(f.ts);
    return replay;
  }

  /** 1 when another identity reported exactly this speed and heading within `radius` m of here 0.3–10 s ago. */
  near(id: string, f: Fix, radius: number): number {
    const st = this.recent;
    st.expire(f.ts - NEAR_MS);
    if (f.speed <= 0) return 0;
    const key = mix(mix(0x2545f491, f.speed), f.heading);
    const newest = st.newest.get(key);
    let replay = 0;
    if (newest !== undefined) {
      const cosLat = Math.cos((f.lat * Math.PI) / 180);
      const r2 = radius * radius;
      // the key's states, newest first, down to the oldest not yet expired; a run of this
      // identity's own states (most of a key's chain: a vehicle cruising) is skipped at once
      for (let s = newest; s >= st.head; ) {
        const i = s & st.mask;
        if (st.ids[i] === id) {
          s = st.prevOther[i]!;
          continue;
        }
        s = st.prev[i]!;
        if (f.ts - st.ts[i]! < NEAR_MIN_AGE_MS || st.speed[i] !== f.speed || angleDiff(st.heading[i]!, f.heading) !== 0) continue;
        const dy = (st.lat[i]! - f.lat) * 111_195;
        const dx = (st.lon[i]! - f.lon) * 111_195 * cosLat;
        if (dx * dx + dy * dy <= r2) {
          replay = 1;
          break;
        }
      }
    }
    st.push(key, newest ?? -1, id, f);
    return replay;
  }

  private expire(ts: number): void {
    const q = this.queue;
    const qt = this.queueTs;
    while (this.head < q.length && qt[this.head]! < ts - REPLAY_WINDOW_MS) {
      const old = q[this.head]!;
      if (old.ts === qt[this.head]!) this.drop(old);
      this.head++;
    }
    if (this.head > 65_536 && this.head * 2 > q.length) {
      q.splice(0, this.head);
      qt.splice(0, this.head);
      this.head = 0;
    }
  }

  private drop(p: Payload): void {
    let cur = this.payloads.get(p.key);
    if (cur === p) {
      if (p.next) this.payloads.set(p.key, p.next);
      else this.payloads.delete(p.key);
      return;
    }
    while (cur && cur.next !== p) cur = cur.next;
    if (cur) cur.next = p.next;
  }
}

/**
 * The states `near` compares with, in arrival order: a ring of typed arrays indexed by a
 * message's sequence number, each state linked to the previous one with the same
 * (speed, heading) key. A state leaves from the oldest end once older than the window; a
 * key's chain ends at the first state that has left. Typed arrays rather than an object per
 * message: ten seconds of a city's BSMs are tens of thousands of states, and objects that
 * live that long are promoted and collected by the old generation's GC.
 */
class RecentStates {
  mask = 1023;
  ts = new Float64Array(1024);
  lat = new Float64Array(1024);
  lon = new Float64Array(1024);
  speed = new Float64Array(1024);
  heading = new Float64Array(1024);
  key = new Int32Array(1024);
  /** Sequence number of the previous state with the same key, −1 for none. */
  prev = new Float64Array(1024);
  /** … and of the previous one with the same key from another identity. */
  prevOther = new Float64Array(1024);
  ids: string[] = new Array<string>(1024).fill('');
  /** Sequence numbers of the oldest state kept and of the next one. */
  head = 0;
  tail = 0;
  /** Per key, the sequence number of its newest state. */
  readonly newest = new Map<number, number>();

  /** Drops states from the oldest end while they are older than `before` (ms). */
  expire(before: number): void {
    while (this.head < this.tail && this.ts[this.head & this.mask]! < before) {
      const k = this.key[this.head & this.mask]!;
      if (this.newest.get(k) === this.head) this.newest.delete(k);
      this.head++;
    }
  }

  push(key: number, prev: number, id: string, f: Fix): void {
    if (this.tail - this.head > this.mask) this.grow();
    const i = this.tail & this.mask;
    this.ts[i] = f.ts;
    this.lat[i] = f.lat;
    this.lon[i] = f.lon;
    this.speed[i] = f.speed;
    this.heading[i] = f.heading;
    this.key[i] = key;
    this.prev[i] = prev;
    const p = prev & this.mask;
    this.prevOther[i] = prev < 0 ? -1 : this.ids[p] === id ? this.prevOther[p]! : prev;
    this.ids[i] = id;
    this.newest.set(key, this.tail++);
  }

  private grow(): void {
    const size = 2 * (this.mask + 1);
    const mask = size - 1;
    const move = <A extends Float64Array | Int32Array>(a: A, b: A): A => {
      for (let s = this.head; s < this.tail; s++) b[s & mask] = a[s & this.mask]!;
      return b;
    };
    this.ts = move(this.ts, new Float64Array(size));
    this.lat = move(this.lat, new Float64Array(size));
    this.lon = move(this.lon, new Float64Array(size));
    this.speed = move(this.speed, new Float64Array(size));
    this.heading = move(this.heading, new Float64Array(size));
    this.key = move(this.key, new Int32Array(size));
    this.prev = move(this.prev, new Float64Array(size));
    this.prevOther = move(this.prevOther, new Float64Array(size));
    const ids = new Array<string>(size).fill('');
    for (let s = this.head; s < this.tail; s++) ids[s & mask] = this.ids[s & this.mask]!;
    this.ids = ids;
    this.mask = mask;
  }
}
