/**
 * The city on a Leaflet map — roads and roadside units from the node's city file (GeoJSON,
 * TRANSFER-SPEC §1, served at `/city.json` to signed-in users), vehicles on top — with no tile
 * server (the machines are offline): the roads are the base layer. Zoom and pan are Leaflet's;
 * vehicles close together on screen are drawn as one numbered cluster (rogue and focused
 * vehicles never are), and a vehicle fades as its last report ages. A track's segment is drawn
 * dashed red when its later report is evidence of one of the vehicle's alerts: the jump is the
 * detector's finding, not the page's guess.
 */
import L from 'leaflet';
import 'leaflet/dist/leaflet.css';
import { useEffect, useRef, useState } from 'preact/hooks';
import { href, useSession } from '../ui.js';

export interface LatLon {
  lat: number;
  lon: number;
}

/** The city file as GeoJSON (roads, rsus, service area). */
export interface CityGeo {
  type: 'FeatureCollection';
  name?: string;
  features: Array<{ type: 'Feature'; properties: Record<string, unknown> & { kind?: string }; geometry: { type: string; coordinates: unknown } }>;
}

export interface TrackPoint extends LatLon {
  t: number;
  speed: number;
  /** The event id: a point whose event is evidence of an alert marks the jump to it. */
  id?: string;
}

export interface Track {
  id: string;
  rogue: boolean;
  /** Oldest first. */
  points: TrackPoint[];
}

/** What `recentEvents { id timestamp vehicle { lat lon speed } }` gives, newest first. */
export interface ReportedEvent {
  id?: string;
  timestamp: string;
  vehicle: { lat: number; lon: number; speed: number } | null;
}

/** A vehicle's reported positions, oldest first (the map page and the vehicle page alike). */
export function trackFromEvents(id: string, rogue: boolean, events: readonly ReportedEvent[]): Track {
  const points: TrackPoint[] = [];
  for (const e of events) {
    if (!e.vehicle) continue;
    points.push({ t: new Date(e.timestamp).getTime(), lat: e.vehicle.lat, lon: e.vehicle.lon, speed: e.vehicle.speed, ...(e.id ? { id: e.id } : {}) });
  }
  return { id, rogue, points: points.reverse() };
}

let cityCache: Promise<CityGeo | null> | undefined;

/** The node's city file; null when it has none (the map then shows tracks only). */
export function useCity(): { data?: CityGeo | null; error?: Error } {
  const { token } = useSession();
  const [state, setState] = useState<{ data?: CityGeo | null; error?: Error }>({});
  useEffect(() => {
    cityCache ??= fetch('/city.json', { headers: { Authorization: `Bearer ${token}` } }).then(async (res) => {
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`/city.json answered ${res.status}`);
      return (await res.json()) as CityGeo;
    });
    cityCache.then(
      (data) => setState({ data }),
      (error: Error) => {
        cityCache = undefined;
        setState({ error });
      },
    );
  }, [token]);
  return state;
}

/** Reports older than this are faded out (a vehicle that stopped sending is not "here"). */
export const STALE_MS = 120_000;
/** Screen distance, pixels: vehicles this close to a cluster's first member join it. */
const CLUSTER_PX = 44;

export interface CityMapProps {
  city: CityGeo | null;
  tracks: Track[];
  focus?: string | undefined;
  /** Event ids that are evidence of an alert: the segment ending there is a marked jump. */
  evidence?: ReadonlySet<string>;
  height?: number;
  label: string;
  /** Fit the view to the tracks (a vehicle's page) rather than the whole city. */
  fitTracks?: boolean;
  /** Clock for fading, epoch ms. */
  now?: number;
  onSelect?: (id: string) => void;
}

