/**
 * The full audit behind `vigil verify` (node-only): recomputes every leaf hash from
 * entries.log, rebuilds the tree, and checks every checkpoint — signature, chain link, root,
 * the entries offset it records — and every cosignature. The signed checkpoints are the
 * only thing trusted (under the key given); entries.idx is used only to say *which* entry
 * changed, so a damaged index is reported as such and never hides damaged entries.
 */
import { closeSync, fstatSync, openSync } from 'node:fs';
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import { checkpointHash, type Checkpoint, parsePublicKey, parseSecretKeyPem, publicKeyToPem, secretKeyToPem } from './checkpoint.js';
import { fromHex, toHex } from './encoding.js';
import type { LedgerErrorCode } from './errors.js';
import {
  CHECKPOINTS_FILE,
  COSIGNATURES_FILE,
  ENTRIES_FILE,
  INDEX_FILE,
  INDEX_RECORD_SIZE,
  PRIVATE_KEY_FILE,
  PUBLIC_KEY_FILE,
  parseCosignatureRecord,
  readIndexOffset,
  scanCheckpoints,
  scanLines,
  streamCheckpoints,
  type CheckpointRecord,
} from './files.js';
import { hashLeafInPlaceLatin1, nodeCheckpointVerifier, nodeHasher, nodeVerifyCosignature } from './node-crypto.js';
import { CompactRange } from './tree.js';

export interface AuditOptions {
  /**
   * The log's public key (PEM, hex or raw bytes). @default the directory's public.pem — but
   * an auditor should pin their own copy: whoever can rewrite the directory can rewrite
   * that file too.
   */
  publicKey?: string | Uint8Array;
  /** Called now and then with entries checked so far and the total to check. */
  progress?: (done: number, total: number) => void;
}

/** Where the audit found the first problem. */
export interface AuditFailure {
  code: LedgerErrorCode;
  /** File name inside the data directory. */
  file: string;
  /** Byte offset in that file. */
  offset: number;
  /** Leaf index of the bad entry, when an entry is at fault. */
  entry?: number;
  /** Record number (0-based) in checkpoints.log, when a checkpoint is at fault or disagrees. */
  checkpoint?: number;
  reason: string;
}

export interface AuditReport {
  ok: boolean;
  dir: string;
  origin?: string;
  /** The key the checkpoints were checked against, hex. */
  publicKey?: string;
  /** Entries covered by the last good checkpoint. */
  entries: number;
  checkpoints: number;
  root?: string;
  /** Entries after the last checkpoint: not yet covered by any signature (normal while a writer runs). */
  uncommitted: number;
  cosignatures: number;
  failure?: AuditFailure;
  notes: string[];
}

const CHUNK = 16 << 20;
const NEWLINE = 0x0a;

