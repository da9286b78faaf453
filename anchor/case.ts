/**
 * One case bundle (`vigil-case/v1`) for an auditor: an incident, its alerts, the event
 * documents that are their evidence and every triage action, each with its ledger entry and
 * inclusion proof, under the signed checkpoint(s) that cover them and the chain anchor when
 * there is one. Browser-safe (re-exported by `./verifier.ts`), so the dashboard and
 * `vigil verify-proof` run the same check and name the part that failed.
 *
 * What is proved and what is not: the alerts, events and actions are ledger entries, so
 * their content is proved; an event's ledger entry quotes its id, the SHA-256 of the
 * event's canonical content (events/canonical.ts), so the document is proved by hashing it.
 * The incident record itself is the node's current view and not a ledger entry: it is
 * checked against the proved parts (its alerts name it; its actions target it), no more.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import { canonicalJson, type Checkpoint, type Cosignature, type LedgerEntry } from '../ledger/verifier.js';

/** `verifyAnchoredBundle` of ./verifier.ts, passed in (that file re-exports this one). */
type BundleVerifier = (bundle: unknown, key: string | Uint8Array, options: CaseVerifyOptions) => Promise<{ ok: boolean; reason?: string; anchorChecked: boolean; steps: Array<{ step: string; outcome: string }> }>;

/** As `AnchorVerifyOptions` of ./verifier.ts: witness keys, required cosignatures, the chain. */
export interface CaseVerifyOptions {
  witnessKeys?: readonly (string | Uint8Array)[];
  requiredCosignatures?: number;
  rpcUrl?: string;
  contract?: string;
  requireAnchor?: boolean;
}

export const CASE_FORMAT = 'vigil-case/v1';

export type CasePartRole = 'alert' | 'evidence' | 'action';
const ENTRY_TYPE: Record<CasePartRole, string> = { alert: 'alert', evidence: 'event', action: 'action' };

export interface CasePart {
  role: CasePartRole;
  /** The alert, event or action id (`entry.body.id`). */
  id: string;
  entry: LedgerEntry;
  leafIndex: number;
  leafHash: string;
  inclusionProof: string[];
  /** Index into `checkpoints` of the checkpoint the proof leads to. */
  checkpoint: number;
  /** The event document, for `evidence` parts (its id is the hash of its content). */
  document?: Record<string, unknown>;
}

export interface CaseCheckpoint {
  checkpoint: Checkpoint;
  cosignatures: Cosignature[];
  /** The anchor covering this checkpoint's entries, as an evidence bundle carries it. */
  anchor?: unknown;
}

export interface CaseBundle {
  format: typeof CASE_FORMAT;
  /** Epoch milliseconds. */
  generatedAt: number;
  /** The node's incident record (not itself a ledger entry). */
  incident: { id: string; alertIds: string[] } & Record<string, unknown>;
  checkpoints: CaseCheckpoint[];
  parts: CasePart[];
  /** What the node could not put in (an event past retention, an id the ledger does not hold), with why. */
  missing: Array<{ role: CasePartRole; id: string; reason: string }>;
}

export type CaseStepName = 'case' | CasePartRole | 'completeness';

export interface CaseStep {
  step: CaseStepName;
  /** The part's id, for per-part steps. */
  id?: string;
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

export interface CaseVerificationResult {
  ok: boolean;
  steps: CaseStep[];
  /** The first failure, naming the part (`evidence 3f…: the document hashes to …`). */
  reason?: string;
  failed?: { role: CaseStepName; id?: string };
  /** Parts verified, by role. */
  counts: Record<CasePartRole, number>;
  anchorChecked: boolean;
}

const MAX_PARTS = 100_000;
const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The id an event document must have: SHA-256 of its canonical content without `id` and `agent`. */
export function eventDocumentId(doc: Record<string, unknown>): string {
  const { id: _id, agent: _agent, ...content } = doc;
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(content))));
}

