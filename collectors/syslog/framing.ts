/**
 * Syslog over TCP framing (RFC 6587): octet counting (`MSG-LEN SP SYSLOG-MSG`, §3.4.1)
 * and non-transparent framing (a message ended by LF, §3.4.2), chosen per frame by its
 * first byte as the RFC suggests (a digit starts an octet count; a syslog message starts
 * with `<`).
 *
 * Memory stays bounded by `maxFrameBytes` whatever the sender does: a frame declared or
 * found longer than the limit is not buffered — its first bytes are kept for the dead
 * letter and the rest is skipped as it streams past.
 */
import { reject, type Rejection } from '../../events/index.js';

/** How much of an oversized frame is kept as its raw, for the dead letter. */
export const OVERSIZED_PREFIX_BYTES = 1024;
/** MSG-LEN is at most 9 digits here: larger than any limit anyone configures. */
const MAX_LEN_DIGITS = 9;
const LF = 0x0a;
const SP = 0x20;

export type Frame = { bytes: Uint8Array; rejection?: undefined } | { bytes: Uint8Array; rejection: Rejection };

export class SyslogFramer {
  private buffered: Buffer[] = [];
  private bufferedBytes = 0;
  /** Bytes still to skip of an oversized octet-counted frame. */
  private skip = 0;
  /** Inside an oversized LF-framed message: drop bytes until its LF. */
  private discardingLine = false;
  /** Octet counting: the declared length of the frame being read, after its header. */
  private expect: number | undefined;

  constructor(private readonly maxFrameBytes: number) {
    if (!Number.isInteger(maxFrameBytes) || maxFrameBytes < 1) throw new RangeError(`maxFrameBytes: expected a positive integer, got ${maxFrameBytes}`);
  }

  /** Feed bytes as they arrive; returns the frames completed by them. */
  push(chunk: Buffer): Frame[] {
    const frames: Frame[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        this.skip -= n;
        pos += n;
        continue;
      }
      if (this.discardingLine) {
        const lf = chunk.indexOf(LF, pos);
        if (lf === -1) return frames;
        this.discardingLine = false;
        pos = lf + 1;
        continue;
      }
      if (this.expect !== undefined) {
        const need = this.expect - this.bufferedBytes;
        const n = Math.min(need, chunk.length - pos);
        this.append(chunk.subarray(pos, pos + n));
        pos += n;
        if (this.bufferedBytes === this.expect) {
          frames.push({ bytes: this.take() });
          this.expect = undefined;
        }
        continue;
      }
      // At a frame boundary (possibly with a partial header or line buffered).
      const first = this.bufferedBytes > 0 ? this.buffered[0]![0]! : chunk[pos]!;
      if (first >= 0x30 && first <= 0x39) {
        const header = this.octetHeader(chunk, pos, frames);
        if (header === 'more') return frames;
        pos = header;
        continue;
      }
      pos = this.lineFrame(chunk, pos, frames);
    }
    return frames;
  }

  /** Bytes held for an incomplete frame (for tests and metrics). */
  get pending(): number {
    return this.bufferedBytes;
  }

  /** The connection ended: an unterminated last line is still a message (RFC 6587 §3.4.2 senders may omit the final LF). */
  end(): Frame[] {
    if (this.expect !== undefined) {
      const got = this.take();
      this.expect = undefined;
      return [{ bytes: got, rejection: reject('PARSE_ERROR', `octet-counted frame cut short: the connection closed after ${got.length} bytes`) }];
    }
    if (this.bufferedBytes > 0 && !this.discardingLine) return [{ bytes: this.take() }];
    return [];
  }

  private octetHeader(chunk: Buffer, pos: number, frames: Frame[]): number | 'more' {
    // Gather the header digits (they may straddle chunks).
    const head = this.bufferedBytes > 0 ? Buffer.concat([...this.buffered, chunk.subarray(pos, pos + MAX_LEN_DIGITS + 1)]) : chunk.subarray(pos, pos + MAX_LEN_DIGITS + 1);
    let i = 0;
    while (i < head.length && head[i]! >= 0x30 && head[i]! <= 0x39) i++;
    if (i === head.length && i <= MAX_LEN_DIGITS) {
      // Header not complete yet: keep what we have (at most 9 bytes).
      this.append(chunk.subarray(pos));
      return 'more';
    }
    const consumedFromChunk = (n: number) => pos + n - this.bufferedBytes;
    if (i > MAX_LEN_DIGITS || head[i] !== SP) {
      // Digits not followed by a space: not an octet count. A line of its own (a message without PRI).
      return this.lineFrame(chunk, pos, frames);
    }
    const len = Number(head.subarray(0, i).toString('latin1'));
    const next = consumedFromChunk(i + 1);
    this.buffered = [];
    this.bufferedBytes = 0;
    if (len === 0) {
      frames.push({ bytes: new Uint8Array(0), rejection: reject('EMPTY', 'octet-counted frame of length 0') });
      return next;
    }
    if (len > this.maxFrameBytes) {
      const prefix = Buffer.from(chunk.subarray(next, next + Math.min(len, OVERSIZED_PREFIX_BYTES)));
      frames.push({ bytes: prefix, rejection: reject('TOO_LARGE', `syslog frame of ${len} bytes exceeds the limit of ${this.maxFrameBytes}`) });
      this.skip = len;
      return next;
    }
    this.expect = len;
    return next;
  }

  private lineFrame(chunk: Buffer, pos: number, frames: Frame[]): number {
    const lf = chunk.indexOf(LF, pos);
    const end = lf === -1 ? chunk.length : lf;
    const size = this.bufferedBytes + (end - pos);
    if (size > this.maxFrameBytes) {
      const prefix = Buffer.concat([...this.buffered, chunk.subarray(pos, Math.min(end, pos + OVERSIZED_PREFIX_BYTES))]).subarray(0, OVERSIZED_PREFIX_BYTES);
      frames.push({ bytes: Buffer.from(prefix), rejection: reject('TOO_LARGE', `syslog line of more than ${this.maxFrameBytes} bytes exceeds the limit`) });
      this.buffered = [];
      this.bufferedBytes = 0;
      if (lf === -1) {
        this.discardingLine = true;
        return chunk.length;
      }
      return lf + 1;
    }
    if (lf === -1) {
      this.append(chunk.subarray(pos));
      return chunk.length;
    }
    this.append(chunk.subarray(pos, lf));
    const line = this.take();
    // Blank lines between frames are keep-alives of some senders, not messages.
    if (line.length > 0 && !(line.length === 1 && line[0] === 0x0d)) frames.push({ bytes: line });
    return lf + 1;
  }

  private append(part: Buffer): void {
    if (part.length === 0) return;
    this.buffered.push(part);
    this.bufferedBytes += part.length;
  }

  private take(): Buffer {
    // Copied: a frame must not pin the socket's whole chunk in memory while it waits for its commit.
    const out = this.buffered.length === 1 ? Buffer.from(this.buffered[0]!) : Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    return out;
  }
}
