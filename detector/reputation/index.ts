/**
 * BITS-style reputation: every vehicle and device earns or loses trust from what it
 * reports. A beta reputation (Jøsang & Ismail, 2002) over good and bad evidence with
 * exponential forgetting: trust = (good + 1) / (good + bad + 2). The evidence mass is
 * capped, so a chatty vehicle at 10 Hz and a sensor reporting once a minute both weigh
 * roughly their last `maxEvidence` reports.
 *
 * Flagging has hysteresis: an entity is flagged rogue when its trust stays under
 * `flagBelow` for `flagAfterMs`, and unflagged only after it stays above `recoverAbove`
 * for `recoverAfterMs` — one good message after a burst of lies restores nothing.
 */
import type { EntityType } from '../../events/index.js';
import type { ReputationPoint } from '../types.js';

export interface ReputationOptions {
  /** Half-life of evidence, milliseconds. @default 300000 */
  halfLifeMs?: number;
  /** Largest evidence mass (good + bad) kept. @default 30 */
  maxEvidence?: number;
  /** Flag when trust stays below this. @default 0.3 */
  flagBelow?: number;
  /** …for this long, milliseconds. @default 3000 */
  flagAfterMs?: number;
  /** Unflag when trust stays above this. @default 0.7 */
  recoverAbove?: number;
  /** …for this long, milliseconds. @default 120000 */
  recoverAfterMs?: number;
  /** A history point is recorded when trust moves by at least this much, or the flag changes. @default 0.05 */
  historyStep?: number;
  /** History points kept per entity (oldest dropped). @default 500 */
  historyLimit?: number;
}

export type ResolvedReputationOptions = Required<ReputationOptions>;

export function resolveReputationOptions(o: ReputationOptions = {}): ResolvedReputationOptions {
  return {
    halfLifeMs: o.halfLifeMs ?? 300_000,
    maxEvidence: o.maxEvidence ?? 30,
    flagBelow: o.flagBelow ?? 0.3,
    flagAfterMs: o.flagAfterMs ?? 3_000,
    recoverAbove: o.recoverAbove ?? 0.7,
    recoverAfterMs: o.recoverAfterMs ?? 120_000,
    historyStep: o.historyStep ?? 0.05,
    historyLimit: o.historyLimit ?? 500,
  };
}

export interface EntityReputation {
  good: number;
  bad: number;
  lastTs: number;
  /** Event time of the first observation: how long the identity has been heard (a Sybil ghost lives seconds). */
  firstTs: number;
  flagged: boolean;
  /** Since when trust has been on the other side of the flag/recover threshold (NaN: not). */
  crossingSince: number;
  lastRecorded: number;
  history: ReputationPoint[];
  type: EntityType;
  /** Flagged by the transport authority's hand: the detector's recovery does not lift it, only the authority's clear does. */
  pinned?: boolean;
}

export class ReputationBook {
  private readonly entities = new Map<string, EntityReputation>();
  readonly options: ResolvedReputationOptions;
  /** Whether the latest `observe` flipped its entity's flag (saves the caller a lookup per event). */
  flippedByLast = false;
  /** The last decay computed and its dt (Math.pow is a call into C). */
  private lastDt = Number.NaN;
  private lastDecay = 1;

  constructor(options: ReputationOptions = {}) {
    this.options = resolveReputationOptions(options);
  }

  /**
   * Adds one observation of `badness` in [0, 1] (0: consistent report, 1: certainly a lie)
   * with `weight`; returns a history point when one was recorded.
   */
  observe(id: string, type: EntityType, ts: number, badness: number, weight = 1): ReputationPoint | undefined {
    const o = this.options;
    let r = this.entities.get(id);
    if (!r) {
      r = { good: 0, bad: 0, lastTs: ts, firstTs: ts, flagged: false, crossingSince: Number.NaN, lastRecorded: 0.5, history: [], type };
      this.entities.set(id, r);
    }
    const dt = Math.max(0, ts - r.lastTs);
    if (dt > 0) {
      // Most entities report at a fixed rate: the same dt as the last one, the same decay.
      if (dt !== this.lastDt) {
        this.lastDt = dt;
        this.lastDecay = Math.pow(0.5, dt / o.halfLifeMs);
      }
      const decay = this.lastDecay;
      r.good *= decay;
      r.bad *= decay;
    }
    r.lastTs = Math.max(r.lastTs, ts);
    const b = Math.min(1, Math.max(0, badness));
    r.good += weight * (1 - b);
    r.bad += weight * b;
    const mass = r.good + r.bad;
    if (mass > o.maxEvidence) {
      r.good *= o.maxEvidence / mass;
      r.bad *= o.maxEvidence / mass;
    }
    const value = trustOf(r);
    const wasFlagged = r.flagged;
    const crossing = r.pinned ? false : r.flagged ? value > o.recoverAbove : value < o.flagBelow;
    if (!crossing) r.crossingSince = Number.NaN;
    else {
      if (Number.isNaN(r.crossingSince)) r.crossingSince = ts;
      if (ts - r.crossingSince >= (r.flagged ? o.recoverAfterMs : o.flagAfterMs)) {
        r.flagged = !r.flagged;
        r.crossingSince = Number.NaN;
      }
    }
    this.flippedByLast = r.flagged !== wasFlagged;
    if (r.flagged !== wasFlagged || Math.abs(value - r.lastRecorded) >= o.historyStep) {
      const point: ReputationPoint = { entity: { id, type: r.type }, ts, value, flagged: r.flagged };
      r.lastRecorded = value;
      r.history.push(point);
      if (r.history.length > o.historyLimit) r.history.splice(0, r.history.length - o.historyLimit);
      return point;
    }
    return undefined;
  }

