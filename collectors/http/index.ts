/**
 * The HTTP collector: `POST /ingest` with NDJSON (one input per line) or a JSON array.
 *
 * The answer is per line, and a 2xx comes only once every event of the body is durably
 * stored (the sink resolves after the commit), so a client that got 200 may forget what it
 * sent. A full pipeline answers 429 with Retry-After and stores nothing of that body: the
 * client keeps it and retries. A body over the limit answers 413 without being read whole.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonRecord, validateInput, reject, type ResolvedValidationOptions, type Rejection } from '../../events/index.js';
import { PipelineFullError, type IngestItem, type IngestSink } from '../sink.js';

export interface HttpCollectorOptions {
  /**
   * Largest request body, in bytes; larger ones get 413.
   * @default 33554432 (32 MiB: room for a batch, and for one oversized line to be kept as a dead letter)
   */
  maxBodyBytes?: number;
  /** Source name in metrics and dead letters. @default 'http' */
  source?: string;
}

export interface IngestResponse {
  accepted: number;
  duplicates: number;
  rejected: number;
  results: Array<{ id: string } | { error: Rejection }>;
}

const NEWLINE = 0x0a;
const CR = 0x0d;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Make the `POST /ingest` request handler. */
export function createHttpCollector(sink: IngestSink, validation: ResolvedValidationOptions, options: HttpCollectorOptions = {}) {
  const maxBodyBytes = options.maxBodyBytes ?? 32 * 1024 * 1024;
  const source = options.source ?? 'http';
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`http collector maxBodyBytes: expected a positive integer, got ${maxBodyBytes}`);

  return async function handleIngest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `expected POST, got ${req.method ?? '?'}` } }, { Allow: 'POST' });
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      req.resume();
      return send(res, 413, { error: { code: 'TOO_LARGE', message: `body of ${declared} bytes exceeds the limit of ${maxBodyBytes}` } }, { Connection: 'close' });
    }
    let body: Buffer;
    try {
      body = await readBody(req, maxBodyBytes);
    } catch (err) {
      if (err instanceof BodyTooLarge) {
        return send(res, 413, { error: { code: 'TOO_LARGE', message: `body exceeds the limit of ${maxBodyBytes} bytes` } }, { Connection: 'close' });
      }
      return; // the client went away mid-body: nothing was stored, nobody to answer
    }
    const items = toItems(body, validation);
    if (items.length === 0) {
      return send(res, 400, { error: { code: 'EMPTY', message: 'expected NDJSON lines or a JSON array, got an empty body' } });
    }
    try {
      const receipt = await sink.submit(source, items, { wait: false });
      const response: IngestResponse = {
        accepted: receipt.accepted,
        duplicates: receipt.duplicates,
        rejected: receipt.rejected,
        results: receipt.results.map((r) => ('id' in r ? r : { error: r.rejection })),
      };
      return send(res, 200, response);
    } catch (err) {
      if (err instanceof PipelineFullError) {
        const seconds = Math.max(1, Math.ceil(err.retryAfterMs / 1000));
        return send(res, 429, { error: { code: 'PIPELINE_FULL', message: `pipeline full: retry after ${seconds} s` } }, { 'Retry-After': String(seconds) });
      }
      return send(res, 503, { error: { code: 'NOT_STORED', message: 'the events could not be stored; nothing of this body was kept, retry' } }, { 'Retry-After': '1' });
    }
  };
}

/** Split a body into inputs: NDJSON lines, or the elements of a JSON array. */
export function toItems(body: Buffer, validation: ResolvedValidationOptions): IngestItem[] {
  let start = 0;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x09 || body[start] === CR || body[start] === NEWLINE)) start++;
  if (body[start] === 0x5b /* [ */) return arrayItems(body, validation);
  const items: IngestItem[] = [];
  // A body that is valid UTF-8 as a whole has only valid lines (a newline byte is never part
  // of a multi-byte sequence): its lines are decoded without a check each, and kept as text.
  const wholeUtf8 = isUtf8(body);
  let lineStart = 0;
  for (let i = body.indexOf(NEWLINE); ; i = body.indexOf(NEWLINE, i + 1)) {
    if (i === -1) i = body.length;
    let end = i;
    if (end > lineStart && body[end - 1] === CR) end--;
    // Blank lines separate nothing in NDJSON: they are not inputs.
    if (end > lineStart && !isBlank(body, lineStart, end)) {
      // A line that may start with a byte order mark goes the byte way, whose decoder drops it.
      const raw = wholeUtf8 && body[lineStart] !== 0xef ? body.toString('utf8', lineStart, end) : body.subarray(lineStart, end);
      const result = parseJsonRecord(raw, validation);
      items.push(result.ok ? { raw, event: result.event } : { raw, rejection: result.rejection });
    }
    lineStart = i + 1;
    if (i >= body.length) break;
  }
  return items;
}

function arrayItems(body: Buffer, validation: ResolvedValidationOptions): IngestItem[] {
  let values: unknown;
  try {
    values = JSON.parse(utf8.decode(body));
  } catch (err) {
    const code = err instanceof TypeError ? 'INVALID_UTF8' : 'INVALID_JSON';
    return [{ raw: body, rejection: reject(code, `expected a JSON array of inputs: ${(err as Error).message}`.slice(0, 200)) }];
  }
  if (!Array.isArray(values)) return [{ raw: body, rejection: reject('NOT_AN_OBJECT', 'expected a JSON array of inputs') }];
  // The elements' verbatim bytes are not kept apart by JSON.parse; a rejected element is
  // kept as its JSON re-encoding, which holds the same values.
  return values.map((value): IngestItem => {
    const raw = JSON.stringify(value) ?? 'null';
    if (Buffer.byteLength(raw) > validation.maxRecordBytes) {
      return { raw, rejection: reject('TOO_LARGE', `record of ${Buffer.byteLength(raw)} bytes exceeds the limit of ${validation.maxRecordBytes}`) };
    }
    const result = validateInput(value, validation);
    return result.ok ? { raw, event: result.event } : { raw, rejection: result.rejection };
  });
}

function isBlank(buf: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (buf[i] !== 0x20 && buf[i] !== 0x09) return false;
  return true;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.removeAllListeners('data');
        req.resume(); // discard the rest rather than buffering it
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.on('error', reject);
    req.on('aborted', () => reject(new Error('aborted')));
  });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
