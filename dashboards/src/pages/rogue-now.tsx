/**
 * The transport authority's page: what is rogue now (trust under the detector's rogue
 * bound, or flagged by hand, minus what the authority overruled since), refreshed every
 * few seconds, and the latest decisions. History stays on each vehicle's page.
 */
import { useEffect } from 'preact/hooks';
import { ErrorBox, Panel, Reputation, fmtAgo, fmtTime, href, humanize, useQuery, EmptyRow } from '../ui.js';
import { DECISION_FIELDS, type Decision } from './authority-decisions.js';

interface RogueRow {
  why: 'BY_HAND' | 'REPUTATION';
  vehicle: { id: string; reputation: number | null; lastSeen: string | null; alertCount: number };
}

const QUERY = `query RogueNow {
  rogueNow(first: 500) { why vehicle { id reputation lastSeen alertCount } }
  authorityDecisions { ${DECISION_FIELDS} }
}`;

/** How often the list is read again, milliseconds (reputation moves with traffic). */
const REFRESH_MS = 5_000;

export function RogueNowPage() {
  const { data, error, refetch } = useQuery<{ rogueNow: RogueRow[]; authorityDecisions: Decision[] }>(QUERY, {}, []);
  useEffect(() => {
    const t = setInterval(refetch, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const rows = data?.rogueNow;
  const recent = (data?.authorityDecisions ?? []).slice(-15).reverse();
  return (
    <div class="page">
      <div class="page-head">
        <h1>Rogue now</h1>
        <span class="muted">{rows ? <strong class="rogue-text">{rows.length} rogue</strong> : null} · reputation under the rogue bound or flagged by hand, minus overrules</span>
      </div>
      <ErrorBox error={error} />
      <div class="grid-side">
        <Panel title="Rogue vehicles">
          <div class="table-wrap">
            <table class="table" aria-label="Rogue now">
              <thead>
                <tr>
                  <th>Vehicle</th>
                  <th>Why</th>
                  <th>Reputation</th>
                  <th class="num">Alerts</th>
                  <th>Last seen</th>
                </tr>
              </thead>
              <tbody>
                {rows?.map((r) => (
                  <tr class="rogue" data-vehicle={r.vehicle.id}>
                    <td class="mono">
                      <a href={href('vehicle', r.vehicle.id)}>{r.vehicle.id}</a>
                    </td>
                    <td>{r.why === 'BY_HAND' ? 'flagged by hand' : 'low reputation'}</td>
                    <td>
                      <Reputation value={r.vehicle.reputation} />
                    </td>
                    <td class="num">{r.vehicle.alertCount}</td>
                    <td>{fmtAgo(r.vehicle.lastSeen)}</td>
                  </tr>
                ))}
                {rows && rows.length === 0 && <EmptyRow cols={5}>Nothing is rogue now.</EmptyRow>}
              </tbody>
            </table>
          </div>
          {!rows && !error && <p class="loading">Loading…</p>}
        </Panel>
        <Panel title="Latest decisions">
          <ul class="plain small" aria-label="Latest decisions">
            {recent.map((d) => (
              <li>
                <a class="mono" href={href('vehicle', d.vehicleId)}>
                  {d.vehicleId}
                </a>{' '}
                {d.decision === 'CLEAR' ? `overruled (${humanize(d.reason ?? '')})` : 'flagged rogue'} by {d.by} · {fmtTime(d.at)} · ledger #{d.ledgerIndex ?? '?'}
              </li>
            ))}
            {data && recent.length === 0 && <li class="muted">No decisions yet.</li>}
          </ul>
        </Panel>
      </div>
    </div>
  );
}
