/**
 * The writer's append path (node-only): entries encoded straight into a buffer, each full
 * buffer handed to the file system (entries.log) and to the hashing thread, whose leaf and
 * node hashes go into the tree and into the index records (entries.idx), in order. Reads
 * of an entry back from entries.log wait for the writes ahead of them.
 */
import type { FileHandle } from 'node:fs/promises';
import { writeAll } from './durable-io.js';
import { LedgerError } from './errors.js';
import { INDEX_RECORD_SIZE, writeIndexOffset } from './files.js';
import type { HashWorker } from './hash-worker.js';
import type { OffsetList } from './index-reader.js';
import { hashLeafString } from './node-crypto.js';
import type { MerkleTree } from './tree.js';

export interface AppendReceipt {
  /** The entry's leaf index (0-based). */
  readonly index: number;
  /** HASH(0x00 || canonical entry), hex: the entry hash an alert quotes. */
  readonly leafHash: string;
}

/**
 * The leaf hash is computed when first read: the hashing thread computes it for the tree
 * anyway, and most appends (every stored event) never ask for it.
 */
export class Receipt implements AppendReceipt {
  #line: string | undefined;
  #leafHash: string | undefined;
  constructor(
    readonly index: number,
    line: string,
  ) {
    this.#line = line;
  }
  get leafHash(): string {
    if (this.#leafHash === undefined) {
      this.#leafHash = hashLeafString(this.#line!);
      this.#line = undefined;
    }
    return this.#leafHash;
  }
  toJSON(): { index: number; leafHash: string } {
    return { index: this.index, leafHash: this.leafHash };
  }
}

/**
 * Bytes of entries buffered before they are handed to the file system in one write.
 * Entries are encoded straight into this buffer: holding them as JS strings until then
 * would make the young-generation GC copy every one of them.
 */
const PENDING_BYTES = 4 << 20;
/** A buffer of entry lines not yet handed over, with their index records. */
class PendingBatch {
  readonly data: Buffer;
  readonly index: Buffer;
  at = 0;
  indexAt = 0;
  count = 0;
  constructor(bytes: number) {
    this.data = Buffer.allocUnsafe(bytes);
    this.index = Buffer.allocUnsafe(Math.max(INDEX_RECORD_SIZE, Math.ceil(bytes / 40) * INDEX_RECORD_SIZE));
  }
  fits(line: string): boolean {
    // UTF-8 needs at most 3 bytes per UTF-16 code unit.
    return this.at + line.length * 3 + 1 <= this.data.length && this.indexAt + INDEX_RECORD_SIZE <= this.index.length;
  }
}


/**
 * Marks a chained promise as observed: its failure is reported through #fail and whoever
 * awaits the chain, never as an unhandled rejection that would end the process.
 */
export function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

export interface EntryWriterInit {
  tree: MerkleTree;
  offsets: OffsetList;
  /** Length of entries.log at the last durable checkpoint. */
  bytes: number;
  files: { entries: FileHandle; index: FileHandle; read: FileHandle };
  hasher: HashWorker;
  /** Records a write failure (the ledger stops taking entries) and returns the error to throw. */
  fail: (err: unknown) => LedgerError;
}

export class EntryWriter {
  readonly #tree: MerkleTree;
  readonly #offsets: OffsetList;
  readonly #files: EntryWriterInit['files'];
  readonly #hasher: HashWorker;
  readonly #fail: EntryWriterInit['fail'];
  #pending = new PendingBatch(PENDING_BYTES);
  /** Entries appended. */
  #size: number;
  /** Entries handed to the file system (written or being written). */
  #flushed: number;
  /** Length of entries.log once everything handed over is written. */
  #bytes: number;
  #io: Promise<void> = Promise.resolve();
  /** Settles when every flushed batch's hashes are in the tree. */
  #hashed: Promise<void> = Promise.resolve();

  constructor(init: EntryWriterInit) {
    this.#tree = init.tree;
    this.#offsets = init.offsets;
    this.#files = init.files;
    this.#hasher = init.hasher;
    this.#fail = init.fail;
    this.#bytes = init.bytes;
    this.#size = init.tree.size;
    this.#flushed = init.tree.size;
  }

  get size(): number {
    return this.#size;
  }

  get flushed(): number {
    return this.#flushed;
  }

  /** Bytes of entries.log once every flushed batch is written. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Settles when every write handed over so far is done. */
  get io(): Promise<void> {
    return this.#io;
  }

  /** Settles when the hashes of every flushed batch are in the tree. */
  get hashed(): Promise<void> {
    return this.#hashed;
  }

  /** Buffers one encoded entry line; returns its leaf index. */
  append(line: string): number {
    let p = this.#pending;
    if (!p.fits(line)) {
      this.flush();
      p = this.#pending;
      if (!p.fits(line)) p = this.#pending = new PendingBatch(line.length * 3 + 1);
    }
    const start = p.at;
    const length = p.data.write(line, start, 'utf8');
    p.data[start + length] = 0x0a;
    p.at = start + length + 1;
    const offset = this.#bytes + start;
    this.#offsets.push(offset);
    writeIndexOffset(p.index, p.indexAt, offset);
    p.indexAt += INDEX_RECORD_SIZE;
    p.count++;
    return this.#size++;
  }

  /** Hands buffered lines and their index records to the file system, in order. */
  flush(): void {
    const p = this.#pending;
    if (p.count === 0) return;
    this.#pending = new PendingBatch(PENDING_BYTES);
    const data = p.data.subarray(0, p.at);
    const index = p.index.subarray(0, p.indexAt);
    const first = this.#flushed;
    this.#flushed += p.count;
    this.#bytes += data.length;
    const { entries, index: idx } = this.#files;
    const onError = (err: unknown): never => {
      throw this.#fail(err);
    };
    this.#io = quiet(this.#io.then(() => writeAll(entries, data)).then(() => undefined, onError));
    // The index records get their leaf hashes when the hashing thread answers.
    const hashes = this.#hasher.hash(data, p.count);
    this.#hashed = quiet(
      this.#hashed
        .then(() => hashes)
        .then((h) => {
          let at = 0;
          for (let k = 0; k < p.count; k++) {
            index.set(h.subarray(at, at + 32), k * INDEX_RECORD_SIZE + 8);
            at = this.#tree.appendComputed(h, at);
          }
          if (this.#tree.size !== first + p.count) throw new LedgerError('IO_ERROR', 'the hashing thread lost entries');
          this.#io = quiet(this.#io.then(() => writeAll(idx, index)).then(() => undefined, onError));
        })
        .catch(onError),
    );
  }

  /** The line of entry `index` (flushed) read back from entries.log, without its newline. */
  async readLine(index: number): Promise<string> {
    const start = this.#offsets.get(index);
    const end = index + 1 < this.#flushed ? this.#offsets.get(index + 1) : this.#bytes;
    await this.#io;
    const buf = Buffer.allocUnsafe(end - start - 1);
    await this.#files.read.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  }

  terminate(): Promise<void> {
    return this.#hasher.terminate();
  }
}
