/**
 * The incident page's evidence panels: each alert (with its own evidence bundle), the
 * evidence events (a wrapped, scrolling table; a row opens the raw event JSON) and the
 * timeline of alerts, evidence and triage steps.
 */
import { useMemo, useState } from 'preact/hooks';
import { gql, type ApiError, type ActionRecord } from '../api.js';
import { EventFlyout } from './event-flyout.js';
import { ErrorBox, SeverityBadge, downloadJson, fmtTime, actionName, useSession } from '../ui.js';
import type { AlertDetail, EvidenceEvent, IncidentDetail } from './incident-types.js';

export function AlertItem({ alert }: { alert: AlertDetail }) {
  const { token } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const download = async (): Promise<void> => {
    try {
      const { evidence } = await gql<{ evidence: { json: unknown } | null }>(token, 'query ($id: ID!) { evidence(id: $id) { json } }', { id: alert.id });
      if (!evidence) throw new Error('the ledger has no entry for this alert yet (it is written at the next checkpoint)');
      downloadJson(`vigil-evidence-${alert.id.slice(0, 16)}.json`, evidence.json);
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <li class="alert-item">
      <div class="alert-line">
        <SeverityBadge severity={alert.severity} />
        <strong>{alert.title}</strong>
        <span class="muted small">{fmtTime(alert.timestamp)}</span>
        <span class="spacer" />
        <button type="button" class="small" onClick={download} aria-label={`Download evidence bundle for alert ${alert.title} at ${fmtTime(alert.timestamp)}`}>
          Download evidence
        </button>
      </div>
      <p class="small">{alert.description}</p>
      <p class="muted small">
        {alert.origin.type.toLowerCase()} {alert.origin.title ?? alert.origin.id} · score {alert.score.toFixed(0)} · {alert.evidenceIds.length} evidence event(s)
        {alert.tags.length ? ` · ${alert.tags.join(' ')}` : ''}
      </p>
      <ErrorBox error={error} />
    </li>
  );
}

export function describeEvent(e: EvidenceEvent): string {
  if (e.vehicle) {
    const v = e.vehicle;
    return `${v.lat.toFixed(5)}, ${v.lon.toFixed(5)} · ${v.speed.toFixed(1)} m/s · heading ${v.heading.toFixed(0)}°${v.seq != null ? ` · seq ${v.seq}` : ''}`;
  }
  const doc = (e.document ?? {}) as { source?: { ip?: string }; destination?: { ip?: string; port?: number }; network?: { transport?: string; protocol?: string; bytes?: number }; user?: { name?: string }; event?: { outcome?: string } };
  if (e.kind === 'NET' && doc.destination) {
    const n = doc.network ?? {};
    return `${doc.source?.ip ?? '?'} → ${doc.destination.ip ?? '?'}:${doc.destination.port ?? '?'} ${n.transport ?? ''}${n.bytes != null ? ` · ${n.bytes} B` : ''}`;
  }
  if (e.kind === 'AUTH' && doc.user) return `${e.action}: user ${doc.user.name ?? '?'} ${doc.event?.outcome ?? ''}${doc.source?.ip ? ` from ${doc.source.ip}` : ''}`;
  if (e.message) return e.message;
  if (e.metrics) return JSON.stringify(e.metrics);
  return e.action;
}

export function EvidenceTable({ alerts }: { alerts: AlertDetail[] }) {
  const events = useMemo(() => {
    const seen = new Map<string, EvidenceEvent>();
    for (const a of alerts) for (const e of a.evidence) seen.set(e.id, e);
    return [...seen.values()].sort((a, b) => a.timestamp.localeCompare(b.timestamp));
  }, [alerts]);
  const [open, setOpen] = useState<EvidenceEvent | null>(null);
  if (events.length === 0) return <p class="empty">No evidence events are still stored (the ledger keeps proving them).</p>;
  return (
    <div class="table-wrap evidence-wrap">
    {open && <EventFlyout id={open.id} title={`${open.kind.toLowerCase()} event at ${fmtTime(open.timestamp)}`} document={open.document} onClose={() => setOpen(null)} />}
    <table class="table compact evidence" aria-label="Evidence events">
      <thead>
        <tr>
          <th scope="col">Time</th>
          <th scope="col">Kind</th>
          <th scope="col">Source</th>
          <th scope="col">Reported</th>
        </tr>
      </thead>
      <tbody>
        {events.map((e) => (
          <tr class="clickable" onClick={() => setOpen(e)}>
            <td class="mono nowrap">
              <button type="button" class="linklike" aria-label={`Raw event ${e.id}`} onClick={(ev) => { ev.stopPropagation(); setOpen(e); }}>
                {fmtTime(e.timestamp)}
              </button>
            </td>
            <td>{e.kind.toLowerCase()}</td>
            <td>{e.source}</td>
            <td class="mono small">{describeEvent(e)}</td>
          </tr>
        ))}
      </tbody>
    </table>
    </div>
  );
}

export function Timeline({ incident, alerts }: { incident: IncidentDetail; alerts: AlertDetail[] }) {
  const rows = useMemo(() => {
    const out: Array<{ t: string; kind: 'alert' | 'event' | 'action'; text: string; who?: string }> = [];
    for (const a of alerts) {
      out.push({ t: a.timestamp, kind: 'alert', text: `${a.severity.toLowerCase()} alert: ${a.title}` });
      for (const e of a.evidence) out.push({ t: e.timestamp, kind: 'event', text: `${e.kind.toLowerCase()} ${describeEvent(e)}` });
    }
    for (const h of incident.history) {
      out.push({ t: h.timestamp, kind: 'action', text: `${actionName(h.action)}${actionDetail(h)}${h.comment ? ` — “${h.comment}”` : ''}`, who: `${h.actor} (${h.role.toLowerCase()})` });
    }
    const unique = new Map(out.map((r) => [`${r.kind}|${r.t}|${r.text}`, r]));
    // Newest first: the latest triage step and alert are what the analyst opens the page for.
    return [...unique.values()].sort((a, b) => b.t.localeCompare(a.t));
  }, [incident, alerts]);
  return (
    <ol class="timeline" aria-label="Timeline">
      {rows.map((r) => (
        <li class={`tl-${r.kind}`}>
          <span class="tl-time mono">{fmtTime(r.t)}</span>
          <span class="tl-kind">{r.kind}</span>
          <span class="tl-text">
            {r.text}
            {r.who && <span class="muted"> · {r.who}</span>}
          </span>
        </li>
      ))}
    </ol>
  );
}


/** What a triage step changed, in words: "assign to bob", "resolve as false positive". */
export function actionDetail(h: ActionRecord): string {
  const after = (h.after ?? {}) as { assignee?: string | null; resolution?: { reason?: string } | null };
  const before = (h.before ?? {}) as { assignee?: string | null };
  if (h.action === 'incident.assign') return ` to ${after.assignee ?? 'nobody'}${before.assignee ? ` (was ${before.assignee})` : ''}`;
  if (h.action === 'incident.resolve' && after.resolution?.reason) return ` as ${after.resolution.reason.replace(/_/g, ' ')}`;
  return '';
}
