/**
 * The entries against the good checkpoints (audit.ts, step 3): entries.log streamed, a leaf
 * hash per line compared with its entries.idx record, the tree's root compared with each
 * checkpoint's. The index only says *which* entry changed; the signed roots decide.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from './encoding.js';
import { CHECKPOINTS_FILE, ENTRIES_FILE, INDEX_FILE, INDEX_RECORD_SIZE, readIndexOffset } from './files.js';
import { hashLeafInPlaceLatin1, nodeHasher } from './node-crypto.js';
import { CompactRange } from './tree.js';
import type { CheckpointTable, CheckpointView } from './audit-checkpoints.js';
import type { AuditFailure, AuditOptions, AuditReport } from './audit-types.js';

/** Bytes of entries.log read at once, and so the longest entry the audit can check. */
const CHUNK = 16 << 20;
const NEWLINE = 0x0a;
/** entries.idx records read at once. */
const IDX_BLOCK = 65536;

/** The first entry in the current checkpoint's range whose bytes or place disagree with the index. */
interface Suspect {
  entry: number;
  offset: number;
  why: string;
  indexOffset: number;
}

/** entries.idx, read in blocks alongside entries.log. */
class IndexBlocks {
  readonly total: number;
  readonly #buf = Buffer.alloc(IDX_BLOCK * INDEX_RECORD_SIZE);
  #from = 0;
  #count = 0;

  constructor(
    private readonly fd: FileHandle | undefined,
    readonly size: number,
  ) {
    this.total = Math.floor(size / INDEX_RECORD_SIZE);
  }

  /** Whether entry `i`'s record must be read first (`load`). */
  needs(i: number): boolean {
    return i >= this.#from + this.#count && i < this.total;
  }

