/**
 * Reading entries.idx-format records (u64 BE offset in entries.log, 32-byte leaf hash) back
 * from a file (node-only): old leaf hashes for a tree that keeps only recent low-level nodes,
 * and old entry offsets, so memory does not grow by 72 bytes with every entry. Used by the
 * writer over entries.idx and by `vigil prove` over the index it recomputes.
 */
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { LedgerError } from './errors.js';
import { INDEX_RECORD_SIZE, readIndexOffset, scanLines, writeIndexRecord, type LineScan } from './files.js';
import { nodeHasher } from './node-crypto.js';
import type { LeafSource, MerkleTree } from './tree.js';

/**
 * Reads records the file already holds (everything a checkpoint covers); the file is opened
 * lazily, so an index rebuilt and renamed into place is the one read.
 */
export class IndexReader implements LeafSource {
  #fd: number | undefined;
  #buf = Buffer.alloc(64 * INDEX_RECORD_SIZE);

  constructor(
    private readonly path: string,
    fd?: number,
  ) {
    this.#fd = fd;
  }

  #read(start: number, count: number): Buffer {
    this.#fd ??= openSync(this.path, 'r');
    const length = count * INDEX_RECORD_SIZE;
    if (this.#buf.length < length) this.#buf = Buffer.alloc(length);
    if (readFull(this.#fd, this.#buf, length, start * INDEX_RECORD_SIZE) < length) {
      throw new LedgerError('IO_ERROR', `${this.path} ends before record ${start + count - 1}`);
    }
    return this.#buf;
  }

  readLeaves(start: number, count: number, into: Uint8Array): void {
    const b = this.#read(start, count);
    for (let k = 0; k < count; k++) into.set(b.subarray(k * INDEX_RECORD_SIZE + 8, (k + 1) * INDEX_RECORD_SIZE), 32 * k);
  }

  offset(i: number): number {
    return readIndexOffset(this.#read(i, 1), 0);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}

const OFFSET_CHUNK_SHIFT = 15;
const OFFSET_CHUNK_MASK = (1 << OFFSET_CHUNK_SHIFT) - 1;

/** Entries' byte offsets in entries.log: the newest two chunks in memory, older ones read from the index. */
export class OffsetList {
  private readonly chunks: (Float64Array | undefined)[] = [];
  length = 0;

  constructor(private readonly index: IndexReader) {}

  push(offset: number): void {
    const c = this.length >>> OFFSET_CHUNK_SHIFT;
    let chunk = this.chunks[c];
    if (!chunk) {
      chunk = new Float64Array(1 << OFFSET_CHUNK_SHIFT);
      this.chunks[c] = chunk;
      if (c >= 2) this.chunks[c - 2] = undefined;
    }
    chunk[this.length++ & OFFSET_CHUNK_MASK] = offset;
  }

  get(i: number): number {
    const chunk = this.chunks[i >>> OFFSET_CHUNK_SHIFT];
    return chunk ? chunk[i & OFFSET_CHUNK_MASK]! : this.index.offset(i);
  }
}

export function readFull(fd: number, buf: Buffer, length: number, position: number): number {
  let done = 0;
  while (done < length) {
    const n = readSync(fd, buf, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  return done;
}

export function writeFullSync(fd: number, buf: Buffer, length: number): void {
  for (let done = 0; done < length; ) done += writeSync(fd, buf, done, length - done);
}

/**
 * Recomputes index records for the first `count` entries of entries.log (bytes [0, `bytes`)
 * of `entriesFd`): each line's leaf hash, written with its offset to `out` in large writes,
 * and appended to `tree` and `offsets`. Stops after `count` entries; the caller checks that
 * there were that many (`offsets.length`) and that the tree reproduces the signed root.
 */
export function indexEntries(entriesFd: number, bytes: number, count: number, out: number, tree: MerkleTree, offsets: OffsetList): LineScan {
  const records = Buffer.allocUnsafe(INDEX_RECORD_SIZE * 65_536);
  let at = 0;
  const scan = scanLines(entriesFd, 0, bytes, (chunk, from, to, offset) => {
    const leaf = nodeHasher.hashLeaf(chunk.subarray(from, to));
    writeIndexRecord(records, at, offset, leaf);
    at += INDEX_RECORD_SIZE;
    if (at === records.length) {
      writeFullSync(out, records, at);
      at = 0;
    }
    offsets.push(offset);
    tree.append(leaf);
    return offsets.length < count;
  });
  writeFullSync(out, records, at);
  return scan;
}
