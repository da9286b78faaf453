/**
 * The transport authority's decisions on vehicles: an overrule of the detector's flag
 * (with its reason) or a rogue flag by hand. One row per decision, never updated: the
 * latest row per vehicle is what holds now, the rest is the vehicle's history. Each row
 * names the ledger action written before it, so every decision that took effect can be
 * proved. Kept in its own table beside the store's (same database file, own statements).
 */
import type Database from 'better-sqlite3';

/** Why the authority overruled a detector flag. */
export type OverruleReason = 'false_positive' | 'test_vehicle' | 'fixed';
export const OVERRULE_REASONS: readonly OverruleReason[] = ['false_positive', 'test_vehicle', 'fixed'];

export interface OverruleRecord {
  /** The ledger action's id. */
  id: string;
  entity: string;
  entityType: 'vehicle' | 'device';
  /** `clear`: the detector's flag is overruled; `rogue`: flagged by hand. */
  decision: 'clear' | 'rogue';
  /** Set for `clear`. */
  reason: OverruleReason | null;
  comment: string;
  actor: string;
  /** Epoch milliseconds (the node's clock when decided). */
  at: number;
  ledgerIndex: number | null;
  /** The alerts on the vehicle when it was decided (what a `clear` overrules). */
  alertIds: string[];
}

interface Row {
  id: string;
  entity: string;
  entity_type: 'vehicle' | 'device';
  decision: 'clear' | 'rogue';
  reason: OverruleReason | null;
  comment: string;
  actor: string;
  at: number;
  ledger_index: number | null;
  alert_ids: string;
}

export class SqliteOverrules {
  constructor(private readonly db: Database.Database) {
    db.exec(`CREATE TABLE IF NOT EXISTS overrules (
      seq INTEGER PRIMARY KEY AUTOINCREMENT,
      id TEXT NOT NULL UNIQUE,
      entity TEXT NOT NULL,
      entity_type TEXT NOT NULL,
      decision TEXT NOT NULL CHECK (decision IN ('clear', 'rogue')),
      reason TEXT,
      comment TEXT NOT NULL,
      actor TEXT NOT NULL,
      at INTEGER NOT NULL,
      ledger_index INTEGER,
      alert_ids TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS overrules_entity ON overrules (entity_type, entity, seq)`);
  }

  record(o: OverruleRecord): void {
    this.db
      .prepare('INSERT INTO overrules (id, entity, entity_type, decision, reason, comment, actor, at, ledger_index, alert_ids) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
      .run(o.id, o.entity, o.entityType, o.decision, o.reason, o.comment, o.actor, o.at, o.ledgerIndex, JSON.stringify(o.alertIds));
  }

  /** One vehicle's decisions, oldest first. */
  forEntity(entity: string, entityType: 'vehicle' | 'device' = 'vehicle'): OverruleRecord[] {
    return (this.db.prepare('SELECT * FROM overrules WHERE entity_type = ? AND entity = ? ORDER BY seq').all(entityType, entity) as Row[]).map(toRecord);
  }

  /** The decision that holds now for each entity that has one. */
  latest(): OverruleRecord[] {
    const rows = this.db.prepare('SELECT o.* FROM overrules o JOIN (SELECT max(seq) AS seq FROM overrules GROUP BY entity_type, entity) l ON o.seq = l.seq ORDER BY o.seq').all() as Row[];
    return rows.map(toRecord);
  }

  /** Every decision, oldest first (the feedback export). */
  all(): OverruleRecord[] {
    return (this.db.prepare('SELECT * FROM overrules ORDER BY seq').all() as Row[]).map(toRecord);
  }
}

function toRecord(r: Row): OverruleRecord {
  return {
    id: r.id,
    entity: r.entity,
    entityType: r.entity_type,
    decision: r.decision,
    reason: r.reason,
    comment: r.comment,
    actor: r.actor,
    at: r.at,
    ledgerIndex: r.ledger_index,
    alertIds: JSON.parse(r.alert_ids) as string[],
  };
}
