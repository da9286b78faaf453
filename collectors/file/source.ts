/**
 * The file collector: a file read into the pipeline in batches, waiting whenever the
 * pipeline is full (a file can always wait, so nothing is ever dropped), with progress.
 */
import { CollectorError } from '../errors.js';
import type { EventSource, IngestItem, IngestSink } from '../sink.js';
import { readRecords } from './records.js';
import type { FileReadOptions, FileRecord, Label, ReadStats, RecordChunk } from './types.js';

/** A record as the pipeline takes it: the verbatim raw with its event or its rejection. */
export function toIngestItem(record: FileRecord): IngestItem {
  return record.result.ok ? { raw: record.raw, event: record.result.event } : { raw: record.raw, rejection: record.result.rejection };
}

/** The labels-file line of a labelled record that became an event; undefined otherwise. */
export function labelOf(record: FileRecord): Label | undefined {
  if (record.truth === undefined || !record.result.ok) return undefined;
  return record.truth.label === 'normal' ? { id: record.result.event.id, label: 'normal' } : { id: record.result.event.id, label: 'attack', attack: record.truth.attack };
}

export interface BatchOptions extends FileReadOptions {
  /** Records per batch. @default 1000 */
  batchSize?: number;
}

/** Stream a file as batches of IngestItems (events and rejections, in file order). */
export async function* readBatches(path: string, options: BatchOptions): AsyncGenerator<IngestItem[]> {
  const size = batchSizeOf(options.batchSize);
  let batch: IngestItem[] = [];
  for await (const chunk of readRecords(path, options)) {
    for (const record of chunk.records) {
      batch.push(toIngestItem(record));
      if (batch.length >= size) {
        yield batch;
        batch = [];
      }
    }
  }
  if (batch.length > 0) yield batch;
}

export interface FileProgress extends ReadStats {
  path: string;
  /** Since the start, milliseconds. */
  elapsedMs: number;
  /** Physical lines per second since the start. */
  linesPerSecond: number;
  /** What the pipeline made of the batches submitted so far. */
  accepted: number;
  duplicates: number;
  rejected: number;
  /** True on the last report. */
  done: boolean;
}

export type FileIngestSummary = Omit<FileProgress, 'done'> & {
  /** True when `stop()` ended the read before the end of the file. */
  stopped: boolean;
};

export interface FileSourceOptions extends BatchOptions {
  path: string;
  /** The source name the sink records (dead letters, metrics). @default 'file' */
  name?: string;
  /** Called at most once per `progressIntervalMs`, and once at the end with `done: true`. */
  onProgress?: (progress: FileProgress) => void;
  /** Milliseconds between progress reports. @default 1000 */
  progressIntervalMs?: number;
  /** Clock, epoch milliseconds. @default Date.now */
  now?: () => number;
}

/**
 * An EventSource over one file. `start` opens the file (an unreadable file or a bad option
 * fails it) and begins; `finished` resolves with the summary once every batch is stored.
 * Batches are submitted with `{ wait: true }`: a full pipeline slows the read down.
 */
export class FileSource implements EventSource {
  readonly name: string;
  private stopping = false;
  private run: Promise<FileIngestSummary> | undefined;

  constructor(private readonly options: FileSourceOptions) {
    this.name = options.name ?? 'file';
    batchSizeOf(options.batchSize);
  }

  /** The summary, once the file is read and stored. Rejects if the sink fails. */
  get finished(): Promise<FileIngestSummary> {
    if (this.run === undefined) return Promise.reject(new CollectorError('STOPPED', 'the file source was never started', false));
    return this.run;
  }

  async start(sink: IngestSink): Promise<void> {
    if (this.run !== undefined) throw new CollectorError('BAD_OPTION', `file source ${this.name} is already started`, false);
    const records = readRecords(this.options.path, this.options);
    // Pull the first chunk here so that a missing file or a wrong header fails start().
    const first = await records.next();
    this.run = this.pump(sink, records, first);
    this.run.catch(() => {}); // the caller observes failures through `finished`
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.run?.catch(() => {});
  }

  private async pump(
    sink: IngestSink,
    records: AsyncGenerator<RecordChunk>,
    first: IteratorResult<RecordChunk>,
  ): Promise<FileIngestSummary> {
    const now = this.options.now ?? Date.now;
    const interval = this.options.progressIntervalMs ?? 1000;
    const size = batchSizeOf(this.options.batchSize);
    const started = now();
    let lastReport = started;
    let stats: ReadStats = { bytesRead: 0, totalBytes: 0, lines: 0, blank: 0, records: 0, events: 0, rejections: 0 };
    const outcome = { accepted: 0, duplicates: 0, rejected: 0 };
    let batch: IngestItem[] = [];
    const progress = (done: boolean): FileProgress => {
      const elapsedMs = Math.max(0, now() - started);
      return {
        path: this.options.path,
        ...stats,
        elapsedMs,
        linesPerSecond: elapsedMs > 0 ? Math.round((stats.lines * 1000) / elapsedMs) : 0,
        ...outcome,
        done,
      };
    };
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      const items = batch;
      batch = [];
      const receipt = await sink.submit(this.name, items, { wait: true });
      outcome.accepted += receipt.accepted;
      outcome.duplicates += receipt.duplicates;
      outcome.rejected += receipt.rejected;
    };
    try {
      reading: for (let next = first; next.done !== true; next = await records.next()) {
        stats = next.value.stats;
        for (const record of next.value.records) {
          batch.push(toIngestItem(record));
          if (batch.length < size) continue;
          await flush();
          // Stop between batches: what was read but not submitted is simply not taken.
          if (this.stopping) break reading;
        }
        if (this.options.onProgress && now() - lastReport >= interval) {
          lastReport = now();
          this.options.onProgress(progress(false));
        }
        if (this.stopping) break;
      }
      if (!this.stopping) await flush();
    } finally {
      await records.return(undefined);
    }
    const last = progress(true);
    this.options.onProgress?.(last);
    const summary: FileIngestSummary & { done?: boolean } = { ...last, stopped: this.stopping };
    delete summary.done;
    return summary;
  }
}

/** Read a whole file into `sink`; resolves with the summary once everything is stored. */
export async function ingestFile(sink: IngestSink, options: FileSourceOptions): Promise<FileIngestSummary> {
  const source = new FileSource(options);
  await source.start(sink);
  return source.finished;
}

function batchSizeOf(value: number | undefined): number {
  const size = value ?? 1000;
  if (!Number.isInteger(size) || size < 1) throw new CollectorError('BAD_OPTION', `batchSize: expected a positive integer, got ${String(value)}`, false);
  return size;
}