function cityLayer(city: CityGeo): L.GeoJSON {
  // The options reach each road's polyline constructor: the only way Leaflet sets its class.
  const options: L.GeoJSONOptions & L.PathOptions = {
    className: 'map-road',
    filter: (f) => f.properties?.kind === 'road' || f.properties?.kind === 'rsu',
    // Applied to every layer of a feature, the RSU's too: those keep their own colours.
    style: (f) => (f?.properties?.kind === 'road' ? { color: '#6b7785', weight: 4, opacity: 0.85 } : {}),
    pointToLayer: (f, ll) => {
      const range = Number(f.properties?.range_m ?? 0);
      const g = L.featureGroup([L.circle(ll, { radius: range, color: '#3a7d44', weight: 1, fillOpacity: 0.05, interactive: false, className: 'map-rsu-range' })]);
      g.addLayer(L.circleMarker(ll, { radius: 5, color: '#1f5f2a', fillColor: '#3a7d44', fillOpacity: 1, weight: 2, className: 'map-rsu' }).bindTooltip(`${String(f.properties?.id)} (range ${range} m)`));
      return g as unknown as L.Layer;
    },
  };
  return L.geoJSON(city as unknown as GeoJSON.GeoJsonObject, options);
}

/** The roads' and RSUs' extent ([lon, lat] pairs at any depth of nesting). */
function cityBounds(city: CityGeo): L.LatLngBounds {
  const b = L.latLngBounds([]);
  const walk = (c: unknown): void => {
    if (!Array.isArray(c)) return;
    if (typeof c[0] === 'number' && typeof c[1] === 'number') b.extend([c[1], c[0]]);
    else for (const x of c) walk(x);
  };
  for (const f of city.features) if (f.properties.kind === 'road' || f.properties.kind === 'rsu') walk(f.geometry.coordinates);
  return b;
}

function drawTracks(map: L.Map, group: L.LayerGroup, p: CityMapProps): void {
  group.clearLayers();
  const now = p.now ?? Date.now();
  const clusters: Array<{ at: L.Point; members: Track[] }> = [];
  for (const t of p.tracks) {
    const last = t.points[t.points.length - 1];
    if (!last) continue;
    const special = t.rogue || t.id === p.focus;
    const age = now - last.t;
    const opacity = age <= STALE_MS / 4 ? 1 : Math.max(0.2, 1 - age / STALE_MS);
    if (special) {
      const lls = t.points.map((q) => L.latLng(q.lat, q.lon));
      for (let i = 1; i < lls.length; i++) {
        const jump = p.evidence?.has(t.points[i]!.id ?? '') ?? false;
        group.addLayer(L.polyline([lls[i - 1]!, lls[i]!], { color: jump ? '#c92a3a' : t.rogue ? '#e0707a' : '#2f6fb3', weight: jump ? 3 : 2, dashArray: jump ? '6 5' : undefined, opacity, className: jump ? 'map-jump' : 'map-seg' }));
      }
    }
    if (!special) {
      // Greedy: join the first cluster whose first member is within CLUSTER_PX on screen.
      const pt = map.latLngToLayerPoint([last.lat, last.lon]);
      const near = clusters.find((c) => c.at.distanceTo(pt) <= CLUSTER_PX);
      if (near) near.members.push(t);
      else clusters.push({ at: pt, members: [t] });
      continue;
    }
    const m = L.circleMarker([last.lat, last.lon], { radius: 7, color: t.rogue ? '#8c1d28' : '#1d4f85', fillColor: t.rogue ? '#c92a3a' : '#2f6fb3', fillOpacity: opacity, opacity, weight: 2, className: `map-vehicle ${t.rogue ? 'rogue' : 'focus'}${age > STALE_MS ? ' stale' : ''}` });
    // Only the focused vehicle is labelled for good: many rogue labels in one street overlap.
    m.bindTooltip(`${t.id}${t.rogue ? ' (rogue)' : ''}`, { permanent: t.id === p.focus, direction: 'right', className: 'map-label' });
    m.on('click', () => (p.onSelect ? p.onSelect(t.id) : (location.hash = href('vehicle', t.id))));
    group.addLayer(m);
  }
  for (const { members } of clusters) {
    if (members.length === 1) {
      const t = members[0]!;
      const last = t.points[t.points.length - 1]!;
      const age = now - last.t;
      const opacity = age <= STALE_MS / 4 ? 1 : Math.max(0.2, 1 - age / STALE_MS);
      const m = L.circleMarker([last.lat, last.lon], { radius: 4, color: '#1d4f85', fillColor: '#2f6fb3', fillOpacity: opacity, opacity, weight: 1, className: age > STALE_MS ? 'map-vehicle stale' : 'map-vehicle' }).bindTooltip(t.id);
      m.on('click', () => (p.onSelect ? p.onSelect(t.id) : (location.hash = href('vehicle', t.id))));
      group.addLayer(m);
      continue;
    }
    const lat = members.reduce((s, t) => s + t.points[t.points.length - 1]!.lat, 0) / members.length;
    const lon = members.reduce((s, t) => s + t.points[t.points.length - 1]!.lon, 0) / members.length;
    const icon = L.divIcon({ className: 'map-cluster', html: `<span>${members.length}</span>`, iconSize: [30, 30] });
    const c = L.marker([lat, lon], { icon, title: `${members.length} vehicles`, keyboard: true });
    c.on('click', () => map.setView([lat, lon], Math.min(map.getZoom() + 2, map.getMaxZoom())));
    group.addLayer(c);
  }
}