export async function auditLedger(dir: string, options: AuditOptions = {}): Promise<AuditReport> {
  const report: AuditReport = { ok: true, dir, entries: 0, checkpoints: 0, uncommitted: 0, cosignatures: 0, notes: [] };
  const fail = (f: AuditFailure): AuditReport => {
    report.ok = false;
    report.failure = f;
    return report;
  };

  // 1. The key, and the key files' integrity.
  const cpPath = join(dir, CHECKPOINTS_FILE);
  const keys = await checkKeys(dir, options.publicKey, firstLine(cpPath));
  if ('failure' in keys) return fail(keys.failure);
  const publicKey = keys.publicKey;
  report.publicKey = toHex(publicKey);
  if (options.publicKey === undefined) report.notes.push(`checked against ${PUBLIC_KEY_FILE} in the directory itself; pass --key to pin your own copy`);

  // 2. The checkpoints: shape, chain and every signature.
  let verifyLog: (cp: Checkpoint) => void;
  try {
    verifyLog = nodeCheckpointVerifier(publicKey);
  } catch (err) {
    return fail({ code: 'KEY_ERROR', file: PUBLIC_KEY_FILE, offset: 0, reason: message(err) });
  }
  // Streamed into a compact table (about 90 bytes a checkpoint), not kept as objects.
  const records = new CheckpointTable();
  const scan = withFile(cpPath, (fd) => streamCheckpoints(fd, verifyLog, (r) => records.push(r)), { count: 0, fileSize: 0 });
  const last = scan.last;
  if (last) report.origin = last.checkpoint.origin;

  // 3. The entries against the good checkpoints.
  const entryFailure = await checkEntries(dir, records, report, options.progress);
  if (entryFailure) return fail(entryFailure);
  if (scan.problem) {
    return fail({
      code: scan.problem.code,
      file: CHECKPOINTS_FILE,
      offset: scan.problem.fileOffset,
      checkpoint: scan.problem.record,
      reason: scan.problem.torn
        ? `${scan.problem.reason}: a crash can leave this; opening the ledger drops it`
        : scan.problem.reason,
    });
  }
  report.checkpoints = records.length;
  report.entries = last?.checkpoint.size ?? 0;
  if (last) report.root = last.checkpoint.root;

  // 4. Cosignatures. Each record repeats the checkpoint it co-signs, so it stands alone: the
  // log's signature on it and the witness's must verify, and checkpoints.log must hold
  // exactly that checkpoint — one that is gone shows checkpoints were cut back or rewritten.
  const cosigFailure = withFile(
    join(dir, COSIGNATURES_FILE),
    (fd) => {
      let failure: AuditFailure | undefined;
      const scanned = scanLines(fd, 0, fstatSync(fd).size, (chunk, start, end, offset) => {
        let c: ReturnType<typeof parseCosignatureRecord>;
        try {
          c = parseCosignatureRecord(chunk.toString('utf8', start, end));
        } catch (err) {
          failure = { code: 'CORRUPT_CHECKPOINT', file: COSIGNATURES_FILE, offset, reason: `cosignature record: ${message(err)}` };
          return false;
        }
        const who = `witness ${c.cosignature.witness}`;
        try {
          verifyLog(c.checkpoint);
          nodeVerifyCosignature(c.checkpoint, c.cosignature, fromHex(c.cosignature.publicKey, 32)!);
        } catch (err) {
          failure = { code: 'SIGNATURE_ERROR', file: COSIGNATURES_FILE, offset, reason: `cosignature record: ${message(err)}` };
          return false;
        }
        const i = records.findSize(c.checkpoint.size);
        if (i === undefined) {
          failure = {
            code: 'CORRUPT_CHECKPOINT',
            file: CHECKPOINTS_FILE,
            offset: scan.fileSize,
            checkpoint: records.length,
            reason: `the log signed, and ${who} co-signed, a checkpoint of size ${c.checkpoint.size} that ${CHECKPOINTS_FILE} does not hold: checkpoints were removed`,
          };
          return false;
        }
        if (!records.hashIs(i, checkpointHash(c.checkpoint))) {
          failure = {
            code: 'CORRUPT_CHECKPOINT',
            file: CHECKPOINTS_FILE,
            offset: records.get(i).fileOffset,
            checkpoint: i,
            reason: `the log signed two different checkpoints of size ${c.checkpoint.size}; ${who} co-signed the other one (root ${c.checkpoint.root})`,
          };
          return false;
        }
        report.cosignatures++;
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
  return cosigFailure ? fail(cosigFailure) : report;
}

/**
 * Which key the checkpoints are checked against, and whether the key files are intact.
 * The files must be byte for byte what the ledger wrote; when public.pem and private.pem
 * disagree, the one whose key signed the first checkpoint is right and the other is named.
 */
async function checkKeys(
  dir: string,
  pinned: string | Uint8Array | undefined,
  checkpoints: Buffer,
): Promise<{ publicKey: Uint8Array } | { failure: AuditFailure }> {
  const keyFailure = (file: string, reason: string): { failure: AuditFailure } => ({
    failure: { code: 'KEY_ERROR', file, offset: 0, reason },
  });
  const read = async (file: string): Promise<string | undefined> => readFile(join(dir, file), 'utf8').catch(() => undefined);
  let fromPublic: Uint8Array | undefined;
  let fromPrivate: Uint8Array | undefined;
  const publicText = await read(PUBLIC_KEY_FILE);
  if (publicText !== undefined) {
    try {
      fromPublic = parsePublicKey(publicText);
      if (publicKeyToPem(fromPublic) !== publicText) throw new Error('it is not in the form the ledger wrote');
    } catch (err) {
      return keyFailure(PUBLIC_KEY_FILE, `${PUBLIC_KEY_FILE} is damaged: ${message(err)}`);
    }
  }
  // On the log's own machine the private key is there too: it must be the public key's twin.
  const privateText = await read(PRIVATE_KEY_FILE);
  if (privateText !== undefined) {
    try {
      const secret = parseSecretKeyPem(privateText);
      if (secretKeyToPem(secret) !== privateText) throw new Error('it is not in the form the ledger wrote');
      fromPrivate = ed25519.getPublicKey(secret);
    } catch (err) {
      return keyFailure(PRIVATE_KEY_FILE, `${PRIVATE_KEY_FILE} is damaged: ${message(err)}`);
    }
  }
  let publicKey: Uint8Array;
  try {
    publicKey = pinned !== undefined ? parsePublicKey(pinned) : fromPublic ?? fromPrivate ?? parsePublicKey('');
  } catch (err) {
    return keyFailure(PUBLIC_KEY_FILE, pinned !== undefined ? message(err) : `${PUBLIC_KEY_FILE} is missing`);
  }
  const signsFirst = (key: Uint8Array): boolean => {
    try {
      const first = scanCheckpoints(checkpoints.subarray(0, checkpoints.indexOf(0x0a) + 1), nodeCheckpointVerifier(key), 'all');
      return first.records.length === 1;
    } catch {
      return false;
    }
  };
  for (const [file, key] of [[PUBLIC_KEY_FILE, fromPublic], [PRIVATE_KEY_FILE, fromPrivate]] as const) {
    if (!key || toHex(key) === toHex(publicKey)) continue;
    if (pinned !== undefined) return keyFailure(file, `${file} holds a different key from the one given`);
    const other = file === PUBLIC_KEY_FILE ? fromPrivate : fromPublic;
    if (other && signsFirst(other) && !signsFirst(key)) return keyFailure(file, `${file} does not match the key that signed the checkpoints`);
    if (other) {
      const otherFile = file === PUBLIC_KEY_FILE ? PRIVATE_KEY_FILE : PUBLIC_KEY_FILE;
      return keyFailure(signsFirst(key) ? otherFile : file, `${PUBLIC_KEY_FILE} and ${PRIVATE_KEY_FILE} hold different keys`);
    }
  }
  return { publicKey };
}

/**
 * Streams entries.log: leaf hash per line, compared with entries.idx; roots compared with
 * each checkpoint. Returns the first failure, or fills `report.uncommitted`.
 */
async function checkEntries(
  dir: string,
  records: CheckpointTable,
  report: AuditReport,
  progress: AuditOptions['progress'],
): Promise<AuditFailure | undefined> {
  const entries = await open(join(dir, ENTRIES_FILE), 'r').catch(() => undefined);
  const index = await open(join(dir, INDEX_FILE), 'r').catch(() => undefined);
  try {
    const entriesSize = entries ? (await entries.stat()).size : 0;
    const indexSize = index ? (await index.stat()).size : 0;
    const total = records.length > 0 ? records.get(records.length - 1).size : 0;
    const range = new CompactRange(nodeHasher);
    const leaf = Buffer.alloc(32);

    // entries.idx, read in blocks alongside.
    const IDX_BLOCK = 65536;
    const idxBuf = Buffer.alloc(IDX_BLOCK * INDEX_RECORD_SIZE);
    const idxTotal = Math.floor(indexSize / INDEX_RECORD_SIZE);
    let idxFrom = 0;
    let idxCount = 0;
    const loadIdx = async (i: number): Promise<void> => {
      idxFrom = i;
      idxCount = Math.max(0, Math.min(IDX_BLOCK, idxTotal - i));
      if (idxCount > 0 && index) await index.read(idxBuf, 0, idxCount * INDEX_RECORD_SIZE, i * INDEX_RECORD_SIZE);
    };

    let next = 0; // next checkpoint record to reach
    while (next < records.length && records.sizeAt(next) === 0) next++;
    // The first entry in the current checkpoint's range whose bytes or place disagree with the index.
    let suspect: { entry: number; offset: number; why: string; indexOffset: number } | undefined;
    let rangeStart = 0;
    let rangeStartOffset = 0;

    // One spare byte before the data: every line then has a byte before it that can hold
    // the 0x00 leaf prefix while it is hashed, so no line is copied.
    const buf = Buffer.alloc(CHUNK + 1);
    let filled = 1; // bytes of buf in use, including the spare one
    let fileAt = 0; // file offset of buf[1]
    let readAt = 0;
    let i = 0;
    let eof = entriesSize === 0;

    for (;;) {
      if (!eof && filled < buf.length && entries) {
        const { bytesRead } = await entries.read(buf, filled, buf.length - filled, readAt);
        readAt += bytesRead;
        filled += bytesRead;
        if (bytesRead === 0 || readAt >= entriesSize) eof = true;
      }
      let s = 1;
      while (s < filled) {
        const e = buf.indexOf(NEWLINE, s);
        if (e === -1 || e >= filled) break;
        const offset = fileAt + s - 1;
        if (i >= total) {
          report.uncommitted++;
          i++;
          s = e + 1;
          continue;
        }
        // The leaf hash as a latin1 string: no ArrayBuffer per entry for the GC to chase.
        const h = hashLeafInPlaceLatin1(buf, s, e);
        for (let k = 0; k < 32; k++) leaf[k] = h.charCodeAt(k);

        if (!suspect) {
          if (i >= idxFrom + idxCount && i < idxTotal) await loadIdx(i);
          const at = (i - idxFrom) * INDEX_RECORD_SIZE;
          if (i >= idxTotal) suspect = { entry: i, offset, why: 'has no index record', indexOffset: indexSize };
          else if (readIndexOffset(idxBuf, at) !== offset) {
            suspect = { entry: i, offset, why: `starts at offset ${offset}, but the index says ${readIndexOffset(idxBuf, at)}`, indexOffset: i * INDEX_RECORD_SIZE };
          } else if (leaf.compare(idxBuf, at + 8, at + INDEX_RECORD_SIZE) !== 0) {
            suspect = { entry: i, offset, why: 'does not hash to the leaf hash its index record holds', indexOffset: i * INDEX_RECORD_SIZE };
          }
        }
        range.appendFrom(leaf, 0);
        i++;
        if (progress && (i & 0xffff) === 0) progress(i, total);
        s = e + 1;

        if (next < records.length && records.sizeAt(next) === i) {
          const rec = records.get(next);
          const f = checkRange(rec, next, range, fileAt + s - 1, suspect, rangeStart, rangeStartOffset);
          if (f) return f;
          suspect = undefined;
          rangeStart = i;
          rangeStartOffset = fileAt + s - 1;
          next++;
        }
      }
      // Keep the partial line at the end for the next read.
      const rest = filled - s;
      if (eof) {
        if (rest > 0) {
          const offset = fileAt + s - 1;
          if (i < total) {
            return {
              code: 'CORRUPT_ENTRY',
              file: ENTRIES_FILE,
              offset,
              entry: i,
              reason: `entry ${i} is torn (${rest} bytes, no newline) and checkpoint ${next} covers it: entries.log was truncated`,
            };
          }
          report.uncommitted++;
          report.notes.push(`${ENTRIES_FILE} ends in a torn, uncommitted entry at offset ${offset} (a crash can leave one)`);
        }
        break;
      }
      if (rest === buf.length - 1) {
        return { code: 'CORRUPT_ENTRY', file: ENTRIES_FILE, offset: fileAt + s - 1, entry: i, reason: `entry ${i} is longer than ${CHUNK} bytes` };
      }
      buf.copy(buf, 1, s, filled);
      fileAt += s - 1;
      filled = 1 + rest;
      // A spare byte that is not a newline is harmless: it is only ever overwritten and restored.
    }
    progress?.(Math.min(i, total), total);

    if (i < total) {
      const rec = records.get(next);
      return {
        code: 'CORRUPT_ENTRY',
        file: ENTRIES_FILE,
        offset: entriesSize,
        entry: i,
        checkpoint: next,
        reason: `${ENTRIES_FILE} ends after ${i} entries, but checkpoint ${next} covers ${rec.size}: entries were removed`,
      };
    }
    if (indexSize > total * INDEX_RECORD_SIZE + report.uncommitted * INDEX_RECORD_SIZE) {
      report.notes.push(`${INDEX_FILE} has records beyond the entries (a crash can leave them)`);
    }
    return undefined;
  } finally {
    await entries?.close();
    await index?.close();
  }
}

function checkRange(
  rec: CheckpointView,
  recordNo: number,
  range: CompactRange,
  endOffset: number,
  suspect: { entry: number; offset: number; why: string; indexOffset: number } | undefined,
  rangeStart: number,
  rangeStartOffset: number,
): AuditFailure | undefined {
  const cp = rec;
  const root = toHex(range.root());
  if (root !== cp.root) {
    const at = suspect ?? { entry: rangeStart, offset: rangeStartOffset };
    const reason = suspect
      ? `entry ${suspect.entry} ${suspect.why}, and the entries no longer hash to the root checkpoint ${recordNo} signed: the entry was altered, moved or removed`
      : `entries ${rangeStart}..${cp.size - 1} do not hash to the root checkpoint ${recordNo} signed (${cp.root}), though they agree with the index: both were rewritten`;
    return { code: 'CORRUPT_ENTRY', file: ENTRIES_FILE, offset: at.offset, entry: at.entry, checkpoint: recordNo, reason };
  }
  if (suspect) {
    return {
      code: 'CORRUPT_INDEX',
      file: INDEX_FILE,
      offset: suspect.indexOffset,
      entry: suspect.entry,
      reason: `the index record of entry ${suspect.entry} is wrong (the entry ${suspect.why}); the entries themselves match the signed root`,
    };
  }
  if (rec.entriesOffset !== endOffset) {
    return {
      code: 'CORRUPT_CHECKPOINT',
      file: CHECKPOINTS_FILE,
      offset: rec.fileOffset,
      checkpoint: recordNo,
      reason: `checkpoint ${recordNo} says its entries end at offset ${rec.entriesOffset}, but they end at ${endOffset}`,
    };
  }
  return undefined;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** What the audit needs of one checkpoint record after the chain scan. */
interface CheckpointView {
  size: number;
  root: string;
  entriesOffset: number;
  fileOffset: number;
}

/**
 * Every good checkpoint of the chain in typed arrays (88 bytes each: size, offsets, root and
 * the checkpoint's hash), not as parsed objects: a long-lived log has tens of millions.
 */
class CheckpointTable {
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

/** The first line of a file (with its newline), or empty. */
function firstLine(path: string): Buffer {
  return withFile(
    path,
    (fd) => {
      let buf = Buffer.alloc(0);
      scanLines(fd, 0, fstatSync(fd).size, (chunk, start, end) => {
        buf = Buffer.from(chunk.subarray(start, end + 1));
        return false;
      });
      return buf;
    },
    Buffer.alloc(0),
  );
}

/** Runs `use` on the open file, or returns `absent` when there is no such file. */
function withFile<T>(path: string, use: (fd: number) => T, absent: T): T {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return absent;
    throw err;
  }
  try {
    return use(fd);
  } finally {
    closeSync(fd);
  }
}
