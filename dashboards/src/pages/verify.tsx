/**
 * Verifies an evidence bundle IN THE BROWSER with the ledger's own verifier (the same code
 * `vigil verify-proof` runs) and the log's public key. The node is asked for nothing but
 * the key — and the auditor may paste the key they pinned instead, so a node that lies
 * about its key cannot make its own bundles pass.
 */
import { useEffect, useState } from 'preact/hooks';
import { verifyBundle, type VerificationResult } from '../../../ledger/verifier.js';
import { CASE_FORMAT, verifyAnchoredBundle, verifyCaseBundle, type CaseVerificationResult } from '../../../anchor/verifier.js';
import { useAnchorInfo } from './anchors.js';
import { gql } from '../api.js';
import { ErrorBox, Panel, useSession } from '../ui.js';

const STEP_TITLES: Record<string, string> = {
  json: 'Read the file as JSON',
  bundle: 'Bundle format and fields',
  entry: 'Entry encodes to the leaf hash',
  inclusion: 'Inclusion proof reaches the checkpoint root',
  checkpoint: "Checkpoint carries the log's signature",
  cosignatures: 'Witness cosignatures',
  anchor: 'Anchored checkpoint is consistent with the bundle',
  chain: 'Anchor found on chain (through its JSON-RPC)',
  case: 'Case bundle format and fields',
  alert: 'Alerts: each entry proved in the log and naming this incident',
  evidence: 'Evidence events: each document hashes to the id its ledger entry proves',
  action: 'Triage actions: each entry proved in the log and targeting this incident',
  completeness: 'Every alert of the incident and every evidence event of its alerts is present',
};

/** A case has thousands of parts: one line per kind of part, naming the first that failed. */
function caseSteps(r: CaseVerificationResult): VerificationResult {
  const steps: VerificationResult['steps'] = [];
  for (const s of r.steps) {
    if (s.id === undefined) steps.push({ step: s.step as never, outcome: s.outcome, detail: s.detail });
  }
  for (const role of ['alert', 'evidence', 'action'] as const) {
    const failed = r.steps.filter((s) => s.step === role && s.outcome === 'failed');
    const detail = failed.length === 0 ? `${r.counts[role]} verified` : `${failed.length} failed; ${failed.slice(0, 3).map((f) => `${f.id ?? ''}: ${f.detail}`).join(' · ')}`;
    steps.splice(steps.length - 1, 0, { step: role as never, outcome: failed.length === 0 ? 'passed' : 'failed', detail });
  }
  return { ok: r.ok, steps, ...(r.reason ? { reason: r.reason } : {}) };
}

type Outcome = { result: VerificationResult; summary?: string; ms: number } | null;

type SetOutcome = (o: Outcome | ((prev: Outcome) => Outcome)) => void;

/** Witness keys as the auditor pasted them: PEM blocks, or one hex or base64 key a line. */
function witnessKeyList(text: string): string[] {
  return text.includes('-----BEGIN') ? (text.match(/-----BEGIN [A-Z ]+-----[\s\S]+?-----END [A-Z ]+-----/g) ?? []) : text.split('\n').map((k) => k.trim()).filter(Boolean);
}

/**
 * Checks the bundle (or case bundle) in `source` and reports through `setOutcome`: at once
 * for what runs here, again when a chain anchor or a case's parts have been looked up.
 */
