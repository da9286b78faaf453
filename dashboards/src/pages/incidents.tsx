/**
 * The analyst's queue: incidents as they arrive (the `incidentChanged` subscription, no
 * reload), counts by status and severity, time charts, and the queue itself — filtered,
 * queried, sorted and grouped, with the whole state in the URL (queue/state.ts) — and bulk
 * triage of the selected incidents (queue/bulk-bar.tsx).
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { can, gql, subscribe, INCIDENT_SUMMARY, SEVERITIES, STATUSES, type ApiError, type IncidentSummary, type LiveState } from '../api.js';
import { ErrorBox, Panel, useSession } from '../ui.js';
import { BulkBar } from '../queue/bulk-bar.js';
import { IncidentCharts } from '../queue/charts.js';
import { FiltersBar } from '../queue/filters-bar.js';
import { QueueTable } from '../queue/queue-table.js';
import { apiFilter, filtersFromHash, matches, storeFilters, type Filters, type SortField } from '../queue/state.js';

const PAGE = 100;

const COUNTS_QUERY = `query Counts(${[...STATUSES, ...SEVERITIES].map((k) => `$${k}: IncidentFilter`).join(', ')}) {
  ${[...STATUSES, ...SEVERITIES].map((k) => `${k}: incidents(filter: $${k}, first: 1) { totalCount }`).join('\n  ')}
}`;

const LIST_QUERY = `query Incidents($filter: IncidentFilter, $sort: IncidentSort, $after: String) {
  incidents(filter: $filter, sort: $sort, first: ${PAGE}, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${INCIDENT_SUMMARY} } } }
}`;

const LIVE_QUERY = `subscription { incidentChanged { incident { ${INCIDENT_SUMMARY} } action { actor action } } }`;

export function IncidentsPage() {
  const { token, me } = useSession();
  const [filters, setFilters] = useState<Filters>(() => filtersFromHash(location.hash));
  const [selected, setSelected] = useState<Set<string>>(new Set());
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

  useEffect(() => storeFilters(filters), [filters]);

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
  useEffect(() => refreshCounts.current(), [filters, reload]);

  // Live: upsert what changes, mark new arrivals, and refresh the counts at most four times a second.
  useEffect(() => {
    let pending: ReturnType<typeof setTimeout> | undefined;
    let wasRetrying = false;
    const stop = subscribe<{ incidentChanged: { incident: IncidentSummary } }>(token, LIVE_QUERY, {}, {
      next: ({ incidentChanged: { incident } }) => {
        const t = Date.now();
        setNow(t);
        const list = itemsRef.current;
        const at = list.findIndex((i) => i.id === incident.id);
        const keep = matches(incident, filtersRef.current, t);
        let next = list;
        if (at === -1) {
          if (keep) {
            next = [incident, ...list];
            setTotal((n) => (n ?? 0) + 1);
            setFresh((f) => new Set(f).add(incident.id));
          }
        } else if (list[at]!.version <= incident.version) {
          next = list.slice();
          if (keep) next[at] = incident;
          else next.splice(at, 1);
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

  const categories = useMemo(() => [...new Set(items.flatMap((i) => i.categories))].sort(), [items]);
  const set = <K extends keyof Filters>(k: K, v: Filters[K]): void => setFilters((f) => ({ ...f, [k]: v }));
  const sortBy = (field: SortField): void => setFilters((f) => ({ ...f, sort: field, dir: f.sort === field && f.dir === 'DESC' ? 'ASC' : 'DESC' }));
  const canTriage = can(me.role, 'triage');

  return (
    <div class="page">
      <div class="page-head">
        <h1>Incidents</h1>
        <LiveBadge state={live} />
      </div>

      <div class="stats" role="group" aria-label="Incident counts">
        {STATUSES.map((s) => (
          <button type="button" class={`stat ${filters.status === s ? 'active' : ''}`} aria-pressed={filters.status === s} onClick={() => set('status', filters.status === s ? '' : s)}>
            <span class="stat-value">{counts[s] ?? '…'}</span>
            <span class="stat-label">{s.toLowerCase()}</span>
          </button>
        ))}
        <span class="stats-sep" aria-hidden="true" />
        {SEVERITIES.map((s) => (
          <button type="button" class={`stat sev-edge-${s.toLowerCase()} ${filters.severity === s ? 'active' : ''}`} aria-pressed={filters.severity === s} onClick={() => set('severity', filters.severity === s ? '' : s)}>
            <span class="stat-value">{counts[s] ?? '…'}</span>
            <span class="stat-label">{s.toLowerCase()}</span>
          </button>
        ))}
      </div>

      <FiltersBar filters={filters} categories={categories} set={set} />

      <ErrorBox error={error} />

      <IncidentCharts items={items} filters={filters} now={now} />

      <Panel title="Queue" actions={<span class="muted">{total === null ? 'loading…' : `${items.length} of ${total} shown`}</span>}>
        {canTriage && <BulkBar token={token} selected={[...selected]} onDone={() => { setSelected(new Set()); setReload((r) => r + 1); }} />}
        <div class="table-wrap">
          <QueueTable items={items} filters={filters} now={now} fresh={fresh} selected={selected} setSelected={setSelected} sortBy={sortBy} canTriage={canTriage} />
        </div>
        {cursor && (
          <button type="button" class="more" onClick={loadMore}>
            Load more
          </button>
        )}
      </Panel>
    </div>
  );
}

function sortOf(f: Filters): { field: SortField; direction: 'ASC' | 'DESC' } {
  return { field: f.sort, direction: f.dir };
}

export function LiveBadge({ state }: { state: LiveState }) {
  const text = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…', stopped: 'not live' }[state];
  return (
    <span class={`live live-${state}`} role="status" aria-label={`Live updates: ${text}`}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

