/**
 * The authority desk (api/resolvers/authority-port.ts) wired to the decisions table in the
 * node's database and to the detector's reputation in this process. At start the hand
 * flags are put back into the reputation book, so a vehicle flagged rogue by hand stays
 * rogue across a restart; clears need no replay, as the detector's reputation starts
 * afresh and the cleared point is in the store. With detector workers (`vigil worker`)
 * the reputation lives in them: each decision is recorded here and published to the
 * authority topic (authority-kafka.ts) before the API answers, and every decision in force
 * is published again when the node starts, for the workers to apply once each.
 */
import type { AuthorityDesk } from '../api/index.js';
import { resolveReputationOptions, type Detector, type ReputationPoint } from '../detector/index.js';
import type { DetectorThread } from './detector-thread.js';
import { SqliteOverrules, type OverruleRecord, type SqliteStore } from '../store/index.js';

/**
 * A vehicle rogue by reputation that has sent nothing for this long is off the rogue-now list
 * (its history stays on its page), milliseconds. A vehicle broadcasts its basic safety message
 * at a nominal 10 Hz (SAE J2735 / J2945/1); two minutes of silence is a vehicle that left the roadside
 * units' coverage or an identity that no longer exists (a Sybil ghost). The map fades a vehicle
 * over the same time (dashboards/src/pages/city-map.tsx `STALE_MS`).
 */
export const ROGUE_SILENT_AFTER_MS = 120_000;

const DEFAULT_REPUTATION = resolveReputationOptions();

export interface AuthorityWiring extends AuthorityDesk {
  /** Where the points a decision makes are stored (the detector output writer), bound once it exists. */
  bindOutput(push: (points: ReputationPoint[]) => void): void;
  /**
   * Where decisions go for detector workers (pipeline/authority-kafka.ts), bound once the
   * node's Kafka side exists; the decisions in force are published at once.
   */
  bindDecisions(publish: (decisions: readonly OverruleRecord[]) => Promise<void>): Promise<void>;
}

/**
 * `thread`: the detector scores on its own thread (pipeline/detector-thread.ts), so the live
 * reputation is there; decisions go to it and the point each makes comes back through the
 * thread's output, in order with the batches.
 */
export function authorityDesk(store: SqliteStore, detector: Detector | undefined, now: () => number, thread?: DetectorThread): AuthorityWiring {
  const table = new SqliteOverrules(store.db);
  let push: ((points: ReputationPoint[]) => void) | undefined;
  let publish: ((decisions: readonly OverruleRecord[]) => Promise<void>) | undefined;

  function effect(o: OverruleRecord, replay = false): ReputationPoint | undefined {
    if (!detector) return undefined;
    if (thread) return void thread.authority({ decision: o.decision, entity: o.entity, entityType: o.entityType, now: now() }, replay);
    const book = detector.reputation;
    if (o.decision === 'clear') return book.overrule(o.entity);
    return book.flagByHand(o.entity, o.entityType, Number.isFinite(book.lastTs(o.entity)) ? book.lastTs(o.entity) : now());
  }

  for (const o of table.latest()) if (o.decision === 'rogue') effect(o, true);

  return {
    rogueBelow: detector?.reputation.options.flagBelow ?? DEFAULT_REPUTATION.flagBelow,
    rogueAfterMs: detector?.reputation.options.flagAfterMs ?? DEFAULT_REPUTATION.flagAfterMs,
    rogueSilentAfterMs: ROGUE_SILENT_AFTER_MS,
    record: (o) => table.record(o),
    forEntity: (id) => table.forEntity(id),
    latest: () => table.latest(),
    all: () => table.all(),
    apply: async (o) => {
      const point = effect(o);
      if (point && push) push([point]);
      // Recorded and ledgered already: a failure here is the API's error to report, and the
      // next start publishes the decision again.
      if (publish) await publish([o]);
    },
    bindOutput: (fn) => {
      push = fn;
    },
    bindDecisions: async (fn) => {
      publish = fn;
      await fn(table.latest());
    },
  };
}
