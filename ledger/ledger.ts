/**
 * The writer: an append-only, signed, optionally witnessed Merkle log in a data directory
 * (node-only). Appends are synchronous and in memory; a checkpoint — cut every
 * `checkpointEvery` entries or `checkpointIntervalMs`, whichever comes first — writes and
 * fsyncs the entries, then signs and fsyncs the checkpoint. Only then are its entries
 * reported as committed. File formats: `files.ts`; options: `options.ts`; the append path:
 * `entry-writer.ts`; opening after a crash: `recover.ts`.
 */
import { mkdir, realpath } from 'node:fs/promises';
import { join } from 'node:path';
import {
  checkpointHash,
  GENESIS_PREV,
  publicKeyToPem,
  signCheckpoint,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { CosignatureBook } from './cosignatures.js';
import { openLedgerFiles, releaseLock, takeLock, writeAll, type LedgerFiles } from './durable-io.js';
import { toHex } from './encoding.js';
import { encodeEntry, parseEntry, type LedgerEntry } from './entry.js';
import { EntryWriter, Receipt, type AppendReceipt } from './entry-writer.js';
import { LedgerError } from './errors.js';
import {
  encodeCheckpointRecord,
  encodeCosignatureRecord,
  LOCK_FILE,
  PUBLIC_KEY_FILE,
  type CheckpointRecord,
} from './files.js';
import { HashWorker } from './hash-worker.js';
import { IdIndex, scanIdIndex } from './id-index.js';
import type { IndexReader } from './index-reader.js';
import { loadOrCreateKeyPair, type KeyPair } from './keys.js';
import { normaliseLedgerOptions, type LedgerConfig, type LedgerOptions } from './options.js';
import { recover, type Recovered } from './recover.js';
import type { MerkleTree } from './tree.js';
import { BUNDLE_FORMAT, type EvidenceBundle } from './verifier.js';
import { settle, type Waiter } from './waiters.js';
import { WitnessPool } from './witness-client.js';

export type { AppendReceipt } from './entry-writer.js';
export type { LedgerLogger, LedgerOptions } from './options.js';

export class Ledger {
  readonly #cfg: LedgerConfig;
  readonly #keys: KeyPair;
  readonly #origin: string;
  /** Complete up to the entries the hashing thread has returned (all flushed ones, once #hashed settles). */
  readonly #tree: MerkleTree;
  readonly #writer: EntryWriter;
  readonly #indexReader: IndexReader;
  readonly #files: LedgerFiles;
  readonly #lock: string;
  #cutChain: Promise<unknown> = Promise.resolve();
  #cutQueued = false;
  #requestedCutAt: number;
  #latest: CheckpointRecord | undefined;
  #waiters: Waiter[] = [];
  #published: Checkpoint | undefined;
  #pubWaiters: Waiter[] = [];
  readonly #cosigs: CosignatureBook;
  #witnesses: WitnessPool | undefined;
  /** body.id → leaf index, built on first use; appends meanwhile wait in `#idsAppended`. */
  #ids: IdIndex | undefined;
  #idsAppended: string[] | undefined;
  #idsBuilding: Promise<IdIndex> | undefined;
  #timer: NodeJS.Timeout;
  #closed = false;
  #closing: Promise<void> | undefined;
  #failure: LedgerError | undefined;

  private constructor(init: Recovered & { cfg: LedgerConfig; keys: KeyPair; origin: string; files: LedgerFiles; lock: string }) {
    this.#indexReader = init.index;
    this.#lock = init.lock;
    this.#cfg = init.cfg;
    this.#keys = init.keys;
    this.#origin = init.origin;
    this.#tree = init.tree;
    this.#writer = new EntryWriter({
      tree: init.tree,
      offsets: init.offsets,
      bytes: init.bytes,
      files: init.files,
      hasher: new HashWorker(init.tree.size, init.tree.frontier()),
      fail: (err) => this.#fail(err),
    });
    this.#requestedCutAt = init.tree.size;
    this.#latest = init.latest;
    this.#published = init.published;
    this.#cosigs = new CosignatureBook(init.cosigs);
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
      if (this.#writer.size > (this.#latest?.checkpoint.size ?? 0) && !this.#cutQueued) {
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
    const cfg = normaliseLedgerOptions(options);
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
      const files = await openLedgerFiles(dir);
      return new Ledger({ cfg, keys, origin, ...recovered, files, lock });
    } catch (err) {
      await releaseLock(lock);
      throw err;
    }
  }

  /** Number of entries appended (committed or not). */
  get size(): number {
    return this.#writer.size;
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
    const index = this.#writer.append(line);
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
    if (index >= this.#writer.size) {
      return Promise.reject(new LedgerError('NOT_FOUND', `no entry ${index}: the ledger has ${this.#writer.size}`));
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
    const size = this.#writer.size;
    const latest = this.#latest;
    if (latest && latest.checkpoint.size === size) return latest.checkpoint;
    this.#requestedCutAt = size;
    this.#writer.flush();
    const entriesOffset = this.#writer.bytes;
    let record: CheckpointRecord;
    try {
      await this.#writer.hashed;
      const root = toHex(this.#tree.root(size));
      await this.#writer.io;
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
    const count = this.#cosigs.add(cp, c);
    if (count === undefined) return;
    this.#files.cosignatures.write(encodeCosignatureRecord(cp, c)).catch((err: unknown) => {
      this.#cfg.logger.warn(`cannot record a cosignature: ${String(err)}`);
    });
    const required = this.#cfg.witnesses?.required ?? 0;
    if (count >= required && (!this.#published || this.#published.size < cp.size)) {
      this.#published = cp;
      this.#pubWaiters = settle(this.#pubWaiters, cp);
      this.#settle(this.#latest?.checkpoint ?? cp);
      this.#cosigs.published(cp.size);
    }
  }

  /** The entry at `index` (committed or not), read back from entries.log; no proof. */
  async entry(index: number): Promise<LedgerEntry> {
    this.#checkOpen();
    if (!Number.isSafeInteger(index) || index < 0 || index >= this.#writer.size) {
      throw new LedgerError('NOT_FOUND', `no entry ${index}: the ledger has ${this.#writer.size}`);
    }
    if (index >= this.#writer.flushed) this.#writer.flush();
    return parseEntry(await this.#writer.readLine(index));
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
      if (Number.isSafeInteger(index) && index >= 0 && index < this.#writer.size) await this.checkpoint();
    }
    await this.committed(index);
    const published = this.#witnesses ? this.#published : undefined;
    const cp = published && index < published.size ? published : this.#latest!.checkpoint;
    const line = await this.#writer.readLine(index);
    return {
      format: BUNDLE_FORMAT,
      entry: parseEntry(line),
      leafIndex: index,
      leafHash: toHex(this.#tree.leafHash(index)),
      inclusionProof: this.#tree.inclusionProof(index, cp.size).map(toHex),
      checkpoint: cp,
      cosignatures: this.#cosigs.of(cp.size),
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
    if (candidates.at(-1)! >= this.#writer.flushed) this.#writer.flush();
    for (const index of candidates) {
      if ((parseEntry(await this.#writer.readLine(index)).body['id'] as string) === id) return index;
    }
    return undefined;
  }

  #buildIds(): Promise<IdIndex> {
    this.#idsBuilding ??= (async () => {
      this.#writer.flush();
      const upTo = this.#writer.flushed;
      const bytes = this.#writer.bytes;
      const appended: string[] = (this.#idsAppended = []); // appends from here on, leaf upTo onwards
      await this.#writer.io;
      const ids = await scanIdIndex(this.#files.read, bytes, upTo);
      // Synchronous from here: the entries appended while reading follow, in order.
      for (const id of appended) ids.add(id);
      this.#idsAppended = undefined;
      this.#ids = ids;
      return ids;
    })();
    return this.#idsBuilding;
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
        await this.#writer.hashed;
        await this.#writer.io;
      } catch (err) {
        error = err;
      }
      const closed = new LedgerError('CLOSED', 'the ledger was closed before a checkpoint covered this entry');
      for (const w of [...this.#waiters, ...this.#pubWaiters]) w.reject(closed);
      this.#waiters = [];
      this.#pubWaiters = [];
      await this.#writer.terminate();
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
