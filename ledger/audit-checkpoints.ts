/**
 * The audit's view of checkpoints.log after the chain scan (a compact table of the good
 * checkpoints), and the check of cosignatures.log against it (audit.ts, steps 2 and 4).
 */
import { fstatSync } from 'node:fs';
import { join } from 'node:path';
import { checkpointHash, type Checkpoint } from './checkpoint.js';
import { fromHex, toHex } from './encoding.js';
import { CHECKPOINTS_FILE, COSIGNATURES_FILE, parseCosignatureRecord, scanLines, type CheckpointRecord } from './files.js';
import { nodeVerifyCosignature } from './node-crypto.js';
import { message, withFile } from './audit-files.js';
import type { AuditFailure } from './audit-types.js';

/** What the audit needs of one checkpoint record after the chain scan. */
export interface CheckpointView {
  size: number;
  root: string;
  entriesOffset: number;
  fileOffset: number;
}

/**
 * Every good checkpoint of the chain in typed arrays (88 bytes each: size, offsets, root and
 * the checkpoint's hash), not as parsed objects: a long-lived log has tens of millions.
 */
export class CheckpointTable {
  #n = 0;
  #nums = new Float64Array(3 * 1024); // size, entriesOffset, fileOffset
  #bytes = new Uint8Array(64 * 1024); // root, checkpoint hash

  get length(): number {
    return this.#n;
  }

  push(r: CheckpointRecord): void {
    if (this.#n * 3 === this.#nums.length) {
      const nums = new Float64Array(this.#nums.length * 2);
      nums.set(this.#nums);
      this.#nums = nums;
      const bytes = new Uint8Array(this.#bytes.length * 2);
      bytes.set(this.#bytes);
      this.#bytes = bytes;
    }
    const i = this.#n++;
    this.#nums[3 * i] = r.checkpoint.size;
    this.#nums[3 * i + 1] = r.entriesOffset;
    this.#nums[3 * i + 2] = r.fileOffset;
    this.#bytes.set(fromHex(r.checkpoint.root, 32)!, 64 * i);
    this.#bytes.set(fromHex(checkpointHash(r.checkpoint), 32)!, 64 * i + 32);
  }

  sizeAt(i: number): number {
    return this.#nums[3 * i]!;
  }

  get(i: number): CheckpointView {
    return {
      size: this.#nums[3 * i]!,
      entriesOffset: this.#nums[3 * i + 1]!,
      fileOffset: this.#nums[3 * i + 2]!,
      root: toHex(this.#bytes.subarray(64 * i, 64 * i + 32)),
    };
  }

  /** The record of the checkpoint of this size (sizes grow along the chain), if any. */
  findSize(size: number): number | undefined {
    let lo = 0;
    let hi = this.#n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const s = this.#nums[3 * mid]!;
      if (s === size) return mid;
      if (s < size) lo = mid + 1;
      else hi = mid - 1;
    }
    return undefined;
  }

  hashIs(i: number, hash: string): boolean {
    return toHex(this.#bytes.subarray(64 * i + 32, 64 * i + 64)) === hash;
  }
}

/**
 * Cosignatures. Each record repeats the checkpoint it co-signs, so it stands alone: the log's
 * signature on it and the witness's must verify, and checkpoints.log must hold exactly that
 * checkpoint — one that is gone shows checkpoints were cut back or rewritten. `checkpointsSize`
 * is where a missing checkpoint would have been (the end of checkpoints.log).
 */
export function checkCosignatures(
  dir: string,
  records: CheckpointTable,
  verifyLog: (cp: Checkpoint) => void,
  checkpointsSize: number,
): { count: number; failure?: AuditFailure } {
  let count = 0;
  const failure = withFile(
    join(dir, COSIGNATURES_FILE),
    (fd) => {
      let failure: AuditFailure | undefined;
      const scanned = scanLines(fd, 0, fstatSync(fd).size, (chunk, start, end, offset) => {
        failure = checkCosignature(chunk.toString('utf8', start, end), offset, records, verifyLog, checkpointsSize);
        if (failure) return false;
        count++;
        return true;
      });
      if (!failure && scanned.rest > 0) {
        failure = {
          code: 'CORRUPT_CHECKPOINT',
          file: COSIGNATURES_FILE,
          offset: scanned.end,
          reason: `cosignature record: torn record (no newline) (a crash can leave this; opening the ledger drops it)`,
        };
      }
      return failure;
    },
    undefined,
  );
  return failure ? { count, failure } : { count };
}

function checkCosignature(line: string, offset: number, records: CheckpointTable, verifyLog: (cp: Checkpoint) => void, checkpointsSize: number): AuditFailure | undefined {
  let c: ReturnType<typeof parseCosignatureRecord>;
  try {
    c = parseCosignatureRecord(line);
  } catch (err) {
    return { code: 'CORRUPT_CHECKPOINT', file: COSIGNATURES_FILE, offset, reason: `cosignature record: ${message(err)}` };
  }
  const who = `witness ${c.cosignature.witness}`;
  try {
    verifyLog(c.checkpoint);
    nodeVerifyCosignature(c.checkpoint, c.cosignature, fromHex(c.cosignature.publicKey, 32)!);
  } catch (err) {
    return { code: 'SIGNATURE_ERROR', file: COSIGNATURES_FILE, offset, reason: `cosignature record: ${message(err)}` };
  }
  const i = records.findSize(c.checkpoint.size);
  if (i === undefined) {
    return {
      code: 'CORRUPT_CHECKPOINT',
      file: CHECKPOINTS_FILE,
      offset: checkpointsSize,
      checkpoint: records.length,
      reason: `the log signed, and ${who} co-signed, a checkpoint of size ${c.checkpoint.size} that ${CHECKPOINTS_FILE} does not hold: checkpoints were removed`,
    };
  }
  if (!records.hashIs(i, checkpointHash(c.checkpoint))) {
    return {
      code: 'CORRUPT_CHECKPOINT',
      file: CHECKPOINTS_FILE,
      offset: records.get(i).fileOffset,
      checkpoint: i,
      reason: `the log signed two different checkpoints of size ${c.checkpoint.size}; ${who} co-signed the other one (root ${c.checkpoint.root})`,
    };
  }
  return undefined;
}
