/**
 * The auditor's anchor check, browser-safe (viem over fetch, @noble via the ledger's
 * verifier): an evidence bundle's `anchor` proves that the bundle's tree and a tree whose
 * root was written on chain are one history, and the chain says when. Offline, the anchored
 * checkpoint's signature and the consistency proof are checked; with an RPC endpoint, the
 * anchor itself is held against the chain (checkAnchorOnChain).
 *
 * This file is the part's browser face: a dashboard imports it alone.
 */
import {
  checkpointHash,
  LedgerError,
  parseBundle,
  parsePublicKey,
  rfc9162Hasher,
  verifyBundle,
  verifyCheckpointSignature,
  verifyConsistency,
  type Checkpoint,
  type VerificationResult,
  type VerificationStep,
  type VerifyBundleOptions,
} from '../ledger/verifier.js';
import { hexToBytes } from 'viem';
import { checkAnchorOnChain, createChainReader } from './chain.js';
import { AnchorError } from './errors.js';
import { parseAnchorProof } from './parse.js';
import { verifyCaseWith, type CaseVerificationResult } from './case.js';
import type { AnchorProof } from './types.js';

const hexBytes = (h: string): Uint8Array => hexToBytes(`0x${h}`);

export interface AnchorVerifyOptions extends VerifyBundleOptions {
  /** A JSON-RPC endpoint of the anchor's chain; without it the anchor is not checked on chain. */
  rpcUrl?: string;
  /** The anchor contract the auditor trusts; without it the bundle's own is taken (and said so). */
  contract?: string;
  /** Require an anchor: a bundle without one fails. @default false */
  requireAnchor?: boolean;
}

export interface AnchoredVerificationResult extends Omit<VerificationResult, 'steps'> {
  steps: Array<Omit<VerificationStep, 'step'> & { step: VerificationStep['step'] | 'anchor' | 'chain' }>;
  /** Whether the anchor was held against a chain (false without an RPC URL or an anchor). */
  anchorChecked: boolean;
}

/**
 * The offline half: the anchored checkpoint is this log's (signature, origin), hashes to
 * the anchored checkpoint hash, carries the anchored size and root, covers the entry, and
 * is consistent with the bundle's checkpoint. Throws INVALID_ANCHOR / ANCHOR_MISMATCH.
 */
