/**
 * The data directory's files and their record formats (node-only).
 *
 *   entries.log       one entry per line: its RFC 8785 canonical JSON (the leaf data), "\n"
 *   entries.idx       40 bytes per entry: byte offset in entries.log (u64 big-endian) and
 *                     leaf hash — derived data for random access and for locating damage
 *   checkpoints.log   one JSON object per line: a signed checkpoint plus `offset`, the byte
 *                     length of entries.log that it covers
 *   cosignatures.log  one JSON object per line: `{checkpoint, cosignature}` — the signed
 *                     checkpoint is repeated so each record stands alone as evidence
 *   private.pem       the log's Ed25519 key, PKCS #8 PEM, mode 0600
 *   public.pem        the log's public key, SPKI PEM: what auditors pin
 *   writer.lock       the writing process's pid, so two writers never share a directory
 *
 * All are append-only (the writer opens them O_APPEND); recovery truncates only what no
 * durable checkpoint covers.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import {
  checkpointHash,
  GENESIS_PREV,
  parseCheckpoint,
  parseCosignature,
  type Checkpoint,
  type Cosignature,
} from './checkpoint.js';
import { LedgerError } from './errors.js';

export const ENTRIES_FILE = 'entries.log';
export const INDEX_FILE = 'entries.idx';
export const CHECKPOINTS_FILE = 'checkpoints.log';
export const COSIGNATURES_FILE = 'cosignatures.log';
export const PRIVATE_KEY_FILE = 'private.pem';
export const PUBLIC_KEY_FILE = 'public.pem';
export const LOCK_FILE = 'writer.lock';

/** entries.idx record: u64 offset + 32-byte leaf hash. */
export const INDEX_RECORD_SIZE = 40;
const NEWLINE = 0x0a;

export interface CheckpointRecord {
  checkpoint: Checkpoint;
  /** Bytes of entries.log that the checkpoint covers. */
  entriesOffset: number;
  /** Where the record starts in checkpoints.log. */
  fileOffset: number;
}

export function encodeCheckpointRecord(cp: Checkpoint, entriesOffset: number): string {
  return `${JSON.stringify({ ...cp, offset: entriesOffset })}\n`;
}

export function encodeCosignatureRecord(cp: Checkpoint, c: Cosignature): string {
  return `${JSON.stringify({ checkpoint: cp, cosignature: c })}\n`;
}

export function writeIndexRecord(buf: Buffer, at: number, offset: number, leafHash: Uint8Array): void {
  writeIndexOffset(buf, at, offset);
  buf.set(leafHash, at + 8);
}

export function writeIndexOffset(buf: Buffer, at: number, offset: number): void {
  buf.writeUInt32BE(Math.floor(offset / 2 ** 32), at);
  buf.writeUInt32BE(offset >>> 0, at + 4);
}

export function readIndexOffset(buf: Buffer, at: number): number {
  return buf.readUInt32BE(at) * 2 ** 32 + buf.readUInt32BE(at + 4);
}

/** Why a checkpoints.log scan stopped early. */
export interface CheckpointProblem {
  /** Index of the bad record (number of good ones before it). */
  record: number;
  fileOffset: number;
  code: 'CORRUPT_CHECKPOINT' | 'SIGNATURE_ERROR';
  reason: string;
  /** The record is the file's last and has no newline: what a crash mid-write leaves. */
  torn: boolean;
}

export interface CheckpointScan {
  records: CheckpointRecord[];
  problem?: CheckpointProblem;
  fileSize: number;
}

/**
 * Reads checkpoints.log, checking each record's shape and its links to the one before
 * (same origin, `prev` = hash of the previous body, growing size, time and offset).
 * `verifySignature` is called for the records `signaturesOf` selects. Stops at the first
 * problem. The file is attacker-controlled: nothing here throws on its content.
 */
export function scanCheckpoints(
  buf: Buffer,
  verifySignature: (cp: Checkpoint) => void,
  signaturesOf: 'all' | 'last' = 'all',
  /** `buf` is the file from this offset on (a tail); its first record's link is then not checked. */
  base = 0,
): CheckpointScan {
  const records: CheckpointRecord[] = [];
  let at = 0;
  let prev: CheckpointRecord | undefined;
  const stop = (fileOffset: number, code: CheckpointProblem['code'], reason: string, torn = false): CheckpointScan => ({
    records,
    problem: { record: records.length, fileOffset: base + fileOffset, code, reason, torn },
    fileSize: base + buf.length,
  });
  while (at < buf.length) {
    const end = buf.indexOf(NEWLINE, at);
    if (end === -1) {
      return stop(at, 'CORRUPT_CHECKPOINT', `torn record (${buf.length - at} bytes without a newline)`, true);
    }
    const isLast = buf.indexOf(NEWLINE, end + 1) === -1;
    const checked = checkCheckpointLine(buf.toString('utf8', at, end), base + at, base > 0 && !prev ? 'unlinked' : prev, signaturesOf === 'all' || isLast ? verifySignature : undefined);
    if ('code' in checked) return stop(at, checked.code, checked.reason);
    records.push(checked);
    prev = checked;
    at = end + 1;
  }
  return { records, fileSize: base + buf.length };
}

