/**
 * The city as SVG — roads and roadside units from `/city.json`, the vehicles' reported
 * tracks on top — with no map tiles (the machines are offline). Rogue vehicles (flagged,
 * or with a reputation under the threshold) are drawn in red and labelled; a jump between
 * two reports that no vehicle could drive is drawn dashed, so the authority sees both what
 * was reported and that it is not plausible.
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import type { ApiError } from '../api.js';
import { ErrorBox, Panel, Reputation, href, useSession } from '../ui.js';
import { isRogue, loadAllVehicles, ROGUE_REPUTATION } from './vehicles.js';

interface LatLon {
  lat: number;
  lon: number;
}

export interface City {
  center?: LatLon;
  intersections: Array<LatLon & { id: string }>;
  roads: Array<{ id?: string; class?: string; from: LatLon; to: LatLon }>;
  rsus: Array<LatLon & { id: string; range: number }>;
}

export interface Track {
  id: string;
  rogue: boolean;
  /** Oldest first. */
  points: Array<LatLon & { t: number; speed: number }>;
}

let cityCache: Promise<City | null> | undefined;

/** The simulated city; null when this node runs no simulator (the map then shows tracks only). */
export function useCity(): { data?: City | null; error?: Error } {
  const [state, setState] = useState<{ data?: City | null; error?: Error }>({});
  useEffect(() => {
    cityCache ??= fetch('/city.json').then(async (res) => {
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`/city.json answered ${res.status}`);
      return (await res.json()) as City;
    });
    cityCache.then(
      (data) => setState({ data }),
      (error: Error) => {
        cityCache = undefined;
        setState({ error });
      },
    );
  }, []);
  return state;
}

const EARTH_M = 6_371_000;
const rad = (d: number): number => (d * Math.PI) / 180;

