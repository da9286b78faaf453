/**
 * The transport authority's page: what is rogue now, refreshed every few seconds, and the
 * latest decisions; history stays on each vehicle's page. "Rogue" has one definition, the
 * API's (api/resolvers/authority.ts `rogueWhy`, described by the `rogueDefinition` query):
 * flagged by hand, or trust under the detector's flag bound and heard lately, minus what the
 * authority overruled since. This page, the map's rogue list and the vehicle pages all read
 * it through the hooks below; none computes its own.
 */
import { useEffect, useState } from 'preact/hooks';
import { gql, type ApiError } from '../api.js';
import { ErrorBox, Panel, Reputation, fmtAgo, fmtTime, href, humanize, useQuery, useSession, EmptyRow } from '../ui.js';
import { DECISION_FIELDS, type Decision } from './authority-decisions.js';

export interface RogueRow {
  why: 'BY_HAND' | 'REPUTATION';
  vehicle: { id: string; reputation: number | null; flagged: boolean; lastSeen: string | null; alertCount: number };
}

/** The API's definition of a rogue vehicle (the `rogueDefinition` query). */
export interface RogueDefinition {
  reputationBelow: number;
  flagAfterMs: number;
  silentAfterMs: number;
}

export const ROGUE_DEFINITION = 'rogueDefinition { reputationBelow flagAfterMs silentAfterMs }';
const ROGUE_ROWS = `rogueNow(first: 500) { why vehicle { id reputation flagged lastSeen alertCount } }`;

/** How often the list is read again, milliseconds (reputation moves with traffic). */
const REFRESH_MS = 5_000;

/** What is rogue now and the definition, read every `REFRESH_MS`. */
export function useRogueNow(): { rows: RogueRow[] | null; definition: RogueDefinition | null; error: ApiError | null } {
  const { token } = useSession();
  const [state, setState] = useState<{ rows: RogueRow[] | null; definition: RogueDefinition | null; error: ApiError | null }>({ rows: null, definition: null, error: null });
  useEffect(() => {
    let current = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const load = (): void => {
      gql<{ rogueNow: RogueRow[]; rogueDefinition: RogueDefinition }>(token, `{ ${ROGUE_ROWS} ${ROGUE_DEFINITION} }`).then(
        (d) => current && setState({ rows: d.rogueNow, definition: d.rogueDefinition, error: null }),
        (error: ApiError) => current && setState((s) => ({ ...s, error })),
      ).finally(() => {
        if (current) timer = setTimeout(load, REFRESH_MS);
      });
    };
    load();
    return () => {
      current = false;
      if (timer) clearTimeout(timer);
    };
  }, [token]);
  return state;
}

/** The definition in words, for the pages' legends. */
export function rogueWords(d: RogueDefinition | null | undefined): string {
  if (!d) return 'flagged by hand, or reputation under the detector’s rogue bound, minus overrules';
  return `flagged by hand, or reputation under ${d.reputationBelow} and heard in the last ${Math.round(d.silentAfterMs / 60_000)} min, minus overrules`;
}

const QUERY = `query Decisions { authorityDecisions { ${DECISION_FIELDS} } }`;

export function RogueNowPage() {
  const { data, error: decisionsError, refetch } = useQuery<{ authorityDecisions: Decision[] }>(QUERY, {}, []);
  const { rows, definition, error } = useRogueNow();
  useEffect(() => {
    const t = setInterval(refetch, REFRESH_MS);
    return () => clearInterval(t);
  }, []);
  const recent = (data?.authorityDecisions ?? []).slice(-15).reverse();
  return (
    <div class="page">
      <div class="page-head">
        <h1>Rogue now</h1>
        <span class="muted">{rows ? <strong class="rogue-text">{rows.length} rogue</strong> : null} · {rogueWords(definition)}</span>
      </div>
      <ErrorBox error={error ?? decisionsError ?? null} />
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
