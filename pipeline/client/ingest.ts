/**
 * `vigil ingest`'s work: read a file, convert it, and post it to a running node through
 * IngestClient (or write the JSON input lines to a file).
 *
 * NDJSON lines are sent verbatim and the node, which keeps the dead letters, judges them.
 * The other formats (CSV, candump, the data-set importers) are converted here, row by row,
 * to DESIGN.md JSON input lines; a row that cannot become a valid input never leaves this
 * machine (the node could only dead-letter our JSON, not the row): it is counted in the
 * summary and written, verbatim with its line number and reason, to `--rejects`.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { CollectorError, readRecords, labelOf, type FileFormat, type FileRecord, type ReadStats } from '../../collectors/index.js';
import type { InputKind, Rejection } from '../../events/index.js';
import { IngestClient, type LineOutcome } from './http.js';

const LABELLED: readonly FileFormat[] = ['ton-iot', 'j1939', 'odds'];

export interface IngestOptions {
  file: string;
  format: FileFormat;
  /** The node's base URL (or its full `/ingest` URL). @default 'http://127.0.0.1:4000' */
  url?: string;
  /** Write the JSON input lines to this file instead of posting them (no node needed). */
  out?: string;
  /** Write the importer's labels (`{"id","label","attack"}` per line) here. */
  labels?: string;
  /** Write every rejected record here: line, reason, verbatim raw, and who rejected it. */
  rejects?: string;
  /** csv: `target=column,…`. */
  map?: string;
  /** csv: the kind of every row. @default 'telemetry' */
  kind?: InputKind;
  /** The vehicle or device the file is about (default from the file name). */
  entity?: string;
  /** Epoch milliseconds for relative timestamps (candump, J1939) and the first ODDS row. */
  start?: number;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body, bytes; the node answers 413 at 1 MiB or more. @default 524288 */
  maxBatchBytes?: number;
  /** Most lines per request. @default 2000 */
  maxBatchLines?: number;
  /** Retries of one request after a refused connection, a 5xx or a 503. @default 5 */
  maxRetries?: number;
  /** Longest total wait on 429 (pipeline full) for one request, milliseconds. @default 600000 */
  maxBackpressureWaitMs?: number;
  /** Requests in flight at once. @default 2 */
  concurrency?: number;
}

/** What the command needs from the world, passed in so tests control it (STYLE.md 5). */
export interface IngestIo {
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Progress and summary lines. @default process.stderr */
  stderr?: { write(text: string): unknown; isTTY?: boolean };
  /** Milliseconds between progress lines. @default 1000 */
  progressIntervalMs?: number;
}

export interface IngestSummary {
  file: string;
  format: FileFormat;
  /** Where the lines went: the node's ingest URL, or the `--out` file. */
  destination: string;
  /** Physical lines and records read; records = converted + notConverted (+ sent-but-invalid NDJSON). */
  lines: number;
  records: number;
  bytesRead: number;
  /** Lines posted to the node (or written to `--out`). */
  sent: number;
  /** Stored by the node, including duplicates (already stored before). */
  accepted: number;
  duplicates: number;
  /** Rejected by the node, with its reason in `--rejects`. */
  rejected: number;
  /** Records that could not be converted to an input line here (never sent). */
  notConverted: number;
  labels: number;
  /** Labelled records whose id from the node differed from the one computed here (the label uses the node's). */
  idMismatches: number;
  retries: number;
  elapsedMs: number;
  linesPerSecond: number;
}

/** 0 when everything read was stored, 2 when some of it was rejected. */
export function exitCodeOf(summary: IngestSummary): 0 | 2 {
  return summary.rejected + summary.notConverted > 0 ? 2 : 0;
}

interface Pending {
  record: FileRecord;
  line: string;
}

/**
 * Read `options.file`, convert it, and post it (or write it to `options.out`). Resolves with
 * the summary once everything is answered; rejects with a CollectorError on failure, after
 * printing the summary so far.
 */
