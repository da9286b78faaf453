/**
 * A robust, decaying baseline of one number: an exponentially weighted centre and scale
 * whose updates are clipped (Huber-style) so that an attacker injecting extreme values
 * cannot drag the baseline towards them, and whose memory fades so that a device's
 * legitimate drift (seasons, a recalibration) is followed.
 */
export class RobustBaseline {
  center = 0;
  scale = 0;
  n = 0;

  constructor(
    /** Weight of a new observation once warmed up (1 / effective memory in samples). */
    readonly alpha = 0.02,
  ) {}

  /** How many scales `x` lies from the centre (before updating). */
  z(x: number): number {
    if (this.n < 3) return 0;
    const floor = 1e-3 * Math.abs(this.center) + 1e-6;
    return Math.abs(x - this.center) / Math.max(this.scale, floor);
  }

  /** Returns z (as `z`) then folds x into the baseline. */
  update(x: number): number {
    const z = this.z(x);
    this.n++;
    if (this.n === 1) {
      this.center = x;
      return 0;
    }
    const a = Math.max(this.alpha, 1 / this.n);
    const r = x - this.center;
    const limit = this.n > 10 ? 3 * Math.max(this.scale, 1e-9) : Infinity;
    const clipped = r > limit ? limit : r < -limit ? -limit : r;
    this.center += a * clipped;
    this.scale = (1 - a) * this.scale + a * Math.min(Math.abs(r), limit);
    return z;
  }
}

/** A sliding window of timestamped items with O(1) amortised eviction. */
export class TimeWindow<T> {
  private ts: number[] = [];
  private items: T[] = [];
  private head = 0;

  push(ts: number, item: T): void {
    this.ts.push(ts);
    this.items.push(item);
  }

  /** Removes items older than `since`, calling `onEvict` for each. */
  evict(since: number, onEvict: (item: T) => void): void {
    while (this.head < this.ts.length && this.ts[this.head]! < since) {
      onEvict(this.items[this.head]!);
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.ts.length) {
      this.ts = this.ts.slice(this.head);
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  get size(): number {
    return this.ts.length - this.head;
  }
}

/** Counts of distinct keys in a window. */
export class Counter<K> {
  private readonly counts = new Map<K, number>();
  add(key: K): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
  }
  remove(key: K): void {
    const c = (this.counts.get(key) ?? 0) - 1;
    if (c <= 0) this.counts.delete(key);
    else this.counts.set(key, c);
  }
  get distinct(): number {
    return this.counts.size;
  }
}
