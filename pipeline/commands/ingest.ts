/**
 * `vigil ingest FILE --format …`: stream a file to a running node's `POST /ingest`.
 *
 * NDJSON lines are sent verbatim and the node, which keeps the dead letters, judges them.
 * The other formats (CSV, candump, the data-set importers) are converted here, row by row,
 * to DESIGN.md JSON input lines; a row that cannot become a valid input never leaves this
 * machine (the node could only dead-letter our JSON, not the row): it is counted in the
 * summary and written, verbatim with its line number and reason, to `--rejects`.
 *
 * Delivery is at least once and safe to repeat: event ids are content hashes, so a batch
 * re-sent after a lost answer is stored once (the node counts the repeats as duplicates).
 * 429 and 503 are honoured with their Retry-After; 413 halves the batch; a refused
 * connection is retried with backoff, then reported.
 *
 * Exit status: 0 when every record was stored; 2 when the file was read to the end but
 * some records were rejected (here or by the node); 1 on a failure (bad option,
 * unreadable file, node unreachable or answering out of contract).
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { z } from 'zod';
import { FILE_FORMATS, CollectorError, readRecords, labelOf, type FileFormat, type FileRecord, type ReadStats } from '../../collectors/index.js';
import { INPUT_KINDS, type InputKind, type Rejection } from '../../events/index.js';
import { intOption } from './options.js';

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

export function register(program: Command): void {
  program
    .command('ingest')
    .description('send a file of events to a running node (POST /ingest), converting CSV, candump and the public data sets on the way')
    .argument('<file>', 'the file to read')
    .addOption(new Option('--format <format>', 'the file format').choices(FILE_FORMATS).makeOptionMandatory())
    .option('--url <url>', "the node's base URL", 'http://127.0.0.1:4000')
    .option('--out <file>', 'write the converted JSON input lines to this file instead of posting them')
    .option('--labels <file>', 'write the labels of a data set (ton-iot, j1939, odds) as NDJSON {"id","label","attack"}')
    .option('--rejects <file>', 'write each rejected record (line, reason, raw) as NDJSON')
    .option('--map <pairs>', 'csv: target=column pairs, e.g. ts=time,device=id,metrics.temperature=temp')
    .addOption(new Option('--kind <kind>', 'csv: the input kind of every row').choices(INPUT_KINDS).default('telemetry'))
    .option('--entity <id>', 'the vehicle (candump, j1939) or device (ton-iot, odds) id; default from the file name')
    .option('--start <time>', 'epoch ms or ISO-8601 time that relative candump/J1939 times and ODDS rows count from (default 2020-01-01T00:00:00Z)', timeOption)
    .option('--token <token>', 'bearer token for the node: a sensor key (`vigil sensor create`) where it requires keys')
    .option('--batch-bytes <n>', 'largest request body in bytes (under 1 MiB)', intOption('--batch-bytes', 1024, 1_048_575), 512 * 1024)
    .option('--batch-lines <n>', 'most lines per request', intOption('--batch-lines', 1, 100_000), 2000)
    .option('--concurrency <n>', 'requests in flight at once', intOption('--concurrency', 1, 16), 2)
    .option('--json', 'print the summary as one JSON object on stdout')
    .addHelpText(
      'after',
      '\nExit status: 0 all stored; 2 read to the end but some records rejected; 1 failure.\n' +
        'candump/J1939 times below 1e8 s are relative and count from --start; larger ones are epoch seconds.',
    )
    .action(async (file: string, opts: CliOptions) => {
      const options: IngestOptions = {
        file,
        format: opts.format,
        url: opts.url,
        maxBatchBytes: opts.batchBytes,
        maxBatchLines: opts.batchLines,
        concurrency: opts.concurrency,
        ...(opts.out !== undefined ? { out: opts.out } : {}),
        ...(opts.labels !== undefined ? { labels: opts.labels } : {}),
        ...(opts.rejects !== undefined ? { rejects: opts.rejects } : {}),
        ...(opts.map !== undefined ? { map: opts.map } : {}),
        ...(opts.format === 'csv' ? { kind: opts.kind } : {}),
        ...(opts.entity !== undefined ? { entity: opts.entity } : {}),
        ...(opts.start !== undefined ? { start: opts.start } : {}),
        ...(opts.token !== undefined ? { token: opts.token } : {}),
      };
      const summary = await runIngest(options);
      if (opts.json === true) process.stdout.write(`${JSON.stringify(summary)}\n`);
      process.exitCode = exitCodeOf(summary);
    });
}

interface CliOptions {
  format: FileFormat;
  url: string;
  out?: string;
  labels?: string;
  rejects?: string;
  map?: string;
  kind: InputKind;
  entity?: string;
  start?: number;
  token?: string;
  batchBytes: number;
  batchLines: number;
  concurrency: number;
  json?: boolean;
}

/** 0 when everything read was stored, 2 when some of it was rejected. */
export function exitCodeOf(summary: IngestSummary): 0 | 2 {
  return summary.rejected + summary.notConverted > 0 ? 2 : 0;
}

