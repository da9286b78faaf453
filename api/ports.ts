/**
 * What the API needs from the parts it does not own, as small ports the pipeline wires
 * (STYLE.md 5): the ledger, for writing every action and proving entries, and the
 * detector's rule book, for rule administration. The API never reaches into either.
 */
import type { Checkpoint, Cosignature } from '../ledger/index.js';
import type { Awaitable } from '../store/index.js';

/** A signed checkpoint and a witness's cosignature, as the ledger defines them. */
export type CheckpointView = Checkpoint;
export type CosignatureView = Cosignature;

/** An evidence bundle (mirrors ledger/verifier.ts `EvidenceBundle`, format `vigil-evidence/v1`). */
export interface EvidenceBundleView {
  format: string;
  entry: { type: string; ts: number; body: Record<string, unknown> };
  leafIndex: number;
  leafHash: string;
  inclusionProof: string[];
  checkpoint: CheckpointView;
  cosignatures: CosignatureView[];
}

export interface VerificationView {
  ok: boolean;
  steps: Array<{ step: string; outcome: string; detail: string }>;
  reason?: string;
  code?: string;
  leafHash?: string;
}

export interface LedgerStatusView {
  origin: string;
  size: number;
  publicKeyPem: string;
  latestCheckpoint: CheckpointView | undefined;
  latestPublished: CheckpointView | undefined;
}

/**
 * The audit trail. `appendAction` resolves once the entry is durable (covered by a
 * checkpoint on disk): a mutation reports success only when its trace can no longer be
 * lost, so the triage history can always be proved.
 */
export interface AuditLog {
  appendAction(entry: { ts: number; body: Record<string, unknown> & { id: string; actor: string; action: string } }): Promise<{ index: number; leafHash: string }>;
  /** Evidence for the first entry whose `body.id` is `id`; undefined when there is none. */
  proveById(id: string): Promise<EvidenceBundleView | undefined>;
  status(): LedgerStatusView;
  /** Offline verification against this log's public key (never throws on bad input). */
  verify(bundle: unknown): VerificationView;
}

export type RuleItemKind = 'rule' | 'exception' | 'suppression';

export interface RuleItem {
  kind: RuleItemKind;
  id: string;
  title: string;
  enabled: boolean;
  /** The item's definition as JSON (a rule's id, level, hash and source; an exception's match). */
  spec: Record<string, unknown>;
}

/** Events a rule must ignore. */
export interface ExceptionSpec {
  /** The rule id (`*`: every rule, and the model and reputation alerts). */
  rule: string;
  /** Only this entity's events. */
  entity?: string;
  /** An event field (dotted ECS path, Sigma modifiers allowed) and the value that exempts an event. */
  field?: string;
  value?: string;
  /** A whole Sigma selection (`{"destination.ip|cidr": "10.0.0.0/8"}`). */
  selection?: Record<string, unknown>;
  reason: string;
}

/** Repeat alerts of a rule for the same key folded into one for a while. */
export interface SuppressionSpec {
  /** The rule id (`*`: every rule). */
  rule: string;
  /** How long repeats are folded, milliseconds. */
  timespanMs: number;
  /** Event fields forming the key. @default ['vigil.entity.id'] */
  groupBy?: string[];
  reason: string;
}

/**
 * Rule administration, implemented over the detector's rule book. Errors a caller can fix
 * (a Sigma rule that does not parse, an unknown id) are thrown as `RuleAdminError` so the
 * API can show them; anything else is masked.
 */
export interface RuleAdmin {
  list(kind?: RuleItemKind): Awaitable<RuleItem[]>;
  /** Parses and validates a rule text without activating it: the item `addRule` would return. */
  checkRule(source: string): Awaitable<RuleItem>;
  addRule(source: string, actor: string): Awaitable<RuleItem>;
  addException(spec: ExceptionSpec, actor: string): Awaitable<RuleItem>;
  addSuppression(spec: SuppressionSpec, actor: string): Awaitable<RuleItem>;
  /** Returns the item before and after. */
  disable(kind: RuleItemKind, id: string, actor: string): Awaitable<{ before: RuleItem; after: RuleItem }>;
}

export class RuleAdminError extends Error {
  override readonly name = 'RuleAdminError';
  constructor(
    readonly code: 'INVALID_RULE' | 'NOT_FOUND' | 'CONFLICT',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
