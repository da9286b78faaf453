/**
 * `vigil verify --rpc`: the local log held against every anchor the chain holds for its
 * origin. The chain is the witness that cannot be rolled back with the files: a ledger cut
 * back (fewer entries than an anchor commits to) or rewritten (its first `size` entries no
 * longer reproduce an anchored root, even when every checkpoint was re-signed with the
 * node's own key) contradicts an anchor, and the report names it. Browser-safe (pure).
 */
import type { AnchorRecord } from './types.js';

/** What the audit needs of the local log: its size and the RFC 9162 root at a size. */
export interface LocalLogView {
  origin: string;
  /** Entries under the log's latest good checkpoint. */
  size: number;
  /** Root (hex) of the first `size` entries, for 0 < size <= this.size. */
  rootAt(size: number): string | Promise<string>;
  /** The hash of the local checkpoint of exactly `size`, if the log has one. */
  checkpointHashAt?(size: number): string | undefined | Promise<string | undefined>;
}

export interface AnchorContradiction {
  kind: 'rolled-back' | 'rewritten' | 'checkpoint-differs';
  anchor: AnchorRecord;
  reason: string;
}

export interface AnchorAudit {
  ok: boolean;
  /** Anchors found on chain for the origin. */
  anchors: number;
  /** The largest anchored size (0 with none). */
  anchoredSize: number;
  contradictions: AnchorContradiction[];
}

export const describeAnchor = (a: AnchorRecord): string => `anchor of size ${a.size} in tx ${a.txHash} (block ${a.blockNumber} ${a.blockHash}, log ${a.logIndex}, contract ${a.contract}, chain ${a.chainId})`;

export async function auditAnchors(anchors: readonly AnchorRecord[], log: LocalLogView): Promise<AnchorAudit> {
  const contradictions: AnchorContradiction[] = [];
  let anchoredSize = 0;
  for (const a of anchors) {
    if (a.origin !== log.origin) continue;
    anchoredSize = Math.max(anchoredSize, a.size);
    if (a.size > log.size) {
      contradictions.push({
        kind: 'rolled-back',
        anchor: a,
        reason: `the ${describeAnchor(a)} commits to ${a.size} entries with root ${a.root}, but the local log holds only ${log.size}: it was rolled back or truncated`,
      });
      continue;
    }
    const root = await log.rootAt(a.size);
    if (root !== a.root) {
      contradictions.push({
        kind: 'rewritten',
        anchor: a,
        reason: `the local log's first ${a.size} entries have root ${root}, but the ${describeAnchor(a)} says ${a.root}: entries were rewritten`,
      });
      continue;
    }
    const local = await log.checkpointHashAt?.(a.size);
    if (local !== undefined && local !== a.checkpointHash) {
      contradictions.push({
        kind: 'checkpoint-differs',
        anchor: a,
        reason: `the local checkpoint of size ${a.size} hashes to ${local}, but the ${describeAnchor(a)} anchored ${a.checkpointHash}: the checkpoint was re-signed or replaced`,
      });
    }
  }
  return { ok: contradictions.length === 0, anchors: anchors.length, anchoredSize, contradictions };
}
