/**
 * candump logs (Linux can-utils) → `can` events for one vehicle.
 *
 * Two forms are read:
 * - the padded screen form, `candump -ta`/`-td` style:
 *   ` (000.005001)  can0  18FEDF00   [8]  8A A0 28 7D 7D FF FF F5`
 *   (and `[n]  remote request` for RTR frames);
 * - the compact log form, `candump -l`: `(1600000000.000000) can0 18FEDF00#8AA0287D7DFFFFF5`
 *   (`#R` for RTR frames, `##<flags><data>` for CAN FD).
 *
 * Times below 1e8 s are the capture's own clock and count from `start`; larger ones are
 * epoch seconds (see `secondsToMs`). The J1939 fields (PGN, priority, SA, DA) are decoded
 * from the 29-bit id by events/ `decodeCan`.
 */
import { reject, type ResolvedValidationOptions } from '../../../events/index.js';
import type { Line } from '../lines.js';
import type { FileRecord } from '../types.js';
import { converted, failed, secondsToMs, type Converter } from './common.js';

const PADDED = /^\s*\((\d+(?:\.\d+)?)\)\s+(\S+)\s+([0-9A-Fa-f]{1,8})\s+\[(\d{1,2})\]\s*(.*?)\s*$/;
const COMPACT = /^\s*\((\d+(?:\.\d+)?)\)\s+(\S+)\s+([0-9A-Fa-f]{1,8})#(#?)(\S*)\s*$/;
const BYTES = /^(?:[0-9A-Fa-f]{2}(?:\s+[0-9A-Fa-f]{2})*)?$/;

export class CandumpConverter implements Converter {
  blank = 0;
  /** Frames already seen in the current millisecond (see `seq` below). */
  private lastTs = Number.NaN;
  private inSameMs = 0;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly vehicle: string,
    private readonly start: number,
  ) {}

  feed(line: Line, out: FileRecord[]): void {
    if (line.rejection !== undefined) {
      out.push(failed(line.no, line.raw, line.rejection));
      return;
    }
    const text = line.text;
    if (text.trim() === '') {
      this.blank += 1;
      return;
    }
    const frame = parseFrame(text);
    if (typeof frame === 'string') {
      out.push(failed(line.no, text, reject('PARSE_ERROR', frame)));
      return;
    }
    const ts = secondsToMs(frame.seconds, this.start);
    if (ts === undefined) {
      out.push(failed(line.no, text, reject('TIMESTAMP_OUT_OF_RANGE', `expected seconds such as (000.005001), got (${frame.seconds})`, 'ts')));
      return;
    }
    // candump times are microseconds and events keep milliseconds: in a flood, identical frames
    // share a millisecond. Their ordinal within it keeps them distinct events, so a DoS is
    // counted whole rather than collapsed into duplicates.
    this.inSameMs = ts === this.lastTs ? this.inSameMs + 1 : 0;
    this.lastTs = ts;
    const input: Record<string, unknown> = { kind: 'can', vehicle: this.vehicle, ts, can_id: frame.id.toUpperCase(), data: frame.data.toUpperCase(), seq: this.inSameMs };
    if (frame.dlc !== undefined) input['dlc'] = frame.dlc;
    input['iface'] = frame.iface;
    out.push(converted(line.no, text, input, this.validation));
  }

  finish(): void {}
}

interface Frame {
  seconds: string;
  iface: string;
  id: string;
  data: string;
  dlc?: number;
}

/** A candump line's parts, or what is wrong with it. */
export function parseFrame(text: string): Frame | string {
  const padded = PADDED.exec(text);
  if (padded) {
    const [, seconds = '', iface = '', id = '', dlcText = '', rest = ''] = padded;
    const dlc = Number(dlcText);
    if (/^remote request$/i.test(rest)) return { seconds, iface, id, data: '', dlc };
    if (!BYTES.test(rest)) return `expected payload bytes as hex pairs after [${dlcText}], got ${JSON.stringify(rest.slice(0, 40))}`;
    const data = rest.replace(/\s+/g, '');
    if (data.length / 2 !== Math.min(dlc, 8) && dlc <= 8) return `[${dlcText}] announces ${dlc} bytes, got ${data.length / 2}`;
    return { seconds, iface, id, data, dlc };
  }
  const compact = COMPACT.exec(text);
  if (compact) {
    const [, seconds = '', iface = '', id = '', fd = '', payload = ''] = compact;
    if (fd === '' && /^R\d?$/i.test(payload)) return { seconds, iface, id, data: '', dlc: payload.length > 1 ? Number(payload.slice(1)) : 0 };
    // CAN FD: the first hex digit after ## is the flags nibble, not data.
    const data = fd === '#' ? payload.slice(1) : payload;
    if (!/^(?:[0-9A-Fa-f]{2})*$/.test(data)) return `expected payload bytes as hex pairs after #, got ${JSON.stringify(payload.slice(0, 40))}`;
    return { seconds, iface, id, data };
  }
  return 'expected a candump frame: "(seconds) iface ID [dlc] bytes" or "(seconds) iface ID#data"';
}