/** Checks a case bundle (parsed JSON, untrusted) with the log's public key. Never throws on bad input. */
export async function verifyCaseWith(verifyAnchoredBundle: BundleVerifier, value: unknown, publicKey: string | Uint8Array, options: CaseVerifyOptions = {}): Promise<CaseVerificationResult> {
  const result: CaseVerificationResult = { ok: true, steps: [], counts: { alert: 0, evidence: 0, action: 0 }, anchorChecked: false };
  const fail = (step: CaseStepName, detail: string, id?: string): void => {
    result.steps.push({ step, outcome: 'failed', detail, ...(id !== undefined ? { id } : {}) });
    if (result.ok) {
      result.ok = false;
      result.reason = `${step}${id !== undefined ? ` ${id}` : ''}: ${detail}`;
      result.failed = { role: step, ...(id !== undefined ? { id } : {}) };
    }
  };
  const shape = caseShape(value);
  if (typeof shape === 'string') {
    fail('case', shape);
    return result;
  }
  const c = shape;
  result.steps.push({ step: 'case', outcome: 'passed', detail: `incident ${c.incident.id}: ${c.parts.length} part(s) under ${c.checkpoints.length} checkpoint(s)` });
  const chainChecked = new Set<number>();
  for (const p of c.parts) {
    const detail = await verifyPart(verifyAnchoredBundle, c, p, publicKey, options, chainChecked, result);
    if (detail.ok) {
      result.counts[p.role]++;
      result.steps.push({ step: p.role, id: p.id, outcome: 'passed', detail: detail.text });
    } else fail(p.role, detail.text, p.id);
  }
  const gaps = completeness(c);
  if (gaps.length === 0) result.steps.push({ step: 'completeness', outcome: 'passed', detail: `every alert of the incident and every evidence event of its alerts is in the bundle` });
  else fail('completeness', gaps.slice(0, 5).join('; ') + (gaps.length > 5 ? `; and ${gaps.length - 5} more` : ''));
  return result;
}

function caseShape(value: unknown): CaseBundle | string {
  if (!isObject(value)) return 'the case bundle must be a JSON object';
  if (value['format'] !== CASE_FORMAT) return `format must be "${CASE_FORMAT}", got ${JSON.stringify(value['format'])}`;
  const inc = value['incident'];
  if (!isObject(inc) || typeof inc['id'] !== 'string' || !Array.isArray(inc['alertIds'])) return 'incident must be an object with an id and alertIds';
  const cps = value['checkpoints'];
  if (!Array.isArray(cps) || cps.length === 0 || cps.length > 1024 || !cps.every(isObject)) return 'checkpoints must be a non-empty list';
  const parts = value['parts'];
  if (!Array.isArray(parts) || parts.length > MAX_PARTS) return `parts must be a list of at most ${MAX_PARTS}`;
  for (const [i, p] of parts.entries()) {
    if (!isObject(p) || !(typeof p['role'] === 'string' && p['role'] in ENTRY_TYPE) || typeof p['id'] !== 'string') return `part ${i} must have a role (alert, evidence, action) and an id`;
    if (!(Number.isInteger(p['checkpoint']) && (p['checkpoint'] as number) >= 0 && (p['checkpoint'] as number) < cps.length)) return `part ${i} (${String(p['id'])}) names no checkpoint of the bundle`;
  }
  const missing = Array.isArray(value['missing']) ? value['missing'].filter(isObject) : [];
  return { ...(value as unknown as CaseBundle), missing: missing as CaseBundle['missing'] };
}

