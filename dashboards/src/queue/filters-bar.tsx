/**
 * The queue's filters: status, severity, entity, kind, a relative or absolute time range,
 * grouping, and the query bar. The query bar keeps what is typed in its own state and
 * hands it up after a pause: a controlled input re-rendered by the clock and the live
 * stream lost keystrokes ("V-7569" typed at four keys a second left "-7569").
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { SEVERITIES, STATUSES } from '../api.js';
import { humanize } from '../ui.js';
import { parseQuery, type Filters, type GroupBy } from './state.js';

const WINDOWS: Array<[number, string]> = [
  [15, 'Last 15 minutes'],
  [60, 'Last hour'],
  [24 * 60, 'Last 24 hours'],
  [7 * 24 * 60, 'Last 7 days'],
  [0, 'All time'],
  [-1, 'Between…'],
];

const GROUPS: Array<[GroupBy, string]> = [
  ['', 'No grouping'],
  ['entity', 'Entity'],
  ['kind', 'Kind'],
  ['entityType', 'Entity type'],
  ['status', 'Status'],
  ['severity', 'Severity'],
];

/** Milliseconds of quiet typing before the query bar's text becomes the filter. */
const QUERY_PAUSE_MS = 350;

export function FiltersBar({ filters, categories, set }: { filters: Filters; categories: string[]; set: <K extends keyof Filters>(k: K, v: Filters[K]) => void }) {
  return (
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
      {filters.window === -1 && (
        <>
          <label>
            From
            <input type="datetime-local" step={1} value={filters.from} onChange={(e) => set('from', e.currentTarget.value)} />
          </label>
          <label>
            To
            <input type="datetime-local" step={1} value={filters.to} onChange={(e) => set('to', e.currentTarget.value)} />
          </label>
        </>
      )}
      <label>
        Group by
        <select value={filters.group} onChange={(e) => set('group', e.currentTarget.value as GroupBy)}>
          {GROUPS.map(([g, text]) => (
            <option value={g}>{text}</option>
          ))}
        </select>
      </label>
      <QueryBar value={filters.q} onChange={(q) => set('q', q)} />
    </form>
  );
}

function QueryBar({ value, onChange }: { value: string; onChange: (q: string) => void }) {
  const [text, setText] = useState(value);
  const typed = useRef(value);
  // Only a change from outside (a link, a reset) replaces what is being typed.
  useEffect(() => {
    if (value !== typed.current) {
      typed.current = value;
      setText(value);
    }
  }, [value]);
  useEffect(() => {
    if (text === typed.current) return;
    const t = setTimeout(() => {
      typed.current = text;
      onChange(text);
    }, QUERY_PAUSE_MS);
    return () => clearTimeout(t);
  }, [text]);
  const problems = parseQuery(text).problems;
  return (
    <label class="grow">
      Query
      <input
        type="search"
        aria-label="Query"
        placeholder="entity:V-0042 kind:sybil assignee:bob status:open … or title words"
        value={text}
        onInput={(e) => setText(e.currentTarget.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            typed.current = e.currentTarget.value;
            onChange(e.currentTarget.value);
          }
        }}
      />
      {problems.length > 0 && <span class="small bad-text">not understood: {problems.join('; ')}</span>}
    </label>
  );
}
