/**
 * Vehicles and devices: each one's summary (reputation now, flags, last seen, alert count)
 * and its reputation over time.
 */
import type { EntityType } from '../../events/index.js';
import type { ReputationPoint } from '../../detector/index.js';
import { checkFirst, decodeCursor, encodeCursor } from '../cursor.js';
import type { ActionRecord, EntityFlag, EntityQuery, EntitySummary, Page, PageRequest, TimeRange } from '../types.js';
import type { ActionRepository } from './actions.js';
import { toPage, whereSql, type Sql, type Where } from './sql.js';

export interface RawEntityRow {
  type: EntityType;
  id: string;
  reputation: number | null;
  detector_flagged: number;
  manual_flagged: number;
  flag: string | null;
  last_seen: number | null;
  alert_count: number;
}

export class EntityRepository {
  constructor(
    private readonly sql: Sql,
    private readonly actions: ActionRepository,
  ) {}

  get(id: string, type: EntityType): EntitySummary | undefined {
    const row = this.sql.stmt('SELECT * FROM entities WHERE type = ? AND id = ?').get(type, id) as RawEntityRow | undefined;
    return row && toEntity(row);
  }

  search(query: EntityQuery, page: PageRequest): Page<EntitySummary> {
    const first = checkFirst(page.first);
    const tag = `entities:${query.type}`;
    const { clauses, params } = entityWhere(query, page.after, tag);
    const rows = this.sql.stmt(`SELECT * FROM entities ${whereSql(clauses)} ORDER BY id LIMIT ?`).all(...params, first + 1) as RawEntityRow[];
    return toPage(rows, first, (r) => ({ node: toEntity(r), cursor: encodeCursor(tag, r.id, 0) }));
  }

  /** An alert was raised for the entity at `ts`. */
  touch(id: string, type: EntityType, ts: number, alerts: number): void {
    this.sql.stmt(
      `INSERT INTO entities (type, id, last_seen, alert_count) VALUES (?, ?, ?, ?)
       ON CONFLICT(type, id) DO UPDATE SET last_seen = max(coalesce(last_seen, 0), excluded.last_seen), alert_count = alert_count + excluded.alert_count`,
    ).run(type, id, ts, alerts);
  }

  /** A reputation point: kept in the history, and the summary's if it is the newest. */
  saveReputation(p: ReputationPoint): void {
    this.sql.stmt(
      'INSERT INTO reputation (entity, ts, entity_type, value, flagged) VALUES (?, ?, ?, ?, ?) ON CONFLICT(entity, ts) DO UPDATE SET value = excluded.value, flagged = excluded.flagged',
    ).run(p.entity.id, p.ts, p.entity.type, p.value, p.flagged ? 1 : 0);
    this.sql.stmt(
      `INSERT INTO entities (type, id, reputation, reputation_ts, detector_flagged, last_seen) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT(type, id) DO UPDATE SET
         reputation = CASE WHEN excluded.reputation_ts >= coalesce(reputation_ts, -1) THEN excluded.reputation ELSE reputation END,
         detector_flagged = CASE WHEN excluded.reputation_ts >= coalesce(reputation_ts, -1) THEN excluded.detector_flagged ELSE detector_flagged END,
         reputation_ts = max(coalesce(reputation_ts, -1), excluded.reputation_ts),
         last_seen = max(coalesce(last_seen, 0), excluded.last_seen)`,
    ).run(p.entity.type, p.entity.id, p.value, p.ts, p.flagged ? 1 : 0, p.ts);
  }

  reputationHistory(entity: string, range: TimeRange, limit: number): ReputationPoint[] {
    const rows = this.sql.stmt(
      'SELECT entity, entity_type, ts, value, flagged FROM reputation WHERE entity = ? AND ts >= ? AND ts < ? ORDER BY ts DESC LIMIT ?',
    ).all(entity, range.from ?? 0, range.to ?? Number.MAX_SAFE_INTEGER, Math.max(0, Math.min(limit, 10_000))) as Array<{
      entity: string;
      entity_type: EntityType;
      ts: number;
      value: number;
      flagged: number;
    }>;
    return rows.reverse().map((r) => ({ entity: { id: r.entity, type: r.entity_type }, ts: r.ts, value: r.value, flagged: r.flagged === 1 }));
  }

  setFlag(id: string, type: EntityType, flag: EntityFlag, action: ActionRecord): EntitySummary {
    return this.sql.db.transaction(() => {
      this.sql.stmt(
        `INSERT INTO entities (type, id, manual_flagged, flag) VALUES (?, ?, ?, ?)
         ON CONFLICT(type, id) DO UPDATE SET manual_flagged = excluded.manual_flagged, flag = excluded.flag`,
      ).run(type, id, flag.flagged ? 1 : 0, JSON.stringify(flag));
      this.actions.insert(action);
      return this.get(id, type)!;
    }).immediate();
  }

  /** Deletes up to `chunk` reputation points older than `cutoff`; returns how many. */
  deleteReputationOlder(cutoff: number, chunk: number): number {
    return this.sql.deleteOlder('reputation', 'entity, ts', 'ts', cutoff, chunk);
  }
}

/** The WHERE clauses of an entity query over `entities` (columns prefixed with `alias`), after a keyset cursor of `tag`. */
export function entityWhere(query: EntityQuery, after: string | undefined, tag: string, alias = ''): Where {
  const c = (col: string): string => `${alias}${col}`;
  const w: Where = { clauses: [`${c('type')} = ?`], params: [query.type] };
  if (query.flagged !== undefined) w.clauses.push(query.flagged ? `(${c('detector_flagged')} = 1 OR ${c('manual_flagged')} = 1)` : `(${c('detector_flagged')} = 0 AND ${c('manual_flagged')} = 0)`);
  if (query.idPrefix) {
    w.clauses.push(`${c('id')} >= ? AND ${c('id')} < ?`);
    w.params.push(query.idPrefix, `${query.idPrefix}\u{10ffff}`);
  }
  if (query.reputationBelow !== undefined) {
    w.clauses.push(`${c('reputation')} < ?`);
    w.params.push(query.reputationBelow);
  }
  if (after !== undefined) {
    const [id] = decodeCursor(after, tag);
    w.clauses.push(`${c('id')} > ?`);
    w.params.push(id);
  }
  return w;
}

export function toEntity(r: RawEntityRow): EntitySummary {
  return {
    id: r.id,
    type: r.type,
    reputation: r.reputation,
    detectorFlagged: r.detector_flagged === 1,
    flag: r.flag === null ? null : (JSON.parse(r.flag) as EntityFlag),
    lastSeen: r.last_seen,
    alertCount: r.alert_count,
  };
}
