/**
 * Sources without redelivery (UDP syslog, a capture file) can carry two identical messages
 * with the same timestamp: the same failed login twice in one RFC 3164 second, a CAN frame
 * flooded within a millisecond. They are two events, not one redelivered; numbering the
 * repeats (input field `seq`, ECS `event.sequence`) keeps them apart. The first of its
 * kind gets no number, so an ordinary message's id does not depend on this.
 */
export class RepeatCounter {
  private readonly seen = new Map<string, { ts: number; n: number }>();

  /**
   * @param maxKeys Most distinct messages remembered; past it the memory starts over (at
   *   worst a repeat is then stored as a duplicate and counted in vigil_events_duplicate_total).
   */
  constructor(private readonly maxKeys = 10_000) {}

  /** How many identical messages (same `key`) came before this one with the same timestamp. */
  next(key: string, ts: number): number {
    const prev = this.seen.get(key);
    if (prev && prev.ts === ts) return ++prev.n;
    if (this.seen.size >= this.maxKeys) this.seen.clear();
    this.seen.set(key, { ts, n: 0 });
    return 0;
  }
}
