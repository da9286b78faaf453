/**
 * The public data sets as plain labelled streams, for `vigil eval` and benchmarks that do
 * not go through HTTP or the pipeline: each valid row as its DESIGN.md JSON input line and
 * its label, in file order. Rows that cannot become events are reported to `onRejection`
 * (never silently lost) and not yielded: they have no event, so nothing to label.
 */
import { readRecords } from './records.js';
import { labelOf } from './source.js';
import type { FileReadOptions, FileRecord, Label } from './types.js';

export interface LabelledLine {
  /** A JSON input line (DESIGN.md input format), as `vigil ingest` would send it. */
  line: string;
  /** Its label; `label.id` is the id of the event the line becomes. */
  label: Label;
}

export type DatasetFormat = 'ton-iot' | 'j1939' | 'odds';

export interface ImportOptions extends Omit<FileReadOptions, 'format' | 'map' | 'kind'> {
  /** Each row that could not become an event, with its line number and reason. */
  onRejection?: (record: FileRecord) => void;
}

/** Any of the labelled data sets by format name. */
export async function* importDataset(format: DatasetFormat, path: string, options: ImportOptions = {}): AsyncGenerator<LabelledLine> {
  const { onRejection, ...read } = options;
  for await (const chunk of readRecords(path, { ...read, format })) {
    for (const record of chunk.records) {
      const label = labelOf(record);
      if (label !== undefined && record.json !== undefined) yield { line: record.json, label };
      else onRejection?.(record);
    }
  }
}

/** TON_IoT `Train_Test_IoT_<Device>.csv` → telemetry lines of `ton-iot-<device>`. */
export function importTonIot(path: string, options: ImportOptions = {}): AsyncGenerator<LabelledLine> {
  return importDataset('ton-iot', path, options);
}

/** J1939 `labeled_*.csv` → can lines of `j1939-<name>` (columns after `label` unread). */
export function importJ1939(path: string, options: ImportOptions = {}): AsyncGenerator<LabelledLine> {
  return importDataset('j1939', path, options);
}

/** ODDS `<name>.csv` + `<name>_labels.csv` → telemetry lines of `odds-<name>`. */
export function importOdds(path: string, options: ImportOptions = {}): AsyncGenerator<LabelledLine> {
  return importDataset('odds', path, options);
}