export async function runIngest(options: IngestOptions, io: IngestIo = {}): Promise<IngestSummary> {
  checkOptions(options);
  const now = io.now ?? Date.now;
  // Before any output file is opened: a bad URL fails here with nothing to close.
  const client = clientFor(options, io, now);
  const outputs: Outputs = {
    out: options.out !== undefined ? await openOutput(options.out, '--out') : undefined,
    labels: options.labels !== undefined ? await openOutput(options.labels, '--labels') : undefined,
    rejects: options.rejects !== undefined ? await openOutput(options.rejects, '--rejects') : undefined,
  };
  const run = new IngestRun(options, io, client, outputs);
  try {
    await run.readAll();
  } catch (err) {
    if (run.summary.records > 0) run.progress(true);
    throw err;
  } finally {
    for (const stream of Object.values(outputs)) if (stream) await close(stream);
  }
  run.progress(true);
  return run.summary;
}

function checkOptions(options: IngestOptions): void {
  const concurrency = options.concurrency ?? 2;
  const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new CollectorError('BAD_OPTION', `concurrency: expected 1 to 16 requests, got ${concurrency}`, false);
  if (maxBatchBytes >= 1024 * 1024) throw new CollectorError('BAD_OPTION', `--batch-bytes: expected under 1 MiB, got ${maxBatchBytes}`, false);
  if (options.labels !== undefined && !LABELLED.includes(options.format)) {
    throw new CollectorError('BAD_OPTION', `--labels: format ${options.format} has no labels (only ${LABELLED.join(', ')})`, false);
  }
}

interface Outputs {
  out: WriteStream | undefined;
  labels: WriteStream | undefined;
  rejects: WriteStream | undefined;
}

function clientFor(options: IngestOptions, io: IngestIo, now: () => number): IngestClient | undefined {
  if (options.out !== undefined) return undefined;
  return new IngestClient({
    url: options.url ?? 'http://127.0.0.1:4000',
    ...(options.token !== undefined ? { token: options.token } : {}),
    ...(options.maxRetries !== undefined ? { maxRetries: options.maxRetries } : {}),
    ...(options.maxBackpressureWaitMs !== undefined ? { maxBackpressureWaitMs: options.maxBackpressureWaitMs } : {}),
    ...(io.fetch !== undefined ? { fetch: io.fetch } : {}),
    ...(io.sleep !== undefined ? { sleep: io.sleep } : {}),
    now,
  });
}

function emptySummary(options: IngestOptions, destination: string): IngestSummary {
  return {
    file: options.file,
    format: options.format,
    destination,
    lines: 0,
    records: 0,
    bytesRead: 0,
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    notConverted: 0,
    labels: 0,
    idMismatches: 0,
    retries: 0,
    elapsedMs: 0,
    linesPerSecond: 0,
  };
}

type NodeAnswer = { sent: Pending[]; outcomes: LineOutcome[] };

/** One `vigil ingest`: the batch being filled, the requests in flight, the summary. */
class IngestRun {
  readonly summary: IngestSummary;
  readonly #options: IngestOptions;
  readonly #outputs: Outputs;
  readonly #client: IngestClient | undefined;
  readonly #now: () => number;
  readonly #stderr: NonNullable<IngestIo['stderr']>;
  readonly #interval: number;
  readonly #maxBatchBytes: number;
  readonly #maxBatchLines: number;
  readonly #concurrency: number;
  readonly #started: number;
  #lastProgress: number;
  #stats: ReadStats | undefined;
  #batch: Pending[] = [];
  #batchBytes = 0;
  /**
   * Requests in flight, oldest first: the node's group commit overlaps one batch's storing
   * with the next one's transfer; answers are still settled in file order.
   */
  readonly #inFlight: Array<Promise<NodeAnswer>> = [];

