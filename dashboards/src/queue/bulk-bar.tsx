/**
 * Bulk triage: acknowledge, assign or resolve the selected incidents with one reason. Each
 * incident is still its own mutation and so its own ledger action (who, what, when, before,
 * after), sent one after another; what the API refused is listed with why.
 */
import { useState } from 'preact/hooks';
import { RESOLUTIONS, gql, type ApiError, type Resolution } from '../api.js';
import { humanize } from '../ui.js';

type Verb = 'acknowledge' | 'assign' | 'resolve';

const MUTATIONS: Record<Verb, string> = {
  acknowledge: 'mutation ($id: ID!, $comment: String) { acknowledgeIncident(id: $id, comment: $comment) { action { id } } }',
  assign: 'mutation ($id: ID!, $assignee: String!, $comment: String) { assignIncident(id: $id, assignee: $assignee, comment: $comment) { action { id } } }',
  resolve: 'mutation ($id: ID!, $reason: Resolution!, $comment: String) { resolveIncident(id: $id, reason: $reason, comment: $comment) { action { id } } }',
};

export function BulkBar({ token, selected, onDone }: { token: string; selected: string[]; onDone: (done: string[]) => void }) {
  const [comment, setComment] = useState('');
  const [assignee, setAssignee] = useState('');
  const [reason, setReason] = useState<Resolution>('FALSE_POSITIVE');
  const [busy, setBusy] = useState<string>('');
  const [report, setReport] = useState<{ ok: number; failed: Array<[string, string]> } | null>(null);

  const run = async (verb: Verb): Promise<void> => {
    const ids = [...selected];
    const done: string[] = [];
    const failed: Array<[string, string]> = [];
    for (const [n, id] of ids.entries()) {
      setBusy(`${humanize(verb)} ${n + 1} of ${ids.length}…`);
      try {
        await gql(token, MUTATIONS[verb], { id, ...(comment.trim() ? { comment: comment.trim() } : {}), ...(verb === 'assign' ? { assignee: assignee.trim() } : {}), ...(verb === 'resolve' ? { reason } : {}) });
        done.push(id);
      } catch (err) {
        failed.push([id, (err as ApiError).message]);
      }
    }
    setBusy('');
    setReport({ ok: done.length, failed });
    onDone(done);
  };

  return (
    <div class="bulk-bar" role="region" aria-label="Bulk triage">
      <strong>{selected.length} selected</strong>
      <input aria-label="Bulk reason" placeholder="reason (kept with each action)" value={comment} onInput={(e) => setComment(e.currentTarget.value)} />
      <button type="button" disabled={!!busy || selected.length === 0} onClick={() => void run('acknowledge')}>
        Acknowledge
      </button>
      <input aria-label="Bulk assignee" placeholder="assignee" value={assignee} onInput={(e) => setAssignee(e.currentTarget.value)} class="short" />
      <button type="button" disabled={!!busy || selected.length === 0 || !assignee.trim()} onClick={() => void run('assign')}>
        Assign
      </button>
      <select aria-label="Bulk resolution" value={reason} onChange={(e) => setReason(e.currentTarget.value as Resolution)}>
        {RESOLUTIONS.map((r) => (
          <option value={r}>{humanize(r)}</option>
        ))}
      </select>
      <button type="button" disabled={!!busy || selected.length === 0} onClick={() => void run('resolve')}>
        Resolve
      </button>
      <span role="status" class="small">
        {busy ||
          (report &&
            `${report.ok} recorded in the ledger${report.failed.length ? `; ${report.failed.length} refused: ${report.failed.slice(0, 3).map(([id, m]) => `${id.slice(0, 8)} ${m}`).join('; ')}` : ''}`)}
      </span>
    </div>
  );
}
