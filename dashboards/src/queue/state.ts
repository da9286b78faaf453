/**
 * The analyst queue's state, kept in the URL (`#/incidents?status=OPEN&q=…`) so that it
 * survives opening and closing an incident, a reload and a shared link; and the query bar's
 * language: `field:value` terms over the incident filter the API takes, the rest free text.
 */
import { SEVERITIES, STATUSES, type EntityType, type IncidentStatus, type IncidentSummary, type Severity } from '../api.js';

export type SortField = 'LAST_SEEN' | 'FIRST_SEEN' | 'SEVERITY' | 'ALERT_COUNT';
export type GroupBy = '' | 'entity' | 'rule' | 'kind' | 'rsu' | 'entityType' | 'status' | 'severity';

export interface Filters {
  status: IncidentStatus | '';
  severity: Severity | '';
  entityType: EntityType | '';
  category: string;
  /** The query bar: `entity:V-1 rule:… kind:sybil assignee:bob status:open severity:high type:vehicle` and free words. */
  q: string;
  /** Minutes back from now; 0 all time; -1 the absolute range `from`–`to`. */
  window: number;
  /** Absolute range, `datetime-local` values (the browser's zone). */
  from: string;
  to: string;
  sort: SortField;
  dir: 'ASC' | 'DESC';
  group: GroupBy;
}

export const DEFAULT_FILTERS: Filters = { status: '', severity: '', entityType: '', category: '', q: '', window: 60, from: '', to: '', sort: 'LAST_SEEN', dir: 'DESC', group: '' };

const QUEUE_KEY = 'vigil.queue';
const ENTITY_TYPES: readonly EntityType[] = ['VEHICLE', 'DEVICE', 'HOST'];
const SORTS: readonly SortField[] = ['LAST_SEEN', 'FIRST_SEEN', 'SEVERITY', 'ALERT_COUNT'];
const GROUPS: readonly GroupBy[] = ['', 'entity', 'rule', 'kind', 'rsu', 'entityType', 'status', 'severity'];

const oneOf = <T extends string>(list: readonly T[], v: string | null, d: T): T => (v !== null && (list as readonly string[]).includes(v) ? (v as T) : d);

/** Filters from a `#/incidents?…` hash (anything unknown or malformed falls back to the default). */
export function filtersFromHash(hash: string): Filters {
  const i = hash.indexOf('?');
  const p = new URLSearchParams(i === -1 ? '' : hash.slice(i + 1));
  const w = Number(p.get('window') ?? DEFAULT_FILTERS.window);
  return {
    status: oneOf(STATUSES, p.get('status'), ''),
    severity: oneOf(SEVERITIES, p.get('severity'), ''),
    entityType: oneOf(ENTITY_TYPES, p.get('entityType'), ''),
    category: (p.get('kind') ?? '').slice(0, 100),
    q: (p.get('q') ?? '').slice(0, 500),
    window: Number.isFinite(w) && w >= -1 ? w : DEFAULT_FILTERS.window,
    from: p.get('from') ?? '',
    to: p.get('to') ?? '',
    sort: oneOf(SORTS, p.get('sort'), 'LAST_SEEN'),
    dir: p.get('dir') === 'ASC' ? 'ASC' : 'DESC',
    group: oneOf(GROUPS, p.get('group'), ''),
  };
}

export function hashOf(f: Filters): string {
  const p = new URLSearchParams();
  const d = DEFAULT_FILTERS as unknown as Record<string, unknown>;
  const names: Record<string, string> = { category: 'kind' };
  for (const [k, v] of Object.entries(f)) if (v !== d[k]) p.set(names[k] ?? k, String(v));
  const qs = p.toString();
  return `#/incidents${qs ? `?${qs}` : ''}`;
}

/** Writes the filters to the address bar (no history entry per keystroke) and remembers them for the incident page's way back. */
export function storeFilters(f: Filters): void {
  const h = hashOf(f);
  if (location.hash !== h) history.replaceState(null, '', h);
  sessionStorage.setItem(QUEUE_KEY, h);
}

/** The queue as the analyst left it. */
export function queueHref(): string {
  const h = sessionStorage.getItem(QUEUE_KEY);
  return h?.startsWith('#/incidents') ? h : '#/incidents';
}

const TERM = /(^|\s)(entity|rule|kind|category|assignee|status|severity|type):("[^"]*"|\S+)/gi;

export interface ParsedQuery {
  entity?: string;
  rule?: string;
  category?: string;
  assignee?: string;
  status?: IncidentStatus;
  severity?: Severity;
  entityType?: EntityType;
  text?: string;
  /** Terms that name no field value the API knows, said back to the analyst. */
  problems: string[];
}