/**
 * One checkpoints.log record: parsed, linked to the record before it (`prev`; undefined for
 * the file's first, 'unlinked' when the one before was not read) and, when `verifySignature`
 * is given, its signature checked. The line is untrusted: problems are returned, not thrown.
 */
function checkCheckpointLine(
  line: string,
  fileOffset: number,
  prev: CheckpointRecord | undefined | 'unlinked',
  verifySignature: ((cp: Checkpoint) => void) | undefined,
): CheckpointRecord | { code: CheckpointProblem['code']; reason: string } {
  let record: CheckpointRecord;
  try {
    record = parseCheckpointRecord(line, fileOffset);
  } catch (err) {
    return { code: 'CORRUPT_CHECKPOINT', reason: err instanceof Error ? err.message : String(err) };
  }
  const link = prev === 'unlinked' ? undefined : checkLink(prev, record);
  if (link) return { code: 'CORRUPT_CHECKPOINT', reason: link };
  if (verifySignature) {
    try {
      verifySignature(record.checkpoint);
    } catch (err) {
      return { code: 'SIGNATURE_ERROR', reason: err instanceof Error ? err.message : String(err) };
    }
  }
  return record;
}

/**
 * `scanCheckpoints` (every signature checked) over an open file read in pieces, handing each
 * good record to `onRecord` instead of keeping them all: what a full audit of a long-lived
 * log needs (a checkpoint a second is 86,400 records a day).
 */
export function streamCheckpoints(
  fd: number,
  verifySignature: (cp: Checkpoint) => void,
  onRecord: (record: CheckpointRecord, n: number) => void,
): { count: number; last?: CheckpointRecord; problem?: CheckpointProblem; fileSize: number } {
  const fileSize = fstatSync(fd).size;
  let prev: CheckpointRecord | undefined;
  let count = 0;
  let problem: CheckpointProblem | undefined;
  const scan = scanLines(fd, 0, fileSize, (chunk, start, end, offset) => {
    const checked = checkCheckpointLine(chunk.toString('utf8', start, end), offset, prev, verifySignature);
    if ('code' in checked) {
      problem = { record: count, fileOffset: offset, code: checked.code, reason: checked.reason, torn: false };
      return false;
    }
    onRecord(checked, count++);
    prev = checked;
    return true;
  });
  if (!problem && scan.rest > 0) {
    problem = { record: count, fileOffset: scan.end, code: 'CORRUPT_CHECKPOINT', reason: `torn record (${scan.rest} bytes without a newline)`, torn: true };
  }
  return { count, ...(prev ? { last: prev } : {}), ...(problem ? { problem } : {}), fileSize };
}

function checkLink(prev: CheckpointRecord | undefined, record: CheckpointRecord): string | undefined {
  const cp = record.checkpoint;
  if (!prev) {
    if (cp.prev !== GENESIS_PREV) return 'the first checkpoint must have prev = 64 zeros';
    return undefined;
  }
  const p = prev.checkpoint;
  if (cp.origin !== p.origin) return `origin changes from ${p.origin} to ${cp.origin}`;
  if (cp.prev !== checkpointHash(p)) return `prev ${cp.prev} is not the hash of the checkpoint before it`;
  if (cp.size <= p.size) return `size ${cp.size} does not grow past the previous ${p.size}`;
  if (cp.ts < p.ts) return `time ${cp.ts} is before the previous checkpoint's ${p.ts}`;
  if (record.entriesOffset <= prev.entriesOffset) {
    return `entries offset ${record.entriesOffset} does not grow past ${prev.entriesOffset}`;
  }
  return undefined;
}

function parseCheckpointRecord(line: string, fileOffset: number): CheckpointRecord {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new LedgerError('CORRUPT_CHECKPOINT', 'record is not JSON', { cause: err });
  }
  const checkpoint = parseCheckpoint(value);
  const offset = (value as Record<string, unknown>)['offset'];
  if (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0) {
    throw new LedgerError('CORRUPT_CHECKPOINT', 'record offset must be a non-negative integer');
  }
  if ((checkpoint.size === 0) !== (offset === 0)) {
    throw new LedgerError('CORRUPT_CHECKPOINT', `record offset ${offset} cannot cover ${checkpoint.size} entries`);
  }
  return { checkpoint, entriesOffset: offset, fileOffset };
}

