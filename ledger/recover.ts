/**
 * Opening a ledger directory after a stop or a crash (node-only): the files brought back to
 * the last durable checkpoint, the writer's tree and offsets loaded from the index (or the
 * index rebuilt from the entries), and the newest checkpoint the witnesses published.
 */
import { closeSync, openSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoint } from './checkpoint.js';
import type { CosignedCheckpoint } from './cosignatures.js';
import { fileSize, truncate, withFd } from './durable-io.js';
import { toHex } from './encoding.js';
import { LedgerError } from './errors.js';
import {
  CHECKPOINTS_FILE,
  COSIGNATURES_FILE,
  ENTRIES_FILE,
  INDEX_FILE,
  INDEX_RECORD_SIZE,
  parseCosignatureLine,
  readIndexOffset,
  readTailOf,
  scanCheckpoints,
  scanLines,
  scanLinesBackward,
  type CheckpointRecord,
} from './files.js';
import { indexEntries, IndexReader, OffsetList, readFull } from './index-reader.js';
import type { KeyPair } from './keys.js';
import { nodeCheckpointVerifier, nodeHasher } from './node-crypto.js';
import type { LedgerConfig } from './options.js';
import { MerkleTree } from './tree.js';

/** Index records read at a time. */
const INDEX_CHUNK_RECORDS = 1 << 16;

/** The writer's tree and offsets, with old nodes and offsets read back from the index file. */
export function writerState(indexPath: string): { tree: MerkleTree; offsets: OffsetList; index: IndexReader } {
  const index = new IndexReader(indexPath);
  return { tree: new MerkleTree(nodeHasher, { leaves: index }), offsets: new OffsetList(index), index };
}

export interface Recovered {
  tree: MerkleTree;
  offsets: OffsetList;
  index: IndexReader;
  bytes: number;
  latest: CheckpointRecord | undefined;
  published: Checkpoint | undefined;
  cosigs: Map<number, CosignedCheckpoint>;
}

/**
 * Brings the files back to the last durable checkpoint. What lies beyond it was never
 * reported as committed, so it is dropped (and said so). Damage inside what a checkpoint
 * covers is not repaired: opening fails when the entries do not reproduce the latest signed
 * root, and `vigil verify` locates it. No file is read whole (see the README).
 */
export async function recover(dir: string, keys: KeyPair, cfg: LedgerConfig): Promise<Recovered> {
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

  const { tree, offsets, index } = await loadWriterState(dir, entriesPath, size, bytes, latest, log);

  const { published, cosigs } = await recoverPublished(dir, cfg, latest, verifyLog);
  return { tree, offsets, index, bytes, latest, published, cosigs };
}

/** The writer's tree and offsets for the first `size` entries, from the index or rebuilt from the entries. */
async function loadWriterState(
  dir: string,
  entriesPath: string,
  size: number,
  bytes: number,
  latest: CheckpointRecord | undefined,
  log: LedgerConfig['logger'],
): Promise<ReturnType<typeof writerState>> {
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
  return loaded;
}

/** Published state: the newest checkpoint with enough distinct witness cosignatures. */
async function recoverPublished(
  dir: string,
  cfg: LedgerConfig,
  latest: CheckpointRecord | undefined,
  verifyLog: (cp: Checkpoint) => void,
): Promise<Pick<Recovered, 'published' | 'cosigs'>> {
  const log = cfg.logger;
  const cosigs = new Map<number, CosignedCheckpoint>();
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
  return { published, cosigs };
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
