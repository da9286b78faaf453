/**
 * The analyst's queue: incidents as they arrive (the `incidentChanged` subscription, no
 * reload), filters, counts by status and severity, and time charts by severity and kind.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import {
  gql,
  subscribe,
  INCIDENT_SUMMARY,
  SEVERITIES,
  STATUSES,
  type ApiError,
  type EntityType,
  type IncidentStatus,
  type IncidentSummary,
  type LiveState,
  type Severity,
} from '../api.js';
import { bucketCounts, TimeChart, type ChartSeries } from '../chart.js';
import { ErrorBox, Panel, SEVERITY_COLOURS, SeverityBadge, StatusBadge, fmtAgo, href, humanize, useSession } from '../ui.js';

interface Filters {
  status: IncidentStatus | '';
  severity: Severity | '';
  entityType: EntityType | '';
  category: string;
  text: string;
  /** Minutes back from now; 0 = all time. */
  window: number;
}

const WINDOWS: Array<[number, string]> = [
  [15, 'Last 15 minutes'],
  [60, 'Last hour'],
  [24 * 60, 'Last 24 hours'],
  [7 * 24 * 60, 'Last 7 days'],
  [0, 'All time'],
];

const PAGE = 100;
const KIND_COLOURS = ['#2f6fb3', '#7a4fb8', '#1f9d8b', '#c2410c', '#a16207', '#be185d', '#64748b'];

function apiFilter(f: Filters, now: number): Record<string, unknown> {
  return {
    ...(f.status ? { statuses: [f.status] } : {}),
    ...(f.severity ? { severities: [f.severity] } : {}),
    ...(f.entityType ? { entityType: f.entityType } : {}),
    ...(f.category ? { category: f.category } : {}),
    ...(f.text.trim() ? { text: f.text.trim() } : {}),
    ...(f.window ? { time: { from: now - f.window * 60_000 } } : {}),
  };
}

/** Whether a live incident belongs in the list under these filters (free text: the server decides on refetch). */
function matches(i: IncidentSummary, f: Filters, now: number): boolean {
  if (f.status && i.status !== f.status) return false;
  if (f.severity && i.severity !== f.severity) return false;
  if (f.entityType && i.entity.type !== f.entityType) return false;
  if (f.category && !i.categories.includes(f.category)) return false;
  if (f.window && new Date(i.lastSeen).getTime() < now - f.window * 60_000) return false;
  return !f.text.trim();
}

const COUNTS_QUERY = `query Counts(${[...STATUSES, ...SEVERITIES].map((k) => `$${k}: IncidentFilter`).join(', ')}) {
  ${[...STATUSES, ...SEVERITIES].map((k) => `${k}: incidents(filter: $${k}, first: 1) { totalCount }`).join('\n  ')}
}`;

const LIST_QUERY = `query Incidents($filter: IncidentFilter, $after: String) {
  incidents(filter: $filter, first: ${PAGE}, after: $after) { totalCount pageInfo { hasNextPage endCursor } edges { node { ${INCIDENT_SUMMARY} } } }
}`;

const LIVE_QUERY = `subscription { incidentChanged { incident { ${INCIDENT_SUMMARY} } action { actor action } } }`;

