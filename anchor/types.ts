/** What an anchor is, as the node records it and an evidence bundle carries it. Browser-safe. */
import type { Checkpoint } from '../ledger/verifier.js';

export type Hex = `0x${string}`;

/** One accepted `anchor(...)` call, located on chain. */
export interface AnchorRecord {
  /** EIP-155 chain id. */
  chainId: number;
  /** The VigilAnchor contract, 0x-hex (lower case). */
  contract: Hex;
  txHash: Hex;
  blockNumber: number;
  blockHash: Hex;
  /** Position of the `Anchored` log in its block. */
  logIndex: number;
  origin: string;
  size: number;
  /** RFC 9162 root of the anchored tree, hex without 0x (as the ledger writes it). */
  root: string;
  /** SHA-256 of the anchored C2SP checkpoint body, hex without 0x. */
  checkpointHash: string;
}

export const ANCHOR_PROOF_FORMAT = 'vigil-anchor/v1';

/**
 * What an evidence bundle's `anchor` field holds: the anchor covering the bundle's
 * checkpoint, the signed checkpoint it anchored, and an RFC 9162 consistency proof between
 * that tree and the bundle's (from the smaller to the larger).
 */
export interface AnchorProof {
  format: typeof ANCHOR_PROOF_FORMAT;
  anchor: AnchorRecord;
  checkpoint: Checkpoint;
  consistency: { from: number; to: number; proof: string[] };
}

/** An anchor as the node recorded it, with the signed checkpoint it anchored. */
export interface AnchoredEntry {
  anchor: AnchorRecord;
  /** The signed checkpoint anchored (bundles carry it). */
  checkpoint: Checkpoint;
  /** When the node recorded it, epoch milliseconds. */
  at: number;
}
