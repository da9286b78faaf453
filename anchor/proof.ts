/** Choosing the anchor an evidence bundle carries. Browser-safe (pure). */
import type { Checkpoint } from '../ledger/verifier.js';
import { ANCHOR_PROOF_FORMAT, type AnchoredEntry, type AnchorProof } from './types.js';

/**
 * The anchor for a bundle of entry `leafIndex` under `bundleCheckpoint`: the largest
 * anchored tree no larger than the bundle's that still holds the entry, else the smallest
 * larger one (a bundle cut before the anchor, both trees in the writer's log). Undefined
 * when no anchor holds the entry yet. `consistencyProof(m, n)` is the log's (hex).
 */
export function anchorProofFor(
  anchors: readonly AnchoredEntry[],
  bundleCheckpoint: Checkpoint,
  leafIndex: number,
  consistencyProof: (size1: number, size2: number) => string[],
  available: number = bundleCheckpoint.size,
): AnchorProof | undefined {
  const mine = anchors.filter((e) => e.anchor.origin === bundleCheckpoint.origin && e.anchor.size > leafIndex);
  const below = mine.filter((e) => e.anchor.size <= bundleCheckpoint.size).at(-1);
  const above = mine.find((e) => e.anchor.size > bundleCheckpoint.size && e.anchor.size <= available);
  const pick = below ?? above;
  if (!pick) return undefined;
  const from = Math.min(pick.anchor.size, bundleCheckpoint.size);
  const to = Math.max(pick.anchor.size, bundleCheckpoint.size);
  return { format: ANCHOR_PROOF_FORMAT, anchor: pick.anchor, checkpoint: pick.checkpoint, consistency: { from, to, proof: from === to ? [] : consistencyProof(from, to) } };
}
