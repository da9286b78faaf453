/**
 * Replayed readings: a device's reading seen before (not simply the last one again), weighed
 * by how unlikely a chance repeat is. Repeats in their original order add up, and so does a
 * replay that loops back to the first reading of its run (a short capture sent over and over).
 */

/** Readings remembered per device. */
const RING = 512;

export class ReplayMemory {
  /** The last RING readings: key → index of its latest occurrence. */
  private recent = new Map<string, number>();
  private ring: string[] = [];
  private count = 0;
  private prevMatch = -1;
  private prevBits = 0;
  /** Ring index of the first reading of the current run of repeats (−1 none). */
  private runStart = -1;

  /**
   * The replay evidence of the reading `key` (bits: the improbability of its repeat, summed
   * over its run), after the reading `lastKey`; remembers it.
   */
  observe(key: string, lastKey: string, bits: number): number {
    let replayBits = 0;
    const index = this.count++;
    let seen = key !== lastKey ? this.recent.get(key) : undefined;
    if (seen !== undefined) {
      // A reading can occur more than once in the ring (a traffic light has few values): the
      // run continues if the reading after the last match is this one, if this one followed
      // the previous reading somewhere, or if it is the run's first (a looping replay).
      let continues = false;
      if (this.prevMatch >= 0) {
        const nextOne = this.prevMatch + 1;
        if (nextOne < index && index - nextOne <= RING && this.ring[nextOne % RING] === key) {
          seen = nextOne;
          continues = true;
        } else if (seen > 0 && index - (seen - 1) <= RING && this.ring[(seen - 1) % RING] === lastKey) {
          // the previous reading matched a later copy of the one before this
          continues = true;
        } else if (this.runStart >= 0 && index - this.runStart <= RING && this.ring[this.runStart % RING] === key) {
          seen = this.runStart;
          continues = true;
        }
      }
      replayBits = continues ? this.prevBits + bits : bits;
      if (!continues) this.runStart = index;
      this.prevMatch = seen;
      this.prevBits = replayBits;
    } else {
      this.prevMatch = -1;
      this.prevBits = 0;
      this.runStart = -1;
    }
    this.remember(key, index);
    return replayBits;
  }

  private remember(key: string, index: number): void {
    if (this.ring.length >= RING) {
      const old = this.ring[index % RING]!;
      if (this.recent.get(old) === index - RING) this.recent.delete(old);
      this.ring[index % RING] = key;
    } else this.ring.push(key);
    this.recent.set(key, index);
  }
}
