/** The triage history: every analyst, authority or admin action, mirrored from the ledger. */
import { StoreError } from '../errors.js';
import type { ActionRecord } from '../types.js';
import type { Sql } from './sql.js';

export class ActionRepository {
  constructor(private readonly sql: Sql) {}

  insert(a: ActionRecord): void {
    try {
      this.sql.stmt('INSERT INTO actions (id, ts, target_type, target_id, ledger_index, doc) VALUES (?, ?, ?, ?, ?, ?)').run(
        a.id, a.ts, a.target.type, a.target.id, a.ledgerIndex ?? null, JSON.stringify(a),
      );
    } catch (err) {
      throw new StoreError('WRITE_FAILED', `cannot record action ${a.id}: ${(err as Error).message}`, { cause: err });
    }
  }

  forTarget(target: ActionRecord['target']): ActionRecord[] {
    const rows = this.sql.stmt('SELECT doc FROM actions WHERE target_type = ? AND target_id = ? ORDER BY seq').all(target.type, target.id) as Array<{ doc: string }>;
    return rows.map((r) => JSON.parse(r.doc) as ActionRecord);
  }

  /** Actions the ledger has not taken yet (see `TokenRepository.actionsNotInLedger`). */
  notInLedger(): ActionRecord[] {
    return (this.sql.stmt('SELECT doc FROM actions WHERE ledger_index IS NULL ORDER BY seq').all() as Array<{ doc: string }>).map((r) => JSON.parse(r.doc) as ActionRecord);
  }

  setLedgerIndex(id: string, index: number): void {
    const a = this.get(id);
    if (!a) return;
    this.sql.stmt('UPDATE actions SET ledger_index = ?, doc = ? WHERE id = ?').run(index, JSON.stringify({ ...a, ledgerIndex: index }), id);
  }

  get(id: string): ActionRecord | undefined {
    const row = this.sql.stmt('SELECT doc FROM actions WHERE id = ?').get(id) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as ActionRecord);
  }
}
