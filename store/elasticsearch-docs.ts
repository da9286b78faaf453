/**
 * How the Elasticsearch adapter (elasticsearch.ts) maps the store's records to documents and
 * back, and the store's queries to Elasticsearch's query DSL (the same meaning as SQLite's).
 */
import type { estypes } from '@elastic/elasticsearch';
import { toEcsAlert } from '../events/index.js';
import type { Alert, Incident, Severity } from '../detector/index.js';
import type { EntityType } from '../events/index.js';
import { alertText, searchWords } from './text.js';
import type { AlertQuery, EntityFlag, EntitySummary, EventQuery, IncidentQuery, Page, StoredIncident, TimeRange } from './types.js';

export const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

/** A query clause, as the client's search request types it. */
export type Query = NonNullable<estypes.SearchRequest['query']>;

// ------------------------------------------------------------------ documents

export interface AlertDocT extends Alert {
  severity_rank: number;
  search: string;
}
export interface IncidentDoc extends Incident {
  severity_rank: number;
  version: number;
  updatedAt: number;
  search: string;
}
export interface EntityDoc {
  id: string;
  type: EntityType;
  reputation?: number;
  detectorFlagged?: boolean;
  flag?: EntityFlag;
  flagged?: boolean;
  lastSeen?: number;
  alertCount?: number;
}

/** ECS fields of an alert document (toEcsAlert) beside the alert's own, which the API reads back. */
const ECS_ALERT_KEYS = ['@timestamp', 'ecs', 'event', 'message', 'rule', 'threat', 'host', 'device', 'vigil'] as const;

export function alertDoc(a: Alert): AlertDocT {
  return { ...toEcsAlert(a), ...a, severity_rank: SEVERITY_RANK[a.severity], search: alertText(a) };
}
export function fromAlertDoc(d: AlertDocT): Alert {
  const { severity_rank: _r, search: _s, ...rest } = d;
  const a: Record<string, unknown> = { ...rest };
  for (const k of ECS_ALERT_KEYS) delete a[k];
  return a as unknown as Alert;
}
export function incidentDoc(s: StoredIncident): IncidentDoc {
  return { ...s.incident, severity_rank: SEVERITY_RANK[s.incident.severity], version: s.version, updatedAt: s.updatedAt, search: `${s.incident.title} ${s.incident.entity.id}` };
}
export function fromIncidentDoc(d: IncidentDoc): StoredIncident {
  const { severity_rank: _r, version, updatedAt, search: _s, ...incident } = d;
  return { incident, version, updatedAt };
}
export function fromEntityDoc(d: EntityDoc): EntitySummary {
  return {
    id: d.id,
    type: d.type,
    reputation: d.reputation ?? null,
    detectorFlagged: d.detectorFlagged ?? false,
    flag: d.flag ?? null,
    lastSeen: d.lastSeen ?? null,
    alertCount: d.alertCount ?? 0,
  };
}

// ------------------------------------------------------------------ queries

export function rangeOf(r: TimeRange): { gte?: number; lt?: number } {
  return { ...(r.from !== undefined ? { gte: r.from } : {}), ...(r.to !== undefined ? { lt: r.to } : {}) };
}

/** Every word must occur, as a phrase of its tokens (a trailing `*`: as a prefix), as in SQLite. */
export function textClauses(field: string, text: string | undefined): Query[] {
  if (text === undefined) return [];
  return searchWords(text).map(({ word, prefix }) => (prefix ? { match_phrase_prefix: { [field]: word } } : { match_phrase: { [field]: word } }));
}

export function eventFilter(q: EventQuery): Query {
  const filter: Query[] = [];
  if (q.time && (q.time.from !== undefined || q.time.to !== undefined)) filter.push({ range: { 'vigil.ts': rangeOf(q.time) } });
  if (q.kinds) filter.push({ terms: { 'vigil.kind': q.kinds } });
  if (q.entity !== undefined) filter.push({ term: { 'vigil.entity.id': q.entity } });
  if (q.entityType !== undefined) filter.push({ term: { 'vigil.entity.type': q.entityType } });
  if (q.source !== undefined) filter.push({ term: { 'vigil.ingest.source': q.source } });
  return { bool: { filter, must: textClauses('vigil.search', q.text) } };
}

export function alertFilter(q: AlertQuery): Query {
  const filter: Query[] = [];
  if (q.time && (q.time.from !== undefined || q.time.to !== undefined)) filter.push({ range: { ts: rangeOf(q.time) } });
  if (q.severities) filter.push({ terms: { severity: q.severities } });
  if (q.entity !== undefined) filter.push({ term: { 'entity.id': q.entity } });
  if (q.entityType !== undefined) filter.push({ term: { 'entity.type': q.entityType } });
  if (q.rule !== undefined) filter.push({ term: { 'origin.id': q.rule } });
  if (q.originType !== undefined) filter.push({ term: { 'origin.type': q.originType } });
  if (q.incidentId !== undefined) filter.push({ term: { incidentId: q.incidentId } });
  if (q.category !== undefined) filter.push({ term: { category: q.category } });
  return { bool: { filter, must: textClauses('search', q.text) } };
}

export function incidentFilter(q: IncidentQuery, ids: string[] | undefined): Query {
  const filter: Query[] = [];
  if (q.time?.from !== undefined) filter.push({ range: { lastSeen: { gte: q.time.from } } });
  if (q.time?.to !== undefined) filter.push({ range: { firstSeen: { lt: q.time.to } } });
  if (q.statuses) filter.push({ terms: { status: q.statuses } });
  if (q.severities) filter.push({ terms: { severity: q.severities } });
  if (q.entity !== undefined) filter.push({ term: { 'entity.id': q.entity } });
  if (q.entityType !== undefined) filter.push({ term: { 'entity.type': q.entityType } });
  if (q.assignee !== undefined) filter.push({ term: { assignee: q.assignee } });
  if (q.category !== undefined) filter.push({ term: { categories: q.category } });
  if (ids !== undefined) filter.push({ ids: { values: ids } });
  return { bool: { filter, must: textClauses('search', q.text) } };
}

export function hitsPage<S, T>(hits: estypes.SearchHit<S>[], first: number, edge: (h: estypes.SearchHit<S>) => { node: T; cursor: string }): Page<T> {
  return { edges: hits.slice(0, first).map(edge), hasNextPage: hits.length > first };
}
