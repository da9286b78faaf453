/** NDJSON: one DESIGN.md input object per line, validated exactly as the node validates it. */
import { parseJsonRecord, type ResolvedValidationOptions } from '../../../events/index.js';
import type { Line } from '../lines.js';
import type { FileRecord } from '../types.js';
import { atLine, failed, type Converter } from './common.js';

export class NdjsonConverter implements Converter {
  blank = 0;

  constructor(private readonly validation: ResolvedValidationOptions) {}

  feed(line: Line, out: FileRecord[]): void {
    if (line.rejection !== undefined) {
      out.push(failed(line.no, line.raw, line.rejection));
      return;
    }
    // Blank lines separate nothing in NDJSON; they are counted, not stored as dead letters.
    if (line.text.trim() === '') {
      this.blank += 1;
      return;
    }
    const result = parseJsonRecord(line.text, this.validation);
    out.push({
      line: line.no,
      raw: line.text,
      json: line.text,
      result: result.ok ? result : { ok: false, rejection: atLine(line.no, result.rejection) },
    });
  }

  finish(): void {}
}
