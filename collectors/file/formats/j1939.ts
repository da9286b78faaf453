/**
 * The J1939 attack data sets' `labeled_TSC1.csv` / `labeled_address_claim.csv` → `can`
 * events for one vehicle, and their labels.
 *
 * Only the columns up to and including `label` are read. The columns after it
 * (`rule_name`, `rule_type`, `rule_description`, …) were written by the labelling rules
 * and name the attack outright; a detector fed them would be graded on reading the
 * answer. Rows are split with a field limit, so those cells are never even extracted.
 * Of the columns before `label`, only the frame itself is used (time, iface, id, dlc,
 * data); the decoded J1939 columns are recomputed from the id by events/ `decodeCan`.
 */
import { reject, type ResolvedValidationOptions } from '../../../events/index.js';
import { CollectorError } from '../../errors.js';
import { CsvReader, splitCsv, type CsvItem } from '../csv.js';
import { CsvConverter } from './csv-converter.js';
import type { Line } from '../lines.js';
import type { FileRecord } from '../types.js';
import { converted, failed, secondsToMs } from './common.js';

/** The vehicle id of a J1939 file: `labeled_TSC1.csv` → `j1939-tsc1`. */
export function j1939Vehicle(fileName: string): string {
  const name = fileName
    .replace(/\.csv$/i, '')
    .replace(/^labeled_/i, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `j1939-${name || 'vehicle'}`;
}

/** A CAN id as the CSV writes it (decimal, or 0x-prefixed hex) → upper-case hex, 8 digits when extended. */
export function canIdHex(cell: string): string | undefined {
  const text = cell.trim();
  let value: number;
  if (/^\d{1,10}$/.test(text)) value = Number(text);
  else if (/^0x[0-9A-Fa-f]{1,8}$/i.test(text)) value = Number.parseInt(text.slice(2), 16);
  else return undefined;
  if (value > 0x1fffffff) return undefined;
  return value > 0x7ff ? value.toString(16).toUpperCase().padStart(8, '0') : value.toString(16).toUpperCase().padStart(3, '0');
}

export class J1939Converter extends CsvConverter {
  private cols: { ts: number; can: number; data: number; label: number; dlc: number; iface: number } | undefined;

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly vehicle: string,
    private readonly start: number,
    private readonly file: string,
  ) {
    super(validation.maxRecordBytes);
  }

  override feed(line: Line, out: FileRecord[]): void {
    // The header is read by hand: it fixes how many columns the reader extracts (up to `label`).
    if (this.cols === undefined) {
      this.header(line);
      return;
    }
    super.feed(line, out);
  }

  private header(line: Line): void {
    if (line.rejection !== undefined) throw badHeader(this.file, `its header is unreadable: ${line.rejection.message}`);
    const split = splitCsv(line.text);
    if (!('fields' in split)) throw badHeader(this.file, 'its header is not one CSV line');
    const names = split.fields.map((f) => f.trim());
    const label = names.indexOf('label');
    if (label < 0) throw badHeader(this.file, `expected a label column, got ${names.slice(0, 16).join(', ')}`);
    // Everything after `label` is forgotten here, so no later code can look it up by name.
    const before = names.slice(0, label + 1);
    const at = (name: string): number => before.indexOf(name);
    const [ts, can, data] = [at('timestamp'), at('can_id'), at('data')];
    if (ts < 0 || can < 0 || data < 0) throw badHeader(this.file, `expected timestamp, can_id and data before label, got ${before.join(', ')}`);
    this.cols = { ts, can, data, label, dlc: at('dlc'), iface: at('iface') };
    this.csv = new CsvReader(this.validation.maxRecordBytes, label + 1);
  }

  protected take(item: CsvItem, out: FileRecord[]): void {
    if (item.fields === undefined) out.push(failed(item.line, item.raw, item.rejection));
    else out.push(this.row(item.line, item.raw, item.fields));
  }

  private row(line: number, raw: string, fields: string[]): FileRecord {
    const cols = this.cols as NonNullable<typeof this.cols>;
    // The verbatim raw would carry the rule columns into the dead letters and the labels' neighbour: cut it at `label`.
    const kept = rawUpToLabel(raw, cols.label);
    if (fields.length <= cols.label) return failed(line, kept, reject('PARSE_ERROR', `expected at least ${cols.label + 1} fields up to label, got ${fields.length}`));
    const cell = (i: number): string => (i < 0 ? '' : (fields[i] ?? '').trim());
    const ts = secondsToMs(cell(cols.ts), this.start);
    if (ts === undefined) return failed(line, kept, reject('TIMESTAMP_OUT_OF_RANGE', `timestamp: expected seconds, got ${JSON.stringify(cell(cols.ts).slice(0, 30))}`, 'ts'));
    const canId = canIdHex(cell(cols.can));
    if (canId === undefined) return failed(line, kept, reject('INVALID_FORMAT', `can_id: expected a decimal or 0x-hex 29-bit id, got ${JSON.stringify(cell(cols.can).slice(0, 30))}`, 'can_id'));
    const label = cell(cols.label);
    if (label === '') return failed(line, kept, reject('PARSE_ERROR', 'label: expected normal or an attack name, got an empty cell', 'label'));
    const input: Record<string, unknown> = { kind: 'can', vehicle: this.vehicle, ts, can_id: canId, data: cell(cols.data).replace(/\s+/g, '').toUpperCase() };
    const dlc = cell(cols.dlc);
    if (dlc !== '') input['dlc'] = /^\d+$/.test(dlc) ? Number(dlc) : dlc;
    const iface = cell(cols.iface);
    if (iface !== '') input['iface'] = iface;
    return converted(line, kept, input, this.validation, label === 'normal' ? { label: 'normal' } : { label: 'attack', attack: label });
  }
}

/** The text of a CSV record up to the end of field `index` (quotes respected). */
function rawUpToLabel(raw: string, index: number): string {
  let field = 0;
  let quoted = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x22) quoted = !quoted;
    else if (c === 0x2c && !quoted) {
      if (field === index) return raw.slice(0, i);
      field += 1;
    }
  }
  return raw;
}

function badHeader(file: string, why: string): CollectorError {
  return new CollectorError('SOURCE_UNREADABLE', `${file} is not a labelled J1939 file: ${why}`, false);
}
