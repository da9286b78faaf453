/**
 * The authority's map: the city file's roads and roadside units, every vehicle's last
 * reported positions (clustered when zoomed out, fading when stale), a search for a vehicle
 * id, and a replay of one vehicle's reported track with the jumps its alerts are about
 * marked (`city-map.tsx`). The rogue list is the API's `rogueNow`, the same as the rogue-now
 * page's (rogue-now.tsx); a vehicle's history is on its own page.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ApiError, gql } from '../api.js';
import { ErrorBox, Panel, Reputation, fmtTime, href, useSession } from '../ui.js';
import { CityMap, STALE_MS, trackFromEvents, useCity, type ReportedEvent, type Track } from './city-map.js';
import { rogueWords, useRogueNow } from './rogue-now.js';

interface MapVehicle {
  id: string;
  reputation: number | null;
  flagged: boolean;
  /** Newest first: the last position only, except for the vehicle being replayed. */
  recentEvents: ReportedEvent[];
}

/**
 * The first screen's data, bounded (issue 19: the page under 300 ms warm with a million
 * events stored): each vehicle's last position, in pages of one store query each
 * (`vehiclePositions`), at most MAX_VEHICLES; a vehicle's track is asked for only when it is
 * focused (REPLAY_QUERY). The first page is small so that the map has vehicles on it at
 * once (1,000 positions are about 200 kB of JSON); the others are as large as the API allows.
 */
const POSITIONS_QUERY = `query Positions($first: Int!, $after: String) { vehiclePositions(first: $first, after: $after) {
  pageInfo { hasNextPage endCursor } edges { node { id reputation flagged eventId timestamp lat lon speed } } } }`;
/** Vehicles drawn at most (clustered when zoomed out); the vehicles page lists them all. */
export const MAX_VEHICLES = 2000;
const FIRST_PAGE = 200;
const NEXT_PAGES = 1000;

interface Position {
  id: string;
  reputation: number | null;
  flagged: boolean;
  eventId: string;
  timestamp: string;
  lat: number;
  lon: number;
  speed: number;
}

const REPLAY_QUERY = `query Replay($id: ID!) { vehicle(id: $id) { id reputation flagged
  recentEvents(first: 100) { id timestamp vehicle { lat lon speed } }
  recentAlerts(first: 50) { id title evidenceIds } } }`;

interface ReplayVehicle extends MapVehicle {
  recentAlerts: { id: string; title: string; evidenceIds: string[] }[];
}

const toMapVehicle = (p: Position): MapVehicle => ({
  id: p.id,
  reputation: p.reputation,
  flagged: p.flagged,
  recentEvents: [{ id: p.eventId, timestamp: p.timestamp, vehicle: { lat: p.lat, lon: p.lon, speed: p.speed } }],
});

/** Every vehicle's last position, page by page up to MAX_VEHICLES; `onPage` sees each page's total so far. */
async function loadPositions(token: string, onPage?: (soFar: MapVehicle[]) => void): Promise<MapVehicle[]> {
  const out: MapVehicle[] = [];
  let after: string | null = null;
  while (out.length < MAX_VEHICLES) {
    const first = Math.min(out.length === 0 ? FIRST_PAGE : NEXT_PAGES, MAX_VEHICLES - out.length);
    const data: { vehiclePositions: { pageInfo: { hasNextPage: boolean; endCursor: string | null }; edges: { node: Position }[] } } = await gql(token, POSITIONS_QUERY, { first, after });
    for (const e of data.vehiclePositions.edges) if (out.length < MAX_VEHICLES) out.push(toMapVehicle(e.node));
    if (!data.vehiclePositions.pageInfo.hasNextPage) break;
    onPage?.([...out]);
    after = data.vehiclePositions.pageInfo.endCursor;
  }
  return out;
}

function useVehicles(token: string): { vehicles: MapVehicle[] | null; error: ApiError | null; updated: Date | null } {
  const [vehicles, setVehicles] = useState<MapVehicle[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);
  useEffect(() => {
    let current = true;
    let loaded = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      // The first load draws each page as it comes; refreshes replace the whole set.
      const first = !loaded;
      loadPositions(token, (soFar) => current && first && setVehicles(soFar)).then(
        (v) => {
          if (!current) return;
          loaded = true;
          setVehicles(v);
          setError(null);
          setUpdated(new Date());
          timer = setTimeout(load, 5000);
        },
        (err: ApiError) => {
          if (!current) return;
          setError(err);
          timer = setTimeout(load, 10_000);
        },
      );
    };
    load();
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
    };
  }, [token]);
  return { vehicles, error, updated };
}

/** One vehicle's last 100 reports (the API's page) and the evidence of its alerts, for the replay. */
function useReplay(token: string, id: string | null): { data: ReplayVehicle | null; error: ApiError | null } {
  const [state, setState] = useState<{ data: ReplayVehicle | null; error: ApiError | null }>({ data: null, error: null });
  useEffect(() => {
    if (!id) return void setState({ data: null, error: null });
    let current = true;
    gql<{ vehicle: ReplayVehicle | null }>(token, REPLAY_QUERY, { id }).then(
      (d) => current && setState({ data: d.vehicle, error: d.vehicle ? null : new ApiError(`no vehicle ${id}`, 'NOT_FOUND') }),
      (error: ApiError) => current && setState({ data: null, error }),
    );
    return () => {
      current = false;
    };
  }, [token, id]);
  return state;
}

