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

const ENTITY_TYPES: Array<[string, string]> = [
  ['', 'Any'],
  ['VEHICLE', 'vehicles'],
  ['DEVICE', 'devices'],
  ['HOST', 'hosts'],
];

/** A labelled select over [value, text] pairs: every filter of the bar is one. */
function Choice({ label, value, options, onChange }: { label: string; value: string; options: ReadonlyArray<readonly [string, string]>; onChange: (value: string) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange(e.currentTarget.value)}>
        {options.map(([v, text]) => (
          <option value={v}>{text}</option>
        ))}
      </select>
    </label>
  );
}

const GROUPS: Array<[GroupBy, string]> = [
  ['', 'No grouping'],
  ['entity', 'Entity'],
  ['rule', 'Rule'],
  ['kind', 'Kind'],
  ['rsu', 'Roadside unit'],
  ['entityType', 'Entity type'],
  ['status', 'Status'],
  ['severity', 'Severity'],
];

/** Milliseconds of quiet typing before the query bar's text becomes the filter. */
const QUERY_PAUSE_MS = 350;

export function FiltersBar({ filters, categories, set }: { filters: Filters; categories: string[]; set: <K extends keyof Filters>(k: K, v: Filters[K]) => void }) {
  return (
    <form class="filters" role="search" aria-label="Filter incidents" onSubmit={(e) => e.preventDefault()}>
      <Choice label="Status" value={filters.status} options={[['', 'Any'], ...STATUSES.map((v): [string, string] => [v, humanize(v)])]} onChange={(v) => set('status', v as Filters['status'])} />
      <Choice label="Severity" value={filters.severity} options={[['', 'Any'], ...SEVERITIES.map((v): [string, string] => [v, humanize(v)])]} onChange={(v) => set('severity', v as Filters['severity'])} />
      <Choice label="Entity" value={filters.entityType} options={ENTITY_TYPES} onChange={(v) => set('entityType', v as Filters['entityType'])} />
      <Choice label="Kind" value={filters.category} options={[['', 'Any'], ...[...new Set([...categories, ...(filters.category ? [filters.category] : [])])].map((c): [string, string] => [c, humanize(c)])]} onChange={(v) => set('category', v)} />
      <Choice label="Time" value={String(filters.window)} options={WINDOWS.map(([m, text]): [string, string] => [String(m), text])} onChange={(v) => set('window', Number(v))} />
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
      <Choice label="Group by" value={filters.group} options={GROUPS} onChange={(v) => set('group', v as GroupBy)} />
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
