/**
 * The writer: an append-only, signed, optionally witnessed Merkle log in a data directory
 * (node-only). Appends are synchronous and in memory; a checkpoint — cut every
 * `checkpointEvery` entries or `checkpointIntervalMs`, whichever comes first — writes and
 * fsyncs the entries, then signs and fsyncs the checkpoint. Only then are its entries
 * reported as committed. File formats: `files.ts`.
 */
import { closeSync, constants, openSync } from 'node:fs';
import { mkdir, open, readFile, realpath, rename, rm, stat, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointHash,
  GENESIS_PREV,
  publicKeyToPem,
  signCheckpoint,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { toHex } from './encoding.js';
import { encodeEntry, parseEntry, type LedgerEntry } from './entry.js';
import { LedgerError } from './errors.js';
import {
  CHECKPOINTS_FILE,
  COSIGNATURES_FILE,
  encodeCheckpointRecord,
  encodeCosignatureRecord,
  ENTRIES_FILE,
  INDEX_FILE,
  INDEX_RECORD_SIZE,
  LOCK_FILE,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  readIndexOffset,
  scanCheckpoints,
  parseCosignatureLine,
  readTailOf,
  scanLines,
  scanLinesBackward,
  writeIndexOffset,
  type CheckpointRecord,
} from './files.js';
import { loadOrCreateKeyPair, type KeyPair } from './keys.js';
import { hashLeafString, nodeCheckpointVerifier, nodeHasher } from './node-crypto.js';
import { HashWorker } from './hash-worker.js';
import { IdIndex } from './id-index.js';
import { indexEntries, IndexReader, OffsetList, readFull } from './index-reader.js';
import { MerkleTree } from './tree.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from './verifier.js';
import { WitnessPool, type NormalisedWitnessPolicy, type WitnessPolicy } from './witness-client.js';

/** Compatible with pino and console. */
export interface LedgerLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface LedgerOptions {
  /** The data directory; created if absent. */
  dir: string;
  /** Cut a checkpoint once this many entries are uncovered. @default 10000 */
  checkpointEvery?: number;
  /** …or once the oldest uncovered entry is this many milliseconds old. @default 1000 */
  checkpointIntervalMs?: number;
  /** Epoch milliseconds, for checkpoint times. @default Date.now */
  clock?: () => number;
  /** @default warnings and errors to stderr, info dropped */
  logger?: LedgerLogger;
  /**
   * The log's name, the first line of every checkpoint. Fixed by the first checkpoint.
   * @default `vigil/` + the first 16 hex digits of the public key
   */
  origin?: string;
  /** Witnesses that must co-sign a checkpoint before it counts as published. @default none */
  witnesses?: WitnessPolicy;
  /**
   * The signing key's file (absolute, or relative to `dir`); made, mode 0600, if absent.
   * The public key is always `dir/public.pem`, where verifiers look. @default 'private.pem'
   */
  keyPath?: string;
}

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
class Receipt implements AppendReceipt {
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

interface Config {
  dir: string;
  checkpointEvery: number;
  checkpointIntervalMs: number;
  clock: () => number;
  logger: LedgerLogger;
  origin: string | undefined;
  witnesses: NormalisedWitnessPolicy | undefined;
  keyPath: string;
}

interface LedgerFiles {
  entries: FileHandle;
  index: FileHandle;
  checkpoints: FileHandle;
  cosignatures: FileHandle;
  read: FileHandle;
}

const stderrLogger: LedgerLogger = {
  info: () => {},
  warn: (m) => process.stderr.write(`ledger: ${m}\n`),
  error: (m) => process.stderr.write(`ledger: ${m}\n`),
};

/** Options normalised once, failing at start with the option's name (STYLE.md 6). */
function normalise(options: LedgerOptions): Config {
  const bad = (name: string, want: string, got: unknown): never => {
    throw new LedgerError('INVALID_ARGUMENT', `option ${name} must be ${want}, got ${JSON.stringify(got)}`);
  };
  if (typeof options !== 'object' || options === null) bad('options', 'an object', options);
  if (typeof options.dir !== 'string' || options.dir === '') bad('dir', 'a directory path', options.dir);
  const every = options.checkpointEvery ?? 10_000;
  if (!Number.isSafeInteger(every) || every < 1) bad('checkpointEvery', 'a positive integer', every);
  const interval = options.checkpointIntervalMs ?? 1000;
  if (typeof interval !== 'number' || !Number.isFinite(interval) || interval < 1 || interval > 2 ** 31 - 1) {
    bad('checkpointIntervalMs', 'milliseconds between 1 and 2^31-1', interval);
  }
  if (options.clock !== undefined && typeof options.clock !== 'function') bad('clock', 'a function', typeof options.clock);
  if (options.keyPath !== undefined && (typeof options.keyPath !== 'string' || options.keyPath === '')) bad('keyPath', 'a file path', options.keyPath);
  if (options.origin !== undefined && !/^[\x21-\x7e][\x20-\x7e]{0,254}$/.test(options.origin)) {
    bad('origin', '1-255 printable ASCII characters', options.origin);
  }
  return {
    dir: options.dir,
    checkpointEvery: every,
    checkpointIntervalMs: interval,
    clock: options.clock ?? Date.now,
    logger: options.logger ?? stderrLogger,
    origin: options.origin,
    witnesses: options.witnesses ? WitnessPool.normalise(options.witnesses) : undefined,
    keyPath: options.keyPath ?? PRIVATE_KEY_FILE,
  };
}

/** The writer's tree and offsets, with old nodes and offsets read back from the index file. */
function writerState(indexPath: string): { tree: MerkleTree; offsets: OffsetList; index: IndexReader } {
  const index = new IndexReader(indexPath);
  return { tree: new MerkleTree(nodeHasher, { leaves: index }), offsets: new OffsetList(index), index };
}

/**
 * Bytes of entries buffered before they are handed to the file system in one write.
 * Entries are encoded straight into this buffer: holding them as JS strings until then
 * would make the young-generation GC copy every one of them.
 */
const PENDING_BYTES = 4 << 20;
/** entries.log is read in pieces of this size when the id index is built. */
const ID_SCAN_CHUNK = 8 << 20;

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

interface Waiter {
  index: number;
  resolve: (cp: Checkpoint) => void;
  reject: (err: unknown) => void;
}

export class Ledger {
  readonly #cfg: Config;
  readonly #keys: KeyPair;
  readonly #origin: string;
  /** Complete up to the entries the hashing thread has returned (all flushed ones, once #hashed settles). */
  readonly #tree: MerkleTree;
  readonly #hasher: HashWorker;
  /** Entries appended. */
  #size: number;
  /** Settles when every flushed batch's hashes are in #tree. */
  #hashed: Promise<void> = Promise.resolve();
  readonly #offsets: OffsetList;
  readonly #indexReader: IndexReader;
  readonly #files: LedgerFiles;
  readonly #lock: string;
  #pending = new PendingBatch(PENDING_BYTES);
  /** Entries handed to the file system (written or being written). */
  #flushed: number;
  /** Length of entries.log once everything handed over is written. */
  #bytes: number;
  #io: Promise<void> = Promise.resolve();
  #cutChain: Promise<unknown> = Promise.resolve();
  #cutQueued = false;
  #requestedCutAt: number;
  #latest: CheckpointRecord | undefined;
  #waiters: Waiter[] = [];
  #published: Checkpoint | undefined;
  #pubWaiters: Waiter[] = [];
  #cosigs = new Map<number, { checkpoint: Checkpoint; list: Cosignature[] }>();
  #witnesses: WitnessPool | undefined;
  /** body.id → leaf index, built on first use; appends meanwhile wait in `#idsAppended`. */
  #ids: IdIndex | undefined;
  #idsAppended: string[] | undefined;
  #idsBuilding: Promise<IdIndex> | undefined;
  #timer: NodeJS.Timeout;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: LedgerError | undefined;

  private constructor(init: {
    cfg: Config;
    keys: KeyPair;
    origin: string;
    tree: MerkleTree;
    offsets: OffsetList;
    index: IndexReader;
    bytes: number;
    latest: CheckpointRecord | undefined;
    published: Checkpoint | undefined;
    files: LedgerFiles;
    lock: string;
  }) {
    this.#indexReader = init.index;
    this.#lock = init.lock;
    this.#cfg = init.cfg;
    this.#keys = init.keys;
    this.#origin = init.origin;
    this.#tree = init.tree;
    this.#offsets = init.offsets;
    this.#bytes = init.bytes;
    this.#flushed = init.tree.size;
    this.#size = init.tree.size;
    this.#hasher = new HashWorker(init.tree.size, init.tree.frontier());
    this.#requestedCutAt = init.tree.size;
    this.#latest = init.latest;
    this.#published = init.published;
    this.#files = init.files;
    if (init.cfg.witnesses) {
      this.#witnesses = new WitnessPool(init.cfg.witnesses, {
        logPublicKey: init.keys.publicKey,
        consistencyProof: (m, n) => this.#tree.consistencyProof(m, n),
        onCosignature: (cp, c) => this.#onCosignature(cp, c),
        logger: init.cfg.logger,
      });
    }
    this.#timer = setInterval(() => {
      if (this.#size > (this.#latest?.checkpoint.size ?? 0) && !this.#cutQueued) {
        this.#queueCut();
      }
    }, init.cfg.checkpointIntervalMs);
    this.#timer.unref();
  }

  /**
   * Opens (or creates) the ledger in `options.dir`, recovering to the last durable
   * checkpoint: entries written after it are dropped, and the logger says how many and why.
   */
  static async open(options: LedgerOptions): Promise<Ledger> {
    const cfg = normalise(options);
    const dir = cfg.dir;
    // Owner-only: the log, its index and (by default) the signing key live here.
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const lock = join(await realpath(dir), LOCK_FILE);
    await takeLock(lock);
    try {
      const keys = await loadOrCreateKeyPair(dir, cfg.keyPath, PUBLIC_KEY_FILE, (m) => cfg.logger.warn(m));
      const recovered = await recover(dir, keys, cfg);
      const defaultOrigin = `vigil/${toHex(keys.publicKey).slice(0, 16)}`;
      const logOrigin = recovered.latest?.checkpoint.origin;
      if (cfg.origin !== undefined && logOrigin !== undefined && cfg.origin !== logOrigin) {
        throw new LedgerError('INVALID_ARGUMENT', `option origin is ${cfg.origin}, but this log's checkpoints say ${logOrigin}`);
      }
      const origin = logOrigin ?? cfg.origin ?? defaultOrigin;
      const append = constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT;
      const files = {
        entries: await open(join(dir, ENTRIES_FILE), append, 0o600),
        index: await open(join(dir, INDEX_FILE), append, 0o600),
        checkpoints: await open(join(dir, CHECKPOINTS_FILE), append, 0o600),
        cosignatures: await open(join(dir, COSIGNATURES_FILE), append, 0o600),
        read: await open(join(dir, ENTRIES_FILE), 'r'),
      };
      await syncDir(dir);
      const ledger = new Ledger({ cfg, keys, origin, ...recovered, files, lock });
      for (const [size, entry] of recovered.cosigs) ledger.#cosigs.set(size, entry);
      return ledger;
    } catch (err) {
      await releaseLock(lock);
      throw err;
    }
  }

  /** Number of entries appended (committed or not). */
  get size(): number {
    return this.#size;
  }

  /** The latest durable checkpoint, if any. */
  get latestCheckpoint(): Checkpoint | undefined {
    return this.#latest?.checkpoint;
  }

  /** The latest checkpoint co-signed by the required witnesses (or durable, without witnesses). */
  get latestPublished(): Checkpoint | undefined {
    return this.#witnesses ? this.#published : this.#latest?.checkpoint;
  }

  get origin(): string {
    return this.#origin;
  }

  /** The log's Ed25519 public key, 32 raw bytes. */
  get publicKey(): Uint8Array {
    return this.#keys.publicKey.slice();
  }

  /** The log's public key as SPKI PEM, as written to `public.pem`: what auditors pin. */
  get publicKeyPem(): string {
    return publicKeyToPem(this.#keys.publicKey);
  }

  /** Appends one entry in memory; throws INVALID_ENTRY (nothing appended) on a bad one. */
  append(entry: LedgerEntry): AppendReceipt {
    this.#checkOpen();
    return this.#appendLine(encodeEntry(entry), entry.body['id'] as string);
  }

  /** Appends all entries, or none if one is invalid. */
  appendMany(entries: readonly LedgerEntry[]): AppendReceipt[] {
    this.#checkOpen();
    const lines = entries.map((e) => encodeEntry(e));
    return lines.map((line, i) => this.#appendLine(line, entries[i]!.body['id'] as string));
  }

  #appendLine(line: string, id: string): AppendReceipt {
    let p = this.#pending;
    if (!p.fits(line)) {
      this.#flushPending();
      p = this.#pending;
      if (!p.fits(line)) p = this.#pending = new PendingBatch(line.length * 3 + 1);
    }
    const start = p.at;
    const length = p.data.write(line, start, 'utf8');
    p.data[start + length] = 0x0a;
    p.at = start + length + 1;
    const index = this.#size++;
    const offset = this.#bytes + start;
    this.#offsets.push(offset);
    writeIndexOffset(p.index, p.indexAt, offset);
    p.indexAt += INDEX_RECORD_SIZE;
    p.count++;
    if (this.#ids) this.#ids.add(id);
    else this.#idsAppended?.push(id);
    if (index + 1 - this.#requestedCutAt >= this.#cfg.checkpointEvery && !this.#cutQueued) this.#queueCut();
    return new Receipt(index, line);
  }

  /** Resolves with the first durable checkpoint that covers `index`. */
  committed(index: number): Promise<Checkpoint> {
    return this.#wait(index, this.#latest?.checkpoint, this.#waiters);
  }

  /**
   * Resolves with the first checkpoint covering `index` that the required witnesses have
   * co-signed; without witnesses, the same as `committed`.
   */
  published(index: number): Promise<Checkpoint> {
    if (!this.#witnesses) return this.committed(index);
    return this.#wait(index, this.#published, this.#pubWaiters);
  }

  #wait(index: number, have: Checkpoint | undefined, waiters: Waiter[]): Promise<Checkpoint> {
    if (!Number.isSafeInteger(index) || index < 0) {
      return Promise.reject(new LedgerError('INVALID_ARGUMENT', `index must be a non-negative integer, got ${index}`));
    }
    if (have && index < have.size) return Promise.resolve(have);
    if (index >= this.#size) {
      return Promise.reject(new LedgerError('NOT_FOUND', `no entry ${index}: the ledger has ${this.#size}`));
    }
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new LedgerError('CLOSED', 'the ledger is closed'));
    // Someone waits for durability: keep the process alive until the next cut.
    this.#timer.ref();
    return new Promise((resolve, reject) => waiters.push({ index, resolve, reject }));
  }

  #settle(cp: Checkpoint): void {
    this.#waiters = settle(this.#waiters, cp);
    if (this.#waiters.length === 0 && this.#pubWaiters.length === 0) this.#timer.unref();
  }

  /** Cuts a checkpoint now (or returns the latest if nothing was appended since). */
  checkpoint(): Promise<Checkpoint> {
    if (this.#closed) return Promise.reject(new LedgerError('CLOSED', 'the ledger is closed'));
    return this.#enqueueCut();
  }

  #queueCut(): void {
    this.#cutQueued = true;
    this.#enqueueCut().catch((err: unknown) => {
      this.#cfg.logger.error(`checkpoint failed: ${err instanceof Error ? err.message : String(err)}`);
    });
  }

  #enqueueCut(): Promise<Checkpoint> {
    const run = this.#cutChain.then(() => this.#cut());
    this.#cutChain = run.catch(() => undefined);
    return run;
  }

  async #cut(): Promise<Checkpoint> {
    this.#cutQueued = false;
    if (this.#failure) throw this.#failure;
    const size = this.#size;
    const latest = this.#latest;
    if (latest && latest.checkpoint.size === size) return latest.checkpoint;
    this.#requestedCutAt = size;
    this.#flushPending();
    const entriesOffset = this.#bytes;
    let record: CheckpointRecord;
    try {
      await this.#hashed;
      const root = toHex(this.#tree.root(size));
      await this.#io;
      await Promise.all([this.#files.entries.datasync(), this.#files.index.datasync()]);
      const prevTs = latest?.checkpoint.ts ?? 0;
      const checkpoint = signCheckpoint(
        {
          origin: this.#origin,
          size,
          root,
          prev: latest ? checkpointHash(latest.checkpoint) : GENESIS_PREV,
          ts: Math.max(Math.floor(this.#cfg.clock()), prevTs),
        },
        this.#keys.secretKey,
      );
      const line = encodeCheckpointRecord(checkpoint, entriesOffset);
      const { size: fileOffset } = await this.#files.checkpoints.stat();
      await writeAll(this.#files.checkpoints, Buffer.from(line));
      await this.#files.checkpoints.datasync();
      record = { checkpoint, entriesOffset, fileOffset };
    } catch (err) {
      throw this.#fail(err);
    }
    this.#latest = record;
    const cp = record.checkpoint;
    this.#settle(cp);
    this.#witnesses?.offer(cp);
    return cp;
  }

  /** Hands buffered lines and their index records to the file system, in order. */
  #flushPending(): void {
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

  #fail(err: unknown): LedgerError {
    if (!this.#failure) {
      this.#failure =
        err instanceof LedgerError ? err : new LedgerError('IO_ERROR', `writing the ledger failed: ${String(err)}`, { cause: err });
      this.#cfg.logger.error(this.#failure.message);
      for (const w of [...this.#waiters, ...this.#pubWaiters]) w.reject(this.#failure);
      this.#waiters = [];
      this.#pubWaiters = [];
    }
    return this.#failure;
  }

  #onCosignature(cp: Checkpoint, c: Cosignature): void {
    let slot = this.#cosigs.get(cp.size);
    if (!slot) {
      slot = { checkpoint: cp, list: [] };
      this.#cosigs.set(cp.size, slot);
    }
    if (slot.checkpoint.root !== cp.root || slot.list.some((x) => x.publicKey === c.publicKey)) return;
    slot.list.push(c);
    this.#files.cosignatures.write(encodeCosignatureRecord(cp, c)).catch((err: unknown) => {
      this.#cfg.logger.warn(`cannot record a cosignature: ${String(err)}`);
    });
    const required = this.#cfg.witnesses?.required ?? 0;
    if (slot.list.length >= required && (!this.#published || this.#published.size < cp.size)) {
      this.#published = cp;
      this.#pubWaiters = settle(this.#pubWaiters, cp);
      this.#settle(this.#latest?.checkpoint ?? cp);
      for (const size of this.#cosigs.keys()) if (size < cp.size) this.#cosigs.delete(size);
    }
  }

  /** The entry at `index` (committed or not), read back from entries.log; no proof. */
  async entry(index: number): Promise<LedgerEntry> {
    this.#checkOpen();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#size) {
      throw new LedgerError('NOT_FOUND', `no entry ${index}: the ledger has ${this.#size}`);
    }
    if (index >= this.#flushed) this.#flushPending();
    return parseEntry(await this.#readLine(index));
  }

  /**
   * An evidence bundle for entry `index`: the entry, its inclusion proof and a signed
   * checkpoint covering it with that checkpoint's cosignatures — the latest published one
   * if it covers the entry, else the latest durable one (witnesses may not have co-signed
   * it yet: await `published(index)` first to be sure they have). Cuts a checkpoint first
   * if none covers the entry yet.
   */
  async prove(index: number): Promise<EvidenceBundle> {
    this.#checkOpen();
    if (!this.#latest || index >= this.#latest.checkpoint.size) {
      if (Number.isSafeInteger(index) && index >= 0 && index < this.#size) await this.checkpoint();
    }
    await this.committed(index);
    const published = this.#witnesses ? this.#published : undefined;
    const cp = published && index < published.size ? published : this.#latest!.checkpoint;
    const line = await this.#readLine(index);
    return {
      format: BUNDLE_FORMAT,
      entry: parseEntry(line),
      leafIndex: index,
      leafHash: toHex(this.#tree.leafHash(index)),
      inclusionProof: this.#tree.inclusionProof(index, cp.size).map(toHex),
      checkpoint: cp,
      cosignatures: [...(this.#cosigs.get(cp.size)?.list ?? [])],
    };
  }

  /**
   * RFC 9162 consistency proof (hex, as witnesses and auditors take it) that the tree of
   * `size1` is a prefix of the tree of `size2`, for 0 < size1 <= size2 <= the latest
   * checkpoint's size.
   */
  consistencyProof(size1: number, size2: number = this.#latest?.checkpoint.size ?? 0): string[] {
    const limit = this.#latest?.checkpoint.size ?? 0;
    if (size2 > limit) throw new LedgerError('INVALID_ARGUMENT', `size2 ${size2} is beyond the latest checkpoint (${limit})`);
    this.#checkOpen();
    return this.#tree.consistencyProof(size1, size2).map(toHex);
  }

  /** `prove` for the first entry whose `body.id` is `id`; NOT_FOUND if there is none. */
  async proveById(id: string): Promise<EvidenceBundle> {
    const index = await this.indexOf(id);
    if (index === undefined) throw new LedgerError('NOT_FOUND', `no entry has body.id ${JSON.stringify(id)}`);
    return this.prove(index);
  }

  /**
   * The leaf index of the first entry whose `body.id` is `id`. The id index is built on
   * first use (one pass over entries.log, read in chunks) and kept up to date after, so
   * appends that never need it do not pay for it. It holds a 32-bit fingerprint per entry
   * (see id-index.ts); candidates are confirmed against the entry on disk.
   */
  async indexOf(id: string): Promise<number | undefined> {
    this.#checkOpen();
    const ids = this.#ids ?? (await this.#buildIds());
    const candidates = ids.candidates(id);
    if (candidates.length === 0) return undefined;
    if (candidates.at(-1)! >= this.#flushed) this.#flushPending();
    for (const index of candidates) {
      if ((parseEntry(await this.#readLine(index)).body['id'] as string) === id) return index;
    }
    return undefined;
  }

  #buildIds(): Promise<IdIndex> {
    this.#idsBuilding ??= (async () => {
      this.#flushPending();
      const upTo = this.#flushed;
      const bytes = this.#bytes;
      const appended: string[] = (this.#idsAppended = []); // appends from here on, leaf upTo onwards
      await this.#io;
      const ids = new IdIndex();
      const chunk = Buffer.allocUnsafe(ID_SCAN_CHUNK);
      let carry = Buffer.alloc(0);
      for (let pos = 0; pos < bytes && ids.size < upTo; ) {
        const { bytesRead } = await this.#files.read.read(chunk, 0, Math.min(chunk.length, bytes - pos), pos);
        if (bytesRead === 0) throw new LedgerError('IO_ERROR', `entries.log ends at ${pos}, before the ${bytes} bytes written`);
        pos += bytesRead;
        const buf = carry.length > 0 ? Buffer.concat([carry, chunk.subarray(0, bytesRead)]) : chunk.subarray(0, bytesRead);
        let at = 0;
        for (let end = buf.indexOf(0x0a, at); end !== -1 && ids.size < upTo; end = buf.indexOf(0x0a, at)) {
          ids.add((JSON.parse(buf.toString('utf8', at, end)) as LedgerEntry).body['id'] as string);
          at = end + 1;
        }
        carry = Buffer.from(buf.subarray(at)); // a copy: `chunk` is read into again
      }
      if (ids.size !== upTo) throw new LedgerError('IO_ERROR', `entries.log holds ${ids.size} entries, ${upTo} expected`);
      // Synchronous from here: the entries appended while reading follow, in order.
      for (const id of appended) ids.add(id);
      this.#idsAppended = undefined;
      this.#ids = ids;
      return ids;
    })();
    return this.#idsBuilding;
  }

  async #readLine(index: number): Promise<string> {
    const start = this.#offsets.get(index);
    const end = index + 1 < this.#flushed ? this.#offsets.get(index + 1) : this.#bytes;
    await this.#io;
    const buf = Buffer.allocUnsafe(end - start - 1);
    await this.#files.read.read(buf, 0, buf.length, start);
    return buf.toString('utf8');
  }

  /** Cuts a final checkpoint, waits for witnesses (bounded by their timeout), closes files. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      clearInterval(this.#timer);
      let error: unknown;
      try {
        if (!this.#failure) await this.#enqueueCut();
        await this.#witnesses?.drain();
        await this.#hashed;
        await this.#io;
      } catch (err) {
        error = err;
      }
      const closed = new LedgerError('CLOSED', 'the ledger was closed before a checkpoint covered this entry');
      for (const w of [...this.#waiters, ...this.#pubWaiters]) w.reject(closed);
      this.#waiters = [];
      this.#pubWaiters = [];
      await this.#hasher.terminate();
      await Promise.allSettled(Object.values(this.#files).map((f) => f.close()));
      this.#indexReader.close();
      await releaseLock(this.#lock);
      if (error) throw error;
    })();
    return this.#closing;
  }

  #checkOpen(): void {
    if (this.#closed) throw new LedgerError('CLOSED', 'the ledger is closed');
    if (this.#failure) throw this.#failure;
  }
}

/**
 * Marks a chained promise as observed: its failure is reported through #fail and whoever
 * awaits the chain, never as an unhandled rejection that would end the process.
 */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function settle(waiters: Waiter[], cp: Checkpoint): Waiter[] {
  const left: Waiter[] = [];
  for (const w of waiters) {
    if (w.index < cp.size) w.resolve(cp);
    else left.push(w);
  }
  return left;
}

async function writeAll(fh: FileHandle, buf: Buffer): Promise<void> {
  let at = 0;
  while (at < buf.length) {
    const { bytesWritten } = await fh.write(buf, at, buf.length - at);
    at += bytesWritten;
  }
}

async function syncDir(dir: string): Promise<void> {
  // New files are durable only once their directory entry is (POSIX fsync on the directory).
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } catch {
    // Some file systems refuse fsync on directories; the data files are still fsynced.
  } finally {
    await fh.close();
  }
}

/** Lock files this process holds: its own pid in one does not make it stale. */
const heldLocks = new Set<string>();

/** A pid lock: a second writer on the same directory would fork the log. */
async function takeLock(path: string): Promise<void> {
  if (heldLocks.has(path)) throw new LedgerError('IO_ERROR', `another writer in this process has this ledger open (${path})`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      heldLocks.add(path);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new LedgerError('IO_ERROR', `cannot create ${path}`, { cause: err });
    }
    const pid = Number.parseInt(await readFile(path, 'utf8').catch(() => ''), 10);
    if (Number.isSafeInteger(pid) && pid > 0 && pid !== process.pid && isAlive(pid)) {
      throw new LedgerError('IO_ERROR', `another writer (pid ${pid}) has this ledger open (${path})`);
    }
    // The holder is gone (it crashed): the lock is stale.
    await rm(path, { force: true });
  }
  throw new LedgerError('IO_ERROR', `cannot take the lock ${path}`);
}

async function releaseLock(path: string): Promise<void> {
  heldLocks.delete(path);
  await rm(path, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

interface Recovered {
  tree: MerkleTree;
  offsets: OffsetList;
  index: IndexReader;
  bytes: number;
  latest: CheckpointRecord | undefined;
  published: Checkpoint | undefined;
  cosigs: Map<number, { checkpoint: Checkpoint; list: Cosignature[] }>;
}

/**
 * Brings the files back to the last durable checkpoint. What lies beyond it was never
 * reported as committed, so it is dropped (and said so). Damage inside what a checkpoint
 * covers is not repaired: opening fails when the entries do not reproduce the latest signed
 * root, and `vigil verify` locates it. No file is read whole (see the README).
 */
async function recover(dir: string, keys: KeyPair, cfg: Config): Promise<Recovered> {
  const log = cfg.logger;
  const cpPath = join(dir, CHECKPOINTS_FILE);
  const verifyLog = nodeCheckpointVerifier(keys.publicKey);
  // Only the end of checkpoints.log: its last records (the latest signature checked, the
  // link to the one before it). The whole chain is vigil verify's work; reading it all on
  // every start would grow with the log (one record a second under steady traffic).
  const tail = readTailOf(cpPath, 3);
  const scan = scanCheckpoints(tail.buf, verifyLog, 'last', tail.offset);
  if (scan.problem && !scan.problem.torn) {
    throw new LedgerError(
      scan.problem.code,
      `${cpPath} offset ${scan.problem.fileOffset}: ${scan.problem.reason} (run vigil verify --data-dir ${dir})`,
    );
  }
  if (scan.problem?.torn) {
    log.warn(`dropped a torn checkpoint record at ${CHECKPOINTS_FILE} offset ${scan.problem.fileOffset}: the writer stopped while writing it, so it was never durable`);
    await truncate(cpPath, scan.problem.fileOffset);
  }
  const latest = scan.records[scan.records.length - 1];
  const size = latest?.checkpoint.size ?? 0;
  const bytes = latest?.entriesOffset ?? 0;

  // entries.log and entries.idx are read in pieces: they grow without bound, and a whole-file
  // read fails beyond 2 GiB.
  const entriesPath = join(dir, ENTRIES_FILE);
  const entriesSize = await fileSize(entriesPath);
  if (entriesSize < bytes) {
    throw new LedgerError(
      'CORRUPT_ENTRY',
      `${entriesPath} has ${entriesSize} bytes, but checkpoint size ${size} covers ${bytes}: committed entries are missing (run vigil verify --data-dir ${dir})`,
    );
  }
  if (entriesSize > bytes) {
    const tail = withFd(entriesPath, (fd) => scanLines(fd, bytes, entriesSize, () => undefined));
    const dropped = tail.lines + (tail.rest > 0 ? 1 : 0);
    log.warn(
      `recovered to the checkpoint of size ${size}: dropped ${dropped} trailing ${dropped === 1 ? 'entry' : 'entries'} ` +
        `(${entriesSize - bytes} bytes of ${ENTRIES_FILE}) written after it, because no durable checkpoint covers them ` +
        '(the writer stopped before cutting one); none of them had been reported as committed',
    );
    await truncate(entriesPath, bytes);
  }

  const indexPath = join(dir, INDEX_FILE);
  let indexSize = await fileSize(indexPath);
  if (indexSize > size * INDEX_RECORD_SIZE) {
    await truncate(indexPath, size * INDEX_RECORD_SIZE);
    indexSize = size * INDEX_RECORD_SIZE;
  }
  let loaded =
    size === 0
      ? writerState(indexPath)
      : indexSize === size * INDEX_RECORD_SIZE
        ? withFd(indexPath, (fd) => loadIndex(fd, size, bytes, indexPath))
        : undefined;
  if (!loaded || (latest && toHex(loaded.tree.root(size)) !== latest.checkpoint.root)) {
    // The index is derived data: rebuild it from the entries and let the signed root judge.
    log.warn(`${INDEX_FILE} does not match the checkpoint of size ${size}; rebuilding it from ${ENTRIES_FILE}`);
    loaded = await rebuildIndex(entriesPath, indexPath, size, bytes);
    if (latest && toHex(loaded.tree.root(size)) !== latest.checkpoint.root) {
      throw new LedgerError(
        'CORRUPT_ENTRY',
        `the entries do not reproduce the signed root of size ${size} (run vigil verify --data-dir ${dir})`,
      );
    }
  }
  const { tree, offsets, index } = loaded;

  // Published state: the newest checkpoint with enough distinct witness cosignatures.
  const cosigs = new Map<number, { checkpoint: Checkpoint; list: Cosignature[] }>();
  let published: Checkpoint | undefined;
  const cosigPath = join(dir, COSIGNATURES_FILE);
  // Read backwards from the end until a checkpoint has enough distinct witnesses: that is the
  // newest published one (a newer one whose cosignatures lie further back would only be
  // published again when the witnesses next co-sign). Each checkpoint counted must carry
  // this log's own signature.
  if (cfg.witnesses && latest && (await fileSize(cosigPath)) > 0) {
    const required = cfg.witnesses.required;
    const end = withFd(cosigPath, (fd) =>
      scanLinesBackward(fd, (chunk, from, to) => {
        const r = parseCosignatureLine(chunk.toString('utf8', from, to));
        if (!r || r.checkpoint.size > latest.checkpoint.size || (published && r.checkpoint.size <= published.size)) return;
        let slot = cosigs.get(r.checkpoint.size);
        if (!slot) {
          try {
            verifyLog(r.checkpoint);
          } catch {
            return; // not a checkpoint of this log
          }
          slot = { checkpoint: r.checkpoint, list: [] };
          cosigs.set(r.checkpoint.size, slot);
        }
        if (slot.checkpoint.root !== r.checkpoint.root) return;
        if (!slot.list.some((c) => c.publicKey === r.cosignature.publicKey)) slot.list.push(r.cosignature);
        if (slot.list.length < required) return;
        published = slot.checkpoint;
        return false;
      }),
    );
    const size = await fileSize(cosigPath);
    if (end < size) {
      log.warn(`dropped a torn cosignature record at ${COSIGNATURES_FILE} offset ${end} (the writer stopped while writing it)`);
      await truncate(cosigPath, end);
    }
    for (const s of cosigs.keys()) if (published && s < published.size) cosigs.delete(s);
  }
  return { tree, offsets, index, bytes, latest, published, cosigs };
}

/** Tree and offsets from the index file's records, or undefined if the offsets are not a valid sequence. */
function loadIndex(fd: number, size: number, bytes: number, indexPath: string): ReturnType<typeof writerState> | undefined {
  const state = writerState(indexPath);
  const { tree, offsets } = state;
  const chunk = Buffer.allocUnsafe(INDEX_RECORD_SIZE * Math.max(1, Math.min(size, INDEX_CHUNK_RECORDS)));
  let prev = -1;
  for (let i = 0; i < size; ) {
    const want = Math.min(size - i, chunk.length / INDEX_RECORD_SIZE);
    if (readFull(fd, chunk, want * INDEX_RECORD_SIZE, i * INDEX_RECORD_SIZE) < want * INDEX_RECORD_SIZE) return undefined;
    for (let k = 0; k < want; k++, i++) {
      const at = k * INDEX_RECORD_SIZE;
      const offset = readIndexOffset(chunk, at);
      if (offset <= prev || offset >= bytes || (i === 0 && offset !== 0)) return undefined;
      prev = offset;
      offsets.push(offset);
      tree.append(chunk.subarray(at + 8, at + INDEX_RECORD_SIZE));
    }
  }
  return state;
}

/**
 * Recomputes the index from the first `count` entries (`bytes` bytes) of entries.log, written
 * to a temporary file renamed over the index; returns the tree and offsets it holds.
 */
async function rebuildIndex(entriesPath: string, indexPath: string, count: number, bytes: number): Promise<ReturnType<typeof writerState>> {
  const state = writerState(indexPath);
  const { tree, offsets } = state;
  const tmp = `${indexPath}.rebuild`;
  const out = openSync(tmp, 'w', 0o600);
  try {
    const scan = withFd(entriesPath, (fd) => indexEntries(fd, bytes, count, out, tree, offsets));
    if (offsets.length < count) throw new LedgerError('CORRUPT_ENTRY', `${ENTRIES_FILE} ends after ${scan.lines} entries, the checkpoint covers ${count}`);
  } finally {
    closeSync(out);
  }
  await rename(tmp, indexPath);
  return state;
}

/** Index records read at a time. */
const INDEX_CHUNK_RECORDS = 1 << 16;

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw new LedgerError('IO_ERROR', `cannot stat ${path}`, { cause: err });
  }
}

function withFd<T>(path: string, use: (fd: number) => T): T {
  const fd = openSync(path, 'r');
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}

async function truncate(path: string, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(length);
    await fh.sync();
  } finally {
    await fh.close();
  }
}
