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

/**
 * Per-entity feature state together with when the entity was last heard (event time): one
 * map entry per entity, so an event costs one lookup, and idle entities are forgotten as
 * `LastSeen` forgets them.
 */
export class EntityStates<S> {
  private readonly map = new Map<string, { state: S; ts: number }>();

  /** @param create a new entity's state */
  constructor(private readonly create: () => S) {}

  get size(): number {
    return this.map.size;
  }

  keys(): Iterable<string> {
    return this.map.keys();
  }

  /** The state of `id`, heard at `ts` (epoch ms); created at its first event. */
  at(id: string, ts: number): S {
    const e = this.map.get(id);
    if (e) {
      if (ts > e.ts) e.ts = ts;
      return e.state;
    }
    const state = this.create();
    this.map.set(id, { state, ts });
    return state;
  }

  /** Forgets every entity last heard before `before` (epoch ms); returns how many. */
  evict(before: number): number {
    let n = 0;
    for (const [id, e] of this.map) {
      if (e.ts >= before) continue;
      this.map.delete(id);
      n++;
    }
    return n;
  }
}

/** A feature family whose per-entity state is forgotten once the entity is idle. */
export abstract class EntityFeatures<S> {
  protected readonly states: EntityStates<S>;

  /** @param create a new entity's state */
  constructor(create: () => S) {
    this.states = new EntityStates(create);
  }

  get entities(): Iterable<string> {
    return this.states.keys();
  }

  /** Forgets the state of entities last heard before `before` (epoch ms, event time); returns how many. */
  evictIdle(before: number): number {
    return this.states.evict(before);
  }
}