export function IncidentsPage() {
  const { token } = useSession();
  const [filters, setFilters] = useState<Filters>({ status: '', severity: '', entityType: '', category: '', text: '', window: 60 });
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
    gql<{ incidents: { totalCount: number; pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: IncidentSummary }[] } }>(token, LIST_QUERY, { filter }).then(
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

      <form class="filters" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={filters.status} onChange={(e) => set('status', e.currentTarget.value as Filters['status'])}>
            <option value="">Any</option>
            {STATUSES.map((s) => (
              <option value={s}>{humanize(s)}</option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={filters.severity} onChange={(e) => set('severity', e.currentTarget.value as Filters['severity'])}>
            <option value="">Any</option>
            {SEVERITIES.map((s) => (
              <option value={s}>{humanize(s)}</option>
            ))}
          </select>
        </label>
        <label>
          Entity
          <select value={filters.entityType} onChange={(e) => set('entityType', e.currentTarget.value as Filters['entityType'])}>
            <option value="">Any</option>
            <option value="VEHICLE">vehicles</option>
            <option value="DEVICE">devices</option>
            <option value="HOST">hosts</option>
          </select>
        </label>
        <label>
          Kind
          <select value={filters.category} onChange={(e) => set('category', e.currentTarget.value)}>
            <option value="">Any</option>
            {[...new Set([...categories, ...(filters.category ? [filters.category] : [])])].map((c) => (
              <option value={c}>{humanize(c)}</option>
            ))}
          </select>
        </label>
        <label>
          Time
          <select value={String(filters.window)} onChange={(e) => set('window', Number(e.currentTarget.value))}>
            {WINDOWS.map(([m, text]) => (
              <option value={String(m)}>{text}</option>
            ))}
          </select>
        </label>
        <label class="grow">
          Search
          <input type="search" placeholder="title, entity, rule…" value={filters.text} onChange={(e) => set('text', e.currentTarget.value)} />
        </label>
      </form>

      <ErrorBox error={error} />

      <IncidentCharts items={items} filters={filters} now={now} />

      <Panel title="Queue" actions={<span class="muted">{total === null ? 'loading…' : `${items.length} of ${total} shown`}</span>}>
        <div class="table-wrap">
        <table class="table" aria-label="Incidents">
          <thead>
            <tr>
              <th scope="col">Severity</th>
              <th scope="col">Incident</th>
              <th scope="col">Entity</th>
              <th scope="col">Kind</th>
              <th scope="col" class="num">Alerts</th>
              <th scope="col">Status</th>
              <th scope="col">Last seen</th>
            </tr>
          </thead>
          <tbody>
            {items.map((i) => (
              <tr key={i.id} class={fresh.has(i.id) ? 'fresh' : ''} data-incident={i.id}>
                <td>
                  <SeverityBadge severity={i.severity} />
                </td>
                <td>
                  <a href={href('incident', i.id)}>{i.title}</a>
                  {i.assignee && <span class="muted small"> · {i.assignee}</span>}
                </td>
                <td class="mono">{i.entity.id}</td>
                <td>{i.categories.map(humanize).join(', ')}</td>
                <td class="num">{i.alertCount}</td>
                <td>
                  <StatusBadge status={i.status} />
                </td>
                <td title={i.lastSeen}>{fmtAgo(i.lastSeen, now)}</td>
              </tr>
            ))}
            {items.length === 0 && total !== null && (
              <tr>
                <td colSpan={7} class="empty">
                  No incidents match. New ones appear here as they are raised.
                </td>
              </tr>
            )}
          </tbody>
        </table>
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

function IncidentCharts({ items, filters, now }: { items: IncidentSummary[]; filters: Filters; now: number }) {
  const charts = useMemo(() => {
    const times = items.map((i) => new Date(i.firstSeen).getTime());
    const from = filters.window ? now - filters.window * 60_000 : Math.min(now - 15 * 60_000, ...times);
    const range: [number, number] = [from, now];
    const bySev = bucketCounts(items, (i) => new Date(i.firstSeen).getTime(), (i) => i.severity, SEVERITIES, range);
    const sevSeries: ChartSeries[] = SEVERITIES.map((s) => ({ label: humanize(s), colour: SEVERITY_COLOURS[s], values: bySev.counts.get(s)! }));
    const kindTotals = new Map<string, number>();
    for (const i of items) for (const c of i.categories.length ? i.categories : ['other']) kindTotals.set(c, (kindTotals.get(c) ?? 0) + 1);
    const top = [...kindTotals.entries()].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k]) => k);
    const kindOf = (i: IncidentSummary): string => i.categories.find((c) => top.includes(c)) ?? 'other';
    const kinds = [...top, ...(top.includes('other') ? [] : ['other'])];
    const byKind = bucketCounts(items, (i) => new Date(i.firstSeen).getTime(), kindOf, kinds, range);
    const kindSeries: ChartSeries[] = kinds
      .filter((k) => byKind.counts.get(k)!.some((v) => v > 0))
      .map((k, n) => ({ label: humanize(k), colour: KIND_COLOURS[n % KIND_COLOURS.length]!, values: byKind.counts.get(k)! }));
    const per = bySev.bucketSeconds >= 60 ? `${bySev.bucketSeconds / 60} min` : `${bySev.bucketSeconds} s`;
    const sevSummary = SEVERITIES.map((s) => `${items.filter((i) => i.severity === s).length} ${s.toLowerCase()}`).join(', ');
    const kindSummary = [...kindTotals.entries()].map(([k, n]) => `${n} ${humanize(k)}`).join(', ');
    return { sev: { x: bySev.x, series: sevSeries, summary: sevSummary }, kind: { x: byKind.x, series: kindSeries, summary: kindSummary }, per };
  }, [items, filters.window, Math.floor(now / 10_000)]);

  return (
    <div class="grid-2">
      <Panel title="New incidents by severity" actions={<span class="muted small">per {charts.per}, incidents shown below</span>}>
        <TimeChart label="New incidents by severity" x={charts.sev.x} series={charts.sev.series} summary={charts.sev.summary} height={180} />
      </Panel>
      <Panel title="New incidents by kind" actions={<span class="muted small">per {charts.per}, top kinds</span>}>
        {charts.kind.series.length ? (
          <TimeChart label="New incidents by kind" x={charts.kind.x} series={charts.kind.series} summary={charts.kind.summary} height={180} />
        ) : (
          <p class="empty">No incidents in this window.</p>
        )}
      </Panel>
    </div>
  );
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

