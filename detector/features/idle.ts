/**
 * When each entity was last heard (event time), so per-entity feature state can be forgotten
 * once an entity has been idle longer than the node's `entityIdleMs`: a city's vehicles are
 * transient, and state kept for every pseudonym ever heard grows without bound.
 */
export class LastSeen {
  private readonly at = new Map<string, number>();

  touch(id: string, ts: number): void {
    const t = this.at.get(id);
    if (t === undefined || ts > t) this.at.set(id, ts);
  }

  get size(): number {
    return this.at.size;
  }

  /** Deletes from `state` every id last heard before `before` (epoch ms); returns how many. */
  evict(before: number, state: Map<string, unknown>): number {
    let n = 0;
    for (const [id, t] of this.at) {
      if (t >= before) continue;
      this.at.delete(id);
      state.delete(id);
      n++;
    }
    return n;
  }
}