function verifyText(source: string, opts: { key: string; witnessKeys: string[]; required: number; rpcUrl: string | undefined }, setOutcome: SetOutcome): void {
  const started = performance.now();
  const { key, witnessKeys: keys, required, rpcUrl } = opts;
  const chain = { witnessKeys: keys, requiredCosignatures: required, ...(rpcUrl ? { rpcUrl } : {}) };
  let parsed: unknown;
  try {
    parsed = JSON.parse(source);
  } catch (err) {
    const detail = `not JSON: ${err instanceof Error ? err.message : String(err)}`;
    setOutcome({ result: { ok: false, reason: `json: ${detail}`, steps: [{ step: 'json' as never, outcome: 'failed', detail }] }, ms: performance.now() - started });
    return;
  }
  if ((parsed as { format?: unknown } | null)?.format === CASE_FORMAT) {
    const inc = (parsed as { incident?: { id?: string; title?: string } }).incident;
    setOutcome({ result: { ok: false, steps: [], reason: 'checking…' }, ms: 0 });
    void verifyCaseBundle(parsed, key, chain).then((r) => setOutcome({ result: caseSteps(r), summary: `case of incident “${inc?.title ?? ''}” ${inc?.id ?? ''}`, ms: performance.now() - started }));
    return;
  }
  let result: VerificationResult;
  try {
    result = verifyBundle(parsed, key, { witnessKeys: keys, requiredCosignatures: required });
  } catch (err) {
    // A malformed witness key is the auditor's input, not the bundle's fault: say so.
    result = { ok: false, reason: `cosignatures: ${err instanceof Error ? err.message : String(err)}`, steps: [{ step: 'cosignatures', outcome: 'failed', detail: String(err) }] };
  }
  const hasAnchor = typeof parsed === 'object' && parsed !== null && 'anchor' in parsed;
  if (hasAnchor && result.ok) {
    // The anchor is checked against the chain itself, through the RPC URL the node names
    // (the page's CSP admits that origin only): the chain, not the node, says it holds.
    void verifyAnchoredBundle(parsed, key, chain).then((r) => setOutcome((o) => ({ ...(o ?? {}), result: r as unknown as VerificationResult, ms: performance.now() - started })));
  }
  const entry = (parsed as { entry?: { type?: string; ts?: number; body?: { id?: string; title?: string } } }).entry;
  const summary = entry ? `${entry.type ?? '?'} ${entry.body?.title ? `“${entry.body.title}” ` : ''}${entry.body?.id ?? ''}${entry.ts ? ` at ${new Date(entry.ts).toISOString()}` : ''}` : undefined;
  setOutcome({ result, ...(summary ? { summary } : {}), ms: performance.now() - started });
}

