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

  /** The first `warm` values, kept to start from their median rather than from the first one. */
  private warmup: number[] | undefined;

  constructor(
    /** Weight of a new observation once warmed up (1 / effective memory in samples). */
    readonly alpha = 0.02,
    /**
     * With `warm` ≥ 3, z is 0 until `warm` values were folded; the baseline then starts from
     * their median and mean absolute deviation about it, and clips from then on: a few early
     * outliers (an attack already running when monitoring starts) cannot set the baseline.
     */
    readonly warm = 0,
  ) {
    if (warm >= 3) this.warmup = [];
  }

  /** How many scales `x` lies from the centre (before updating); `minScale` floors the scale (a metric's resolution). */
  z(x: number, minScale = 0): number {
    if (this.n < Math.max(3, this.warm)) return 0;
    const floor = Math.max(minScale, 1e-3 * Math.abs(this.center) + 1e-6);
    return Math.abs(x - this.center) / Math.max(this.scale, floor);
  }

  /** Returns z (as `z`) then folds x into the baseline. */
  update(x: number): number {
    const z = this.z(x);
    this.fold(x);
    return z;
  }

  /** Folds x into the baseline (without computing z): callers that gate updates use z() then fold(). */
  fold(x: number): void {
    if (this.warmup) {
      this.n++;
      this.warmup.push(x);
      if (this.warmup.length < this.warm) return;
      const sorted = this.warmup.sort((a, b) => a - b);
      const mid = sorted.length >> 1;
      this.center = sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
      const dev = sorted.map((v) => Math.abs(v - this.center)).sort((a, b) => a - b);
      // mean absolute deviation of the inner half, about what the running scale measures
      let sum = 0;
      const k = Math.max(1, Math.ceil(dev.length * 0.75));
      for (let i = 0; i < k; i++) sum += dev[i]!;
      this.scale = sum / k;
      this.warmup = undefined;
      return;
    }
    this.n++;
    if (this.n === 1) {
      this.center = x;
      return;
    }
    const a = Math.max(this.alpha, 1 / this.n);
    const r = x - this.center;
    const limit = this.n > 10 || this.warm >= 3 ? 3 * Math.max(this.scale, 1e-9) : Infinity;
    const clipped = r > limit ? limit : r < -limit ? -limit : r;
    this.center += a * clipped;
    this.scale = (1 - a) * this.scale + a * Math.min(Math.abs(r), limit);
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
  get(key: K): number {
    return this.counts.get(key) ?? 0;
  }
  get distinct(): number {
    return this.counts.size;
  }
}

/**
 * Whether an IPv4 address is outside the private, shared, loopback and link-local ranges
 * (RFC 1918, RFC 6598, 127/8, 169.254/16): traffic to or from it crosses the city network's
 * edge. Not an IPv4 literal (IPv6, a name, empty): false.
 */
export function isPublicIpv4(ip: string): boolean {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  if (a > 255 || b > 255 || Number(m[3]) > 255 || Number(m[4]) > 255) return false;
  if (a === 10 || a === 127 || a === 0 || a >= 224) return false;
  if (a === 172 && b >= 16 && b < 32) return false;
  if (a === 192 && b === 168) return false;
  if (a === 169 && b === 254) return false;
  if (a === 100 && b >= 64 && b < 128) return false;
  return true;
}
