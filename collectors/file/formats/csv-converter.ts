import { CsvReader, type CsvItem } from '../csv.js';
import type { Line } from '../lines.js';
import type { FileRecord } from '../types.js';
import type { Converter } from './common.js';

/**
 * What every CSV-based format shares: lines go through the RFC 4180 reader (quoted fields
 * may span lines), and each item it completes — a row, or a line it could not read — is
 * handed to `take`, which knows the format's header and columns.
 */
export abstract class CsvConverter implements Converter {
  protected csv: CsvReader;
  private readonly items: CsvItem[] = [];

  constructor(maxRecordBytes: number) {
    this.csv = new CsvReader(maxRecordBytes);
  }

  get blank(): number {
    return this.csv.blank;
  }

  feed(line: Line, out: FileRecord[]): void {
    this.csv.feed(line, this.items);
    this.drain(out);
  }

  finish(out: FileRecord[]): void {
    this.csv.finish(this.items);
    this.drain(out);
  }

  private drain(out: FileRecord[]): void {
    for (const item of this.items) this.take(item, out);
    this.items.length = 0;
  }

  /** One item from the reader: the header, a row to convert, or an unreadable line. */
  protected abstract take(item: CsvItem, out: FileRecord[]): void;
}