/** The query bar: `field:value` (quotes for spaces) over the incident filter, the rest free text. */
export function parseQuery(q: string): ParsedQuery {
  const out: ParsedQuery = { problems: [] };
  const text = q.replace(TERM, (_m, lead: string, key: string, raw: string) => {
    const v = raw.replace(/^"|"$/g, '');
    const k = key.toLowerCase();
    if (k === 'status') {
      const s = v.toUpperCase();
      if ((STATUSES as readonly string[]).includes(s)) out.status = s as IncidentStatus;
      else out.problems.push(`status:${v} (one of ${STATUSES.join(', ').toLowerCase()})`);
    } else if (k === 'severity') {
      const s = v.toUpperCase();
      if ((SEVERITIES as readonly string[]).includes(s)) out.severity = s as Severity;
      else out.problems.push(`severity:${v} (one of ${SEVERITIES.join(', ').toLowerCase()})`);
    } else if (k === 'type') {
      const s = v.toUpperCase();
      if ((ENTITY_TYPES as readonly string[]).includes(s)) out.entityType = s as EntityType;
      else out.problems.push(`type:${v} (vehicle, device or host)`);
    } else if (k === 'kind' || k === 'category') out.category = v;
    else (out as unknown as Record<string, string>)[k] = v;
    return lead;
  });
  const rest = text.trim().replace(/\s+/g, ' ');
  if (rest) out.text = rest;
  return out;
}

const localMs = (v: string): number | undefined => {
  const t = v ? new Date(v).getTime() : Number.NaN;
  return Number.isFinite(t) ? t : undefined;
};

/** The API's IncidentFilter for these filters at `now` (epoch ms); the query bar's terms win over the selects. */
export function apiFilter(f: Filters, now: number): Record<string, unknown> {
  const q = parseQuery(f.q);
  const status = q.status ?? f.status;
  const severity = q.severity ?? f.severity;
  const entityType = q.entityType ?? f.entityType;
  const category = q.category ?? f.category;
  let time: { from?: number; to?: number } | undefined;
  if (f.window > 0) time = { from: now - f.window * 60_000 };
  else if (f.window === -1) {
    const from = localMs(f.from);
    const to = localMs(f.to);
    time = { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}) };
  }
  return {
    ...(status ? { statuses: [status] } : {}),
    ...(severity ? { severities: [severity] } : {}),
    ...(entityType ? { entityType } : {}),
    ...(category ? { category } : {}),
    ...(q.entity ? { entity: q.entity } : {}),
    ...(q.rule ? { rule: q.rule } : {}),
    ...(q.assignee ? { assignee: q.assignee } : {}),
    ...(q.text ? { text: q.text } : {}),
    ...(time && Object.keys(time).length ? { time } : {}),
  };
}

/** Whether a live incident belongs in the list (rule and free text: the server decides on the next refetch). */
export function matches(i: IncidentSummary, f: Filters, now: number): boolean {
  const a = apiFilter(f, now) as { statuses?: string[]; severities?: string[]; entityType?: string; category?: string; entity?: string; assignee?: string; rule?: string; text?: string; time?: { from?: number; to?: number } };
  if (a.statuses && !a.statuses.includes(i.status)) return false;
  if (a.severities && !a.severities.includes(i.severity)) return false;
  if (a.entityType && i.entity.type !== a.entityType) return false;
  if (a.category && !i.categories.includes(a.category)) return false;
  if (a.entity && i.entity.id !== a.entity) return false;
  if (a.assignee && i.assignee !== a.assignee) return false;
  if (a.time?.from !== undefined && new Date(i.lastSeen).getTime() < a.time.from) return false;
  if (a.time?.to !== undefined && new Date(i.firstSeen).getTime() >= a.time.to) return false;
  return a.rule === undefined && a.text === undefined;
}

/** The group of an incident with no value for the grouping (no roadside unit, no category). */
export const NO_GROUP = '—';

/**
 * Groups for the queue's "group by" (insertion order of the sorted list). An incident sits in
 * one group: by rule, the detector that opened it (its first); by kind, its first category;
 * by roadside unit, the unit that received most of its alerting messages.
 */
export function groupOf(i: IncidentSummary, g: GroupBy): string {
  if (g === 'entity') return i.entity.id;
  if (g === 'rule') return i.rules[0] ?? NO_GROUP;
  if (g === 'rsu') return i.rsu ?? NO_GROUP;
  if (g === 'kind') return i.categories[0] ?? NO_GROUP;
  if (g === 'entityType') return i.entity.type.toLowerCase();
  if (g === 'status') return i.status.toLowerCase();
  if (g === 'severity') return i.severity.toLowerCase();
  return '';
}
