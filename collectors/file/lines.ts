/**
 * Streaming line splitter for files of any size.
 *
 * A file is attacker-controlled input (STYLE.md 8): it may hold a multi-gigabyte line with
 * no newline, bytes that are not UTF-8, or CRLF line ends. Memory stays bounded by the
 * record limit: a line longer than `maxLineBytes` stops being buffered the moment it
 * crosses the limit (only a short prefix is kept, for the dead-letter row) and the rest is
 * counted until its newline. Every line comes out either as text or as a typed rejection;
 * nothing here throws on content.
 */
import { isUtf8 } from 'node:buffer';
import { reject, type Rejection } from '../../events/index.js';

/** How many bytes of an oversized line are kept as its raw, for the dead letter. */
export const OVERSIZED_PREFIX_BYTES = 1024;

/** A physical line: its 1-based number and either its text or why it has none. */
export type Line =
  | { no: number; text: string; raw?: undefined; rejection?: undefined }
  | { no: number; text?: undefined; raw: Uint8Array; rejection: Rejection };

export interface LineChunk {
  lines: Line[];
  /** Bytes read from the stream so far (cumulative). */
  bytesRead: number;
}

const LF = 0x0a;
const CR = 0x0d;

/**
 * Split a byte stream into lines (LF or CRLF), grouped per chunk read so that callers pay
 * the async-iteration cost once per chunk, not per line. A final line without a newline is
 * a line; the empty string after a final newline is not. A UTF-8 byte-order mark on the
 * first line is dropped (spreadsheets write one).
 */
export async function* readLines(
  stream: AsyncIterable<Uint8Array>,
  maxLineBytes: number,
): AsyncGenerator<LineChunk> {
  let no = 0;
  let bytesRead = 0;
  // The current incomplete line: parts and their length, or, once oversized, a prefix and a count.
  let parts: Buffer[] = [];
  let partsLen = 0;
  let oversized = false;
  let prefix: Buffer = Buffer.alloc(0);
  let oversizedLen = 0;

  const finish = (tail: Buffer, out: Line[]): void => {
    no += 1;
    if (oversized) {
      const size = oversizedLen + tail.length;
      out.push(tooLarge(no, prefix, stripCr(size, tail), maxLineBytes));
      oversized = false;
      prefix = Buffer.alloc(0);
      oversizedLen = 0;
      return;
    }
    let bytes = partsLen === 0 ? tail : Buffer.concat([...parts, tail], partsLen + tail.length);
    parts = [];
    partsLen = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (no === 1 && bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    if (bytes.length > maxLineBytes) {
      out.push(tooLarge(no, bytes.subarray(0, OVERSIZED_PREFIX_BYTES), bytes.length, maxLineBytes));
      return;
    }
    if (!isUtf8(bytes)) {
      out.push({
        no,
        raw: new Uint8Array(bytes),
        rejection: reject('INVALID_UTF8', `line ${no}: expected UTF-8 text, got invalid byte sequences`),
      });
      return;
    }
    out.push({ no, text: bytes.toString('utf8') });
  };

  const keep = (segment: Buffer): void => {
    if (segment.length === 0) return;
    if (oversized) {
      oversizedLen += segment.length;
      return;
    }
    // One byte of slack for a CR that may belong to a CRLF line end.
    if (partsLen + segment.length > maxLineBytes + 1) {
      const head = partsLen === 0 ? segment : Buffer.concat([...parts, segment], partsLen + segment.length);
      prefix = Buffer.from(head.subarray(0, OVERSIZED_PREFIX_BYTES));
      oversizedLen = head.length;
      oversized = true;
      parts = [];
      partsLen = 0;
      return;
    }
    // Copy: the stream may reuse its buffer, and a small slice must not pin a 64 KiB chunk.
    parts.push(Buffer.from(segment));
    partsLen += segment.length;
  };

  for await (const chunk of stream) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    bytesRead += buf.length;
    const lines: Line[] = [];
    let start = 0;
    for (let nl = buf.indexOf(LF, start); nl !== -1; nl = buf.indexOf(LF, start)) {
      finish(buf.subarray(start, nl), lines);
      start = nl + 1;
    }
    keep(buf.subarray(start));
    if (lines.length > 0) yield { lines, bytesRead };
  }
  if (oversized || partsLen > 0) {
    const lines: Line[] = [];
    finish(Buffer.alloc(0), lines);
    yield { lines, bytesRead };
  }
}

/** The length of an oversized line without its CR, when the tail ends with one. */
function stripCr(size: number, tail: Buffer): number {
  return tail.length > 0 && tail[tail.length - 1] === CR ? size - 1 : size;
}

function tooLarge(no: number, prefix: Buffer, size: number, limit: number): Line {
  return {
    no,
    raw: new Uint8Array(prefix.subarray(0, OVERSIZED_PREFIX_BYTES)),
    rejection: reject(
      'TOO_LARGE',
      `line ${no}: ${size} bytes exceeds the record limit of ${limit} (only the first ${Math.min(size, OVERSIZED_PREFIX_BYTES)} bytes are kept)`,
    ),
  };
}
