/**
 * The rhythm of a device's reports: the period of its kind (the median interval between
 * consecutive readings of devices with the same metrics) and the beat of the device, anchored
 * on its last reading that fell on it. A clone reporting beside the real device falls
 * between the beats; a reading that comes late or early moves off the kind's period.
 */

/** On the beat: within this fraction of a period (× √periods) of the device's rhythm. */
const BEAT_TOLERANCE = 0.035;
/** A reading this soon after the anchor (in periods) is a rival for the anchor's beat. */
const RIVAL_WINDOW = 2 * BEAT_TOLERANCE;
/** Intervals of a kind before its period is used: a clone at the start of a run must not set it. */
const PERIOD_WARMUP = 12;
/** Intervals kept per kind for its period. */
const PERIOD_RING = 63;
/** Off-beat readings in a row after which the beat follows them (a device reconfigured, a clock reset). */
const OFF_RUN_FOLLOW = 8;

/** The reporting period of a kind of device: the median of its recent intervals (0 while unknown). */
export class KindPeriod {
  private intervals: number[] = [];
  private next = 0;
  private stale = 0;
  period = 0;

  add(dt: number): void {
    if (this.intervals.length < PERIOD_RING) this.intervals.push(dt);
    else this.intervals[this.next++ % PERIOD_RING] = dt;
    // the median moves slowly: recomputed every 16 intervals (and while it is being learnt)
    if (this.intervals.length >= PERIOD_WARMUP && (this.period === 0 || ++this.stale >= 16 || this.intervals.length < 16)) {
      this.stale = 0;
      const sorted = [...this.intervals].sort((a, b) => a - b);
      this.period = sorted[sorted.length >> 1]!;
    }
  }
}

/** |log(interval / period)|, 100 ms added to both (milliseconds). */
export function rhythm(interval: number, period: number): number {
  return Math.abs(Math.log((Math.max(0, interval) + 100) / (period + 100)));
}

/** One device's beat. */
export class Beat {
  /** The last on-beat reading (−1 none). */
  private anchor = -1;
  /** The anchor's mean own-baseline z (−1 unknown). */
  private anchorZ = -1;
  /** Recent readings off the beat (−1 empty). */
  private offs = [-1, -1, -1];
  private offNext = 0;
  private offRun = 0;

  /**
   * Distance (periods, 0–0.5) of a reading at `ts` from the nearest beat; 0 on the beat.
   * `zMean` is the reading's mean own-baseline z (−1 while unknown).
   */
  offbeat(ts: number, period: number, zMean: number): number {
    if (this.anchor < 0 || period <= 0) {
      this.anchor = ts;
      this.anchorZ = zMean;
      return 0;
    }
    const k = (ts - this.anchor) / period;
    const m = Math.max(1, Math.round(k));
    const err = Math.abs(k - m);
    // Off the anchor's beat but one period after a recent off-beat reading: the beat itself
    // moved (the anchor was a clone's reading that happened to fall near it).
    let moved = false;
    for (const off of this.offs) if (off >= 0 && Math.abs((ts - off) / period - 1) <= BEAT_TOLERANCE) moved = true;
    // Two readings for one beat: the one nearer the device's own baseline is the device's.
    const rival = k < RIVAL_WINDOW;
    const keeps = rival && zMean >= 0 && this.anchorZ >= 0 && zMean < this.anchorZ;
    if (err <= BEAT_TOLERANCE * Math.sqrt(m) || moved || keeps) {
      this.anchor = ts;
      this.anchorZ = zMean;
      this.offRun = 0;
      this.offs.fill(-1);
      return 0;
    }
    this.offs[this.offNext++ % this.offs.length] = ts;
    if (++this.offRun >= OFF_RUN_FOLLOW) {
      this.anchor = ts;
      this.anchorZ = zMean;
      this.offRun = 0;
    }
    // distance to the nearest beat; right after the anchor (a near-duplicate) at least 2 tolerances
    return Math.round(k) === 0 ? Math.max(k, 2 * BEAT_TOLERANCE) : err;
  }
}
