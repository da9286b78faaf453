/**
 * The auditor's verifier: checks an evidence bundle offline with nothing but the log's
 * public key (and, optionally, witness keys). Browser-safe — it and everything it imports
 * use only @noble/hashes, @noble/curves and plain JS — so a dashboard can bundle this file
 * alone (`import { verifyBundle } from '…/ledger/verifier.js'`).
 */
import {
  parseCheckpoint,
  parseCosignature,
  parsePublicKey,
  verifyCheckpointSignature,
  verifyCosignature,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { fromHex, toHex } from './encoding.js';
import { encodeEntry, entryHash, type LedgerEntry } from './entry.js';
import { LedgerError, type LedgerErrorCode } from './errors.js';
import { rfc9162Hasher, type LogHasher } from './hasher.js';
import { verifyInclusion } from './proof.js';

export const BUNDLE_FORMAT = 'vigil-evidence/v1';

/** What `Ledger.prove` and `vigil prove` produce: everything an auditor needs, as JSON. */
export interface EvidenceBundle {
  format: typeof BUNDLE_FORMAT;
  entry: LedgerEntry;
  /** The entry's position in the log (0-based). */
  leafIndex: number;
  /** HASH(0x00 || canonical entry), hex: the entry hash alerts quote. */
  leafHash: string;
  /** RFC 9162 audit path from the leaf to `checkpoint.root`, leaf side first, hex. */
  inclusionProof: string[];
  /** The signed checkpoint whose tree contains the entry. */
  checkpoint: Checkpoint;
  /** Witness cosignatures of that checkpoint. */
  cosignatures: Cosignature[];
}

export type VerificationStepName = 'bundle' | 'entry' | 'inclusion' | 'checkpoint' | 'cosignatures';

export interface VerificationStep {
  step: VerificationStepName;
  /** `skipped` when an earlier failure or a missing input made the step meaningless. */
  outcome: 'passed' | 'failed' | 'skipped';
  detail: string;
}

export interface VerificationResult {
  ok: boolean;
  /** Every step in order, for a UI that shows each one. */
  steps: VerificationStep[];
  /** The first failure's reason, when not ok. */
  reason?: string;
  code?: LedgerErrorCode;
  /** Recomputed leaf hash, hex (when the entry could be encoded). */
  leafHash?: string;
}

export interface VerifyBundleOptions {
  /** Witness public keys the auditor trusts (PEM, hex or raw). @default [] */
  witnessKeys?: readonly (string | Uint8Array)[];
  /** How many distinct trusted witnesses must have co-signed. @default 0 */
  requiredCosignatures?: number;
  /** @default rfc9162Hasher (@noble/hashes SHA-256) */
  hasher?: LogHasher;
}

/**
 * Validates an untrusted bundle (parsed JSON) field by field. Throws INVALID_BUNDLE naming
 * the first bad field.
 */
export function parseBundle(value: unknown): EvidenceBundle {
  const bad = (what: string): never => {
    throw new LedgerError('INVALID_BUNDLE', what);
  };
  if (typeof value !== 'object' || value === null) bad('the bundle must be a JSON object');
  const v = value as Record<string, unknown>;
  if (v['format'] !== BUNDLE_FORMAT) bad(`bundle format must be "${BUNDLE_FORMAT}", got ${JSON.stringify(v['format'])}`);
  const leafIndex = v['leafIndex'];
  if (typeof leafIndex !== 'number' || !Number.isSafeInteger(leafIndex) || leafIndex < 0) bad('leafIndex must be a non-negative integer');
  if (typeof v['leafHash'] !== 'string' || !fromHex(v['leafHash'], 32)) bad('leafHash must be 64 hex digits');
  const proof = v['inclusionProof'];
  if (!Array.isArray(proof) || proof.length > 64 || !proof.every((h) => typeof h === 'string' && fromHex(h, 32))) {
    bad('inclusionProof must be a list of at most 64 hashes of 64 hex digits');
  }
  const cosigs = v['cosignatures'] ?? [];
  if (!Array.isArray(cosigs) || cosigs.length > 256) bad('cosignatures must be a list');
  return {
    format: BUNDLE_FORMAT,
    entry: v['entry'] as LedgerEntry, // checked by the entry step, which reports it there
    leafIndex: leafIndex as number,
    leafHash: v['leafHash'] as string,
    inclusionProof: proof as string[],
    checkpoint: parseCheckpoint(v['checkpoint']),
    cosignatures: (cosigs as unknown[]).map(parseCosignature),
  };
}

/**
 * Verifies an evidence bundle: (1) its shape, (2) the entry's canonical encoding and leaf
 * hash, (3) the inclusion proof to the checkpoint's root, (4) the log's signature on the
 * checkpoint, (5) witness cosignatures against the witness keys given. Never throws on bad
 * input: the result names the first failure.
 */
export function verifyBundle(
  bundle: unknown,
  publicKey: string | Uint8Array,
  options: VerifyBundleOptions = {},
): VerificationResult {
  const hasher = options.hasher ?? rfc9162Hasher;
  const steps: VerificationStep[] = [];
  const result: VerificationResult = { ok: true, steps };
  const fail = (step: VerificationStepName, err: unknown): void => {
    const detail = err instanceof Error ? err.message : String(err);
    steps.push({ step, outcome: 'failed', detail });
    if (result.ok) {
      result.ok = false;
      result.reason = `${step}: ${detail}`;
      if (err instanceof LedgerError) result.code = err.code;
    }
  };
  const skip = (step: VerificationStepName, detail: string): void => {
    steps.push({ step, outcome: 'skipped', detail });
  };

  let b: EvidenceBundle;
  let key: Uint8Array;
  try {
    b = parseBundle(bundle);
    key = parsePublicKey(publicKey);
    steps.push({ step: 'bundle', outcome: 'passed', detail: `entry ${b.leafIndex} in a tree of ${b.checkpoint.size}` });
  } catch (err) {
    fail('bundle', err);
    for (const s of ['entry', 'inclusion', 'checkpoint', 'cosignatures'] as const) skip(s, 'the bundle could not be read');
    return result;
  }

  let leafHash: Uint8Array | undefined;
  try {
    encodeEntry(b.entry);
    const hex = entryHash(b.entry);
    result.leafHash = hex;
    if (hex !== b.leafHash) {
      throw new LedgerError('CORRUPT_ENTRY', `the entry hashes to ${hex}, but the bundle says ${b.leafHash}`);
    }
    leafHash = fromHex(hex, 32)!;
    steps.push({ step: 'entry', outcome: 'passed', detail: `${b.entry.type} ${String(b.entry.body['id'])} hashes to ${hex}` });
  } catch (err) {
    fail('entry', err);
  }

  if (leafHash) {
    try {
      verifyInclusion(
        hasher,
        b.leafIndex,
        b.checkpoint.size,
        leafHash,
        b.inclusionProof.map((h) => fromHex(h, 32)!),
        fromHex(b.checkpoint.root, 32)!,
      );
      steps.push({ step: 'inclusion', outcome: 'passed', detail: `leaf ${b.leafIndex} is in the tree with root ${b.checkpoint.root}` });
    } catch (err) {
      fail('inclusion', err);
    }
  } else {
    skip('inclusion', 'no valid leaf hash to start from');
  }

  try {
    verifyCheckpointSignature(b.checkpoint, key);
    steps.push({
      step: 'checkpoint',
      outcome: 'passed',
      detail: `${b.checkpoint.origin} signed size ${b.checkpoint.size} at ${new Date(b.checkpoint.ts).toISOString()}`,
    });
  } catch (err) {
    fail('checkpoint', err);
  }

  verifyCosignatures(b, options, steps, fail);
  return result;
}

function verifyCosignatures(
  b: EvidenceBundle,
  options: VerifyBundleOptions,
  steps: VerificationStep[],
  fail: (step: VerificationStepName, err: unknown) => void,
): void {
  const required = options.requiredCosignatures ?? 0;
  const trusted = (options.witnessKeys ?? []).map((k) => parsePublicKey(k));
  if (trusted.length === 0 && required === 0) {
    steps.push({
      step: 'cosignatures',
      outcome: 'skipped',
      detail: `${b.cosignatures.length} cosignature(s) present; not checked (no witness keys given)`,
    });
    return;
  }
  const good = new Set<string>();
  const problems: string[] = [];
  for (const c of b.cosignatures) {
    const key = trusted.find((k) => toHex(k) === c.publicKey);
    if (!key) {
      problems.push(`${c.witness}: not a trusted witness`);
      continue;
    }
    try {
      verifyCosignature(b.checkpoint, c, key);
      good.add(c.publicKey);
    } catch (err) {
      problems.push(err instanceof Error ? err.message : String(err));
    }
  }
  const detail = `${good.size} of ${required} required trusted cosignature(s) verify${problems.length ? ` (${problems.join('; ')})` : ''}`;
  if (good.size >= required) steps.push({ step: 'cosignatures', outcome: 'passed', detail });
  else fail('cosignatures', new LedgerError('SIGNATURE_ERROR', detail));
}

// The rest of the browser-safe surface, so a dashboard needs this one module only.
export {
  checkpointBody,
  checkpointHash,
  cosignatureMessage,
  formatCheckpointNote,
  logKeyId,
  parseCheckpoint,
  parsePublicKey,
  publicKeyToPem,
  verifyCheckpointSignature,
  verifyCosignature,
  witnessKeyId,
  GENESIS_PREV,
} from './checkpoint.js';
export type { Checkpoint, Cosignature } from './checkpoint.js';
export { canonicalJson, encodeEntry, entryHash, parseEntry, validateEntry, ENTRY_TYPES } from './entry.js';
export type { EntryType, LedgerEntry } from './entry.js';
export { LedgerError } from './errors.js';
export type { LedgerErrorCode } from './errors.js';
export { HASH_SIZE, LEAF_HASH_PREFIX, NODE_HASH_PREFIX, rfc9162Hasher } from './hasher.js';
export type { LogHasher } from './hasher.js';
export { rootFromInclusionProof, verifyConsistency, verifyInclusion } from './proof.js';
