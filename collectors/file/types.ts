import type { InputKind, Rejection, ValidationOptions, ValidationResult, VigilEvent } from '../../events/index.js';

export const FILE_FORMATS = ['ndjson', 'csv', 'candump', 'ton-iot', 'j1939', 'odds'] as const;
/**
 * - `ndjson`: one DESIGN.md input-format JSON object per line.
 * - `csv`: a header row and a column mapping onto one input kind.
 * - `candump`: Linux can-utils logs, both the padded and the compact (`-l`) form.
 * - `ton-iot`: TON_IoT `Train_Test_IoT_<Device>.csv`.
 * - `j1939`: the J1939 attack data sets' `labeled_*.csv`.
 * - `odds`: ODDS `<name>.csv` with `<name>_labels.csv` beside it.
 */
export type FileFormat = (typeof FILE_FORMATS)[number];

/**
 * The ground truth of a labelled data set's row, kept apart from the event: normal, or an
 * attack with its name (`ddos`, `high_torque_command`, `outlier`, …).
 */
export type Truth = { label: 'normal'; attack?: undefined } | { label: 'attack'; attack: string };

/**
 * A line of a labels file, the same shape as the simulator's: `{"id","label":"normal"}` or
 * `{"id","label":"attack","attack":"<name>"}`; `id` is the id of the event the row became.
 */
export type Label = { id: string } & Truth;

/**
 * One record of a file (a line, or a CSV record that spans quoted line breaks) and what
 * became of it.
 */
export interface FileRecord {
  /** The 1-based line the record starts on. */
  line: number;
  /** The verbatim input (for an oversized line: its first bytes only). */
  raw: string | Uint8Array;
  /**
   * The record as a DESIGN.md JSON input line: the verbatim line for NDJSON, the converted
   * row for the other formats. Absent when there is no such line (undecodable or
   * oversized bytes, a row that could not be converted).
   */
  json?: string;
  /** The normalised event, or why there is none (the message starts with `line N:`). */
  result: ValidationResult;
  /** The data set's label of the row, for the importers. */
  truth?: Truth;
}

export interface FileReadOptions {
  format: FileFormat;
  /** Record limit and timestamp bounds (events/ `ValidationOptions`). */
  validation?: ValidationOptions;
  /**
   * csv: which input field each column fills, `target=column` pairs
   * (`ts=time,device=id,metrics.temperature=temp`), as a string or an object. Without it,
   * each header name is taken as the field it fills (`device,ts,metrics.temperature`).
   */
  map?: string | Readonly<Record<string, string>>;
  /**
   * csv: the input kind of every row (unless `kind` is itself mapped to a column).
   * @default 'telemetry'
   */
  kind?: InputKind;
  /**
   * The entity the file is about: the vehicle of candump and J1939 frames, the device of
   * TON_IoT and ODDS rows. @default derived from the file name (`ton-iot-fridge`,
   * `j1939-tsc1`, `odds-shuttle`, `can-<name>`)
   */
  entity?: string;
  /**
   * Epoch milliseconds that relative timestamps count from: candump and J1939 times below
   * 1e8 seconds (the capture's own clock, `(000.005001)`), and the first ODDS row. Times at
   * or above 1e8 seconds are absolute epoch seconds and are kept as they are.
   * @default 1577836800000 (2020-01-01T00:00:00Z), so that re-importing a file gives the same event ids
   */
  start?: number;
  /** odds: the labels file. @default `<name>_labels.csv` beside the features file */
  labelsPath?: string;
  /** odds: milliseconds between consecutive rows' synthetic timestamps. @default 1000 */
  stepMs?: number;
}

/** Counts so far, cumulative. records = events + rejections. */
export interface ReadStats {
  /** Bytes read from the file(s). */
  bytesRead: number;
  /** Size of the file(s) when opened, bytes. */
  totalBytes: number;
  /** Physical lines read (of the main file). */
  lines: number;
  /** Blank lines skipped between records. */
  blank: number;
  /** Records read: events + rejections. */
  records: number;
  events: number;
  rejections: number;
}

export interface RecordChunk {
  records: FileRecord[];
  stats: ReadStats;
}

export type { Rejection, VigilEvent };
