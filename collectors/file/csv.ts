/**
 * A small RFC 4180 reader (quoted fields, doubled quotes, CRLF, quoted line breaks) on top
 * of the streaming line splitter, so that the per-line guarantees (bounded memory,
 * TOO_LARGE, INVALID_UTF8) hold for CSV too. No CSV package is installed; `csv-parse`
 * would be the one to add, but its record-at-a-time errors do not map to Vigil's
 * per-line rejections as directly as this does.
 *
 * Untrusted input: a stray opening quote must not swallow the rest of the file. A record
 * whose quoted field is still open after `maxRecordBytes` (or at the end of the file) has
 * its first line rejected as PARSE_ERROR and the lines after it are read again as records.
 */
import { reject, type Rejection } from '../../events/index.js';
import type { Line } from './lines.js';

/** A parsed CSV record: the line it starts on, its verbatim text, and its fields. */
export interface CsvRow {
  line: number;
  raw: string;
  fields: string[];
}

export type CsvItem = CsvRow | { line: number; raw: string | Uint8Array; rejection: Rejection; fields?: undefined };

export type SplitResult = { fields: string[] } | { open: true } | { error: string };

/**
 * Split one record's text into fields. With `maxFields`, fields after that many are never
 * extracted (the text is only scanned for quotes, to find where the record ends): the J1939
 * importer uses this so that the answer-giving columns after `label` are never read.
 */
export function splitCsv(text: string, maxFields = Number.POSITIVE_INFINITY): SplitResult {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  for (;;) {
    if (fields.length >= maxFields) return skipRest(text, i) ? { fields } : { open: true };
    if (i < n && text.charCodeAt(i) === 0x22 /* " */) {
      let value = '';
      let from = i + 1;
      for (;;) {
        const q = text.indexOf('"', from);
        if (q === -1) return { open: true };
        if (text.charCodeAt(q + 1) === 0x22) {
          value += text.slice(from, q + 1);
          from = q + 2;
          continue;
        }
        value += text.slice(from, q);
        i = q + 1;
        break;
      }
      fields.push(value);
      if (i === n) return { fields };
      if (text.charCodeAt(i) !== 0x2c /* , */) return { error: `expected a comma after the quoted field ${fields.length}, got ${JSON.stringify(text[i])}` };
      i += 1;
    } else {
      const comma = text.indexOf(',', i);
      if (comma === -1) {
        fields.push(text.slice(i));
        return { fields };
      }
      fields.push(text.slice(i, comma));
      i = comma + 1;
    }
  }
}

/** Whether the unread rest of a record closes all its quotes (true) or runs on (false). */
function skipRest(text: string, from: number): boolean {
  let quotes = 0;
  for (let q = text.indexOf('"', from); q !== -1; q = text.indexOf('"', q + 1)) quotes += 1;
  return quotes % 2 === 0;
}

/**
 * Turns lines into CSV records. Blank lines between records are skipped and counted in
 * `blank`; inside a quoted field they are content.
 */
export class CsvReader {
  blank = 0;
  private pending: Array<{ no: number; text: string }> = [];
  private pendingChars = 0;

  constructor(
    private readonly maxRecordBytes: number,
    private readonly maxFields = Number.POSITIVE_INFINITY,
  ) {}

  feed(line: Line, out: CsvItem[]): void {
    if (line.rejection !== undefined) {
      while (this.pending.length > 0) this.abortFirst(out);
      out.push({ line: line.no, raw: line.raw, rejection: line.rejection });
      return;
    }
    if (this.pending.length === 0 && line.text.trim() === '') {
      this.blank += 1;
      return;
    }
    this.pending.push({ no: line.no, text: line.text });
    this.pendingChars += line.text.length + 1;
    const first = this.pending[0] as { no: number; text: string };
    const text = this.pending.length === 1 ? first.text : this.pending.map((p) => p.text).join('\n');
    const split = splitCsv(text, this.maxFields);
    if ('fields' in split) {
      this.clear();
      out.push({ line: first.no, raw: text, fields: split.fields });
    } else if ('error' in split) {
      this.clear();
      out.push({ line: first.no, raw: text, rejection: reject('PARSE_ERROR', `line ${first.no}: ${split.error}`) });
    } else if (this.pendingChars > this.maxRecordBytes) {
      this.abortFirst(out);
    }
  }

  /** At the end of the input: a quoted field still open is an error, not a record. */
  finish(out: CsvItem[]): void {
    while (this.pending.length > 0) this.abortFirst(out);
  }

  private abortFirst(out: CsvItem[]): void {
    const [first, ...rest] = this.pending;
    this.clear();
    if (first === undefined) return;
    out.push({
      line: first.no,
      raw: first.text,
      rejection: reject('PARSE_ERROR', `line ${first.no}: a quoted field is never closed (within ${this.maxRecordBytes} bytes)`),
    });
    for (const l of rest) this.feed({ no: l.no, text: l.text }, out);
  }

  private clear(): void {
    this.pending = [];
    this.pendingChars = 0;
  }
}
