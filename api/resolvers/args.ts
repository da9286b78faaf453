/** GraphQL arguments (typed from the SDL by codegen) turned into the store's queries, and store pages into Relay connections. */
import type { AlertQuery, Awaitable, EntitySummary, EventQuery, IncidentQuery, Page, TimeRange } from '../../store/index.js';
import type { AlertFilter, AlertSort, EntityFilter, EventFilter, IncidentFilter, IncidentSort, InputMaybe, SortDirection, TimeRange as TimeRangeInput } from '../generated/schema-types.js';
import { pageSize, type Limits } from '../limits.js';
import type { EntityParent } from './context.js';
import type { Connection } from './mappers.js';

export function range(value: InputMaybe<TimeRangeInput> | undefined): TimeRange {
  const r = value ?? {};
  const out: TimeRange = {};
  if (typeof r.from === 'number') out.from = r.from;
  if (typeof r.to === 'number') out.to = r.to;
  return out;
}

export function pageRequest(a: { first?: InputMaybe<number>; after?: InputMaybe<string> }, limits: Limits): { first: number; after?: string } {
  const first = pageSize(a.first, limits);
  const after = a.after;
  return typeof after === 'string' && after !== '' ? { first, after } : { first };
}

function opt<K extends string, V>(key: K, value: V | null | undefined): { [P in K]?: V } {
  return (value === undefined || value === null ? {} : { [key]: value }) as { [P in K]?: V };
}

export function eventQuery(f: InputMaybe<EventFilter> | undefined, direction: InputMaybe<SortDirection> | undefined): EventQuery {
  const q: EventQuery = { time: range(f?.time), ...opt('direction', direction) };
  if (!f) return q;
  return { ...q, ...opt('kinds', f.kinds), ...opt('entity', f.entity), ...opt('entityType', f.entityType), ...opt('source', f.source), ...opt('text', f.text) };
}

export function alertQuery(f: InputMaybe<AlertFilter> | undefined, sort: InputMaybe<AlertSort> | undefined): AlertQuery {
  const q: AlertQuery = sort ? { sort: { field: sort.field, direction: sort.direction } } : {};
  if (!f) return q;
  return {
    ...q,
    time: range(f.time),
    ...opt('severities', f.severities),
    ...opt('entity', f.entity),
    ...opt('entityType', f.entityType),
    ...opt('rule', f.rule),
    ...opt('originType', f.originType),
    ...opt('incidentId', f.incident),
    ...opt('category', f.category),
    ...opt('text', f.text),
  };
}

export function incidentQuery(f: InputMaybe<IncidentFilter> | undefined, sort: InputMaybe<IncidentSort> | undefined): IncidentQuery {
  const q: IncidentQuery = sort ? { sort: { field: sort.field, direction: sort.direction } } : {};
  if (!f) return q;
  return {
    ...q,
    time: range(f.time),
    ...opt('statuses', f.statuses),
    ...opt('severities', f.severities),
    ...opt('entity', f.entity),
    ...opt('entityType', f.entityType),
    ...opt('rule', f.rule),
    ...opt('assignee', f.assignee),
    ...opt('category', f.category),
    ...opt('text', f.text),
  };
}

export function entityFilter(f: InputMaybe<EntityFilter> | undefined): { flagged?: boolean; idPrefix?: string } {
  return { ...opt('flagged', f?.flagged), ...opt('idPrefix', f?.idPrefix) };
}

export function connection<T>(page: Page<T>, count: () => number | Promise<number>): Connection<T> {
  return {
    edges: page.edges,
    pageInfo: {
      hasNextPage: page.hasNextPage,
      hasPreviousPage: false,
      startCursor: page.edges[0]?.cursor ?? null,
      endCursor: page.edges.at(-1)?.cursor ?? null,
    },
    // graphql-js calls a function-valued property, so the count runs only when asked for.
    totalCount: count,
  };
}

export function entityConnection(page: Page<EntitySummary>): Connection<EntityParent> {
  return connection({ hasNextPage: page.hasNextPage, edges: page.edges.map((e) => ({ cursor: e.cursor, node: { id: e.node.id, type: e.node.type, summary: e.node } })) }, () => 0);
}

/** Not found is `undefined` to the store and the ledger, `null` to GraphQL. */
export async function orNull<T>(value: Awaitable<T | undefined>): Promise<T | null> {
  return (await value) ?? null;
}
