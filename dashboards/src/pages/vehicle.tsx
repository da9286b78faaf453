/** One vehicle: reputation over time, flags, its track, recent alerts and events, flag and clear. */
import { useState } from 'preact/hooks';
import { ACTION_FIELDS, can, gql, type ActionRecord, type ApiError, type Kinematics, type ReputationPoint, type Severity } from '../api.js';
import { TimeChart } from '../chart.js';
import { ErrorBox, Panel, Reputation, SeverityBadge, fmtTime, href, actionName, useQuery, useSession } from '../ui.js';
import { CityMap, trackFromEvents, useCity } from './city-map.js';
import { DecisionPanel } from './authority-decisions.js';
import { ROGUE_DEFINITION, type RogueDefinition } from './rogue-now.js';
import { Flags, isRogue, type VehicleRow } from './vehicles.js';

interface VehicleDetail extends VehicleRow {
  reputationHistory: ReputationPoint[];
  recentAlerts: { id: string; title: string; severity: Severity; timestamp: string; incident: { id: string } | null; evidenceIds: string[] }[];
  recentEvents: { id: string; timestamp: string; rsu?: string; vehicle: Kinematics | null }[];
  history: ActionRecord[];
}

const QUERY = `query Vehicle($id: ID!) {
  vehicle(id: $id) {
    id reputation flagged detectorFlagged flag { flagged reason by at } lastSeen alertCount rogueNow
    reputationHistory(limit: 500) { timestamp value flagged }
    recentAlerts(first: 10) { id title severity timestamp incident { id } evidenceIds }
    recentEvents(first: 30) { id timestamp vehicle { lat lon speed heading seq } }
    history { ${ACTION_FIELDS} }
  }
  ${ROGUE_DEFINITION}
}`;

export function VehiclePage({ id }: { id: string }) {
  const { me } = useSession();
  const { data, error, refetch } = useQuery<{ vehicle: VehicleDetail; rogueDefinition: RogueDefinition }>(QUERY, { id }, [id]);
  const city = useCity();
  const v = data?.vehicle;
  if (!v) {
    return (
      <div class="page">
        <ErrorBox error={error} />
        {!error && <p class="loading">Loading…</p>}
      </div>
    );
  }
  const hist = v.reputationHistory;
  const bound = data?.rogueDefinition.reputationBelow ?? Number.NaN;
  const track = trackFromEvents(v.id, isRogue(v), v.recentEvents);
  const evidence = new Set(v.recentAlerts.flatMap((a) => a.evidenceIds));
  return (
    <div class="page">
      <p class="crumbs">
        <a href={href(me.role === 'ANALYST' ? 'incidents' : 'vehicles')}>← {me.role === 'ANALYST' ? 'Incidents' : 'Vehicles'}</a>
      </p>
      <div class="page-head">
        <h1 class="mono">{v.id}</h1>
        <Reputation value={v.reputation} />
        <Flags v={v} />
        {isRogue(v) && <span class="badge rogue-badge">rogue</span>}
      </div>
      <dl class="facts">
        <div>
          <dt>Last seen</dt>
          <dd>{fmtTime(v.lastSeen)}</dd>
        </div>
        <div>
          <dt>Alerts</dt>
          <dd>{v.alertCount}</dd>
        </div>
        {v.flag && (
          <div>
            <dt>Authority's flag</dt>
            <dd>
              {v.flag.flagged ? 'flagged' : 'cleared'} by {v.flag.by} at {fmtTime(v.flag.at)} — “{v.flag.reason}”
            </dd>
          </div>
        )}
      </dl>
      <div class="grid-side">
        <div class="stack">
          <Panel title="Reputation history">
            {hist.length > 1 ? (
              <TimeChart
                label={`Reputation history of ${v.id}`}
                kind="line"
                yRange={[0, 1]}
                height={220}
                x={hist.map((p) => new Date(p.timestamp).getTime() / 1000)}
                series={[
                  { label: 'reputation', colour: '#2f6fb3', values: hist.map((p) => p.value) },
                  { label: `rogue threshold (${bound})`, colour: '#c92a3a', values: hist.map(() => bound), reference: true },
                ]}
                summary={`${hist.length} points from ${hist[0]!.value.toFixed(2)} to ${hist[hist.length - 1]!.value.toFixed(2)}`}
              />
            ) : (
              <p class="empty">Not enough history for a chart yet.</p>
            )}
          </Panel>
          <Panel title="Reported track" actions={<span class="muted small">last {track.points.length} positions; dashed red = a jump the detector raised an alert on</span>}>
            {city.data !== undefined ? <CityMap city={city.data} tracks={[track]} focus={v.id} evidence={evidence} fitTracks height={340} label={`Track of ${v.id}`} /> : <ErrorBox error={city.error} />}
          </Panel>
          <Panel title="Recent alerts">
            <ul class="plain">
              {v.recentAlerts.map((a) => (
                <li>
                  <SeverityBadge severity={a.severity} /> {a.incident && can(me.role, 'triage') ? <a href={href('incident', a.incident.id)}>{a.title}</a> : a.title}{' '}
                  <span class="muted small">{fmtTime(a.timestamp)}</span>
                </li>
              ))}
              {v.recentAlerts.length === 0 && <li class="muted">None.</li>}
            </ul>
          </Panel>
        </div>
        <div class="stack">
          <DecisionPanel id={v.id} canDecide={can(me.role, 'vehicles')} onDone={refetch} />
          {can(me.role, 'vehicles') && <FlagForm v={v} onDone={refetch} />}
          <Panel title="Authority history">
            <ul class="plain small">
              {v.history.map((h) => (
                <li>
                  {fmtTime(h.timestamp)} · {actionName(h.action)} by {h.actor}
                  {h.comment ? ` — “${h.comment}”` : ''}
                </li>
              ))}
              {v.history.length === 0 && <li class="muted">No actions yet.</li>}
            </ul>
          </Panel>
        </div>
      </div>
    </div>
  );
}

function FlagForm({ v, onDone }: { v: VehicleDetail; onDone: () => void }) {
  const { token } = useSession();
  const [reason, setReason] = useState('');
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const act = async (flag: boolean): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      const op = flag ? 'flagVehicle' : 'clearVehicle';
      await gql(token, `mutation ($id: ID!, $reason: String!) { ${op}(id: $id, reason: $reason) { vehicle { id flagged } action { id } } }`, { id: v.id, reason: reason.trim() });
      setReason('');
      onDone();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  const authorityFlagged = v.flag?.flagged ?? false;
  return (
    <Panel title="Flag or clear">
      <div class="triage">
        <label for="flag-reason">Reason</label>
        <textarea id="flag-reason" rows={2} value={reason} onInput={(e) => setReason(e.currentTarget.value)} placeholder="e.g. positions jump across the city" />
        <div class="button-row">
          <button type="button" class="danger" disabled={busy || reason.trim() === '' || authorityFlagged} onClick={() => act(true)}>
            Flag vehicle
          </button>
          <button type="button" disabled={busy || reason.trim() === '' || !authorityFlagged} onClick={() => act(false)}>
            Clear flag
          </button>
        </div>
        <p class="muted small">Both are written to the ledger with your name. The detector's own flag follows its reputation score.</p>
        <ErrorBox error={error} />
      </div>
    </Panel>
  );
}
