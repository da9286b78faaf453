/**
 * One incident: what it is, its alerts and their evidence events, a timeline of alerts,
 * evidence and triage steps, the entity's reputation, and the triage actions (each one a
 * ledger entry, see the API's `Action`).
 */
import { useEffect, useState } from 'preact/hooks';
import {
  ACTION_FIELDS,
  INCIDENT_SUMMARY,
  RESOLUTIONS,
  can,
  gql,
  subscribe,
  type ApiError,
  type ReputationPoint,
  type Resolution,
} from '../api.js';
import { TimeChart } from '../chart.js';
import { AlertItem, EvidenceTable, Timeline } from './incident-parts.js';
import { CaseBundleButton } from './case-download.js';
import { queueHref } from '../queue/state.js';
import { ErrorBox, Panel, Reputation, SeverityBadge, StatusBadge, fmtTime, href, humanize, useQuery, useSession } from '../ui.js';

import type { IncidentDetail } from './incident-types.js';

const QUERY = `query Incident($id: ID!) {
  incident(id: $id) {
    ${INCIDENT_SUMMARY}
    resolution { reason comment by at }
    severityReasons
    alertsTruncated { total kept }
    alerts(first: 50) { totalCount edges { node {
      id timestamp severity score title description category tags origin { type id title } evidenceIds evidenceTruncated { total kept }
      evidence(first: 10) { id timestamp kind action message source vehicle { lat lon speed heading accel seq } metrics document }
    } } }
    history { ${ACTION_FIELDS} }
  }
}`;

const PAYLOAD = `incident { id status version } action { id action }`;