export interface CosignatureRecord {
  checkpoint: Checkpoint;
  cosignature: Cosignature;
  fileOffset: number;
}

export interface CosignatureScan {
  records: CosignatureRecord[];
  /** The first malformed record; `torn` when it is the last and has no newline. */
  problem?: { fileOffset: number; reason: string; torn: boolean };
}

/** One cosignatures.log record, or undefined when it is malformed (untrusted: never throws). */
export function parseCosignatureLine(line: string): { checkpoint: Checkpoint; cosignature: Cosignature } | undefined {
  try {
    return parseCosignatureRecord(line);
  } catch {
    return undefined;
  }
}

/** One cosignatures.log record; throws on a malformed one. */
export function parseCosignatureRecord(line: string): { checkpoint: Checkpoint; cosignature: Cosignature } {
  const value = JSON.parse(line) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) throw new Error('not an object');
  return { checkpoint: parseCheckpoint(value['checkpoint']), cosignature: parseCosignature(value['cosignature']) };
}

/** Reads cosignatures.log up to the first malformed record (untrusted: never throws). */
export function scanCosignatures(buf: Buffer): CosignatureScan {
  const records: CosignatureRecord[] = [];
  let at = 0;
  while (at < buf.length) {
    const end = buf.indexOf(NEWLINE, at);
    if (end === -1) return { records, problem: { fileOffset: at, reason: 'torn record (no newline)', torn: true } };
    try {
      records.push({ ...parseCosignatureRecord(buf.toString('utf8', at, end)), fileOffset: at });
    } catch (err) {
      return { records, problem: { fileOffset: at, reason: err instanceof Error ? err.message : String(err), torn: false } };
    }
    at = end + 1;
  }
  return { records };
}

/** Reads a whole file; an absent file reads as empty. */
export async function readFileOrEmpty(path: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return Buffer.alloc(0);
    throw new LedgerError('IO_ERROR', `cannot read ${path}`, { cause: err });
  }
}

/** Counts entry lines in a byte range (a trailing line without newline counts too). */
export function countLines(buf: Buffer, from: number, to: number = buf.length): number {
  let n = 0;
  let at = from;
  while (at < to) {
    const end = buf.indexOf(NEWLINE, at);
    n++;
    if (end === -1 || end >= to) break;
    at = end + 1;
  }
  return n;
}

/** Bytes read at a time when a file is scanned line by line. */
export const SCAN_CHUNK = 8 << 20;

export interface LineScan {
  /** Complete (newline-terminated) lines handed to the callback. */
  lines: number;
  /** Offset just past the last complete line handed over. */
  end: number;
  /** Bytes after `end` (up to `to`) that hold no newline: a torn last line, if any. */
  rest: number;
}

/**
 * Hands each newline-terminated line of bytes [from, to) of an open file to `onLine`
 * (`chunk[start, end)` without its newline, and the line's file offset), reading the file
 * in pieces so that memory does not grow with it. `onLine` returning false stops the scan.
 * The chunk is reused: copy what must outlive the call.
 */
export function scanLines(
  fd: number,
  from: number,
  to: number,
  onLine: (chunk: Buffer, start: number, end: number, offset: number) => boolean | void,
  chunkSize = SCAN_CHUNK,
): LineScan {
  let chunk = Buffer.allocUnsafe(Math.max(1, Math.min(chunkSize, to - from)));
  let lines = 0;
  let base = from; // file offset of chunk[0]
  let held = 0; // bytes of an unfinished line at the chunk's start
  let pos = from;
  while (pos < to) {
    if (held === chunk.length) {
      const bigger = Buffer.allocUnsafe(chunk.length * 2); // a line longer than the chunk
      chunk.copy(bigger, 0, 0, held);
      chunk = bigger;
    }
    const n = readSync(fd, chunk, held, Math.min(chunk.length - held, to - pos), pos);
    if (n === 0) break; // the file is shorter than `to`
    pos += n;
    const filled = held + n;
    let at = 0;
    for (let nl = chunk.indexOf(NEWLINE, at); nl !== -1 && nl < filled; nl = chunk.indexOf(NEWLINE, at)) {
      lines++;
      if (onLine(chunk, at, nl, base + at) === false) return { lines, end: base + nl + 1, rest: 0 };
      at = nl + 1;
    }
    held = filled - at;
    chunk.copy(chunk, 0, at, filled);
    base += at;
  }
  return { lines, end: base, rest: held };
}

