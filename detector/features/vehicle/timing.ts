/**
 * Message timing: how often an identity sends (against the standard's 10 Hz and against
 * its own learnt interval), sequence counters, and time going backwards — a message older
 * than this vehicle's newest (delayed messages: true old messages resent with their original
 * ts and seq) or far behind what its roadside unit has already heard (the unit's watermark).
 */
import { FLOOD_PER_S, MAX_BSM_HZ, MIN_SPACING_MS } from './bounds.js';
import type { Fix } from './fix.js';

/** Timestamps kept per vehicle for the one-second rate (a flood saturates it: see FLOOD_PER_S). */
export const RATE_RING = 32;

export interface TimingState {
  times: Float64Array;
  n: number;
  /** Newest ts and its seq from this vehicle (−1: none). */
  newest: number;
  newestSeq: number;
}

export function newTimingState(): TimingState {
  return { times: new Float64Array(RATE_RING), n: 0, newest: -1, newestSeq: -1 };
}

export interface TimingResult {
  /** Seconds since the previous message of this vehicle (in arrival order), −1 for the first. */
  dt: number;
  /** Messages of this identity within the last second of its own time, this one included. */
  rate: number;
  /**
   * The rate as the flood rule reads it: capped at FLOOD_PER_S for a message at least the
   * standard's least spacing (MIN_SPACING_MS, by the messages' own timestamps) from every
   * other of its identity in the window. Such a message is on schedule, not one a flood
   * added: the honest messages an identity sends just after its own flood ends, which the
   * window still counts, and a 10 Hz sender delivered late or in bursts (arrival order is
   * not transmit order) are not flagged, while every message crammed into a flood is.
   */
  floodRate: number;
  /** log1p of the sequence gap that lost messages (at most 10 Hz over the time elapsed) cannot explain; a counter going back counts too. */
  seqGapLog: number;
  /** Seconds this message's ts lies behind the vehicle's newest (0: not behind). */
  behindS: number;
  /** Seconds behind the newest ts its roadside unit has received. */
  lateS: number;
}

/** Per roadside unit: the newest ts it has received. */
export class Watermarks {
  private readonly marks = new Map<string, number>();
  /** Seconds `ts` lies behind `rsu`'s watermark; advances the watermark. */
  late(rsu: string, ts: number): number {
    if (rsu === '') return 0;
    const w = this.marks.get(rsu);
    if (w === undefined || ts > w) {
      this.marks.set(rsu, ts);
      return 0;
    }
    return (w - ts) / 1000;
  }
}

export function timing(st: TimingState, f: Fix, marks: Watermarks, out: TimingResult): void {
  const last = st.n > 0 ? st.times[(st.n - 1) % RATE_RING]! : -1;
  out.dt = st.n > 0 ? Math.max(0, (f.ts - last) / 1000) : -1;
  out.behindS = st.newest >= 0 && f.ts < st.newest ? (st.newest - f.ts) / 1000 : 0;
  out.lateS = marks.late(f.rsu, f.ts);
  let rate = 1;
  let nearest = Infinity;
  for (let k = 0; k < Math.min(st.n, RATE_RING); k++) {
    const t = st.times[(st.n - 1 - k) % RATE_RING]!;
    const gap = Math.abs(f.ts - t);
    if (gap < 1000) rate++;
    if (gap < nearest) nearest = gap;
  }
  out.rate = rate;
  out.floodRate = nearest < MIN_SPACING_MS ? rate : Math.min(rate, FLOOD_PER_S);
  out.seqGapLog = 0;
  if (f.seq !== undefined && st.newestSeq >= 0 && out.behindS === 0) {
    const gap = f.seq - st.newestSeq;
    const dtNewest = (f.ts - st.newest) / 1000;
    const unexplained = gap <= 0 ? 1 - gap : Math.max(0, gap - Math.max(1, Math.round(dtNewest * MAX_BSM_HZ)));
    out.seqGapLog = Math.log1p(unexplained);
  }
  st.times[st.n % RATE_RING] = f.ts;
  st.n++;
  if (f.ts >= st.newest) {
    st.newest = f.ts;
    if (f.seq !== undefined) st.newestSeq = f.seq;
  }
}