  constructor(options: IngestOptions, io: IngestIo, client: IngestClient | undefined, outputs: Outputs) {
    this.#options = options;
    this.#outputs = outputs;
    this.#now = io.now ?? Date.now;
    this.#stderr = io.stderr ?? process.stderr;
    this.#interval = io.progressIntervalMs ?? 1000;
    this.#maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
    this.#maxBatchLines = options.maxBatchLines ?? 2000;
    this.#concurrency = options.concurrency ?? 2;
    this.#client = client;
    this.#started = this.#lastProgress = this.#now();
    this.summary = emptySummary(options, this.#client?.endpoint.href ?? (options.out as string));
  }

  async readAll(): Promise<void> {
    const o = this.#options;
    for await (const chunk of readRecords(o.file, {
      format: o.format,
      ...(o.map !== undefined ? { map: o.map } : {}),
      ...(o.kind !== undefined ? { kind: o.kind } : {}),
      ...(o.entity !== undefined ? { entity: o.entity } : {}),
      ...(o.start !== undefined ? { start: o.start } : {}),
    })) {
      this.#stats = chunk.stats;
      this.summary.lines = chunk.stats.lines;
      this.summary.records = chunk.stats.records;
      this.summary.bytesRead = chunk.stats.bytesRead;
      for (const record of chunk.records) await this.#add(record);
    }
    await this.#flush();
    while (this.#inFlight.length > 0) await this.#settleOldest();
  }

  async #add(record: FileRecord): Promise<void> {
    // NDJSON goes as written: the node judges it and keeps the dead letter. Converted rows go only if valid here.
    const sendable = this.#options.format === 'ndjson' && !this.#outputs.out ? record.json !== undefined : record.result.ok;
    if (!sendable || record.json === undefined) {
      this.summary.notConverted += 1;
      if (!record.result.ok) await this.#writeReject(record, record.result.rejection, 'local');
      return;
    }
    const size = Buffer.byteLength(record.json) + 1;
    if (this.#batch.length > 0 && (this.#batchBytes + size > this.#maxBatchBytes || this.#batch.length >= this.#maxBatchLines)) await this.#flush();
    this.#batch.push({ record, line: record.json });
    this.#batchBytes += size;
  }

  async #flush(): Promise<void> {
    if (this.#batch.length === 0) return;
    const sending = this.#batch;
    this.#batch = [];
    this.#batchBytes = 0;
    const out = this.#outputs.out;
    if (out) {
      for (const p of sending) {
        if (!p.record.result.ok) continue;
        await write(out, `${p.line}\n`);
        this.summary.sent += 1;
        this.summary.accepted += 1;
        await this.#writeLabel(p.record, p.record.result.event.id);
      }
    } else {
      const request = this.#client!.post(sending.map((p) => ({ text: p.line, line: p.record.line }))).then((outcomes) => ({ sent: sending, outcomes }));
      request.catch(() => {}); // observed by #settleOldest, in order
      this.#inFlight.push(request);
      if (this.#inFlight.length >= this.#concurrency) await this.#settleOldest();
    }
    if (this.#now() - this.#lastProgress >= this.#interval) {
      this.#lastProgress = this.#now();
      this.progress(false);
    }
  }

  async #settleOldest(): Promise<void> {
    const oldest = this.#inFlight.shift();
    if (oldest === undefined) return;
    const { sent, outcomes } = await oldest;
    await this.#settle(sent, outcomes);
  }

  /** Count a batch's answers and write its labels and rejects, in file order. */
  async #settle(sent: Pending[], outcomes: LineOutcome[]): Promise<void> {
    this.summary.sent += sent.length;
    for (const [i, outcome] of outcomes.entries()) {
      const pending = sent[i] as Pending;
      if ('id' in outcome) {
        this.summary.accepted += 1;
        await this.#writeLabel(pending.record, outcome.id);
      } else {
        this.summary.rejected += 1;
        await this.#writeReject(pending.record, outcome.error, 'node');
      }
    }
  }

  async #writeReject(record: FileRecord, rejection: Rejection | { code: string; message: string; field?: string }, by: 'local' | 'node'): Promise<void> {
    const rejects = this.#outputs.rejects;
    if (!rejects) return;
    const raw = typeof record.raw === 'string' ? { raw: record.raw } : { rawBase64: Buffer.from(record.raw).toString('base64') };
    await write(rejects, `${JSON.stringify({ line: record.line, by, code: rejection.code, message: rejection.message, ...(rejection.field !== undefined ? { field: rejection.field } : {}), ...raw })}\n`);
  }