/**
 * The end of an open file from a line start on, holding at least `lines` newlines when the
 * file has them (fewer only when the whole file is returned): what recovery needs of an
 * append-only log without reading all of it.
 */
export function readTail(fd: number, lines: number, firstRead = 64 << 10): { buf: Buffer; offset: number } {
  const size = fstatSync(fd).size;
  for (let want = firstRead; ; want *= 2) {
    const from = Math.max(0, size - want);
    const buf = Buffer.allocUnsafe(size - from);
    let done = 0;
    while (done < buf.length) {
      const n = readSync(fd, buf, done, buf.length - done, from + done);
      if (n === 0) break;
      done += n;
    }
    const got = buf.subarray(0, done);
    if (from === 0) return { buf: got, offset: 0 };
    // Skip the partial line at the front; count the newlines after it.
    const start = got.indexOf(NEWLINE) + 1;
    let count = 0;
    for (let at = start; count <= lines; ) {
      const nl = got.indexOf(NEWLINE, at);
      if (nl === -1) break;
      count++;
      at = nl + 1;
    }
    if (start > 0 && count >= lines) return { buf: got.subarray(start), offset: from + start };
  }
}

/** `readTail` of a file by path; an absent file reads as empty. */
export function readTailOf(path: string, lines: number): { buf: Buffer; offset: number } {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { buf: Buffer.alloc(0), offset: 0 };
    throw new LedgerError('IO_ERROR', `cannot read ${path}`, { cause: err });
  }
  try {
    return readTail(fd, lines);
  } finally {
    closeSync(fd);
  }
}

/**
 * Hands the complete lines of an open file to `onLine` from the last to the first, reading
 * backwards in pieces; `onLine` returning false stops. Bytes after the last newline (a torn
 * record) are not handed over. Returns the offset just past the last newline.
 */
export function scanLinesBackward(
  fd: number,
  onLine: (chunk: Buffer, start: number, end: number, offset: number) => boolean | void,
  chunkSize = SCAN_CHUNK,
): number {
  const size = fstatSync(fd).size;
  let chunk = Buffer.allocUnsafe(Math.max(1, Math.min(chunkSize, size)));
  let end = size; // file offset just past the bytes not yet handed over
  let completeEnd = -1;
  let held = 0; // bytes at the chunk's end: the unfinished start of a line, continued after it
  while (end > 0 || held > 0) {
    const room = chunk.length - held;
    if (room === 0) {
      const bigger = Buffer.allocUnsafe(chunk.length * 2); // a line longer than the chunk
      chunk.copy(bigger, bigger.length - held, chunk.length - held);
      chunk = bigger;
      continue;
    }
    const n = Math.min(room, end);
    const from = end - n;
    // Unread bytes go just before the held ones: chunk[room - n, room) = file[from, end).
    let done = 0;
    while (done < n) {
      const r = readSync(fd, chunk, room - n + done, n - done, from + done);
      if (r === 0) break;
      done += r;
    }
    const first = room - n; // chunk index of file offset `from`
    const last = chunk.length; // chunk index just past the held bytes
    const atOf = (i: number): number => from + (i - first);
    let stop = last;
    if (completeEnd === -1) {
      // The file's end: anything after its last newline is torn.
      const nl = chunk.lastIndexOf(NEWLINE, last - 1);
      if (nl < first) {
        if (from === 0) return 0;
        held = last - first;
        chunk.copy(chunk, chunk.length - held, first, last);
        end = from;
        continue;
      }
      completeEnd = atOf(nl) + 1;
      stop = nl;
    } else {
      stop = last - 1; // held bytes end with the newline of the line handed over last
    }
    // Lines ending at `stop` (a newline at chunk index `stop`), walking backwards.
    for (;;) {
      const prevNl = stop > first ? chunk.lastIndexOf(NEWLINE, stop - 1) : -1;
      if (prevNl < first) {
        if (from === 0) {
          onLine(chunk, first, stop, atOf(first));
          return completeEnd;
        }
        // The line's start is in an earlier piece: keep it (with its newline) for the next read.
        held = stop + 1 - first;
        chunk.copy(chunk, chunk.length - held, first, stop + 1);
        break;
      }
      if (onLine(chunk, prevNl + 1, stop, atOf(prevNl + 1)) === false) return completeEnd;
      stop = prevNl;
    }
    end = from;
  }
  return completeEnd === -1 ? 0 : completeEnd;
}
