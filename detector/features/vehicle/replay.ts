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
  private readonly states = new Map<number, Payload[]>();
  private readonly stateQueue: Payload[] = [];
  private stateHead = 0;

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
    const q = this.stateQueue;
    while (this.stateHead < q.length && q[this.stateHead]!.ts < f.ts - NEAR_MS) {
      const old = q[this.stateHead++]!;
      const list = this.states.get(old.key);
      if (list) {
        list.shift();
        if (list.length === 0) this.states.delete(old.key);
      }
    }
    if (this.stateHead > 65_536 && this.stateHead * 2 > q.length) {
      q.splice(0, this.stateHead);
      this.stateHead = 0;
    }
    if (f.speed <= 0) return 0;
    const key = mix(mix(0x2545f491, f.speed), f.heading);
    let list = this.states.get(key);
    let replay = 0;
    if (list) {
      const cosLat = Math.cos((f.lat * Math.PI) / 180);
      for (const e of list) {
        if (e.id === id || f.ts - e.ts < NEAR_MIN_AGE_MS || e.speed !== f.speed || angleDiff(e.heading, f.heading) !== 0) continue;
        const dy = (e.lat - f.lat) * 111_195;
        const dx = (e.lon - f.lon) * 111_195 * cosLat;
        if (dx * dx + dy * dy <= radius * radius) {
          replay = 1;
          break;
        }
      }
    } else this.states.set(key, (list = []));
    const entry: Payload = { key, id, ts: f.ts, lat: f.lat, lon: f.lon, speed: f.speed, heading: f.heading, next: undefined };
    list.push(entry);
    q.push(entry);
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