function timeOption(value: string): number {
  const ms = /^\d+$/.test(value.trim()) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(ms)) throw new InvalidArgumentError(`--start: expected epoch milliseconds or an ISO-8601 time, got ${JSON.stringify(value)}`);
  return ms;
}

// ---------------------------------------------------------------------------------------

/** The node's per-line answer (collectors/http `IngestResponse`), checked: the node is not trusted to be of our version. */
const ingestResponse = z.object({
  accepted: z.number(),
  duplicates: z.number().optional(),
  rejected: z.number(),
  results: z.array(z.union([z.object({ id: z.string() }), z.object({ error: z.object({ code: z.string(), message: z.string() }).loose() })])),
});

interface Pending {
  record: FileRecord;
  line: string;
}

type LineOutcome = { id: string } | { error: { code: string; message: string } };

/**
 * Read `options.file`, convert it, and post it (or write it to `options.out`). Resolves with
 * the summary once everything is answered; rejects with a CollectorError on failure, after
 * printing the summary so far.
 */
export async function runIngest(options: IngestOptions, io: IngestIo = {}): Promise<IngestSummary> {
  const fetchImpl = io.fetch ?? fetch;
  const sleep = io.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = io.now ?? Date.now;
  const stderr = io.stderr ?? process.stderr;
  const interval = io.progressIntervalMs ?? 1000;
  const maxBatchBytes = options.maxBatchBytes ?? 512 * 1024;
  const maxBatchLines = options.maxBatchLines ?? 2000;
  const maxRetries = options.maxRetries ?? 5;
  const maxBackpressureWaitMs = options.maxBackpressureWaitMs ?? 600_000;
  const concurrency = options.concurrency ?? 2;
  if (!Number.isInteger(concurrency) || concurrency < 1 || concurrency > 16) throw new CollectorError('BAD_OPTION', `concurrency: expected 1 to 16 requests, got ${concurrency}`, false);
  if (maxBatchBytes >= 1024 * 1024) throw new CollectorError('BAD_OPTION', `--batch-bytes: expected under 1 MiB, got ${maxBatchBytes}`, false);
  if (options.labels !== undefined && !LABELLED.includes(options.format)) {
    throw new CollectorError('BAD_OPTION', `--labels: format ${options.format} has no labels (only ${LABELLED.join(', ')})`, false);
  }
  const endpoint = options.out === undefined ? ingestUrl(options.url ?? 'http://127.0.0.1:4000') : undefined;
  const headers: Record<string, string> = { 'Content-Type': 'application/x-ndjson' };
  if (options.token !== undefined) headers['Authorization'] = `Bearer ${options.token}`;

  const started = now();
  const summary: IngestSummary = {
    file: options.file,
    format: options.format,
    destination: endpoint?.href ?? (options.out as string),
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
  let stats: ReadStats | undefined;
  let lastProgress = started;
  const progress = (final: boolean): void => {
    summary.elapsedMs = Math.max(0, now() - started);
    summary.linesPerSecond = summary.elapsedMs > 0 ? Math.round((summary.lines * 1000) / summary.elapsedMs) : 0;
    const tty = stderr.isTTY === true;
    if (final) {
      stderr.write(`${tty ? '\r\x1b[K' : ''}ingest: ${describeSummary(summary)}\n`);
    } else {
      const pct = stats && stats.totalBytes > 0 ? ` (${Math.floor((100 * stats.bytesRead) / stats.totalBytes)}%)` : '';
      const line = `ingest: ${fmt(summary.lines)} lines, ${mb(summary.bytesRead)}${pct}, ${fmt(summary.linesPerSecond)} lines/s; sent ${fmt(summary.sent)}, accepted ${fmt(summary.accepted)}, rejected ${fmt(summary.rejected + summary.notConverted)}`;
      stderr.write(tty ? `\r\x1b[K${line}` : `${line}\n`);
    }
  };

  const out = options.out !== undefined ? await openOutput(options.out, '--out') : undefined;
  const labels = options.labels !== undefined ? await openOutput(options.labels, '--labels') : undefined;
  const rejects = options.rejects !== undefined ? await openOutput(options.rejects, '--rejects') : undefined;

  const writeReject = async (record: FileRecord, rejection: Rejection | { code: string; message: string; field?: string }, by: 'local' | 'node'): Promise<void> => {
    if (!rejects) return;
    const raw = typeof record.raw === 'string' ? { raw: record.raw } : { rawBase64: Buffer.from(record.raw).toString('base64') };
    await write(rejects, `${JSON.stringify({ line: record.line, by, code: rejection.code, message: rejection.message, ...(rejection.field !== undefined ? { field: rejection.field } : {}), ...raw })}\n`);
  };
  const writeLabel = async (record: FileRecord, id: string): Promise<void> => {
    const label = labelOf(record);
    if (!labels || label === undefined) return;
    if (label.id !== id) summary.idMismatches += 1;
    summary.labels += 1;
    await write(labels, `${JSON.stringify({ ...label, id })}\n`);
  };

  /** POST one batch until it is answered, with one outcome per line; 413 splits it. */
  const post = async (batch: Pending[]): Promise<LineOutcome[]> => {
    const url = endpoint as URL;
    let failures = 0;
    let waited = 0;
    for (;;) {
      let response: Response;
      try {
        response = await fetchImpl(url, { method: 'POST', headers, body: batch.map((p) => p.line).join('\n') + '\n' });
      } catch (err) {
        failures += 1;
        if (failures > maxRetries) {
          throw new CollectorError('CONNECTION_FAILED', `POST ${url.href}: ${causeOf(err)} (after ${maxRetries} retries)`, true, { cause: err });
        }
        summary.retries += 1;
        await sleep(backoffMs(failures));
        continue;
      }
      if (response.status === 429 || response.status === 503) {
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after'), now());
        if (response.status === 503) failures += 1;
        if (failures > maxRetries || waited + wait > maxBackpressureWaitMs) {
          throw new CollectorError('PIPELINE_FULL', `POST ${url.href}: still ${response.status} after ${summary.retries} retries and ${Math.round(waited / 1000)} s of waiting`, true);
        }
        summary.retries += 1;
        waited += wait;
        await sleep(wait);
        continue;
      }
      if (response.status === 413) {
        await response.body?.cancel();
        if (batch.length === 1) {
          const line = (batch[0] as Pending).record.line;
          return [{ error: { code: 'TOO_LARGE', message: `line ${line}: the node refused a body of this one line (413)` } }];
        }
        const half = Math.ceil(batch.length / 2);
        return [...(await post(batch.slice(0, half))), ...(await post(batch.slice(half)))];
      }
      const text = await response.text();
      const parsed = ingestResponse.safeParse(safeJson(text));
      if (parsed.success && parsed.data.results.length === batch.length) {
        summary.duplicates += parsed.data.duplicates ?? 0;
        return parsed.data.results;
      }
      if (response.status >= 500 && failures < maxRetries) {
        failures += 1;
        summary.retries += 1;
        await sleep(backoffMs(failures));
        continue;
      }
      const why = parsed.success ? `${parsed.data.results.length} results for ${batch.length} lines` : errorText(text);
      throw new CollectorError(
        response.status === 401 || response.status === 403 ? 'BAD_OPTION' : 'CONNECTION_FAILED',
        `POST ${url.href}: ${response.status} ${response.statusText}: ${why}`,
        response.status >= 500,
      );
    }
  };

  /** Count a batch's answers and write its labels and rejects, in file order. */
  const settle = async (sent: Pending[], outcomes: LineOutcome[]): Promise<void> => {
    summary.sent += sent.length;
    for (const [i, outcome] of outcomes.entries()) {
      const pending = sent[i] as Pending;
      if ('id' in outcome) {
        summary.accepted += 1;
        await writeLabel(pending.record, outcome.id);
      } else {
        summary.rejected += 1;
        await writeReject(pending.record, outcome.error, 'node');
      }
    }
  };
  // Requests in flight, oldest first: the node's group commit overlaps one batch's
  // storing with the next one's transfer; answers are still settled in file order.
  const inFlight: Array<Promise<{ sent: Pending[]; outcomes: LineOutcome[] }>> = [];
  const settleOldest = async (): Promise<void> => {
    const oldest = inFlight.shift();
    if (oldest === undefined) return;
    const { sent, outcomes } = await oldest;
    await settle(sent, outcomes);
  };

  let batch: Pending[] = [];
  let batchBytes = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    const sending = batch;
    batch = [];
    batchBytes = 0;
    if (out) {
      for (const p of sending) {
        if (!p.record.result.ok) continue;
        await write(out, `${p.line}\n`);
        summary.sent += 1;
        summary.accepted += 1;
        await writeLabel(p.record, p.record.result.event.id);
      }
    } else {
      const request = post(sending).then((outcomes) => ({ sent: sending, outcomes }));
      request.catch(() => {}); // observed by settleOldest, in order
      inFlight.push(request);
      if (inFlight.length >= concurrency) await settleOldest();
    }
    if (now() - lastProgress >= interval) {
      lastProgress = now();
      progress(false);
    }
  };

  try {
    for await (const chunk of readRecords(options.file, {
      format: options.format,
      ...(options.map !== undefined ? { map: options.map } : {}),
      ...(options.kind !== undefined ? { kind: options.kind } : {}),
      ...(options.entity !== undefined ? { entity: options.entity } : {}),
      ...(options.start !== undefined ? { start: options.start } : {}),
    })) {
      stats = chunk.stats;
      summary.lines = stats.lines;
      summary.records = stats.records;
      summary.bytesRead = stats.bytesRead;
      for (const record of chunk.records) {
        // NDJSON goes as written: the node judges it and keeps the dead letter. Converted rows go only if valid here.
        const sendable = options.format === 'ndjson' && !out ? record.json !== undefined : record.result.ok;
        if (!sendable || record.json === undefined) {
          summary.notConverted += 1;
          if (!record.result.ok) await writeReject(record, record.result.rejection, 'local');
          continue;
        }
        const size = Buffer.byteLength(record.json) + 1;
        if (batch.length > 0 && (batchBytes + size > maxBatchBytes || batch.length >= maxBatchLines)) await flush();
        batch.push({ record, line: record.json });
        batchBytes += size;
      }
    }
    await flush();
    while (inFlight.length > 0) await settleOldest();
  } catch (err) {
    if (summary.records > 0) progress(true);
    throw err;
  } finally {
    for (const stream of [out, labels, rejects]) if (stream) await close(stream);
  }
  progress(true);
  return summary;
}

