/**
 * A correlation group's sliding window, kept incrementally: each matching event is added
 * once and removed once when it leaves the timespan, and the counts a condition reads —
 * events, distinct values, which referenced rules matched, how far an ordered sequence got —
 * are updated as it goes. Nothing is rescanned per event, so the work per event stays
 * constant however many events the window holds: a password-guessing flood, the very attack
 * a brute-force correlation is there to catch, cannot slow the node down by its own volume.
 *
 * Memory is bounded: a window holds at most `cap` events (MAX_WINDOW_EVENTS by default).
 * When a flood fills it, the oldest events leave early and `capped` counts them; an
 * `event_count` condition above the cap is refused when the rule is loaded (book.ts), since
 * it could never be decided. Events arriving out of time order are taken as long as they
 * are inside the window measured from the newest event seen; older ones are counted in
 * `late` and ignored (they are already outside the timespan).
 */
import type { MatchContext } from './match.js';

/** Events one correlation group's window holds at most. */
export const MAX_WINDOW_EVENTS = 10_000;

/** Evidence ids an alert of a correlation carries at most (the newest ones). */
export const MAX_EVIDENCE = 500;

export interface WindowEvent {
  ts: number;
  id: string;
  entity: MatchContext['event']['vigil']['entity'];
  value?: string | undefined;
  /** value_sum, value_avg: the event's number. */
  num?: number | undefined;
  ref?: string | undefined;
}

export interface WindowOptions {
  spanMs: number;
  /** Referenced rules in order, for `temporal` and `temporal_ordered`. */
  refs?: readonly string[];
  cap?: number;
}

/** Elementary steps (an event in, an event out, a count moved): what tests count. */
export const windowWork = { steps: 0 };

export class SlidingWindow {
  private items: WindowEvent[] = [];
  private head = 0;
  private newest = -Infinity;
  private readonly values = new Map<string, number>();
  /** Events with a value, and the sum and count of those with a number (value_sum, value_avg). */
  private valued = 0;
  private sum = 0;
  private numbered = 0;
  private readonly refCounts = new Map<string, number>();
  /** temporal_ordered: for each prefix of `refs`, the latest start of a chain matching it in order. */
  private chainStart: number[];
  private readonly spanMs: number;
  private readonly refs: readonly string[];
  private readonly cap: number;
  /** Events that left early because the window was full. */
  capped = 0;
  /** Events older than the window when they arrived. */
  late = 0;

  constructor(options: WindowOptions) {
    this.spanMs = options.spanMs;
    this.refs = options.refs ?? [];
    this.cap = options.cap ?? MAX_WINDOW_EVENTS;
    this.chainStart = this.refs.map(() => -Infinity);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get distinct(): number {
    return this.values.size;
  }

  /** value_sum: the sum of the numbers in the window. */
  get total(): number {
    return this.sum;
  }

  /** value_avg: their mean (NaN when none has a number, which meets no condition). */
  get mean(): number {
    return this.numbered === 0 ? Number.NaN : this.sum / this.numbered;
  }

  /**
   * value_percentile: the share, in percent, of the window's events whose value is `value`
   * (how rare it is: Sigma's example flags a process name below 1 % of a host's processes).
   */
  share(value: string): number {
    return this.valued === 0 ? Number.NaN : (100 * (this.values.get(value) ?? 0)) / this.valued;
  }

  /** Adds one matching event; false when it was too old to count. */
  add(e: WindowEvent): boolean {
    if (e.ts < this.newest - this.spanMs) {
      this.late++;
      return false;
    }
    if (e.ts > this.newest) this.newest = e.ts;
    this.expire();
    if (this.size >= this.cap) {
      this.removeHead();
      this.capped++;
    }
    this.items.push(e);
    windowWork.steps++;
    if (e.value !== undefined) {
      bump(this.values, e.value, 1);
      this.valued++;
    }
    if (e.num !== undefined) {
      this.sum += e.num;
      this.numbered++;
    }
    if (e.ref !== undefined) {
      bump(this.refCounts, e.ref, 1);
      this.advanceChain(e.ref, e.ts);
    }
    return true;
  }

  /** Whether every referenced rule matched inside the window (temporal). */
  allRefsPresent(): boolean {
    for (const r of this.refs) if (!this.refCounts.has(r)) return false;
    return this.refs.length > 0;
  }

  /** Whether the referenced rules matched in order inside the window (temporal_ordered). */
  orderedComplete(): boolean {
    const start = this.chainStart[this.refs.length - 1];
    return start !== undefined && this.newest - start <= this.spanMs;
  }

  /** The newest `max` event ids, oldest first, and how many older ones were left out. */
  evidence(max = MAX_EVIDENCE): { ids: string[]; omitted: number } {
    const from = Math.max(this.head, this.items.length - max);
    const ids: string[] = [];
    for (let i = from; i < this.items.length; i++) ids.push(this.items[i]!.id);
    return { ids, omitted: from - this.head };
  }

  /** Starts over (a fired window needs fresh evidence for the next alert). */
  reset(): void {
    this.items = [];
    this.head = 0;
    this.values.clear();
    this.valued = 0;
    this.sum = 0;
    this.numbered = 0;
    this.refCounts.clear();
    this.chainStart = this.refs.map(() => -Infinity);
  }

  private expire(): void {
    const limit = this.newest - this.spanMs;
    while (this.head < this.items.length && this.items[this.head]!.ts < limit) this.removeHead();
    // Compact now and then so the array does not keep what left it: amortised O(1).
    if (this.head > 1_024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  private removeHead(): void {
    const e = this.items[this.head++]!;
    windowWork.steps++;
    if (e.value !== undefined) {
      bump(this.values, e.value, -1);
      this.valued--;
    }
    if (e.num !== undefined) {
      this.sum -= e.num;
      this.numbered--;
      // Sums of floats drift as numbers come and go; an empty window starts exact again.
      if (this.numbered === 0) this.sum = 0;
    }
    if (e.ref !== undefined) bump(this.refCounts, e.ref, -1);
  }

  /**
   * The latest-start chain for each prefix: an event of the rule at position j extends the
   * chain of prefix j-1 (keeping its start), or starts prefix 0. Positions are visited from
   * the last down so one event never extends its own chain when a rule appears twice.
   * Chains are checked against the timespan when read, so expiry needs no work here.
   */
  private advanceChain(ref: string, ts: number): void {
    for (let j = this.refs.length - 1; j >= 0; j--) {
      if (this.refs[j] !== ref) continue;
      windowWork.steps++;
      const start = j === 0 ? ts : this.chainStart[j - 1]!;
      if (start > this.chainStart[j]! && ts - start <= this.spanMs) this.chainStart[j] = start;
    }
  }
}

function bump(m: Map<string, number>, k: string, by: number): void {
  windowWork.steps++;
  const n = (m.get(k) ?? 0) + by;
  if (n <= 0) m.delete(k);
  else m.set(k, n);
}