export function MapPage() {
  const { token } = useSession();
  const city = useCity();
  const { vehicles, error, updated } = useVehicles(token);
  const rogueNow = useRogueNow();
  const rogueIds = useMemo(() => new Set((rogueNow.rows ?? []).map((r) => r.vehicle.id)), [rogueNow.rows]);
  const [search, setSearch] = useState('');
  const [selected, setSelected] = useState<string | null>(null);
  const [step, setStep] = useState<number | null>(null);
  const replay = useReplay(token, selected);
  const now = updated?.getTime() ?? Date.now();

  const tracks = useMemo<Track[]>(() => (vehicles ?? []).map((v) => trackFromEvents(v.id, rogueIds.has(v.id), v.recentEvents)), [vehicles, rogueIds]);
  const replayTrack = useMemo(() => (replay.data ? trackFromEvents(replay.data.id, rogueIds.has(replay.data.id), replay.data.recentEvents) : null), [replay.data, rogueIds]);
  const evidence = useMemo(() => new Set(replay.data?.recentAlerts.flatMap((a) => a.evidenceIds) ?? []), [replay.data]);
  const at = replayTrack ? Math.min(step ?? replayTrack.points.length - 1, replayTrack.points.length - 1) : -1;
  const shown = replayTrack ? [...tracks.filter((t) => t.id !== replayTrack.id), { ...replayTrack, points: replayTrack.points.slice(0, at + 1) }] : tracks;
  const jumps = replayTrack ? replayTrack.points.filter((p) => p.id && evidence.has(p.id)).length : 0;
  const rogue = (rogueNow.rows ?? []).map((r) => r.vehicle);
  const find = (e: Event): void => {
    e.preventDefault();
    const q = search.trim();
    if (!q) return;
    setSelected(vehicles?.find((v) => v.id.toLowerCase() === q.toLowerCase())?.id ?? q);
    setStep(null);
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>City map</h1>
        <span class="muted small">{updated ? `updated ${updated.toLocaleTimeString([], { hour12: false })}, every 5 s` : 'loading…'}</span>
        <form class="map-search" role="search" onSubmit={find}>
          <input aria-label="Find a vehicle" placeholder="vehicle id, e.g. V-0042" value={search} onInput={(e) => setSearch(e.currentTarget.value)} />
          <button type="submit">Find</button>
        </form>
      </div>
      <ErrorBox error={error ?? replay.error ?? rogueNow.error ?? city.error} />
      <div class="grid-map">
        <Panel title="Roads, roadside units and vehicles">
          {/* The roads first: the vehicles (every page of them) arrive after. */}
          {city.data !== undefined ? (
            <CityMap city={city.data} tracks={vehicles ? shown : []} focus={selected ?? undefined} evidence={evidence} now={now} label="City map" onSelect={(id) => (setSelected(id), setStep(null))} />
          ) : (
            <p class="loading">Loading…</p>
          )}
          {city.data === null && <p class="muted small">This node has no city file (vigil start --city FILE), so there is no road network to draw: tracks only.</p>}
          {replayTrack && (
            <div class="replay" aria-label={`Replay of ${replayTrack.id}`}>
              <label for="replay-step">
                Replay <a class="mono" href={href('vehicle', replayTrack.id)}>{replayTrack.id}</a>: report {at + 1} of {replayTrack.points.length}
                {replayTrack.points[at] ? ` at ${fmtTime(new Date(replayTrack.points[at]!.t).toISOString())}` : ''}; {jumps} marked jump{jumps === 1 ? '' : 's'}
              </label>
              <input id="replay-step" type="range" min={0} max={Math.max(0, replayTrack.points.length - 1)} value={at} onInput={(e) => setStep(Number(e.currentTarget.value))} />
              <button type="button" onClick={() => (setSelected(null), setStep(null))}>
                Close replay
              </button>
            </div>
          )}
        </Panel>
        <div class="stack">
          <Panel title="Rogue now" actions={<span class="badge rogue-badge">{rogue.length}</span>}>
            <ul class="plain" aria-label="Rogue vehicles">
              {rogue.map((v) => (
                <li>
                  <a class="mono" href={href('vehicle', v.id)}>
                    {v.id}
                  </a>{' '}
                  <Reputation value={v.reputation} /> {v.flagged && <span class="badge flag">flagged</span>}{' '}
                  <button type="button" class="linklike small" aria-label={`Replay ${v.id}`} onClick={() => (setSelected(v.id), setStep(null))}>
                    replay
                  </button>
                </li>
              ))}
              {rogueNow.rows && rogue.length === 0 && <li class="muted">None right now.</li>}
            </ul>
          </Panel>
          <Panel title="Legend">
            <ul class="legend plain small">
              <li>
                <span class="key key-vehicle" /> vehicle, last reported position (faded: no report for {STALE_MS / 60_000} min); a number: that many vehicles
              </li>
              <li>
                <span class="key key-rogue" /> rogue now: {rogueWords(rogueNow.definition)}
              </li>
              <li>
                <span class="key key-jump" /> jump to a report that is evidence of an alert
              </li>
              <li>
                <span class="key key-rsu" /> roadside unit and its range
              </li>
              <li>
                <span class="key key-road" /> road from the city file
              </li>
            </ul>
          </Panel>
        </div>
      </div>
    </div>
  );
}
