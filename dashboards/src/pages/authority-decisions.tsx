/**
 * The transport authority's decisions on one vehicle, for its page: overrule the
 * detector's flag with a reason, flag it rogue by hand, and every decision so far with
 * who, when, why and its ledger entry.
 */
import { useState } from 'preact/hooks';
import { gql, type ApiError } from '../api.js';
import { ErrorBox, Panel, fmtTime, humanize, useQuery, useSession } from '../ui.js';

export type OverruleReason = 'FALSE_POSITIVE' | 'TEST_VEHICLE' | 'FIXED';
export const OVERRULE_REASONS: readonly OverruleReason[] = ['FALSE_POSITIVE', 'TEST_VEHICLE', 'FIXED'];

export interface Decision {
  id: string;
  vehicleId: string;
  decision: 'CLEAR' | 'ROGUE';
  reason: OverruleReason | null;
  comment: string;
  by: string;
  at: string;
  alertIds: string[];
  ledgerIndex: number | null;
}

export const DECISION_FIELDS = `id vehicleId decision reason comment by at alertIds ledgerIndex`;

const QUERY = `query Decisions($id: ID!) { vehicle(id: $id) { id rogueNow detectorFlagged decisions { ${DECISION_FIELDS} } } }`;

export function DecisionPanel({ id, canDecide, onDone }: { id: string; canDecide: boolean; onDone: () => void }) {
  const { token } = useSession();
  const { data, error, refetch } = useQuery<{ vehicle: { rogueNow: boolean; detectorFlagged: boolean; decisions: Decision[] } }>(QUERY, { id }, [id]);
  const [reason, setReason] = useState<OverruleReason>('FALSE_POSITIVE');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [failed, setFailed] = useState<ApiError | null>(null);
  const v = data?.vehicle;
  const decide = async (op: 'overrule' | 'rogue'): Promise<void> => {
    setBusy(true);
    setFailed(null);
    try {
      const mutation =
        op === 'overrule'
          ? `mutation ($id: ID!, $reason: OverruleReason!, $comment: String!) { overruleVehicle(id: $id, reason: $reason, comment: $comment) { decision { id } } }`
          : `mutation ($id: ID!, $comment: String!) { flagVehicleRogue(id: $id, comment: $comment) { decision { id } } }`;
      await gql(token, mutation, op === 'overrule' ? { id, reason, comment: comment.trim() } : { id, comment: comment.trim() });
      setComment('');
      refetch();
      onDone();
    } catch (err) {
      setFailed(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Panel title="Authority's decision" actions={v ? <span class={v.rogueNow ? 'badge rogue-badge' : 'badge'}>{v.rogueNow ? 'rogue now' : 'not rogue now'}</span> : null}>
      <ErrorBox error={error} />
      {canDecide && (
        <div class="triage">
          <label for="overrule-reason">Overrule because</label>
          <select id="overrule-reason" value={reason} onChange={(e) => setReason(e.currentTarget.value as OverruleReason)}>
            {OVERRULE_REASONS.map((r) => (
              <option value={r}>{humanize(r)}</option>
            ))}
          </select>
          <label for="decision-comment">Why (written to the ledger)</label>
          <textarea id="decision-comment" rows={2} value={comment} onInput={(e) => setComment(e.currentTarget.value)} placeholder="e.g. city fleet test car, plate on file" />
          <div class="button-row">
            <button type="button" disabled={busy || comment.trim() === ''} onClick={() => decide('overrule')}>
              Overrule detector
            </button>
            <button type="button" class="danger" disabled={busy || comment.trim() === ''} onClick={() => decide('rogue')}>
              Flag rogue by hand
            </button>
          </div>
          <ErrorBox error={failed} />
        </div>
      )}
      <ul class="plain small decisions">
        {v?.decisions.map((d) => (
          <li>
            <strong>{d.decision === 'CLEAR' ? `overruled (${humanize(d.reason ?? '')})` : 'flagged rogue by hand'}</strong> by {d.by} at {fmtTime(d.at)} — “{d.comment}”
            <span class="muted"> · {d.alertIds.length} alert(s) · ledger entry #{d.ledgerIndex ?? '?'}</span>
          </li>
        ))}
        {v && v.decisions.length === 0 && <li class="muted">No decisions yet.</li>}
      </ul>
    </Panel>
  );
}
