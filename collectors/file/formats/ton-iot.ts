/**
 * TON_IoT `Train_Test_IoT_<Device>.csv` → `telemetry` events for one device, with the
 * `label`/`type` columns going only to the labels, never into the event.
 *
 * Rows that share a timestamp (to the second) are different readings, sometimes with equal
 * values (a ddos burst logs the same reading many times). Each event carries a `seq` metric:
 * how many earlier rows of the file had the same timestamp (0, 1, 2, …). That keeps every
 * row a distinct event id, and it says no more than the timestamps already say. A
 * file-wide row number would have done the same but would leak the answer: the files are
 * grouped by attack type, so the row number alone separates them.
 *
 * Times are read as UTC (the data set gives no zone); `25-Apr-19` is 2019-04-25.
 */
import { reject, type ResolvedValidationOptions } from '../../../events/index.js';
import { CollectorError } from '../../errors.js';
import type { CsvItem } from '../csv.js';
import { CsvConverter } from './csv-converter.js';
import type { FileRecord, Truth } from '../types.js';
import { cellValue, converted, failed } from './common.js';

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DATE = /^(\d{1,2})-([A-Za-z]{3})-(\d{2}|\d{4})$/;
const TIME = /^(\d{1,2}):(\d{2}):(\d{2})$/;
const METRIC_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** Bound on the timestamps remembered for `seq`: exact for any real TON_IoT file, bounded for any file. */
const SEQ_MEMORY = 200_000;

/** The device id of a TON_IoT file: `Train_Test_IoT_GPS_Tracker.csv` → `ton-iot-gps-tracker`. */
export function tonIotDevice(fileName: string): string {
  const m = /^Train_Test_IoT_(.+)\.csv$/i.exec(fileName);
  const name = (m?.[1] ?? fileName.replace(/\.csv$/i, ''))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `ton-iot-${name || 'device'}`;
}

/** `25-Apr-19` and ` 18:31:39 ` → epoch milliseconds (UTC), or undefined. */
export function tonIotTime(date: string, time: string): number | undefined {
  const d = DATE.exec(date.trim());
  const t = TIME.exec(time.trim());
  if (!d || !t) return undefined;
  const month = MONTHS.indexOf((d[2] as string).toLowerCase());
  const year = Number(d[3]) + ((d[3] as string).length === 2 ? 2000 : 0);
  const [day, h, m, s] = [Number(d[1]), Number(t[1]), Number(t[2]), Number(t[3])];
  if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 59) return undefined;
  const ms = Date.UTC(year, month, day, h, m, s);
  // Date.UTC rolls 31-Apr over to 1-May: such a date is not real.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

export class TonIotConverter extends CsvConverter {
  private cols: { date: number; time: number; label: number; type: number; readings: Array<[string, number]>; width: number } | undefined;
  private readonly seen = new Map<number, number>();

  constructor(
    private readonly validation: ResolvedValidationOptions,
    private readonly device: string,
    private readonly file: string,
  ) {
    super(validation.maxRecordBytes);
  }

  protected take(item: CsvItem, out: FileRecord[]): void {
    if (item.fields === undefined) {
      if (this.cols === undefined) throw badHeader(this.file, `its header (line ${item.line}) is unreadable: ${item.rejection.message}`);
      out.push(failed(item.line, item.raw, item.rejection));
    } else if (this.cols === undefined) this.header(item.fields);
    else out.push(this.row(item.line, item.raw, item.fields));
  }

  private header(fields: string[]): void {
    const names = fields.map((f) => f.trim());
    const at = (name: string): number => names.indexOf(name);
    const [date, time, label, type] = [at('date'), at('time'), at('label'), at('type')];
    if (date < 0 || time < 0 || label < 0 || type < 0) {
      throw badHeader(this.file, `expected columns date, time, label and type, got ${names.slice(0, 12).join(', ')}`);
    }
    const readings: Array<[string, number]> = [];
    names.forEach((name, i) => {
      if (i === date || i === time || i === label || i === type) return;
      if (!METRIC_NAME.test(name) || name === 'seq') throw badHeader(this.file, `column ${JSON.stringify(name)} cannot be a metric name`);
      readings.push([name, i]);
    });
    if (readings.length === 0) throw badHeader(this.file, 'it has no reading columns besides date, time, label and type');
    this.cols = { date, time, label, type, readings, width: names.length };
  }

  private row(line: number, raw: string, fields: string[]): FileRecord {
    const cols = this.cols as NonNullable<typeof this.cols>;
    if (fields.length !== cols.width) return failed(line, raw, reject('PARSE_ERROR', `expected ${cols.width} fields as in the header, got ${fields.length}`));
    const cell = (i: number): string => (fields[i] ?? '').trim();
    const ts = tonIotTime(cell(cols.date), cell(cols.time));
    if (ts === undefined) {
      return failed(line, raw, reject('TIMESTAMP_OUT_OF_RANGE', `expected a date such as 25-Apr-19 and a time such as 18:31:39, got ${JSON.stringify(`${cell(cols.date)} ${cell(cols.time)}`.slice(0, 40))}`, 'ts'));
    }
    const truth = tonIotTruth(cell(cols.label), cell(cols.type));
    if (typeof truth === 'string') return failed(line, raw, reject('PARSE_ERROR', truth, 'label'));
    const metrics: Record<string, number | string> = {};
    for (const [name, i] of cols.readings) {
      const value = cell(i);
      if (value !== '') metrics[name] = cellValue(value);
    }
    metrics['seq'] = this.nextSeq(ts);
    return converted(line, raw, { kind: 'telemetry', device: this.device, ts, metrics }, this.validation, truth);
  }

  private nextSeq(ts: number): number {
    const seq = this.seen.get(ts) ?? 0;
    if (seq === 0 && this.seen.size >= SEQ_MEMORY) {
      const oldest = this.seen.keys().next();
      if (oldest.done !== true) this.seen.delete(oldest.value);
    }
    this.seen.set(ts, seq + 1);
    return seq;
  }
}

function tonIotTruth(label: string, type: string): Truth | string {
  if (label === '0') return { label: 'normal' };
  if (label === '1') return { label: 'attack', attack: type === '' || type === 'normal' ? 'unknown' : type };
  return `label: expected 0 or 1, got ${JSON.stringify(label.slice(0, 20))}`;
}

function badHeader(file: string, why: string): CollectorError {
  return new CollectorError('SOURCE_UNREADABLE', `${file} is not a TON_IoT device file: ${why}`, false);
}