function Dropzone({ fileName, onFile }: { fileName: string; onFile: (f: File | undefined) => void }) {
  const [dragging, setDragging] = useState(false);
  return (
    <div
      class={`dropzone ${dragging ? 'dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={(e) => {
        e.preventDefault();
        setDragging(false);
        onFile(e.dataTransfer?.files[0]);
      }}
    >
      <p>
        Drop a bundle file here, or{' '}
        <label class="filepick">
          choose a file
          <input type="file" accept=".json,application/json" class="sr-only" aria-label="Evidence bundle file" onChange={(e) => onFile(e.currentTarget.files?.[0])} />
        </label>
        {fileName && <span class="muted small"> · {fileName}</span>}
      </p>
    </div>
  );
}

export function VerifyPage() {
  const { token } = useSession();
  const [key, setKey] = useState('');
  const [keyError, setKeyError] = useState<Error | null>(null);
  const [text, setText] = useState('');
  const [fileName, setFileName] = useState('');
  const [witnessKeys, setWitnessKeys] = useState('');
  const [required, setRequired] = useState(0);
  const [outcome, setOutcome] = useState<Outcome>(null);
  const anchorInfo = useAnchorInfo();

  useEffect(() => {
    gql<{ ledgerStatus: { publicKey: string } }>(token, '{ ledgerStatus { publicKey } }').then(
      (d) => setKey((k) => k || d.ledgerStatus.publicKey),
      (err: Error) => setKeyError(err),
    );
  }, [token]);

  const verify = (source = text): void => verifyText(source, { key, witnessKeys: witnessKeyList(witnessKeys), required, rpcUrl: anchorInfo?.rpcUrl }, setOutcome);

  const readFile = async (file: File | undefined): Promise<void> => {
    if (!file) return;
    if (file.size > 100 * 1024 * 1024) {
      setOutcome({ result: { ok: false, reason: 'json: the file is over 100 MB; an evidence bundle is a few kilobytes, a case bundle a few megabytes', steps: [] }, ms: 0 });
      return;
    }
    const content = await file.text();
    setFileName(file.name);
    setText(content);
    verify(content);
  };

  return (
    <div class="page">
      <div class="page-head">
        <h1>Verify evidence</h1>
      </div>
      <p class="muted">
        The check runs in this browser with the ledger's own verifier code: the entry is re-encoded and hashed, the inclusion proof is recomputed up to the signed root, and the
        checkpoint's Ed25519 signature is checked against the key below. Nothing is sent to the node; a bundle's chain anchor is looked up on the chain itself, through its JSON-RPC URL.
      </p>
      <div class="grid-side">
        <div class="stack">
          <Panel title="Evidence bundle">
            <Dropzone fileName={fileName} onFile={(f) => void readFile(f)} />
            <label for="bundle-text">Bundle JSON</label>
            <textarea id="bundle-text" class="mono" rows={12} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} placeholder='{"format":"vigil-evidence/v1", …} or a case bundle {"format":"vigil-case/v1", …}' />
            <div class="button-row">
              <button type="button" class="primary" onClick={() => verify()} disabled={text.trim() === '' || key.trim() === ''}>
                Verify
              </button>
              <button
                type="button"
                onClick={() => {
                  setText('');
                  setFileName('');
                  setOutcome(null);
                }}
              >
                Clear
              </button>
            </div>
          </Panel>
          {outcome && <Result outcome={outcome} />}
        </div>
        <div class="stack">
          <Panel title="Keys">
            <label for="public-key">Log public key (PEM, hex or base64)</label>
            <textarea id="public-key" class="mono small" rows={4} spellcheck={false} value={key} onInput={(e) => setKey(e.currentTarget.value)} />
            <p class="muted small">Filled in from this node's ledger status. For a real audit, paste the key you pinned.</p>
            <ErrorBox error={keyError} />
            <label for="witness-keys">Trusted witness keys (optional, one per line)</label>
            <textarea id="witness-keys" class="mono small" rows={3} spellcheck={false} value={witnessKeys} onInput={(e) => setWitnessKeys(e.currentTarget.value)} />
            <label for="required-cosigs">Cosignatures required</label>
            <input id="required-cosigs" type="number" min={0} max={16} value={required} onInput={(e) => setRequired(Math.max(0, Number(e.currentTarget.value) || 0))} />
          </Panel>
        </div>
      </div>
    </div>
  );
}

function Result({ outcome }: { outcome: NonNullable<Outcome> }) {
  const { result } = outcome;
  return (
    <section class={`panel verdict ${result.ok ? 'verdict-ok' : 'verdict-bad'}`} aria-labelledby="verdict-title">
      <div role="status">
        <h2 id="verdict-title">{result.ok ? '✓ Verified' : '✗ Not verified'}</h2>
      </div>
      {outcome.summary && <p class="small">{outcome.summary}</p>}
      {!result.ok && result.reason && (
        <p class="reason">
          <strong>Why:</strong> {result.reason}
          {result.code && <span class="muted small"> ({result.code})</span>}
        </p>
      )}
      <ol class="steps" aria-label="Verification steps">
        {result.steps.map((s) => (
          <li class={`step step-${s.outcome}`}>
            <span class="step-icon" aria-hidden="true">
              {s.outcome === 'passed' ? '✓' : s.outcome === 'failed' ? '✗' : '–'}
            </span>
            <span>
              <strong>{STEP_TITLES[s.step] ?? s.step}</strong> <span class="step-outcome">{s.outcome}</span>
              <br />
              <span class="small mono detail">{s.detail}</span>
            </span>
          </li>
        ))}
      </ol>
      <p class="muted small">Checked in {outcome.ms.toFixed(1)} ms in this browser.</p>
    </section>
  );
}
