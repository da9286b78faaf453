/** What every format's converter shares: the converter shape and the row → record step. */
import {
  validateInput,
  type ResolvedValidationOptions,
  type Rejection,
  type ValidationResult,
} from '../../../events/index.js';
import type { Line } from '../lines.js';
import type { FileRecord, Truth } from '../types.js';

/** Turns physical lines into records; stateful (headers, quoted line breaks, sequences). */
export interface Converter {
  feed(line: Line, out: FileRecord[]): void;
  /** At the end of the input: flush what is pending. */
  finish(out: FileRecord[]): void;
  /** Blank lines skipped between records. */
  readonly blank: number;
}

/** A rejection whose message says on which line it happened (reasons are read by people). */
export function atLine(line: number, rejection: Rejection): Rejection {
  const prefix = `line ${line}: `;
  return rejection.message.startsWith(prefix) ? rejection : { ...rejection, message: prefix + rejection.message };
}

export function failed(line: number, raw: string | Uint8Array, rejection: Rejection): FileRecord {
  return { line, raw, result: { ok: false, rejection: atLine(line, rejection) } };
}

/** A row converted to an input-format object: validate it the way the node will. */
export function converted(
  line: number,
  raw: string,
  input: Record<string, unknown>,
  validation: ResolvedValidationOptions,
  truth?: Truth,
): FileRecord {
  const result: ValidationResult = validateInput(input, validation);
  const record: FileRecord = {
    line,
    raw,
    json: JSON.stringify(input),
    result: result.ok ? result : { ok: false, rejection: atLine(line, result.rejection) },
  };
  if (truth !== undefined) record.truth = truth;
  return record;
}

const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A CSV cell as a number when it spells one, else as trimmed text. */
export function cellValue(cell: string): number | string {
  const text = cell.trim();
  return NUMBER.test(text) ? Number(text) : text;
}

export function isNumeric(text: string): boolean {
  return NUMBER.test(text.trim());
}

/**
 * Seconds as written by candump and the J1939 CSVs (`000.005001`, `1600000000.000000`) →
 * epoch milliseconds. The integer and fractional parts are read apart so that microseconds
 * are not lost to binary floating point. Below 1e8 seconds (1973) the time is the
 * capture's own clock and counts from `start`; above, it is already epoch seconds.
 */
export function secondsToMs(text: string, start: number): number | undefined {
  const m = /^(\d{1,12})(?:\.(\d{1,9}))?$/.exec(text.trim());
  if (!m) return undefined;
  const whole = Number(m[1]);
  const micros = Number((m[2] ?? '').padEnd(6, '0').slice(0, 6));
  const ms = Math.round((whole * 1e6 + micros) / 1000);
  return whole < RELATIVE_BELOW_S ? start + ms : ms;
}

/** Capture times below this many seconds are relative to the capture's start. */
export const RELATIVE_BELOW_S = 1e8;

/** 2020-01-01T00:00:00Z: the default start of relative and synthetic timestamps. */
export const DEFAULT_START_MS = Date.UTC(2020, 0, 1);

/** An entity id from a file name: lower case, runs of other characters as one dash. */
export function entityFromName(prefix: string, name: string): string {
  const slug = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return `${prefix}-${slug || 'file'}`.slice(0, 128);
}
