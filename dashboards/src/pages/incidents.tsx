/**
 * The analyst's queue: incidents as they arrive (the `incidentChanged` subscription, no
 * reload), counts by status and severity, time charts, and the queue itself — filtered,
 * queried, sorted and grouped, with the whole state in the URL (queue/state.ts) — and bulk
 * triage of the selected incidents (queue/bulk-bar.tsx).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { can, SEVERITIES, STATUSES, type LiveState } from '../api.js';
import { ErrorBox, Panel, useQuery, useSession } from '../ui.js';
import { BulkBar } from '../queue/bulk-bar.js';
import { IncidentCharts } from '../queue/charts.js';
import { FiltersBar } from '../queue/filters-bar.js';
import { QueueTable } from '../queue/queue-table.js';
import { filtersFromHash, storeFilters, type Filters, type SortField } from '../queue/state.js';
import { useQueue } from '../queue/use-queue.js';

export function IncidentsPage() {
  const { token, me } = useSession();
  const [filters, setFilters] = useState<Filters>(() => filtersFromHash(location.hash));
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const { items, total, cursor, counts, error, live, fresh, now, loadMore, refresh } = useQueue(token, filters);
  // Rule titles for the group-by-rule headings (a node without a rule book answers none: ids are shown).
  const ruleList = useQuery<{ rules: Array<{ id: string; title: string }> }>('{ rules { id title } }', {}, []).data?.rules;
  const ruleTitles = useMemo(() => new Map((ruleList ?? []).map((r) => [r.id, r.title])), [ruleList]);
  useEffect(() => storeFilters(filters), [filters]);

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
        {canTriage && <BulkBar token={token} selected={[...selected]} onDone={() => { setSelected(new Set()); refresh(); }} />}
        <div class="table-wrap">
          <QueueTable items={items} ruleTitles={ruleTitles} filters={filters} now={now} fresh={fresh} selected={selected} setSelected={setSelected} sortBy={sortBy} canTriage={canTriage} />
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

export function LiveBadge({ state }: { state: LiveState }) {
  const text = { connecting: 'connecting…', live: 'live', retrying: 'reconnecting…', stopped: 'not live' }[state];
  return (
    <span class={`live live-${state}`} role="status" aria-label={`Live updates: ${text}`}>
      <span class="dot" aria-hidden="true" />
      {text}
    </span>
  );
}

