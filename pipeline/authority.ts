/**
 * The authority desk (api/resolvers/authority-port.ts) wired to the decisions table in the
 * node's database and to the detector's reputation in this process. At start the hand
 * flags are put back into the reputation book, so a vehicle flagged rogue by hand stays
 * rogue across a restart; clears need no replay, as the detector's reputation starts
 * afresh and the cleared point is in the store. With detector workers (`vigil worker`)
 * the reputation lives in them and decisions are recorded here only.
 */
import type { AuthorityDesk } from '../api/index.js';
import type { Detector, ReputationPoint } from '../detector/index.js';
import { SqliteOverrules, type OverruleRecord, type SqliteStore } from '../store/index.js';

export interface AuthorityWiring extends AuthorityDesk {
  /** Where the points a decision makes are stored (the detector output writer), bound once it exists. */
  bindOutput(push: (points: ReputationPoint[]) => void): void;
}

export function authorityDesk(store: SqliteStore, detector: Detector | undefined, now: () => number): AuthorityWiring {
  const table = new SqliteOverrules(store.db);
  let push: ((points: ReputationPoint[]) => void) | undefined;

  function effect(o: OverruleRecord): ReputationPoint | undefined {
    if (!detector) return undefined;
    const book = detector.reputation;
    if (o.decision === 'clear') return book.overrule(o.entity);
    return book.flagByHand(o.entity, o.entityType, Number.isFinite(book.lastTs(o.entity)) ? book.lastTs(o.entity) : now());
  }

  for (const o of table.latest()) if (o.decision === 'rogue') effect(o);

  return {
    rogueBelow: detector?.reputation.options.flagBelow ?? 0.3,
    record: (o) => table.record(o),
    forEntity: (id) => table.forEntity(id),
    latest: () => table.latest(),
    all: () => table.all(),
    apply: (o) => {
      const point = effect(o);
      if (point && push) push([point]);
    },
    bindOutput: (fn) => {
      push = fn;
    },
  };
}