export function IncidentPage({ id }: { id: string }) {
  const { token, me } = useSession();
  const { data, error, loading, refetch } = useQuery<{ incident: IncidentDetail | null }>(QUERY, { id }, [id]);
  const incident = data?.incident;

  // Someone else's triage (or the detector adding alerts) shows up without a reload.
  useEffect(() => {
    return subscribe(token, `subscription ($id: ID) { incidentChanged(id: $id) { incident { id version } } }`, { id }, { next: () => refetch() });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [token, id]);

  if (!incident) {
    return (
      <div class="page">
        <p>
          <a href={queueHref()}>← Incidents</a>
        </p>
        <ErrorBox error={error} />
        {!loading && !error && <p>No incident {id}.</p>}
        {loading && <p class="loading">Loading…</p>}
      </div>
    );
  }
  const alerts = incident.alerts.edges.map((e) => e.node);
  return (
    <div class="page">
      <p class="crumbs">
        <a href={queueHref()}>← Incidents</a>
      </p>
      <div class="page-head">
        <h1>{incident.title}</h1>
        <SeverityBadge severity={incident.severity} />
        <StatusBadge status={incident.status} />
        <span class="spacer" />
        <CaseBundleButton id={incident.id} title={incident.title} />
      </div>
      <dl class="facts">
        <div>
          <dt>Entity</dt>
          <dd>
            {incident.entity.type === 'VEHICLE' ? <a href={href('vehicle', incident.entity.id)}>{incident.entity.id}</a> : incident.entity.id}{' '}
            <span class="muted">{incident.entity.type.toLowerCase()}</span>
          </dd>
        </div>
        <div>
          <dt>Severity from</dt>
          <dd class="small">{incident.severityReasons.length ? incident.severityReasons.join('; ') : '—'}</dd>
        </div>
        <div>
          <dt>Kind</dt>
          <dd>{incident.categories.map(humanize).join(', ') || '—'}</dd>
        </div>
        <div>
          <dt>First seen</dt>
          <dd>{fmtTime(incident.firstSeen)}</dd>
        </div>
        <div>
          <dt>Last seen</dt>
          <dd>{fmtTime(incident.lastSeen)}</dd>
        </div>
        <div>
          <dt>Alerts</dt>
          <dd>{incident.alertCount}</dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd>{incident.assignee ?? <span class="muted">nobody</span>}</dd>
        </div>
        {incident.resolution && (
          <div>
            <dt>Resolution</dt>
            <dd>
              {humanize(incident.resolution.reason)} by {incident.resolution.by}
              {incident.resolution.comment ? ` — “${incident.resolution.comment}”` : ''}
            </dd>
          </div>
        )}
      </dl>

      <div class="grid-side">
        <div class="stack">
          <Panel title="Alerts" actions={<span class="muted small">{incident.alertsTruncated ? `${incident.alertsTruncated.kept} of ${incident.alertsTruncated.total} kept` : `${alerts.length}`}</span>}>
            <ul class="alerts">
              {alerts.map((a) => (
                <AlertItem alert={a} />
              ))}
            </ul>
          </Panel>
          <Panel title="Evidence events" actions={<span class="muted small">up to 10 per alert, oldest first</span>}>
            <EvidenceTable alerts={alerts} />
          </Panel>
          <Panel title="Timeline" actions={<span class="muted small">newest first</span>}>
            <Timeline incident={incident} alerts={alerts} />
          </Panel>
        </div>
        <div class="stack">
          {can(me.role, 'triage') && incident && <Triage incident={incident} token={token} onDone={refetch} />}
          <EntityReputation type={incident.entity.type} id={incident.entity.id} />
        </div>
      </div>
    </div>
  );
}

function Triage({ incident, token, onDone }: { incident: IncidentDetail; token: string; onDone: () => void }) {
  const [comment, setComment] = useState('');
  const [assignee, setAssignee] = useState(incident.assignee ?? '');
  const [reason, setReason] = useState<Resolution>('TRUE_POSITIVE');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [done, setDone] = useState('');
  const resolved = incident.status === 'RESOLVED';

  const run = async (label: string, mutation: string, vars: Record<string, unknown>): Promise<void> => {
    setBusy(true);
    setError(null);
    try {
      await gql(token, mutation, { id: incident.id, ...vars, ...(comment.trim() ? { comment: comment.trim() } : {}) });
      setComment('');
      setDone(`${label}: recorded in the ledger.`);
      onDone();
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Panel title="Triage">
      <div class="triage">
        <label for="triage-comment">Comment</label>
        <textarea id="triage-comment" rows={3} value={comment} onInput={(e) => setComment(e.currentTarget.value)} placeholder="Optional with every action; required to comment" />
        <div class="button-row">
          <button
            type="button"
            class="primary"
            disabled={busy || incident.status !== 'OPEN'}
            onClick={() => run('Acknowledged', `mutation ($id: ID!, $comment: String) { acknowledgeIncident(id: $id, comment: $comment) { ${PAYLOAD} } }`, {})}
          >
            Acknowledge
          </button>
          <button type="button" disabled={busy || comment.trim() === ''} onClick={() => run('Commented', `mutation ($id: ID!, $comment: String!) { commentIncident(id: $id, comment: $comment) { ${PAYLOAD} } }`, {})}>
            Comment
          </button>
        </div>

        <label for="triage-assignee">Assignee</label>
        <div class="input-row">
          <input id="triage-assignee" value={assignee} onInput={(e) => setAssignee(e.currentTarget.value)} placeholder="analyst name" />
          <button
            type="button"
            disabled={busy || assignee.trim() === ''}
            onClick={() => run('Assigned', `mutation ($id: ID!, $assignee: String!, $comment: String) { assignIncident(id: $id, assignee: $assignee, comment: $comment) { ${PAYLOAD} } }`, { assignee: assignee.trim() })}
          >
            Assign
          </button>
        </div>

        {resolved ? (
          <div class="button-row">
            <button type="button" disabled={busy} onClick={() => run('Reopened', `mutation ($id: ID!, $comment: String) { reopenIncident(id: $id, comment: $comment) { ${PAYLOAD} } }`, {})}>
              Reopen
            </button>
          </div>
        ) : (
          <>
            <label for="triage-reason">Resolution reason</label>
            <div class="input-row">
              <select id="triage-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as Resolution)}>
                {RESOLUTIONS.map((r) => (
                  <option value={r}>{humanize(r)}</option>
                ))}
              </select>
              <button
                type="button"
                class="danger"
                disabled={busy}
                onClick={() => run('Resolved', `mutation ($id: ID!, $reason: Resolution!, $comment: String) { resolveIncident(id: $id, reason: $reason, comment: $comment) { ${PAYLOAD} } }`, { reason })}
              >
                Resolve
              </button>
            </div>
          </>
        )}
        <ErrorBox error={error} />
        {done && !error && (
          <p class="ok small" role="status">
            {done}
          </p>
        )}
      </div>
    </Panel>
  );
}

function EntityReputation({ type, id }: { type: string; id: string }) {
  const field = type === 'VEHICLE' ? 'vehicle' : type === 'DEVICE' ? 'device' : undefined;
  const { data, error } = useQuery<Record<string, { reputation: number | null; flagged: boolean; detectorFlagged: boolean; reputationHistory: ReputationPoint[] }>>(
    field ? `query ($id: ID!) { e: ${field}(id: $id) { reputation flagged detectorFlagged reputationHistory(limit: 300) { timestamp value flagged } } }` : '{ me { name } }',
    { ...(field ? { id } : {}) },
    [id],
  );
  if (!field) return null;
  const e = data?.['e'];
  const hist = e?.reputationHistory ?? [];
  return (
    <Panel title="Entity reputation">
      <ErrorBox error={error} />
      {e && (
        <>
          <p>
            <Reputation value={e.reputation} /> {e.flagged && <span class="badge flag">flagged{e.detectorFlagged ? ' by the detector' : ''}</span>}
          </p>
          {hist.length > 1 ? (
            <TimeChart
              label={`Reputation of ${id}`}
              kind="line"
              yRange={[0, 1]}
              height={160}
              x={hist.map((p) => new Date(p.timestamp).getTime() / 1000)}
              series={[{ label: 'reputation', colour: '#2f6fb3', values: hist.map((p) => p.value) }]}
              summary={`from ${hist[0]!.value.toFixed(2)} to ${hist[hist.length - 1]!.value.toFixed(2)}`}
            />
          ) : (
            <p class="muted small">Not enough history for a chart yet.</p>
          )}
          {type === 'VEHICLE' && (
            <p class="small">
              <a href={href('vehicle', id)}>Vehicle page →</a>
            </p>
          )}
        </>
      )}
    </Panel>
  );
}