  async #writeLabel(record: FileRecord, id: string): Promise<void> {
    const label = labelOf(record);
    const labels = this.#outputs.labels;
    if (!labels || label === undefined) return;
    if (label.id !== id) this.summary.idMismatches += 1;
    this.summary.labels += 1;
    await write(labels, `${JSON.stringify({ ...label, id })}\n`);
  }

  /** A progress line (over itself on a terminal), or the final summary line. */
  progress(final: boolean): void {
    const summary = this.summary;
    if (this.#client) {
      summary.retries = this.#client.retries;
      summary.duplicates = this.#client.duplicates;
    }
    summary.elapsedMs = Math.max(0, this.#now() - this.#started);
    summary.linesPerSecond = summary.elapsedMs > 0 ? Math.round((summary.lines * 1000) / summary.elapsedMs) : 0;
    const tty = this.#stderr.isTTY === true;
    if (final) {
      this.#stderr.write(`${tty ? '\r\x1b[K' : ''}ingest: ${describeSummary(summary)}\n`);
      return;
    }
    const stats = this.#stats;
    const pct = stats && stats.totalBytes > 0 ? ` (${Math.floor((100 * stats.bytesRead) / stats.totalBytes)}%)` : '';
    const line = `ingest: ${fmt(summary.lines)} lines, ${mb(summary.bytesRead)}${pct}, ${fmt(summary.linesPerSecond)} lines/s; sent ${fmt(summary.sent)}, accepted ${fmt(summary.accepted)}, rejected ${fmt(summary.rejected + summary.notConverted)}`;
    this.#stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
  }
}

async function openOutput(path: string, option: string): Promise<WriteStream> {
  const stream = createWriteStream(path);
  try {
    await once(stream, 'open');
  } catch (err) {
    throw new CollectorError('BAD_OPTION', `${option}: cannot write ${path}: ${err instanceof Error ? err.message : String(err)}`, false, { cause: err });
  }
  return stream;
}

async function write(stream: WriteStream, text: string): Promise<void> {
  if (!stream.write(text)) await once(stream, 'drain');
}

async function close(stream: WriteStream): Promise<void> {
  await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

function describeSummary(s: IngestSummary): string {
  const secs = (s.elapsedMs / 1000).toFixed(1);
  const parts = [
    `read ${fmt(s.records)} records (${fmt(s.lines)} lines, ${mb(s.bytesRead)}) in ${secs} s, ${fmt(s.linesPerSecond)} lines/s`,
    ...(/^https?:\/\//.test(s.destination)
      ? [
          `sent ${fmt(s.sent)} to ${s.destination}`,
          `accepted ${fmt(s.accepted)}${s.duplicates > 0 ? ` (${fmt(s.duplicates)} already stored)` : ''}`,
          `rejected ${fmt(s.rejected)} by the node`,
        ]
      : [`wrote ${fmt(s.sent)} lines to ${s.destination}`]),
    `${fmt(s.notConverted)} not converted`,
  ];
  if (s.labels > 0) parts.push(`${fmt(s.labels)} labels`);
  if (s.idMismatches > 0) parts.push(`${fmt(s.idMismatches)} ids differ from the local ones`);
  if (s.retries > 0) parts.push(`${fmt(s.retries)} retries`);
  return parts.join('; ');
}

const fmt = (n: number): string => n.toLocaleString('en-US');
const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
