/** The queue's table: sortable by the API's sort fields, grouped, with a checkbox per row for bulk triage. */
import type { IncidentSummary } from '../api.js';
import { SeverityBadge, StatusBadge, fmtAgo, href, humanize, EmptyRow } from '../ui.js';
import { groupOf, NO_GROUP, type Filters, type SortField } from './state.js';

interface Props {
  items: IncidentSummary[];
  /** Rule id → title, for the group-by-rule headings. */
  ruleTitles: Map<string, string>;
  filters: Filters;
  now: number;
  fresh: Set<string>;
  selected: Set<string>;
  setSelected: (s: Set<string>) => void;
  sortBy: (field: SortField) => void;
  canTriage: boolean;
}

export function QueueTable({ items, ruleTitles, filters, now, fresh, selected, setSelected, sortBy, canTriage }: Props) {
  const groups = new Map<string, IncidentSummary[]>();
  for (const i of items) {
    const g = groupOf(i, filters.group);
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  }
  const toggle = (ids: string[], on: boolean): void => {
    const next = new Set(selected);
    for (const id of ids) {
      if (on) next.add(id);
      else next.delete(id);
    }
    setSelected(next);
  };
  const allOn = items.length > 0 && items.every((i) => selected.has(i.id));
  const cols = canTriage ? 8 : 7;
  const Sort = ({ field, children }: { field: SortField; children: string }) => {
    const on = filters.sort === field;
    return (
      <th scope="col" aria-sort={on ? (filters.dir === 'ASC' ? 'ascending' : 'descending') : 'none'} class={field === 'ALERT_COUNT' ? 'num' : ''}>
        <button type="button" class="sort" onClick={() => sortBy(field)}>
          {children}
          <span aria-hidden="true">{on ? (filters.dir === 'ASC' ? ' ▲' : ' ▼') : ''}</span>
        </button>
      </th>
    );
  };
  return (
    <table class="table" aria-label="Incidents">
      <thead>
        <tr>
          {canTriage && (
            <th scope="col" class="check">
              <input type="checkbox" aria-label="Select all shown" checked={allOn} onChange={(e) => toggle(items.map((i) => i.id), e.currentTarget.checked)} />
            </th>
          )}
          <Sort field="SEVERITY">Severity</Sort>
          <th scope="col">Incident</th>
          <th scope="col">Entity</th>
          <th scope="col">Kind</th>
          <Sort field="ALERT_COUNT">Alerts</Sort>
          <th scope="col">Status</th>
          <Sort field="LAST_SEEN">Last seen</Sort>
        </tr>
      </thead>
      <tbody>
        {[...groups.entries()].map(([g, list]) => (
          <>
            {filters.group && (
              <tr class="group-row" data-group={g}>
                <td colSpan={cols}>
                  {canTriage && (
                    <input type="checkbox" aria-label={`Select group ${g}`} checked={list.every((i) => selected.has(i.id))} onChange={(e) => toggle(list.map((i) => i.id), e.currentTarget.checked)} />
                  )}{' '}
                  <GroupName group={filters.group} value={g} ruleTitles={ruleTitles} /> <span class="muted small">{list.length} incident(s)</span>
                </td>
              </tr>
            )}
            {list.map((i) => (
              <tr key={i.id} class={`${fresh.has(i.id) ? 'fresh' : ''} ${selected.has(i.id) ? 'selected' : ''}`} data-incident={i.id}>
                {canTriage && (
                  <td class="check">
                    <input type="checkbox" aria-label={`Select ${i.title}`} checked={selected.has(i.id)} onChange={(e) => toggle([i.id], e.currentTarget.checked)} />
                  </td>
                )}
                <td>
                  <SeverityBadge severity={i.severity} />
                </td>
                <td>
                  <a href={href('incident', i.id)}>{i.title}</a>
                  {i.assignee && <span class="muted small"> · {i.assignee}</span>}
                </td>
                <td class="mono">
                  {i.entity.id}
                  {i.rsu && <span class="muted small" title="the roadside unit that received most of its alerting messages"> via {i.rsu}</span>}
                </td>
                <td>{i.categories.map(humanize).join(', ')}</td>
                <td class="num">{i.alertCount}</td>
                <td>
                  <StatusBadge status={i.status} />
                </td>
                <td title={i.lastSeen}>{fmtAgo(i.lastSeen, now)}</td>
              </tr>
            ))}
          </>
        ))}
        {items.length === 0 && <EmptyRow cols={cols}>No incidents match. New ones appear here as they are raised.</EmptyRow>}
      </tbody>
    </table>
  );
}

/** A group heading: a kind in words, a rule by its title (its id beside it), anything else as it is. */
function GroupName({ group, value, ruleTitles }: { group: Filters['group']; value: string; ruleTitles: Map<string, string> }) {
  if (value === NO_GROUP) return <strong>{value}</strong>;
  if (group === 'kind') return <strong>{humanize(value)}</strong>;
  const title = group === 'rule' ? ruleTitles.get(value) : undefined;
  if (!title) return <strong>{value}</strong>;
  return (
    <>
      <strong>{title}</strong> <span class="muted small mono">{value}</span>
    </>
  );
}