function ingestUrl(base: string): URL {
  let url: URL;
  try {
    url = new URL(base);
  } catch {
    throw new CollectorError('BAD_OPTION', `--url: expected http://host:port, got ${JSON.stringify(base)}`, false);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CollectorError('BAD_OPTION', `--url: expected http or https, got ${url.protocol}`, false);
  if (!url.pathname.endsWith('/ingest')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/ingest`;
  return url;
}

/** Retry-After as seconds or an HTTP date → milliseconds, within [0, 60 s]; 1 s when absent or unreadable. */
export function retryAfterMs(header: string | null, nowMs: number): number {
  if (header === null) return 1000;
  const text = header.trim();
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(text)) ms = Number(text) * 1000;
  else {
    const at = Date.parse(text);
    ms = Number.isNaN(at) ? 1000 : at - nowMs;
  }
  return Math.min(60_000, Math.max(0, Math.round(ms)));
}

/** Exponential backoff with a cap: 250 ms, 500 ms, 1 s, … 8 s. */
function backoffMs(attempt: number): number {
  return Math.min(8000, 250 * 2 ** (attempt - 1));
}

function causeOf(err: unknown): string {
  if (err instanceof Error) {
    const cause = (err as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${err.message} (${cause.message})` : err.message;
  }
  return String(err);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorText(text: string): string {
  const body = safeJson(text) as { error?: { message?: unknown } } | undefined;
  const message = body?.error?.message;
  return typeof message === 'string' ? message.slice(0, 200) : `unexpected answer ${JSON.stringify(text.slice(0, 120))}`;
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
