/**
 * A file, streamed, as records: each either a validated event or a typed rejection that
 * keeps the verbatim line and says on which line it was. Memory is bounded by the record
 * limit whatever the file's size (see lines.ts).
 */
import { open, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EventError, resolveValidationOptions, type InputKind, type ResolvedValidationOptions } from '../../events/index.js';
import { CollectorError } from '../errors.js';
import { readLines, type Line, type LineChunk } from './lines.js';
import { DEFAULT_START_MS, entityFromName, type Converter } from './formats/common.js';
import { CandumpConverter } from './formats/candump.js';
import { MappedCsvConverter, parseColumnMap } from './formats/csv-mapped.js';
import { J1939Converter, j1939Vehicle } from './formats/j1939.js';
import { NdjsonConverter } from './formats/ndjson.js';
import { OddsConverter } from './formats/odds.js';
import { TonIotConverter, tonIotDevice } from './formats/ton-iot.js';
import { FILE_FORMATS, type FileReadOptions, type FileRecord, type ReadStats, type RecordChunk } from './types.js';

const ENTITY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
/** Bytes per read. Large enough that a GB file costs few async hops, small enough to stay cache-friendly. */
const READ_CHUNK_BYTES = 256 * 1024;

/**
 * Stream `path` as records, a chunk of records per block read. Bad options and unreadable
 * files fail at once with a non-retriable CollectorError; bad content never throws, except
 * a header that shows the file is not in the named format.
 */
export async function* readRecords(path: string, options: FileReadOptions): AsyncGenerator<RecordChunk> {
  const plan = planFor(path, options);
  const main = await openFile(path);
  const labels = options.format === 'odds' ? await openFile(plan.labelsPath).catch(async (err: unknown) => {
    await main.handle.close();
    throw err;
  }) : undefined;
  const stream = main.handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  const labelStream = labels?.handle.createReadStream({ highWaterMark: READ_CHUNK_BYTES });
  const stats: ReadStats = { bytesRead: 0, totalBytes: main.size + (labels?.size ?? 0), lines: 0, blank: 0, records: 0, events: 0, rejections: 0 };
  const converter = plan.converter;
  const labelLines = labelStream ? readLines(labelStream, plan.validation.maxRecordBytes) : undefined;
  let labelBytes = 0;
  let labelsDone = labelLines === undefined;

  const tally = (records: FileRecord[]): RecordChunk => {
    for (const r of records) {
      if (r.result.ok) stats.events += 1;
      else stats.rejections += 1;
    }
    stats.records += records.length;
    stats.blank = converter.blank;
    return { records, stats: { ...stats } };
  };

  try {
    for await (const chunk of readLines(stream, plan.validation.maxRecordBytes) as AsyncIterable<LineChunk>) {
      if (converter instanceof OddsConverter && labelLines) {
        while (!labelsDone && converter.pendingLabels < chunk.lines.length) {
          const next = await labelLines.next();
          if (next.done === true) labelsDone = true;
          else {
            converter.addLabels(next.value.lines);
            labelBytes = next.value.bytesRead;
          }
        }
      }
      const records: FileRecord[] = [];
      for (const line of chunk.lines) converter.feed(line, records);
      stats.bytesRead = chunk.bytesRead + labelBytes;
      stats.lines = (chunk.lines[chunk.lines.length - 1] as Line).no;
      yield tally(records);
    }
    if (converter instanceof OddsConverter && labelLines) {
      for await (const rest of { [Symbol.asyncIterator]: () => labelLines }) {
        converter.addLabels(rest.lines);
        labelBytes = rest.bytesRead;
      }
    }
    const records: FileRecord[] = [];
    converter.finish(records);
    stats.bytesRead = Math.max(stats.bytesRead, stream.bytesRead + labelBytes);
    yield tally(records);
  } catch (err) {
    if (err instanceof CollectorError) throw err;
    throw new CollectorError('SOURCE_UNREADABLE', `${path}: read failed: ${err instanceof Error ? err.message : String(err)}`, isTransient(err), { cause: err });
  } finally {
    stream.destroy();
    labelStream?.destroy();
    await labelLines?.return(undefined);
  }
}

interface Plan {
  converter: Converter;
  validation: ResolvedValidationOptions;
  labelsPath: string;
}

/** Options normalised once, failing with a message that names the bad one (STYLE.md 6). */
function planFor(path: string, options: FileReadOptions): Plan {
  if (!(FILE_FORMATS as readonly string[]).includes(options.format)) {
    throw new CollectorError('BAD_OPTION', `--format: expected one of ${FILE_FORMATS.join(', ')}, got ${JSON.stringify(options.format)}`, false);
  }
  let validation: ResolvedValidationOptions;
  try {
    validation = resolveValidationOptions(options.validation);
  } catch (err) {
    throw new CollectorError('BAD_OPTION', err instanceof EventError ? err.message : String(err), false, { cause: err });
  }
  const start = options.start ?? DEFAULT_START_MS;
  if (!Number.isFinite(start)) throw new CollectorError('BAD_OPTION', `--start: expected epoch milliseconds or an ISO-8601 time, got ${String(options.start)}`, false);
  const stepMs = options.stepMs ?? 1000;
  if (!Number.isFinite(stepMs) || stepMs <= 0) throw new CollectorError('BAD_OPTION', `stepMs: expected a positive number of milliseconds, got ${String(stepMs)}`, false);
  if (options.entity !== undefined && !ENTITY_ID.test(options.entity)) {
    throw new CollectorError('BAD_OPTION', `--entity: expected letters, digits and . _ : - (at most 128), got ${JSON.stringify(options.entity.slice(0, 40))}`, false);
  }
  const file = basename(path);
  const stem = file.replace(/\.[^.]*$/, '');
  const labelsPath = options.labelsPath ?? join(dirname(path), `${stem}_labels.csv`);
  let converter: Converter;
  switch (options.format) {
    case 'ndjson':
      converter = new NdjsonConverter(validation);
      break;
    case 'csv':
      converter = new MappedCsvConverter(validation, options.map === undefined ? undefined : parseColumnMap(options.map), options.kind ?? ('telemetry' satisfies InputKind), file);
      break;
    case 'candump':
      converter = new CandumpConverter(validation, options.entity ?? entityFromName('can', stem), start);
      break;
    case 'ton-iot':
      converter = new TonIotConverter(validation, options.entity ?? tonIotDevice(file), file);
      break;
    case 'j1939':
      converter = new J1939Converter(validation, options.entity ?? j1939Vehicle(file), start, file);
      break;
    case 'odds':
      converter = new OddsConverter(validation, options.entity ?? entityFromName('odds', stem), start, stepMs, basename(labelsPath));
      break;
  }
  if (options.format !== 'csv' && options.map !== undefined) {
    throw new CollectorError('BAD_OPTION', `--map applies to --format csv only, not ${options.format}`, false);
  }
  return { converter, validation, labelsPath };
}

async function openFile(path: string): Promise<{ handle: FileHandle; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new CollectorError('SOURCE_UNREADABLE', `${path}: cannot open: ${err instanceof Error ? err.message : String(err)}`, isTransient(err), { cause: err });
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    throw new CollectorError('SOURCE_UNREADABLE', `${path}: expected a regular file`, false);
  }
  return { handle, size: stat.size };
}

/** Out of descriptors or memory may pass; a missing or forbidden file will not. */
function isTransient(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return code === 'EMFILE' || code === 'ENFILE' || code === 'EAGAIN' || code === 'EBUSY';
}
