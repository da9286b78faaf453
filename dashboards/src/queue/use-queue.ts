/**
 * The queue's data: the list and the counts for the filters (refetched when they change
 * or the live stream reconnects after a gap), live upserts from `incidentChanged`, paging.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { gql, subscribe, INCIDENT_SUMMARY, SEVERITIES, STATUSES, type ApiError, type IncidentSummary, type LiveState } from '../api.js';
import { apiFilter, matches, type Filters, type SortField } from './state.js';

const PAGE = 100;

const COUNTS_QUERY = `query Counts(${[...STATUSES, ...SEVERITIES].map((k) => `$${k}: IncidentFilter`).join(', ')}) {
  ${[...STATUSES, ...SEVERITIES].map((k) => `${k}: incidents(filter: $${k}, first: 1) { totalCount }`).join('\n  ')}
}`;

const LIST_QUERY = `query Incidents($filter: IncidentFilter, $sort: IncidentSort, $after: String) {
  incidents(filter: $filter, sort: $sort, first: ${PAGE}, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${INCIDENT_SUMMARY} } } }
}`;

const LIVE_QUERY = `subscription { incidentChanged { incident { ${INCIDENT_SUMMARY} } action { actor action } } }`;

/** The list after a live change: a new match goes on top, a changed one is replaced (or dropped when it no longer matches). */
function upsert(list: IncidentSummary[], incident: IncidentSummary, keep: boolean): { next: IncidentSummary[]; added: boolean } {
  const at = list.findIndex((i) => i.id === incident.id);
  if (at === -1) return keep ? { next: [incident, ...list], added: true } : { next: list, added: false };
  if (list[at]!.version > incident.version) return { next: list, added: false };
  const next = list.slice();
  if (keep) next[at] = incident;
  else next.splice(at, 1);
  return { next, added: false };
}

/** Counts by status and by severity under the other filters, in one request. */
function useCounts(token: string, filtersRef: { current: Filters }, setCounts: (c: Record<string, number>) => void, setError: (e: ApiError) => void) {
  const refreshCounts = useRef<() => void>(() => undefined);
  refreshCounts.current = () => {
    const base = apiFilter({ ...filtersRef.current, status: '', severity: '' }, Date.now());
    delete base['statuses'];
    delete base['severities'];
    const vars: Record<string, unknown> = {};
    for (const s of STATUSES) vars[s] = { ...base, statuses: [s] };
    for (const s of SEVERITIES) vars[s] = { ...base, severities: [s] };
    gql<Record<string, { totalCount: number }>>(token, COUNTS_QUERY, vars).then(
      (data) => setCounts(Object.fromEntries(Object.entries(data).map(([k, v]) => [k, v.totalCount]))),
      (err: ApiError) => setError(err),
    );
  };
  return refreshCounts;
}

function sortOf(f: Filters): { field: SortField; direction: 'ASC' | 'DESC' } {
  return { field: f.sort, direction: f.dir };
}

export function useQueue(token: string, filters: Filters) {
  const [items, setItems] = useState<IncidentSummary[]>([]);
  const [total, setTotal] = useState<number | null>(null);
  const [cursor, setCursor] = useState<string | null>(null);
  const [counts, setCounts] = useState<Record<string, number>>({});
  const [error, setError] = useState<ApiError | null>(null);
  const [live, setLive] = useState<LiveState>('connecting');
  const [fresh, setFresh] = useState<Set<string>>(new Set());
  const [reload, setReload] = useState(0);
  const [now, setNow] = useState(Date.now());
  const filtersRef = useRef(filters);
  filtersRef.current = filters;
  const itemsRef = useRef(items);
  itemsRef.current = items;

  // The list and the counts, whenever the filters change (or the live stream reconnects).
  useEffect(() => {
    let current = true;
    const t = Date.now();
    const filter = apiFilter(filters, t);
    gql<{ incidents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: IncidentSummary }[] } }>(token, LIST_QUERY, { filter, sort: sortOf(filters) }).then(
      ({ incidents }) => {
        if (!current) return;
        setItems(incidents.edges.map((e) => e.node));
        setTotal(incidents.totalCount);
        setCursor(incidents.pageInfo.hasNextPage ? incidents.pageInfo.endCursor : null);
        setError(null);
        setNow(t);
      },
      (err: ApiError) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [token, filters, reload]);

  const refreshCounts = useCounts(token, filtersRef, setCounts, setError);
  useEffect(() => refreshCounts.current(), [filters, reload]);

  // Live: upsert what changes, mark new arrivals, and refresh the counts at most four times a second.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    let wasRetrying = false;
    const stop = subscribe<{ incidentChanged: { incident: IncidentSummary } }>(token, LIVE_QUERY, {}, {
      next: ({ incidentChanged: { incident } }) => {
        const t = Date.now();
        setNow(t);
        const { next, added } = upsert(itemsRef.current, incident, matches(incident, filtersRef.current, t));
        if (added) {
          setTotal((n) => (n ?? 0) + 1);
          setFresh((f) => new Set(f).add(incident.id));
        }
        itemsRef.current = next;
        setItems(next);
        pending ??= setTimeout(() => {
          pending = undefined;
          refreshCounts.current();
        }, 250);
      },
      state: (s) => {
        setLive(s);
        if (s === 'retrying') wasRetrying = true;
        if (s === 'live' && wasRetrying) {
          wasRetrying = false;
          setReload((r) => r + 1); // events may have been missed while disconnected
        }
      },
    });
    const clock = setInterval(() => setNow(Date.now()), 5000);
    return () => {
      stop();
      clearInterval(clock);
      if (pending) clearTimeout(pending);
    };
  }, [token]);

  const loadMore = (): void => {
    if (!cursor) return;
    gql<{ incidents: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: IncidentSummary }[] } }>(token, LIST_QUERY, {
      filter: apiFilter(filters, Date.now()),
      sort: sortOf(filters),
      after: cursor,
    }).then(
      ({ incidents }) => {
        setItems((list) => {
          const seen = new Set(list.map((i) => i.id));
          return [...list, ...incidents.edges.map((e) => e.node).filter((i) => !seen.has(i.id))];
        });
        setCursor(incidents.pageInfo.hasNextPage ? incidents.pageInfo.endCursor : null);
      },
      (err: ApiError) => setError(err),
    );
  };

  return { items, total, cursor, counts, error, live, fresh, now, loadMore, refresh: () => setReload((r) => r + 1) };
}
