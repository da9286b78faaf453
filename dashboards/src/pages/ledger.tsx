/**
 * The auditor's view of the ledger: its size, the latest signed and published checkpoints,
 * the witnesses' cosignatures, the public key to pin, and evidence bundles to download for
 * any alert (or event, or action) id.
 */
import { useState } from 'preact/hooks';
import { gql, type ApiError, type Severity } from '../api.js';
import { AnchorsPanel } from './anchors.js';
import { ErrorBox, Panel, SeverityBadge, downloadJson, fmtTime, href, useQuery, useSession } from '../ui.js';

interface Checkpoint {
  origin: string;
  size: number;
  root: string;
  prev: string;
  timestamp: string;
  keyId: string;
  signature: string;
}

interface Cosignature {
  witness: string;
  keyId: string;
  publicKey: string;
  time: number;
  signature: string;
}

const CHECKPOINT = 'origin size root prev timestamp keyId signature';

const QUERY = `{
  ledgerStatus { origin size publicKey latestCheckpoint { ${CHECKPOINT} } latestPublished { ${CHECKPOINT} } }
  alerts(first: 15) { edges { node { id title severity timestamp entity { id } } } }
}`;

interface LedgerData {
  ledgerStatus: { origin: string; size: number; publicKey: string; latestCheckpoint: Checkpoint | null; latestPublished: Checkpoint | null };
  alerts: { edges: { node: { id: string; title: string; severity: Severity; timestamp: string; entity: { id: string } } }[] };
}

/** Fetch the bundle proving ledger entry `id` and save it; throws when there is none yet. */
export async function downloadBundle(token: string, id: string): Promise<unknown> {
  const { evidence } = await gql<{ evidence: { json: unknown } | null }>(token, 'query ($id: ID!) { evidence(id: $id) { json } }', { id });
  if (!evidence) throw new Error(`no ledger entry with id ${id} is covered by a checkpoint yet`);
  downloadJson(`vigil-evidence-${id.slice(0, 16)}.json`, evidence.json);
  return evidence.json;
}

type Cosigs = { size: number; list: Cosignature[] };
type RecentAlert = LedgerData['alerts']['edges'][number]['node'];

export function LedgerPage() {
  const { data, error, refetch, loading } = useQuery<LedgerData>(QUERY, {});
  // Shown for the newest alert's checkpoint on request, or for the bundle last downloaded.
  const [cosigs, setCosigs] = useState<Cosigs | null>(null);
  const s = data?.ledgerStatus;
  return (
    <div class="page">
      <div class="page-head">
        <h1>Ledger</h1>
        <span class="spacer" />
        <button type="button" onClick={refetch} disabled={loading}>
          Refresh
        </button>
        <a class="button primary" href={href('verify')}>
          Verify a bundle
        </a>
      </div>
      <ErrorBox error={error} />
      {s && (
        <>
          <div class="stats">
            <Stat value={s.size} label="entries" />
            <Stat value={s.latestCheckpoint?.size} label="signed" />
            <Stat value={s.latestPublished?.size} label="published" />
          </div>
          <div class="grid-2">
            <Panel title="Latest signed checkpoint">
              <CheckpointView c={s.latestCheckpoint} />
            </Panel>
            <Panel title="Latest published checkpoint">
              <CheckpointView c={s.latestPublished} />
            </Panel>
          </div>
          <AnchorsPanel />
          <CosignaturesPanel cosigs={cosigs} newest={data.alerts.edges[0]?.node.id} onLoaded={setCosigs} />
          <div class="grid-2">
            <DownloadPanel alerts={data.alerts.edges.map((e) => e.node)} onSaved={setCosigs} />
            <Panel title="Log public key">
              <p class="small muted">
                Pin this key ({s.origin}); with it alone, a bundle can be checked offline (<code>vigil verify-proof</code>) or on the verify page.
              </p>
              <pre class="key" aria-label="Log public key (PEM)">
                {s.publicKey}
              </pre>
            </Panel>
          </div>
        </>
      )}
    </div>
  );
}

function Stat({ value, label }: { value: number | undefined; label: string }) {
  return (
    <div class="stat static">
      <span class="stat-value">{value?.toLocaleString() ?? '—'}</span>
      <span class="stat-label">{label}</span>
    </div>
  );
}

