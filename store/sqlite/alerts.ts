/** Alerts: immutable once stored (only their incident link may be set later), searchable in full text. */
import type { Alert, AlertFold } from '../../detector/index.js';
import { checkFirst, decodeCursor, encodeCursor } from '../cursor.js';
import { alertText, ftsQuery } from '../text.js';
import type { AlertQuery, Page, PageRequest } from '../types.js';
import { SEVERITY_RANK, inList, timeClauses, toPage, whereEq, whereSql, type Sql, type Where } from './sql.js';

export class AlertRepository {
  constructor(private readonly sql: Sql) {}

  /**
   * Stores an alert the detector raised; returns whether it was new. Runs inside the
   * detector-output transaction.
   */
  save(a: Alert): boolean {
    const res = this.sql.stmt(
      `INSERT INTO alerts (id, ts, entity, entity_type, severity, score, origin_type, rule, category, incident_id, doc)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
    ).run(
      a.id, a.ts, a.entity.id, a.entity.type, SEVERITY_RANK[a.severity], a.score, a.origin.type, a.origin.id, a.category ?? null, a.incidentId ?? null, JSON.stringify(a),
    );
    if (res.changes === 1) {
      this.sql.stmt('INSERT INTO alerts_fts (rowid, text) VALUES (?, ?)').run(res.lastInsertRowid, alertText(a));
      return true;
    }
    if (a.incidentId !== undefined) {
      // The same alert again, now joined to an incident: only that link may change.
      const stored = this.get(a.id);
      if (stored && stored.incidentId !== a.incidentId) {
        this.sql.stmt('UPDATE alerts SET incident_id = ?, doc = ? WHERE id = ?').run(a.incidentId, JSON.stringify({ ...stored, incidentId: a.incidentId }), a.id);
      }
    }
    return false;
  }

  /** An alert storm's fold changed (pipeline/alert-fold.ts); the alert itself does not. */
  setFolded(id: string, folded: AlertFold): void {
    this.sql.stmt("UPDATE alerts SET doc = json_set(doc, '$.folded', json(?)) WHERE id = ?").run(JSON.stringify(folded), id);
  }

  get(id: string): Alert | undefined {
    const row = this.sql.stmt('SELECT doc FROM alerts WHERE id = ?').get(id) as { doc: string } | undefined;
    return row && (JSON.parse(row.doc) as Alert);
  }

  getMany(ids: readonly string[]): Alert[] {
    if (ids.length === 0) return [];
    const out: Alert[] = [];
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.sql.stmt(`SELECT doc FROM alerts WHERE id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as Array<{ doc: string }>;
      out.push(...rows.map((r) => JSON.parse(r.doc) as Alert));
    }
    const order = new Map(ids.map((id, i) => [id, i]));
    return out.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));
  }

  search(query: AlertQuery, page: PageRequest): Page<Alert> {
    const first = checkFirst(page.first);
    const w = alertWhere(query);
    if (w === undefined) return { edges: [], hasNextPage: false };
    const field = query.sort?.field ?? 'ts';
    const dir = query.sort?.direction ?? 'desc';
    const col = { ts: 'ts', severity: 'severity', score: 'score' }[field];
    const tag = `alerts:${field}:${dir}`;
    if (page.after !== undefined) {
      const [v, seq] = decodeCursor(page.after, tag);
      w.clauses.push(`(${col}, seq) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
      w.params.push(v, seq);
    }
    const d = dir === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT seq, ${col} AS k, doc FROM alerts ${whereSql(w.clauses)} ORDER BY ${col} ${d}, seq ${d} LIMIT ?`;
    const rows = this.sql.read(() => this.sql.stmt(sql).all(...w.params, first + 1) as Array<{ seq: number; k: number; doc: string }>);
    return toPage(rows, first, (r) => ({ node: JSON.parse(r.doc) as Alert, cursor: encodeCursor(tag, r.k, r.seq) }));
  }

  countMatching(query: AlertQuery): number {
    const w = alertWhere(query);
    if (w === undefined) return 0;
    return this.sql.read(() => (this.sql.stmt(`SELECT count(*) AS n FROM alerts ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }
}

function alertWhere(q: AlertQuery): Where | undefined {
  const w: Where = { clauses: [], params: [] };
  timeClauses('ts', q.time, w.clauses, w.params);
  if (q.severities) {
    if (q.severities.length === 0) return undefined;
    inList('severity', q.severities.map((s) => SEVERITY_RANK[s]), w);
  }
  whereEq(w, 'entity', q.entity);
  whereEq(w, 'entity_type', q.entityType);
  whereEq(w, 'rule', q.rule);
  whereEq(w, 'origin_type', q.originType);
  whereEq(w, 'incident_id', q.incidentId);
  whereEq(w, 'category', q.category);
  if (q.text !== undefined) {
    const match = ftsQuery(q.text);
    if (match !== undefined) {
      w.clauses.push('seq IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)');
      w.params.push(match);
    }
  }
  return w;
}