export function verifyAnchorProof(bundleCheckpoint: Checkpoint, leafIndex: number, proof: AnchorProof, publicKey: Uint8Array): string {
  const { anchor, checkpoint: cp, consistency } = proof;
  const mismatch = (what: string): never => {
    throw new AnchorError('ANCHOR_MISMATCH', what);
  };
  try {
    verifyCheckpointSignature(cp, publicKey);
  } catch (err) {
    mismatch(`the anchored checkpoint: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (cp.origin !== bundleCheckpoint.origin || anchor.origin !== cp.origin) mismatch(`the anchor is for origin ${anchor.origin}, the bundle's log is ${bundleCheckpoint.origin}`);
  if (anchor.size !== cp.size || anchor.root !== cp.root) mismatch(`the anchor says size ${anchor.size} root ${anchor.root}, its checkpoint size ${cp.size} root ${cp.root}`);
  if (checkpointHash(cp) !== anchor.checkpointHash) mismatch(`the anchored checkpoint hashes to ${checkpointHash(cp)}, the anchor says ${anchor.checkpointHash}`);
  if (anchor.size <= leafIndex) mismatch(`the anchor covers ${anchor.size} entries, not entry ${leafIndex}`);
  const [small, large] = cp.size <= bundleCheckpoint.size ? [cp, bundleCheckpoint] : [bundleCheckpoint, cp];
  if (consistency.from !== small.size || consistency.to !== large.size) mismatch(`the consistency proof is from ${consistency.from} to ${consistency.to}, not ${small.size} to ${large.size}`);
  try {
    verifyConsistency(rfc9162Hasher, small.size, large.size, consistency.proof.map((h) => hexBytes(h)), hexBytes(small.root), hexBytes(large.root));
  } catch (err) {
    mismatch(`the anchored tree and the bundle's are not one history: ${err instanceof Error ? err.message : String(err)}`);
  }
  return `${cp.origin} size ${cp.size} anchored in tx ${anchor.txHash} (block ${anchor.blockNumber}, chain ${anchor.chainId}); consistent with the bundle's size ${bundleCheckpoint.size}`;
}

/**
 * verifyBundle, then the bundle's anchor: offline, and on chain when `rpcUrl` is given.
 * Never throws on bad input; RPC failures are a failed `chain` step.
 */
export async function verifyAnchoredBundle(bundle: unknown, publicKey: string | Uint8Array, options: AnchorVerifyOptions = {}): Promise<AnchoredVerificationResult> {
  const base = verifyBundle(bundle, publicKey, options);
  const result: AnchoredVerificationResult = { ...base, steps: [...base.steps], anchorChecked: false };
  const fail = (step: 'anchor' | 'chain', detail: string, code?: string): void => {
    result.steps.push({ step, outcome: 'failed', detail });
    if (result.ok) {
      result.ok = false;
      result.reason = `${step}: ${detail}`;
      if (code) result.code = code as never;
    }
  };
  const raw = typeof bundle === 'object' && bundle !== null ? (bundle as Record<string, unknown>)['anchor'] : undefined;
  if (raw === undefined) {
    const detail = 'the bundle carries no anchor (its entry is newer than the last anchor, or the node does not anchor)';
    if (options.requireAnchor) fail('anchor', detail, 'INVALID_ANCHOR');
    else result.steps.push({ step: 'anchor', outcome: 'skipped', detail });
    result.steps.push({ step: 'chain', outcome: 'skipped', detail: 'no anchor to check on chain' });
    return result;
  }
  let proof: AnchorProof;
  try {
    proof = parseAnchorProof(raw);
    const b = parseBundle(bundle);
    const detail = verifyAnchorProof(b.checkpoint, b.leafIndex, proof, parsePublicKey(publicKey));
    result.steps.push({ step: 'anchor', outcome: 'passed', detail });
  } catch (err) {
    fail('anchor', err instanceof Error ? err.message : String(err), err instanceof AnchorError || err instanceof LedgerError ? err.code : undefined);
    result.steps.push({ step: 'chain', outcome: 'skipped', detail: 'the anchor itself does not hold' });
    return result;
  }
  if (options.rpcUrl === undefined) {
    result.steps.push({ step: 'chain', outcome: 'skipped', detail: `the anchor was NOT checked against the chain (no RPC URL given): tx ${proof.anchor.txHash} on chain ${proof.anchor.chainId}` });
    return result;
  }
  try {
    const check = await checkAnchorOnChain(createChainReader(options.rpcUrl), proof.anchor, options.contract);
    result.anchorChecked = check.ok;
    if (check.ok) {
      const pin = options.contract === undefined ? `; contract ${proof.anchor.contract} taken from the bundle (pin yours with --contract)` : '';
      result.steps.push({ step: 'chain', outcome: 'passed', detail: `${check.detail}${pin}` });
    } else fail('chain', check.detail, 'ANCHOR_MISMATCH');
  } catch (err) {
    fail('chain', `cannot check the anchor through ${options.rpcUrl}: ${err instanceof Error ? err.message : String(err)}`, 'RPC_ERROR');
  }
  return result;
}

/** A case bundle (`vigil-case/v1`, ./case.ts): every part's proof and anchor, the documents' hashes, completeness. */
export function verifyCaseBundle(value: unknown, publicKey: string | Uint8Array, options: AnchorVerifyOptions = {}): Promise<CaseVerificationResult> {
  return verifyCaseWith(verifyAnchoredBundle, value, publicKey, options);
}
export { CASE_FORMAT, eventDocumentId } from './case.js';
export type { CaseBundle, CaseCheckpoint, CasePart, CasePartRole, CaseStep, CaseStepName, CaseVerificationResult } from './case.js';

export { checkAnchorOnChain, createChainReader, fetchAnchors, originHash } from './chain.js';
export type { ChainReader, OnChainCheck } from './chain.js';
export { parseAnchorProof, parseAnchorRecord } from './parse.js';
export { auditAnchors, describeAnchor } from './audit.js';
export type { AnchorAudit, AnchorContradiction, LocalLogView } from './audit.js';
export { AnchorError } from './errors.js';
export type { AnchorErrorCode } from './errors.js';
export { ANCHOR_PROOF_FORMAT } from './types.js';
export type { AnchorProof, AnchorRecord, Hex } from './types.js';