export function metres(a: LatLon, b: LatLon): number {
  const dLat = rad(b.lat - a.lat);
  const dLon = rad(b.lon - a.lon);
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(rad(a.lat)) * Math.cos(rad(b.lat)) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Faster than any road vehicle, or far faster than the vehicle itself said it was going. */
function implausible(a: Track['points'][number], b: Track['points'][number]): boolean {
  const d = metres(a, b);
  const dt = Math.max((b.t - a.t) / 1000, 0.001);
  return d > 30 && d / dt > Math.max(70, 3 * Math.max(a.speed, b.speed));
}

const WIDTH = 1000;

export function CityMap({ city, tracks, focus, height = 760, label }: { city: City | null; tracks: Track[]; focus?: string; height?: number; label: string }) {
  const view = useMemo(() => {
    const pts: LatLon[] = city ? [...city.roads.flatMap((r) => [r.from, r.to]), ...city.rsus] : [];
    if (pts.length === 0) for (const t of tracks) pts.push(...t.points);
    if (pts.length === 0) pts.push({ lat: 0, lon: 0 });
    let minLat = Math.min(...pts.map((p) => p.lat));
    let maxLat = Math.max(...pts.map((p) => p.lat));
    let minLon = Math.min(...pts.map((p) => p.lon));
    let maxLon = Math.max(...pts.map((p) => p.lon));
    const padLat = Math.max((maxLat - minLat) * 0.06, 0.001);
    const padLon = Math.max((maxLon - minLon) * 0.06, 0.001);
    minLat -= padLat;
    maxLat += padLat;
    minLon -= padLon;
    maxLon += padLon;
    const k = Math.cos(rad((minLat + maxLat) / 2));
    const scale = WIDTH / ((maxLon - minLon) * k);
    const h = (maxLat - minLat) * scale;
    const metresPerUnit = metres({ lat: minLat, lon: minLon }, { lat: minLat, lon: maxLon }) / WIDTH;
    return {
      h,
      metresPerUnit,
      x: (p: LatLon) => (p.lon - minLon) * k * scale,
      y: (p: LatLon) => (maxLat - p.lat) * scale,
      inside: (p: LatLon) => p.lat >= minLat && p.lat <= maxLat && p.lon >= minLon && p.lon <= maxLon,
    };
  }, [city, tracks.length === 0]);
  const { x, y } = view;
  const ordered = [...tracks].sort((a, b) => Number(a.rogue) - Number(b.rogue) || Number(a.id === focus) - Number(b.id === focus));
  const rogues = tracks.filter((t) => t.rogue).length;
  const xy = (p: LatLon): string => `${x(p).toFixed(1)},${y(p).toFixed(1)}`;
  const fmtKm = (m: number): string => (m >= 1000 ? `${(m / 1000).toFixed(m >= 10_000 ? 0 : 1)} km` : `${Math.round(m)} m`);
  const barUnits = 150;

  return (
    <svg class="citymap" viewBox={`0 0 ${WIDTH} ${view.h.toFixed(1)}`} style={{ maxHeight: `${height}px` }} role="img" aria-label={`${label}: ${tracks.length} vehicles, ${rogues} rogue`}>
      <rect class="map-bg" x="0" y="0" width={WIDTH} height={view.h} />
      {city && (
        <g class="roads" aria-hidden="true">
          {city.roads.map((r) => (
            <line class={`road-casing road-${r.class ?? 'local'}`} x1={x(r.from)} y1={y(r.from)} x2={x(r.to)} y2={y(r.to)} />
          ))}
          {city.roads.map((r) => (
            <line class={`road road-${r.class ?? 'local'}`} x1={x(r.from)} y1={y(r.from)} x2={x(r.to)} y2={y(r.to)} />
          ))}
        </g>
      )}
      {city && (
        <g class="rsus">
          {city.rsus.map((r) => (
            <g>
              <circle class="rsu-range" cx={x(r)} cy={y(r)} r={r.range / view.metresPerUnit} />
              <rect class="rsu" x={x(r) - 4} y={y(r) - 4} width="8" height="8">
                <title>{`${r.id} (range ${r.range} m)`}</title>
              </rect>
            </g>
          ))}
        </g>
      )}
      {ordered.map((t) => {
        const pts = t.points.filter(view.inside);
        const last = pts[pts.length - 1];
        if (!last) return null;
        const segs = pts.slice(1).map((p, i) => ({ a: pts[i]!, b: p, bad: implausible(pts[i]!, p) }));
        const cls = `vehicle ${t.rogue ? 'rogue' : ''} ${t.id === focus ? 'focus' : ''}`;
        return (
          <a href={href('vehicle', t.id)} class={cls} data-vehicle={t.id} aria-label={`${t.id}${t.rogue ? ' (rogue)' : ''}`}>
            {segs.map((s) => (
              <line class={s.bad ? 'seg-jump' : 'seg'} x1={x(s.a)} y1={y(s.a)} x2={x(s.b)} y2={y(s.b)} />
            ))}
            {t.rogue && <polyline class="track-halo" points={pts.map(xy).join(' ')} />}
            {t.rogue && <circle class="halo" cx={x(last)} cy={y(last)} r="13" />}
            <circle class="pos" cx={x(last)} cy={y(last)} r={t.rogue || t.id === focus ? 6.5 : 3.5} />
            {(t.rogue || t.id === focus) && (
              <text class="vlabel" x={x(last) + 10} y={y(last) - 10}>
                {t.id}
              </text>
            )}
            <title>{`${t.id}${t.rogue ? ' — rogue' : ''}${segs.some((s) => s.bad) ? ' — implausible jumps' : ''}`}</title>
          </a>
        );
      })}
      <g class="scalebar" aria-hidden="true" transform={`translate(20 ${(view.h - 24).toFixed(1)})`}>
        <line x1="0" y1="0" x2={barUnits} y2="0" />
        <line x1="0" y1="-5" x2="0" y2="5" />
        <line x1={barUnits} y1="-5" x2={barUnits} y2="5" />
        <text x={barUnits / 2} y="-8">
          {fmtKm(barUnits * view.metresPerUnit)}
        </text>
      </g>
    </svg>
  );
}

interface MapVehicle {
  id: string;
  reputation: number | null;
  flagged: boolean;
  recentEvents: { timestamp: string; vehicle: { lat: number; lon: number; speed: number } | null }[];
}

export function MapPage() {
  const { token } = useSession();
  const city = useCity();
  const [vehicles, setVehicles] = useState<MapVehicle[] | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [updated, setUpdated] = useState<Date | null>(null);

  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      loadAllVehicles<MapVehicle>(token, 'id reputation flagged recentEvents(first: 8) { timestamp vehicle { lat lon speed } }').then(
        (v) => {
          if (!current) return;
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

  const tracks = useMemo<Track[]>(
    () =>
      (vehicles ?? []).map((v) => ({
        id: v.id,
        rogue: isRogue(v),
        points: v.recentEvents
          .filter((e) => e.vehicle)
          .map((e) => ({ t: new Date(e.timestamp).getTime(), lat: e.vehicle!.lat, lon: e.vehicle!.lon, speed: e.vehicle!.speed }))
          .reverse(),
      })),
    [vehicles],
  );
  const rogue = (vehicles ?? []).filter(isRogue).sort((a, b) => (a.reputation ?? 1) - (b.reputation ?? 1));

  return (
    <div class="page">
      <div class="page-head">
        <h1>City map</h1>
        <span class="muted small">{updated ? `updated ${updated.toLocaleTimeString([], { hour12: false })}, every 5 s` : 'loading…'}</span>
      </div>
      <ErrorBox error={error ?? city.error} />
      <div class="grid-map">
        <Panel title="Roads, roadside units and vehicles">
          {city.data !== undefined && vehicles ? (
            <CityMap city={city.data} tracks={tracks} label="City map" />
          ) : (
            <p class="loading">Loading…</p>
          )}
          {city.data === null && <p class="muted small">This node runs no simulator, so there is no road network to draw: tracks only.</p>}
        </Panel>
        <div class="stack">
          <Panel title="Rogue vehicles" actions={<span class="badge rogue-badge">{rogue.length}</span>}>
            <ul class="plain" aria-label="Rogue vehicles">
              {rogue.map((v) => (
                <li>
                  <a class="mono" href={href('vehicle', v.id)}>
                    {v.id}
                  </a>{' '}
                  <Reputation value={v.reputation} /> {v.flagged && <span class="badge flag">flagged</span>}
                </li>
              ))}
              {vehicles && rogue.length === 0 && <li class="muted">None right now.</li>}
            </ul>
          </Panel>
          <Panel title="Legend">
            <ul class="legend plain small">
              <li>
                <span class="key key-vehicle" /> vehicle, last reported position
              </li>
              <li>
                <span class="key key-rogue" /> rogue: flagged, or reputation under {ROGUE_REPUTATION}
              </li>
              <li>
                <span class="key key-jump" /> jump no vehicle could drive
              </li>
              <li>
                <span class="key key-rsu" /> roadside unit and its range
              </li>
              <li>
                <span class="key key-road" /> road (thicker: arterial)
              </li>
            </ul>
          </Panel>
        </div>
      </div>
    </div>
  );
}