async function verifyPart(verifyAnchoredBundle: BundleVerifier, c: CaseBundle, p: CasePart, publicKey: string | Uint8Array, options: CaseVerifyOptions, chainChecked: Set<number>, result: CaseVerificationResult): Promise<{ ok: boolean; text: string }> {
  const cp = c.checkpoints[p.checkpoint]!;
  const bundle = { format: 'vigil-evidence/v1', entry: p.entry, leafIndex: p.leafIndex, leafHash: p.leafHash, inclusionProof: p.inclusionProof, checkpoint: cp.checkpoint, cosignatures: cp.cosignatures, ...(cp.anchor !== undefined ? { anchor: cp.anchor } : {}) };
  // The chain is asked once per checkpoint: the anchor is the same for every part under it.
  const { rpcUrl, ...offline } = options;
  const first = !chainChecked.has(p.checkpoint);
  chainChecked.add(p.checkpoint);
  const r = await verifyAnchoredBundle(bundle, publicKey, first && rpcUrl !== undefined ? options : offline);
  if (!r.ok) return { ok: false, text: r.reason ?? 'does not verify' };
  if (first && r.anchorChecked) result.anchorChecked = true;
  const body = isObject(p.entry?.body) ? p.entry.body : {};
  if (p.entry.type !== ENTRY_TYPE[p.role]) return { ok: false, text: `the entry is an ${p.entry.type}, not an ${ENTRY_TYPE[p.role]}` };
  if (body['id'] !== p.id) return { ok: false, text: `the entry is ${String(body['id'])}, the part says ${p.id}` };
  const own = roleCheck(c, p, body);
  if (own) return { ok: false, text: own };
  const anchored = r.steps.find((s) => s.step === 'anchor')?.outcome === 'passed' ? ', anchored' : '';
  return { ok: true, text: `entry ${p.leafIndex} in the tree of ${cp.checkpoint.size}${anchored}` };
}

function roleCheck(c: CaseBundle, p: CasePart, body: Record<string, unknown>): string | undefined {
  if (p.role === 'alert' && body['incidentId'] !== c.incident.id) return `the alert belongs to incident ${String(body['incidentId'])}, not ${c.incident.id}`;
  if (p.role === 'action') {
    const target = isObject(body['target']) ? body['target'] : {};
    if (target['id'] !== c.incident.id) return `the action targets ${String(target['type'])} ${String(target['id'])}, not incident ${c.incident.id}`;
  }
  if (p.role === 'evidence') {
    const doc = p.document;
    if (!isObject(doc)) return 'the event document is missing';
    let id: string;
    try {
      id = eventDocumentId(doc);
    } catch (err) {
      return `the event document cannot be encoded: ${err instanceof Error ? err.message : String(err)}`;
    }
    if (id !== p.id || doc['id'] !== p.id) return `the event document hashes to ${id}, but the ledger entry names ${p.id}: the document was altered`;
    const agent = isObject(doc['agent']) ? doc['agent']['id'] : undefined;
    if (body['agent'] !== undefined && agent !== body['agent']) return `the document's agent ${String(agent)} is not the credential the ledger recorded (${String(body['agent'])})`;
  }
  return undefined;
}

/** What the incident and its alerts name that the bundle neither holds nor declares missing. */
function completeness(c: CaseBundle): string[] {
  const have = new Set(c.parts.map((p) => `${p.role}:${p.id}`));
  const declared = new Set(c.missing.map((m) => `${m.role}:${m.id}`));
  const gaps: string[] = [];
  const need = (role: CasePartRole, id: string, why: string): void => {
    const k = `${role}:${id}`;
    if (!have.has(k)) gaps.push(declared.has(k) ? `${role} ${id} (${why}) is not in the bundle: ${c.missing.find((m) => `${m.role}:${m.id}` === k)!.reason}` : `${role} ${id} (${why}) is not in the bundle`);
  };
  for (const id of c.incident.alertIds) if (typeof id === 'string') need('alert', id, 'an alert of the incident');
  for (const p of c.parts) {
    if (p.role !== 'alert') continue;
    const ev = p.entry?.body?.['evidence'];
    if (Array.isArray(ev)) for (const id of ev) if (typeof id === 'string') need('evidence', id, `evidence of alert ${p.id.slice(0, 12)}`);
  }
  return gaps;
}
