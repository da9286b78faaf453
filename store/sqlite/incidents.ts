/**
 * Incidents: the detector owns their aggregate fields, the analysts their triage fields;
 * every change bumps `version` (optimistic concurrency for triage updates).
 */
import type { Incident } from '../../detector/index.js';
import { checkFirst, decodeCursor, encodeCursor } from '../cursor.js';
import { StoreError } from '../errors.js';
import { triageOf, withTriage } from '../triage.js';
import type { ActionRecord, IncidentQuery, IncidentTriage, Page, PageRequest, StoredIncident } from '../types.js';
import type { ActionRepository } from './actions.js';
import { SEVERITY_RANK, inList, toPage, whereEq, whereSql, type Sql, type Where } from './sql.js';

interface RawIncidentRow {
  version: number;
  updated_at: number;
  doc: string;
}

export class IncidentRepository {
  constructor(
    private readonly sql: Sql,
    private readonly actions: ActionRepository,
  ) {}

  get(id: string): StoredIncident | undefined {
    const row = this.sql.stmt('SELECT version, updated_at, doc FROM incidents WHERE id = ?').get(id) as RawIncidentRow | undefined;
    return row && toIncident(row);
  }

  /** The detector's view of an incident, merged with the stored triage state. Runs inside the detector-output transaction. */
  upsert(inc: Incident, now: number): StoredIncident {
    const existing = this.get(inc.id);
    let merged: Incident;
    let version: number;
    if (existing) {
      // The analysts own the triage fields: a detector update never reopens, unassigns or
      // un-resolves an incident behind their back.
      merged = withTriage(inc, triageOf(existing.incident));
      version = existing.version + 1;
      this.sql.stmt(
        `UPDATE incidents SET entity = ?, entity_type = ?, title = ?, severity = ?, first_seen = ?, last_seen = ?, alert_count = ?,
         version = ?, updated_at = ?, doc = ? WHERE id = ?`,
      ).run(merged.entity.id, merged.entity.type, merged.title, SEVERITY_RANK[merged.severity], merged.firstSeen, merged.lastSeen, merged.alertCount, version, now, JSON.stringify(merged), inc.id);
    } else {
      merged = inc;
      version = 1;
      this.sql.stmt(
        `INSERT INTO incidents (id, entity, entity_type, title, status, severity, first_seen, last_seen, alert_count, assignee, version, updated_at, doc)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(inc.id, inc.entity.id, inc.entity.type, inc.title, inc.status, SEVERITY_RANK[inc.severity], inc.firstSeen, inc.lastSeen, inc.alertCount, inc.assignee ?? null, version, now, JSON.stringify(inc));
    }
    return { incident: merged, version, updatedAt: now };
  }

  search(query: IncidentQuery, page: PageRequest): Page<StoredIncident> {
    const first = checkFirst(page.first);
    const w = incidentWhere(query);
    const field = query.sort?.field ?? 'lastSeen';
    const dir = query.sort?.direction ?? 'desc';
    const col = { lastSeen: 'last_seen', firstSeen: 'first_seen', severity: 'severity', alertCount: 'alert_count' }[field];
    const tag = `incidents:${field}:${dir}`;
    if (page.after !== undefined) {
      const [v, id] = decodeCursor(page.after, tag);
      w.clauses.push(`(${col}, id) ${dir === 'desc' ? '<' : '>'} (?, ?)`);
      w.params.push(v, id);
    }
    const d = dir === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT id, ${col} AS k, version, updated_at, doc FROM incidents ${whereSql(w.clauses)} ORDER BY ${col} ${d}, id ${d} LIMIT ?`;
    const rows = this.sql.read(() => this.sql.stmt(sql).all(...w.params, first + 1) as Array<RawIncidentRow & { id: string; k: number }>);
    return toPage(rows, first, (r) => ({ node: toIncident(r), cursor: encodeCursor(tag, r.k, r.id) }));
  }

  countMatching(query: IncidentQuery): number {
    const w = incidentWhere(query);
    return this.sql.read(() => (this.sql.stmt(`SELECT count(*) AS n FROM incidents ${whereSql(w.clauses)}`).get(...w.params) as { n: number }).n);
  }

  updateTriage(id: string, expectedVersion: number, triage: IncidentTriage, action: ActionRecord): StoredIncident {
    return this.sql.db.transaction(() => {
      const existing = this.get(id);
      if (!existing) throw new StoreError('NOT_FOUND', `no incident ${id}`);
      if (existing.version !== expectedVersion) {
        throw new StoreError('CONFLICT', `incident ${id} changed (version ${existing.version}, expected ${expectedVersion})`);
      }
      const now = this.sql.now();
      const incident = withTriage(existing.incident, triage);
      const version = existing.version + 1;
      this.sql.stmt('UPDATE incidents SET status = ?, assignee = ?, version = ?, updated_at = ?, doc = ? WHERE id = ?').run(
        incident.status, incident.assignee ?? null, version, now, JSON.stringify(incident), id,
      );
      this.actions.insert(action);
      return { incident, version, updatedAt: now };
    }).immediate();
  }
}

function toIncident(r: RawIncidentRow): StoredIncident {
  return { incident: JSON.parse(r.doc) as Incident, version: r.version, updatedAt: r.updated_at };
}

function incidentWhere(q: IncidentQuery): Where {
  const w: Where = { clauses: [], params: [] };
  if (q.time?.from !== undefined) {
    w.clauses.push('last_seen >= ?');
    w.params.push(q.time.from);
  }
  if (q.time?.to !== undefined) {
    w.clauses.push('first_seen < ?');
    w.params.push(q.time.to);
  }
  if (q.statuses) {
    if (q.statuses.length === 0) w.clauses.push('0');
    else inList('status', q.statuses, w);
  }
  if (q.severities) {
    if (q.severities.length === 0) w.clauses.push('0');
    else inList('severity', q.severities.map((s) => SEVERITY_RANK[s]), w);
  }
  whereEq(w, 'entity', q.entity);
  whereEq(w, 'entity_type', q.entityType);
  whereEq(w, 'assignee', q.assignee);
  if (q.rule !== undefined) {
    w.clauses.push('id IN (SELECT incident_id FROM alerts WHERE rule = ? AND incident_id IS NOT NULL)');
    w.params.push(q.rule);
  }
  if (q.category !== undefined) {
    w.clauses.push("EXISTS (SELECT 1 FROM json_each(doc, '$.categories') WHERE value = ?)");
    w.params.push(q.category);
  }
  if (q.text !== undefined) {
    // Incidents are few (thousands): a scan of title and entity is fast enough, and a LIKE
    // pattern is built with its wildcards escaped so user text stays literal.
    for (const word of q.text.split(/\s+/).filter(Boolean).slice(0, 16)) {
      const pat = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`).replace(/\*+$/, '')}%`;
      w.clauses.push("(title LIKE ? ESCAPE '\\' OR entity LIKE ? ESCAPE '\\')");
      w.params.push(pat, pat);
    }
  }
  return w;
}
