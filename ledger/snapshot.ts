/**
 * A read-only view of a data directory as of its last checkpoint (node-only), for
 * `vigil prove` while a writer may be running: it takes no lock and writes nothing. Leaf
 * hashes are recomputed from entries.log, not taken from the index, and the result must
 * reproduce the signed root before any proof is given. entries.log is read in pieces, never
 * whole, and the recomputed leaf hashes and offsets go to an unlinked temporary file: memory
 * holds the tree's upper levels (about a byte per entry); the rest is read back on demand.
 */
import { join } from 'node:path';
import { closeSync, existsSync, mkdtempSync, openSync, readSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { readFile } from 'node:fs/promises';
import { parsePublicKey, type Checkpoint, type Cosignature } from './checkpoint.js';
import { toHex } from './encoding.js';
import { parseEntry } from './entry.js';
import { LedgerError } from './errors.js';
import {
  CHECKPOINTS_FILE,
  COSIGNATURES_FILE,
  ENTRIES_FILE,
  parseCosignatureLine,
  PUBLIC_KEY_FILE,
  readTailOf,
  scanCheckpoints,
  scanLinesBackward,
  SCAN_CHUNK,
} from './files.js';
import { indexEntries, IndexReader, OffsetList } from './index-reader.js';
import { nodeCheckpointVerifier, nodeHasher } from './node-crypto.js';
import { MerkleTree } from './tree.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from './verifier.js';

export interface LedgerSnapshot {
  /** The latest checkpoint (signature checked). */
  readonly checkpoint: Checkpoint;
  readonly publicKey: Uint8Array;
  /** Leaf index of the first entry whose body.id is `id`, among those checkpointed. */
  indexOf(id: string): number | undefined;
  /**
   * An evidence bundle for entry `index`, against the covering checkpoint with the most
   * witness cosignatures (the newest among equals) of those co-signed most recently, else
   * the latest checkpoint.
   */
  prove(index: number): EvidenceBundle;
  proveById(id: string): EvidenceBundle;
  /** RFC 9162 consistency proof (hex) from the tree of `size1` to that of `size2`, 0 < size1 <= size2 <= checkpoint.size. */
  consistencyProof(size1: number, size2: number): string[];
  /** Root (hex) of the first `size` entries, 0 <= size <= checkpoint.size: what an anchor of that size must hold. */
  rootAt(size: number): string;
  /** Closes entries.log. */
  close(): void;
}

/** Distinct checkpoints read back from the end of cosignatures.log, at most. */
const COSIGNED_SIZES = 1000;

export async function openSnapshot(dir: string, options: { publicKey?: string | Uint8Array } = {}): Promise<LedgerSnapshot> {
  const publicKey = parsePublicKey(options.publicKey ?? (await readFile(join(dir, PUBLIC_KEY_FILE), 'utf8').catch((err: unknown) => {
    throw new LedgerError('KEY_ERROR', `cannot read ${join(dir, PUBLIC_KEY_FILE)}`, { cause: err });
  })));
  const verifyLog = nodeCheckpointVerifier(publicKey);
  const last = latestCheckpoint(dir, verifyLog);
  const entries = recomputeEntries(dir, last);
  return new FileSnapshot(last.checkpoint, publicKey, entries, cosignedCheckpoints(dir, last.checkpoint.size, verifyLog));
}

type CheckpointRecord = ReturnType<typeof scanCheckpoints>['records'][number];

/** The end of checkpoints.log: the latest checkpoint, its signature checked (the whole chain is vigil verify's). */
function latestCheckpoint(dir: string, verifyLog: (cp: Checkpoint) => void): CheckpointRecord {
  const tail = readTailOf(join(dir, CHECKPOINTS_FILE), 2);
  const scan = scanCheckpoints(tail.buf, verifyLog, 'last', tail.offset);
  if (scan.problem && !scan.problem.torn) {
    throw new LedgerError(scan.problem.code, `${CHECKPOINTS_FILE} offset ${scan.problem.fileOffset}: ${scan.problem.reason}`);
  }
  const last = scan.records.at(-1);
  if (!last) throw new LedgerError('NOT_FOUND', `${dir} has no checkpoint yet`);
  return last;
}

interface Entries {
  fd: number;
  tree: MerkleTree;
  /** Byte offset of entry `i` in entries.log; `size` gives the end of the last checkpointed entry. */
  offsetOf(i: number): number;
  close(): void;
}

/**
 * The leaf hashes and offsets of the checkpointed entries, recomputed from entries.log into
 * an unlinked temporary file (the tree keeps only its upper levels and recent nodes; old
 * leaf hashes and offsets are read back from there), and checked against the signed root.
 */
function recomputeEntries(dir: string, last: CheckpointRecord): Entries {
  const size = last.checkpoint.size;
  let fd: number;
  try {
    fd = openSync(join(dir, ENTRIES_FILE), 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    throw new LedgerError('CORRUPT_ENTRY', `${ENTRIES_FILE} is missing; the checkpoint covers ${size} entries`);
  }
  const tmpDir = mkdtempSync(join(tmpdir(), 'vigil-prove-'));
  const tmpPath = join(tmpDir, 'entries.idx');
  const idxFd = openSync(tmpPath, 'w+', 0o600);
  rmSync(tmpDir, { recursive: true, force: true });
  const index = new IndexReader(tmpPath, idxFd);
  const tree = new MerkleTree(nodeHasher, { leaves: index });
  const offsets = new OffsetList(index);
  const close = (): void => {
    closeSync(fd);
    index.close();
  };
  try {
    const { end } = indexEntries(fd, last.entriesOffset, size, idxFd, tree, offsets);
    if (tree.size < size) throw new LedgerError('CORRUPT_ENTRY', `${ENTRIES_FILE} ends after ${tree.size} entries; the checkpoint covers ${size}`);
    if (toHex(tree.root(size)) !== last.checkpoint.root) {
      throw new LedgerError('CORRUPT_ENTRY', `the entries do not reproduce the signed root of size ${size} (run vigil verify --data-dir ${dir})`);
    }
    return { fd, tree, offsetOf: (i) => (i === size ? end : offsets.get(i)), close };
  } catch (err) {
    close();
    throw err;
  }
}

interface Cosigned {
  checkpoint: Checkpoint;
  list: Cosignature[];
}

/**
 * The checkpoints up to `size` co-signed most recently (up to COSIGNED_SIZES of them, read
 * backwards from the end of cosignatures.log), each carrying this log's signature.
 */
function cosignedCheckpoints(dir: string, size: number, verifyLog: (cp: Checkpoint) => void): Map<number, Cosigned> {
  const cosigned = new Map<number, Cosigned>();
  const cosigPath = join(dir, COSIGNATURES_FILE);
  if (!existsSync(cosigPath)) return cosigned;
  const cfd = openSync(cosigPath, 'r');
  try {
    scanLinesBackward(cfd, (chunk, from, to) => {
      const r = parseCosignatureLine(chunk.toString('utf8', from, to));
      if (!r || r.checkpoint.size > size) return true;
      let slot = cosigned.get(r.checkpoint.size);
      if (!slot) {
        if (cosigned.size === COSIGNED_SIZES) return false;
        try {
          verifyLog(r.checkpoint);
        } catch {
          return true; // not a checkpoint of this log
        }
        slot = { checkpoint: r.checkpoint, list: [] };
        cosigned.set(r.checkpoint.size, slot);
      }
      if (slot.checkpoint.root === r.checkpoint.root && !slot.list.some((c) => c.publicKey === r.cosignature.publicKey)) slot.list.push(r.cosignature);
      return true;
    });
  } finally {
    closeSync(cfd);
  }
  return cosigned;
}

class FileSnapshot implements LedgerSnapshot {
  private readonly size: number;

  constructor(
    readonly checkpoint: Checkpoint,
    readonly publicKey: Uint8Array,
    private readonly entries: Entries,
    private readonly cosigned: Map<number, Cosigned>,
  ) {
    this.size = checkpoint.size;
  }

  private lineOf(i: number): string {
    const { fd, offsetOf } = this.entries;
    const buf = Buffer.allocUnsafe(offsetOf(i + 1) - 1 - offsetOf(i));
    readSync(fd, buf, 0, buf.length, offsetOf(i));
    return buf.toString('utf8');
  }

  /** Binary search for the entry holding byte `at` of entries.log. */
  private entryAt(at: number): number {
    let lo = 0;
    let hi = this.size - 1;
    while (lo < hi) {
      const mid = Math.ceil((lo + hi) / 2);
      if (this.entries.offsetOf(mid) <= at) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  indexOf(id: string): number | undefined {
    const { fd, offsetOf } = this.entries;
    const endOffset = offsetOf(this.size);
    const needle = Buffer.from(`"id":${JSON.stringify(id)}`);
    const window = Buffer.allocUnsafe(SCAN_CHUNK + needle.length);
    // Windows overlap by needle.length - 1 bytes, so a match across two pieces is seen once.
    for (let pos = 0; pos < endOffset; pos += SCAN_CHUNK) {
      const n = readSync(fd, window, 0, Math.min(window.length, endOffset - pos), pos);
      for (let hit = window.indexOf(needle, 0); hit !== -1 && hit < n; hit = window.indexOf(needle, hit + 1)) {
        if (hit + needle.length > n || hit >= SCAN_CHUNK) continue; // seen whole in the next window
        const index = this.entryAt(pos + hit);
        // The match may be a nested "id" or a string's content: parse to be sure.
        if (parseEntry(this.lineOf(index)).body['id'] === id) return index;
      }
    }
    return undefined;
  }

  prove(index: number): EvidenceBundle {
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.size) {
      throw new LedgerError('NOT_FOUND', `no checkpointed entry ${index} (the last checkpoint covers ${this.size})`);
    }
    let best: Cosigned = { checkpoint: this.checkpoint, list: [] };
    for (const slot of this.cosigned.values()) {
      if (slot.checkpoint.size <= index) continue;
      const more = slot.list.length - best.list.length;
      if (more > 0 || (more === 0 && slot.checkpoint.size > best.checkpoint.size)) best = slot;
    }
    const { tree } = this.entries;
    return {
      format: BUNDLE_FORMAT,
      entry: parseEntry(this.lineOf(index)),
      leafIndex: index,
      leafHash: toHex(tree.leafHash(index)),
      inclusionProof: tree.inclusionProof(index, best.checkpoint.size).map(toHex),
      checkpoint: best.checkpoint,
      cosignatures: best.list,
    };
  }

  proveById(id: string): EvidenceBundle {
    const index = this.indexOf(id);
    if (index === undefined) throw new LedgerError('NOT_FOUND', `no checkpointed entry has body.id ${JSON.stringify(id)}`);
    return this.prove(index);
  }

  consistencyProof(size1: number, size2: number): string[] {
    if (!Number.isSafeInteger(size1) || !Number.isSafeInteger(size2) || size1 < 1 || size1 > size2 || size2 > this.size) {
      throw new LedgerError('INVALID_ARGUMENT', `consistency proof from ${size1} to ${size2}: sizes must satisfy 0 < size1 <= size2 <= ${this.size}`);
    }
    return this.entries.tree.consistencyProof(size1, size2).map(toHex);
  }

  rootAt(n: number): string {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.size) throw new LedgerError('INVALID_ARGUMENT', `no tree of size ${n}: the last checkpoint covers ${this.size}`);
    return toHex(this.entries.tree.root(n));
  }

  close(): void {
    this.entries.close();
  }
}