/** A Leaflet map of the city with the given tracks; redraws the vehicles on change, keeps the view. */
export function CityMap(p: CityMapProps) {
  const el = useRef<HTMLDivElement>(null);
  const state = useRef<{ map: L.Map; vehicles: L.LayerGroup; fitted: boolean; focused?: string | undefined } | null>(null);
  const props = useRef(p);
  props.current = p;
  useEffect(() => {
    if (!el.current) return;
    // Programmatic fits do not animate: a page left while Leaflet animates one would have its
    // panes read after map.remove() ("reading '_leaflet_pos'").
    const map = L.map(el.current, { attributionControl: false, zoomSnap: 0.25, maxZoom: 20 });
    // The view first: Leaflet projects (and can bound) a layer only on a map that has one.
    const bounds = p.city ? cityBounds(p.city) : null;
    if (bounds?.isValid()) map.fitBounds(bounds, { padding: [16, 16], animate: false });
    else map.setView([0, 0], 2);
    // The panel may still be laying out: fit again once it has its size.
    const frame = requestAnimationFrame(() => {
      map.invalidateSize();
      if (bounds?.isValid() && !state.current?.fitted && !state.current?.focused) map.fitBounds(bounds, { padding: [16, 16], animate: false });
    });
    if (p.city) cityLayer(p.city).addTo(map);
    const vehicles = L.layerGroup().addTo(map);
    L.control.scale({ imperial: false }).addTo(map);
    state.current = { map, vehicles, fitted: false };
    map.on('zoomend moveend', () => drawTracks(map, vehicles, props.current));
    return () => {
      cancelAnimationFrame(frame);
      map.off();
      map.stop();
      map.remove();
      state.current = null;
    };
  }, [p.city]);
  useEffect(() => {
    const s = state.current;
    if (!s) return;
    if (!s.fitted && (p.fitTracks || !p.city)) {
      const pts = p.tracks.flatMap((t) => t.points.map((q) => L.latLng(q.lat, q.lon)));
      if (pts.length > 0) {
        s.map.fitBounds(L.latLngBounds(pts), { padding: [40, 40], maxZoom: 18, animate: false });
        s.fitted = true;
      }
    }
    // A vehicle found or chosen for replay: its whole track in view, once per choice.
    const chosen = p.focus ? p.tracks.find((t) => t.id === p.focus) : undefined;
    if (chosen && chosen.points.length > 0 && s.focused !== chosen.id) {
      s.focused = chosen.id;
      s.map.fitBounds(L.latLngBounds(chosen.points.map((q) => L.latLng(q.lat, q.lon))), { padding: [40, 40], maxZoom: 18, animate: false });
    }
    if (!p.focus) s.focused = undefined;
    drawTracks(s.map, s.vehicles, p);
  });
  const rogues = p.tracks.filter((t) => t.rogue).length;
  return <div ref={el} class="leafmap" style={{ height: `${p.height ?? 640}px` }} role="region" aria-label={`${p.label}: ${p.tracks.length} vehicles, ${rogues} rogue`} />;
}