  async load(i: number): Promise<void> {
    this.#from = i;
    this.#count = Math.max(0, Math.min(IDX_BLOCK, this.total - i));
    if (this.#count > 0 && this.fd) await this.fd.read(this.#buf, 0, this.#count * INDEX_RECORD_SIZE, i * INDEX_RECORD_SIZE);
  }

  /** What is wrong with entry `i` (at `offset`, hashing to `leaf`) by its index record, if anything. */
  disagreement(i: number, offset: number, leaf: Buffer): Suspect | undefined {
    if (i >= this.total) return { entry: i, offset, why: 'has no index record', indexOffset: this.size };
    const at = (i - this.#from) * INDEX_RECORD_SIZE;
    const recorded = readIndexOffset(this.#buf, at);
    if (recorded !== offset) return { entry: i, offset, why: `starts at offset ${offset}, but the index says ${recorded}`, indexOffset: i * INDEX_RECORD_SIZE };
    if (leaf.compare(this.#buf, at + 8, at + INDEX_RECORD_SIZE) !== 0) {
      return { entry: i, offset, why: 'does not hash to the leaf hash its index record holds', indexOffset: i * INDEX_RECORD_SIZE };
    }
    return undefined;
  }
}

/** The tree rebuilt entry by entry, checked at each checkpoint's size. */
class EntryScan {
  /** Entries hashed so far. */
  i = 0;
  /** The next checkpoint record to reach. */
  next = 0;
  readonly total: number;
  readonly #range = new CompactRange(nodeHasher);
  readonly #leaf = Buffer.alloc(32);
  #suspect: Suspect | undefined;
  #rangeStart = 0;
  #rangeStartOffset = 0;

  constructor(
    private readonly records: CheckpointTable,
    readonly index: IndexBlocks,
    private readonly report: AuditReport,
    private readonly progress: AuditOptions['progress'],
  ) {
    this.total = records.length > 0 ? records.get(records.length - 1).size : 0;
    while (this.next < records.length && records.sizeAt(this.next) === 0) this.next++;
  }

  /** Whether the next line's index record must be loaded before `line`. */
  needsIndex(): boolean {
    return this.i < this.total && !this.#suspect && this.index.needs(this.i);
  }

  /**
   * The line `buf[s..e)` (its newline at `e`), at file offset `offset`; `end` is the offset
   * just after its newline. The byte before `s` is spare: it holds the leaf prefix while the
   * line is hashed, so no line is copied.
   */
  line(buf: Buffer, s: number, e: number, offset: number, end: number): AuditFailure | undefined {
    if (this.i >= this.total) {
      this.report.uncommitted++;
      this.i++;
      return undefined;
    }
    // The leaf hash as a latin1 string: no ArrayBuffer per entry for the GC to chase.
    const h = hashLeafInPlaceLatin1(buf, s, e);
    for (let k = 0; k < 32; k++) this.#leaf[k] = h.charCodeAt(k);
    this.#suspect ??= this.index.disagreement(this.i, offset, this.#leaf);
    this.#range.appendFrom(this.#leaf, 0);
    this.i++;
    if (this.progress && (this.i & 0xffff) === 0) this.progress(this.i, this.total);
    if (this.next < this.records.length && this.records.sizeAt(this.next) === this.i) {
      const f = checkRange(this.records.get(this.next), this.next, this.#range, end, this.#suspect, this.#rangeStart, this.#rangeStartOffset);
      if (f) return f;
      this.#suspect = undefined;
      this.#rangeStart = this.i;
      this.#rangeStartOffset = end;
      this.next++;
    }
    return undefined;
  }

  /** entries.log ended with `rest` bytes of a line without its newline at `offset`. */
  torn(rest: number, offset: number): AuditFailure | undefined {
    if (this.i < this.total) {
      return {
        code: 'CORRUPT_ENTRY',
        file: ENTRIES_FILE,
        offset,
        entry: this.i,
        reason: `entry ${this.i} is torn (${rest} bytes, no newline) and checkpoint ${this.next} covers it: entries.log was truncated`,
      };
    }
    this.report.uncommitted++;
    this.report.notes.push(`${ENTRIES_FILE} ends in a torn, uncommitted entry at offset ${offset} (a crash can leave one)`);
    return undefined;
  }

  /** After the last line of entries.log (`entriesSize` bytes). */
  finish(entriesSize: number): AuditFailure | undefined {
    this.progress?.(Math.min(this.i, this.total), this.total);
    if (this.i < this.total) {
      const rec = this.records.get(this.next);
      return {
        code: 'CORRUPT_ENTRY',
        file: ENTRIES_FILE,
        offset: entriesSize,
        entry: this.i,
        checkpoint: this.next,
        reason: `${ENTRIES_FILE} ends after ${this.i} entries, but checkpoint ${this.next} covers ${rec.size}: entries were removed`,
      };
    }
    if (this.index.size > (this.total + this.report.uncommitted) * INDEX_RECORD_SIZE) {
      this.report.notes.push(`${INDEX_FILE} has records beyond the entries (a crash can leave them)`);
    }
    return undefined;
  }
}

/**
 * Streams entries.log through an `EntryScan`. Returns the first failure, or fills
 * `report.uncommitted`.
 */
export async function checkEntries(
  dir: string,
  records: CheckpointTable,
  report: AuditReport,
  progress: AuditOptions['progress'],
): Promise<AuditFailure | undefined> {
  const entries = await open(join(dir, ENTRIES_FILE), 'r').catch(() => undefined);
  const index = await open(join(dir, INDEX_FILE), 'r').catch(() => undefined);
  try {
    const entriesSize = entries ? (await entries.stat()).size : 0;
    const scan = new EntryScan(records, new IndexBlocks(index, index ? (await index.stat()).size : 0), report, progress);
    // One spare byte before the data: every line then has a byte before it that can hold
    // the 0x00 leaf prefix while it is hashed.
    const buf = Buffer.alloc(CHUNK + 1);
    let filled = 1; // bytes of buf in use, including the spare one
    let fileAt = 0; // file offset of buf[1]
    let readAt = 0;
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
        if (scan.needsIndex()) await scan.index.load(scan.i);
        const f = scan.line(buf, s, e, fileAt + s - 1, fileAt + e);
        if (f) return f;
        s = e + 1;
      }
      // Keep the partial line at the end for the next read.
      const rest = filled - s;
      if (eof) {
        const f = rest > 0 ? scan.torn(rest, fileAt + s - 1) : undefined;
        if (f) return f;
        break;
      }
      if (rest === buf.length - 1) {
        return { code: 'CORRUPT_ENTRY', file: ENTRIES_FILE, offset: fileAt + s - 1, entry: scan.i, reason: `entry ${scan.i} is longer than ${CHUNK} bytes` };
      }
      buf.copy(buf, 1, s, filled);
      fileAt += s - 1;
      filled = 1 + rest;
      // A spare byte that is not a newline is harmless: it is only ever overwritten and restored.
    }
    return scan.finish(entriesSize);
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
  suspect: Suspect | undefined,
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
