/**
 * The transport authority's vehicle list: reputation and flags, sortable, lowest trust first.
 * Which vehicles are rogue is the API's `rogueNow` (one definition, api/resolvers/authority.ts).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { gql, type ApiError } from '../api.js';
import { ErrorBox, Panel, Reputation, fmtAgo, href, useQuery, useSession, EmptyRow } from '../ui.js';
import { ROGUE_DEFINITION, rogueWords, type RogueDefinition } from './rogue-now.js';

export interface VehicleRow {
  id: string;
  reputation: number | null;
  flagged: boolean;
  detectorFlagged: boolean;
  flag: { flagged: boolean; reason: string; by: string; at: string } | null;
  lastSeen: string | null;
  alertCount: number;
  /** The API's verdict (api/resolvers/authority.ts): the pages never judge rogue-ness themselves. */
  rogueNow: boolean;
}

export const isRogue = (v: { rogueNow: boolean }): boolean => v.rogueNow;

export const VEHICLE_ROW = `id reputation flagged detectorFlagged flag { flagged reason by at } lastSeen alertCount rogueNow`;
const MAX_PAGES = 20;

/** Every vehicle, page by page (100 per page, the API's cap), up to 2,000; `onPage` sees each page's total so far. */
export async function loadAllVehicles<T>(token: string, fields: string, filter: Record<string, unknown> = {}, onPage?: (soFar: T[]) => void): Promise<T[]> {
  const out: T[] = [];
  let after: string | null = null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const data: { vehicles: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: T }[] } } = await gql(
      token,
      `query ($after: String, $filter: EntityFilter) { vehicles(filter: $filter, first: 100, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${fields} } } } }`,
      { after, filter },
    );
    out.push(...data.vehicles.edges.map((e) => e.node));
    if (!data.vehicles.pageInfo.hasNextPage) break;
    onPage?.([...out]);
    after = data.vehicles.pageInfo.endCursor;
  }
  return out;
}

type SortKey = 'id' | 'reputation' | 'flagged' | 'alertCount' | 'lastSeen';

export function VehiclesPage() {
  const { token } = useSession();
  const [rows, setRows] = useState<VehicleRow[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [sort, setSort] = useState<{ key: SortKey; dir: 1 | -1 }>({ key: 'reputation', dir: 1 });
  const [onlyRogue, setOnlyRogue] = useState(false);
  const [prefix, setPrefix] = useState('');
  const [tick, setTick] = useState(0);
  const definition = useQuery<{ rogueDefinition: RogueDefinition }>(`{ ${ROGUE_DEFINITION} }`, {}, []).data?.rogueDefinition;

  useEffect(() => {
    let current = true;
    loadAllVehicles<VehicleRow>(token, VEHICLE_ROW, prefix.trim() ? { idPrefix: prefix.trim() } : {}).then(
      (r) => {
        if (current) {
          setRows(r);
          setError(null);
        }
      },
      (err: ApiError) => current && setError(err),
    );
    return () => {
      current = false;
    };
  }, [token, prefix, tick]);

  useEffect(() => {
    const t = setInterval(() => setTick((n) => n + 1), 10_000);
    return () => clearInterval(t);
  }, []);

  const shown = useMemo(() => {
    const list = (rows ?? []).filter((v) => !onlyRogue || isRogue(v));
    const val = (v: VehicleRow): number | string => {
      switch (sort.key) {
        case 'id':
          return v.id;
        case 'reputation':
          return v.reputation ?? 2;
        case 'flagged':
          return (v.flagged ? 0 : 1) + (isRogue(v) ? 0 : 1);
        case 'alertCount':
          return v.alertCount;
        case 'lastSeen':
          return v.lastSeen ?? '';
      }
    };
    return list.sort((a, b) => {
      const x = val(a);
      const y = val(b);
      return (x < y ? -1 : x > y ? 1 : a.id < b.id ? -1 : 1) * sort.dir;
    });
  }, [rows, sort, onlyRogue]);

  const rogueCount = (rows ?? []).filter(isRogue).length;
  const header = (key: SortKey, label: string, num = false) => (
    <th scope="col" class={num ? 'num' : ''} aria-sort={sort.key === key ? (sort.dir === 1 ? 'ascending' : 'descending') : 'none'}>
      <button type="button" class="sort" onClick={() => setSort((s) => ({ key, dir: s.key === key ? (-s.dir as 1 | -1) : 1 }))}>
        {label}
        <span aria-hidden="true">{sort.key === key ? (sort.dir === 1 ? ' ▲' : ' ▼') : ''}</span>
      </button>
    </th>
  );

  return (
    <div class="page">
      <div class="page-head">
        <h1>Vehicles</h1>
        <span class="muted">
          {rows ? `${rows.length} vehicles · ` : ''}
          <strong class="rogue-text">{rogueCount} rogue now</strong> ({rogueWords(definition)})
        </span>
        <span class="spacer" />
        <a class="button" href={href('map')}>
          Map
        </a>
      </div>
      <form class="filters" role="search" aria-label="Filter vehicles" onSubmit={(e) => e.preventDefault()}>
        <label class="grow">
          Vehicle id starts with
          <input type="search" value={prefix} onChange={(e) => setPrefix(e.currentTarget.value)} placeholder="V-00" />
        </label>
        <label class="check">
          <input type="checkbox" checked={onlyRogue} onChange={(e) => setOnlyRogue(e.currentTarget.checked)} /> Rogue only
        </label>
      </form>
      <ErrorBox error={error} />
      <Panel title="Reputation and flags">
        <div class="table-wrap">
        <table class="table" aria-label="Vehicles">
          <thead>
            <tr>
              {header('id', 'Vehicle')}
              {header('reputation', 'Reputation')}
              {header('flagged', 'Flags')}
              {header('alertCount', 'Alerts', true)}
              {header('lastSeen', 'Last seen')}
            </tr>
          </thead>
          <tbody>
            {shown.map((v) => (
              <tr class={isRogue(v) ? 'rogue' : ''} data-vehicle={v.id}>
                <td class="mono">
                  <a href={href('vehicle', v.id)}>{v.id}</a>
                </td>
                <td>
                  <Reputation value={v.reputation} />
                </td>
                <td>
                  <Flags v={v} />
                </td>
                <td class="num">{v.alertCount}</td>
                <td>{fmtAgo(v.lastSeen)}</td>
              </tr>
            ))}
            {rows && shown.length === 0 && <EmptyRow cols={5}>No vehicles match.</EmptyRow>}
          </tbody>
        </table>
        </div>
        {!rows && !error && <p class="loading">Loading…</p>}
      </Panel>
    </div>
  );
}

export function Flags({ v }: { v: VehicleRow }) {
  const authority = v.flag?.flagged ?? false;
  return (
    <span class="flags">
      {authority && (
        <span class="badge flag" title={`${v.flag!.reason} — ${v.flag!.by}`}>
          flagged by authority
        </span>
      )}
      {v.detectorFlagged && <span class="badge flag">flagged by detector</span>}
      {v.flag && !v.flag.flagged && (
        <span class="badge cleared" title={`${v.flag.reason} — ${v.flag.by}`}>
          cleared by authority
        </span>
      )}
      {v.rogueNow && !authority && <span class="badge low">low reputation</span>}
    </span>
  );
}