/** Witness cosignatures travel with evidence bundles: those of the checkpoint proving the newest alert, on request. */
function CosignaturesPanel({ cosigs, newest, onLoaded }: { cosigs: Cosigs | null; newest: string | undefined; onLoaded: (c: Cosigs) => void }) {
  const { token } = useSession();
  const [error, setError] = useState<ApiError | null>(null);
  const load = async (): Promise<void> => {
    if (!newest) return;
    setError(null);
    try {
      const { evidence } = await gql<{ evidence: { checkpoint: { size: number }; cosignatures: Cosignature[] } | null }>(
        token,
        'query ($id: ID!) { evidence(id: $id) { checkpoint { size } cosignatures { witness keyId publicKey time signature } } }',
        { id: newest },
      );
      if (evidence) onLoaded({ size: evidence.checkpoint.size, list: evidence.cosignatures });
    } catch (err) {
      setError(err as ApiError);
    }
  };
  return (
    <Panel
      title="Witness cosignatures"
      actions={
        <button type="button" class="small" onClick={load} disabled={!newest}>
          Show for the newest alert's checkpoint
        </button>
      }
    >
      <ErrorBox error={error} />
      {!cosigs ? (
        <p class="muted small">Cosignatures travel with evidence bundles. Load them for the checkpoint that proves the newest alert.</p>
      ) : cosigs.list.length === 0 ? (
        <p class="small">Checkpoint of size {cosigs.size.toLocaleString()}: no witness has co-signed it (this node has no witnesses configured, or they have not answered yet).</p>
      ) : (
        <table class="table compact" aria-label="Witness cosignatures">
          <thead>
            <tr>
              <th scope="col">Witness</th>
              <th scope="col">Key id</th>
              <th scope="col">Time</th>
              <th scope="col">Signature</th>
            </tr>
          </thead>
          <tbody>
            {cosigs.list.map((c) => (
              <tr>
                <td>{c.witness}</td>
                <td class="mono">{c.keyId}</td>
                <td>{fmtTime(c.time * 1000)}</td>
                <td class="mono small">{c.signature.slice(0, 32)}…</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Panel>
  );
}

/** An evidence bundle for any id typed, or for one of the recent alerts; its cosignatures go to the panel above. */
function DownloadPanel({ alerts, onSaved }: { alerts: RecentAlert[]; onSaved: (c: Cosigs) => void }) {
  const { token } = useSession();
  const [id, setId] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const [saved, setSaved] = useState('');
  const save = async (entryId: string): Promise<void> => {
    setError(null);
    setSaved('');
    try {
      const json = (await downloadBundle(token, entryId)) as { checkpoint?: { size?: number }; cosignatures?: Cosignature[] };
      setSaved(`Saved the bundle for ${entryId}.`);
      if (json.checkpoint?.size !== undefined) onSaved({ size: json.checkpoint.size, list: json.cosignatures ?? [] });
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <Panel title="Download evidence">
      <form
        class="input-row"
        onSubmit={(e) => {
          e.preventDefault();
          if (id.trim()) void save(id.trim());
        }}
      >
        <label class="sr-only" for="evidence-id">
          Alert, event or action id
        </label>
        <input id="evidence-id" class="mono" value={id} onInput={(e) => setId(e.currentTarget.value)} placeholder="alert, event or action id" />
        <button type="submit" disabled={id.trim() === ''}>
          Download bundle
        </button>
      </form>
      <ErrorBox error={error} />
      {saved && (
        <p class="ok small" role="status">
          {saved}
        </p>
      )}
      <h3>Recent alerts</h3>
      <ul class="plain">
        {alerts.map((a) => (
          <li class="alert-line">
            <SeverityBadge severity={a.severity} />
            <span>
              {a.title} <span class="muted small">· {a.entity.id} · {fmtTime(a.timestamp)}</span>
            </span>
            <span class="spacer" />
            <button type="button" class="small" onClick={() => void save(a.id)} aria-label={`Download evidence for ${a.title} (${a.entity.id})`}>
              Download
            </button>
          </li>
        ))}
      </ul>
    </Panel>
  );
}

function CheckpointView({ c }: { c: Checkpoint | null }) {
  if (!c) return <p class="muted">None yet.</p>;
  return (
    <dl class="kv">
      <dt>Tree size</dt>
      <dd>{c.size.toLocaleString()}</dd>
      <dt>Time</dt>
      <dd>{fmtTime(c.timestamp)}</dd>
      <dt>Root</dt>
      <dd class="mono hash">{c.root}</dd>
      <dt>Previous</dt>
      <dd class="mono hash">{c.prev}</dd>
      <dt>Signed by key</dt>
      <dd class="mono">{c.keyId}</dd>
      <dt>Signature</dt>
      <dd class="mono hash">{c.signature}</dd>
    </dl>
  );
}