  /**
   * The authority overrules the detector (a false positive, a known test vehicle, a fixed
   * fault): the bad evidence gathered up to now stops counting, the flag is lifted and the
   * hysteresis starts afresh, so the entity recovers at the ordinary rate from the prior and
   * is flagged again only on new evidence. Returns the history point to store (at the
   * entity's own event time plus 1 ms, so the store's latest-point-wins summary takes it).
   */
  overrule(id: string): ReputationPoint | undefined {
    const r = this.entities.get(id);
    if (!r) return undefined;
    r.bad = 0;
    r.flagged = false;
    r.pinned = false;
    r.crossingSince = Number.NaN;
    return this.record(id, r);
  }

  /** The authority flags an entity rogue by hand: flagged now, and kept so until the authority clears it. */
  flagByHand(id: string, type: EntityType, ts: number): ReputationPoint {
    let r = this.entities.get(id);
    if (!r) {
      r = { good: 0, bad: 0, lastTs: ts, firstTs: ts, flagged: false, crossingSince: Number.NaN, lastRecorded: 0.5, history: [], type };
      this.entities.set(id, r);
    }
    r.flagged = true;
    r.pinned = true;
    r.crossingSince = Number.NaN;
    return this.record(id, r);
  }

  private record(id: string, r: EntityReputation): ReputationPoint {
    r.lastTs += 1;
    const value = trustOf(r);
    const point: ReputationPoint = { entity: { id, type: r.type }, ts: r.lastTs, value, flagged: r.flagged };
    r.lastRecorded = value;
    r.history.push(point);
    if (r.history.length > this.options.historyLimit) r.history.splice(0, r.history.length - this.options.historyLimit);
    return point;
  }

  get(id: string): { value: number; flagged: boolean; history: readonly ReputationPoint[] } | undefined {
    const r = this.entities.get(id);
    return r ? { value: trustOf(r), flagged: r.flagged, history: r.history } : undefined;
  }

  /** Trust of one entity, or NaN when unseen (no allocation: called per event). */
  trust(id: string): number {
    const r = this.entities.get(id);
    return r ? trustOf(r) : Number.NaN;
  }

  /** Event time of the entity's latest observation, or NaN when unseen. */
  lastTs(id: string): number {
    return this.entities.get(id)?.lastTs ?? Number.NaN;
  }

  /** How long the entity has been heard, event-time milliseconds (first to latest observation), or NaN when unseen. */
  heardForMs(id: string): number {
    const r = this.entities.get(id);
    return r ? r.lastTs - r.firstTs : Number.NaN;
  }

  isFlagged(id: string): boolean {
    return this.entities.get(id)?.flagged ?? false;
  }

  /** Entities whose reputation is kept. */
  get size(): number {
    return this.entities.size;
  }

  /**
   * Forgets entities last seen before `before` (epoch milliseconds, event time) so that a
   * city of millions of transient vehicles keeps bounded state. Called with an idle time of
   * many half-lives, what it forgets is the prior again (after 12 half-lives, 1/4096 of the
   * evidence is left). Flagged entities are kept: a rogue vehicle that goes quiet and comes
   * back must not come back trusted. Returns how many were forgotten.
   */
  evictIdle(before: number): number {
    let n = 0;
    for (const [id, r] of this.entities) {
      if (r.lastTs >= before || r.flagged) continue;
      this.entities.delete(id);
      n++;
    }
    return n;
  }

  /** Entities currently flagged rogue. */
  flagged(): string[] {
    return [...this.entities].filter(([, r]) => r.flagged).map(([id]) => id);
  }
}

function trustOf(r: { good: number; bad: number }): number {
  return (r.good + 1) / (r.good + r.bad + 2);
}
