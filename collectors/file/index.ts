/**
 * The file collector: NDJSON, CSV with a column mapping, candump logs, and importers for the
 * public data sets in ../shared/datasets (TON_IoT, J1939, ODDS). Files are streamed; every
 * line becomes an event or a typed rejection with its line number.
 */
export { FILE_FORMATS } from './types.js';
export type { FileFormat, FileReadOptions, FileRecord, Label, ReadStats, RecordChunk, Truth } from './types.js';
export { readRecords } from './records.js';
export { readBatches, toIngestItem, labelOf, FileSource, ingestFile } from './source.js';
export type { BatchOptions, FileProgress, FileIngestSummary, FileSourceOptions } from './source.js';
export { importDataset, importTonIot, importJ1939, importOdds } from './importers.js';
export type { LabelledLine, DatasetFormat, ImportOptions } from './importers.js';
export { parseColumnMap } from './formats/csv-mapped.js';
export { DEFAULT_START_MS } from './formats/common.js';
