/**
 * The HTTP collector: `POST /ingest` with NDJSON (one input per line) or a JSON array.
 *
 * Who may post (issue 16): with `access: keys` a request needs `Authorization: Bearer
 * <sensor key>` (401 otherwise) and each of its events must lie in the key's scope, or it is
 * an UNAUTHORIZED_ENTITY dead letter. Whatever the access, a browser on another site must not
 * be able to post (CSRF: a form auto-submitted from any web page reaches a node on the
 * visitor's loopback): only JSON and NDJSON content types are taken (415), which a form can
 * never send and which make fetch() preflight, and a request a browser marks as cross-site
 * (`Sec-Fetch-Site`) or whose `Origin` is not this server's is refused (403) before its
 * body is read.
 *
 * Memory: every request's body counts against one in-flight byte budget shared by all
 * requests of the collector; a body that does not fit now answers 429 with Retry-After and
 * is not buffered, so many concurrent large posts cannot take the node's memory.
 *
 * The answer is per line, and a 2xx comes only once every event of the body is durably
 * stored (the sink resolves after the commit), so a client that got 200 may forget what it
 * sent. A full pipeline answers 429 with Retry-After and stores nothing of that body: the
 * client keeps it and retries. A body over the limit answers 413 without being read whole.
 */
import { isUtf8 } from 'node:buffer';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseJsonRecord, validateInput, reject, originalBound, type PreserveOriginalOptions, type ResolvedValidationOptions, type Rejection } from '../../events/index.js';
import { keepOriginals } from '../original.js';
import { PipelineFullError, type IngestItem, type IngestSink } from '../sink.js';
import { OPEN_ACCESS, SensorScope, bearerSecret, type IngestAccess } from '../auth.js';

/** `preserveOriginal`: each NDJSON line as posted (a JSON array's elements: re-encoded) is kept as `event.original`. */
export interface HttpCollectorOptions extends PreserveOriginalOptions {
  /**
   * Largest request body, in bytes; larger ones get 413.
   * @default 33554432 (32 MiB: room for a batch, and for one oversized line to be kept as a dead letter)
   */
  maxBodyBytes?: number;
  /** Source name in metrics and dead letters. @default 'http' */
  source?: string;
  /** Who may post: anyone (`open`) or holders of a sensor key (`keys`). @default { mode: 'open' } */
  access?: IngestAccess;
  /**
   * Bytes of request bodies held at once across all concurrent requests; a body that would
   * go over it answers 429. At least `maxBodyBytes`.
   * @default 67108864 (64 MiB)
   */
  maxInflightBytes?: number;
  /** Browser origins (`https://ops.example`) besides this server's own that may post. @default [] */
  allowedOrigins?: readonly string[];
  /** Told of each refused request (`unauthenticated`, `cross-origin`, `content-type`, `busy`, …), for metrics. */
  onRefused?: (reason: string) => void;
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
  const access = options.access ?? OPEN_ACCESS;
  const budget = new ByteBudget(options.maxInflightBytes ?? Math.max(64 * 1024 * 1024, maxBodyBytes));
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const refused = options.onRefused ?? (() => {});
  const originalMax = originalBound(options);
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new RangeError(`http collector maxBodyBytes: expected a positive integer, got ${maxBodyBytes}`);
  if (budget.limit < maxBodyBytes) throw new RangeError(`http collector maxInflightBytes: expected at least maxBodyBytes (${maxBodyBytes}), got ${budget.limit}`);
  const refuse = (res: ServerResponse, req: IncomingMessage, status: number, reason: string, code: string, message: string, headers: Record<string, string> = {}): void => {
    refused(reason);
    // The body is not read: close the connection rather than parse what follows it as a request.
    req.resume();
    send(res, status, { error: { code, message } }, { Connection: 'close', ...headers });
  };

  return async function handleIngest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return send(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: `expected POST, got ${req.method ?? '?'}` } }, { Allow: 'POST' });
    }
    const crossOrigin = crossOriginReason(req, allowedOrigins);
    if (crossOrigin !== undefined) return refuse(res, req, 403, 'cross-origin', 'CROSS_ORIGIN', crossOrigin);
    if (!isJsonContentType(req.headers['content-type'])) {
      return refuse(res, req, 415, 'content-type', 'UNSUPPORTED_MEDIA_TYPE', `expected Content-Type application/json or application/x-ndjson, got ${JSON.stringify((req.headers['content-type'] ?? 'none').slice(0, 80))}`, {
        Accept: 'application/json, application/x-ndjson',
      });
    }
    let scope: SensorScope | undefined;
    const secret = bearerSecret(req.headers.authorization);
    if (access.mode === 'keys' || (secret !== undefined && access.keys)) {
      const principal = secret === undefined ? undefined : access.keys?.authenticate(secret);
      if (!principal) {
        return refuse(res, req, 401, 'unauthenticated', 'UNAUTHENTICATED', 'a live sensor key is required (Authorization: Bearer <key>)', { 'WWW-Authenticate': 'Bearer realm="vigil-ingest"' });
      }
      scope = new SensorScope(principal);
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > maxBodyBytes) {
      return refuse(res, req, 413, 'too-large', 'TOO_LARGE', `body of ${declared} bytes exceeds the limit of ${maxBodyBytes}`);
    }
    // A declared length is reserved whole before reading; a chunked body reserves as it comes.
    const reserved = Number.isFinite(declared) && declared > 0 ? declared : 0;
    if (reserved > 0 && !budget.take(reserved)) return refuse(res, req, 429, 'busy', 'BUSY', 'too many request bodies in flight: retry after 1 s', { 'Retry-After': '1' });
    let held = reserved;
    try {
      let body: Buffer;
      try {
        body = await readBody(req, maxBodyBytes, (n) => {
          if (held >= n) return true;
          if (!budget.take(n - held)) return false;
          held = n;
          return true;
        });
      } catch (err) {
        if (err instanceof BodyTooLarge) return refuse(res, req, 413, 'too-large', 'TOO_LARGE', `body exceeds the limit of ${maxBodyBytes} bytes`);
        if (err instanceof OverBudget) return refuse(res, req, 429, 'busy', 'BUSY', 'too many request bodies in flight: retry after 1 s', { 'Retry-After': '1' });
        return; // the client went away mid-body: nothing was stored, nobody to answer
      }
      return await ingestBody(res, body, scope);
    } finally {
      budget.give(held);
    }
  };

  async function ingestBody(res: ServerResponse, body: Buffer, scope: SensorScope | undefined): Promise<void> {
    let items = await safeItemsYielding(body, validation);
    if (items.length === 0) {
      return send(res, 400, { error: { code: 'EMPTY', message: 'expected NDJSON lines or a JSON array, got an empty body' } });
    }
    if (scope) items = items.map((item) => scope.admit(item));
    keepOriginals(items, originalMax);
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
  }
}

/**
 * `toItems`, and whatever it cannot take (an input that makes a parser or encoder throw:
 * nesting deep enough to exhaust the stack) is one dead letter, never a 500.
 */
function safeItems(body: Buffer, validation: ResolvedValidationOptions): IngestItem[] {
  try {
    return toItems(body, validation);
  } catch (err) {
    return [{ raw: body, rejection: reject('PARSE_ERROR', `body could not be parsed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200)) }];
  }
}

/**
 * Lines parsed between turns of the event loop. A body of 1,000 lines takes 10–30 ms to parse
 * and validate; in one piece it holds every other request of the node (the API's queries,
 * MQTT, syslog) for all of it (#20: API p99 under full ingest). In slices of this many lines
 * (about 2 ms) the loop serves what else is waiting between slices.
 */
export const PARSE_SLICE_LINES = 128;

/** `safeItems`, yielding to the event loop between slices of an NDJSON body. */
async function safeItemsYielding(body: Buffer, validation: ResolvedValidationOptions): Promise<IngestItem[]> {
  const items: IngestItem[] = [];
  let from = 0;
  for (;;) {
    // Slices at line boundaries: a newline byte is never inside a multi-byte UTF-8 sequence.
    let to = from;
    for (let n = 0; n < PARSE_SLICE_LINES && to !== -1 && to < body.length; n++) {
      const lf = body.indexOf(NEWLINE, to);
      to = lf === -1 ? -1 : lf + 1;
    }
    if (from === 0 && (to === -1 || to >= body.length)) return safeItems(body, validation);
    if (from === 0 && firstNonBlank(body) === 0x5b /* [ */) return safeItems(body, validation);
    const end = to === -1 ? body.length : to;
    const slice = body.subarray(from, end);
    let part: IngestItem[];
    try {
      part = lineItems(slice, validation);
    } catch (err) {
      part = [{ raw: slice, rejection: reject('PARSE_ERROR', `lines could not be parsed: ${err instanceof Error ? err.message : String(err)}`.slice(0, 200)) }];
    }
    for (const item of part) items.push(item);
    if (end >= body.length) return items;
    from = end;
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

function firstNonBlank(body: Buffer): number | undefined {
  let i = 0;
  while (i < body.length && (body[i] === 0x20 || body[i] === 0x09 || body[i] === CR || body[i] === NEWLINE)) i++;
  return body[i];
}

const JSON_TYPES = new Set(['application/json', 'application/x-ndjson', 'application/ndjson', 'application/jsonl', 'application/x-jsonlines', 'application/jsonlines']);

/** JSON or NDJSON, in UTF-8 if a charset is named (RFC 8259 §8.1); never what an HTML form can send. */
export function isJsonContentType(header: string | undefined): boolean {
  if (header === undefined) return false;
  const [type, ...params] = header.split(';');
  const mediaType = type!.trim().toLowerCase();
  if (!JSON_TYPES.has(mediaType) && !/^application\/[a-z0-9.+-]+\+json$/.test(mediaType)) return false;
  for (const p of params) {
    const [k, v] = p.split('=');
    if (k?.trim().toLowerCase() === 'charset' && v?.trim().replace(/^"|"$/g, '').toLowerCase() !== 'utf-8') return false;
  }
  return true;
}

/**
 * Why a browser request comes from another site, or undefined. Fetch Metadata
 * (`Sec-Fetch-Site`, sent by every current browser) says so directly; `Origin` (sent on
 * every cross-origin POST, RFC 6454 §7) is compared with the Host the request was sent to.
 * Non-browser senders send neither and are not affected.
 */
export function crossOriginReason(req: IncomingMessage, allowed: ReadonlySet<string>): string | undefined {
  const origin = req.headers.origin;
  if (origin !== undefined && allowed.has(origin)) return undefined;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `cross-site browser requests may not post events (Sec-Fetch-Site: ${String(site).slice(0, 20)})`;
  if (origin === undefined) return undefined;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return `Origin ${JSON.stringify(origin.slice(0, 80))} is not this server`;
  }
  return host === req.headers.host ? undefined : `Origin ${JSON.stringify(origin.slice(0, 80))} is not this server`;
}

/** One budget of bytes shared by every request in flight. */
export class ByteBudget {
  private used = 0;
  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`byte budget: expected a positive integer, got ${limit}`);
  }
  take(n: number): boolean {
    if (this.used + n > this.limit) return false;
    this.used += n;
    return true;
  }
  give(n: number): void {
    this.used = Math.max(0, this.used - n);
  }
  get inUse(): number {
    return this.used;
  }
}

/** Split a body into inputs: NDJSON lines, or the elements of a JSON array. */
export function toItems(body: Buffer, validation: ResolvedValidationOptions): IngestItem[] {
  let start = 0;
  while (start < body.length && (body[start] === 0x20 || body[start] === 0x09 || body[start] === CR || body[start] === NEWLINE)) start++;
  if (body[start] === 0x5b /* [ */) return arrayItems(body, validation);
  return lineItems(body, validation);
}

/** The inputs of an NDJSON body (or of a run of its whole lines). */
function lineItems(body: Buffer, validation: ResolvedValidationOptions): IngestItem[] {
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
    let raw: string;
    try {
      raw = JSON.stringify(value) ?? 'null';
    } catch (err) {
      // Nesting deep enough to overflow the encoder's stack (JSON.parse itself does not recurse).
      return { raw: body, rejection: reject('PARSE_ERROR', `array element cannot be re-encoded: ${(err as Error).message}`.slice(0, 200)) };
    }
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
class OverBudget extends Error {}

function readBody(req: IncomingMessage, limit: number, reserve: (size: number) => boolean): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit || !reserve(size)) {
        req.removeAllListeners('data');
        req.resume(); // discard the rest rather than buffering it
        chunks.length = 0;
        reject(size > limit ? new BodyTooLarge() : new OverBudget());
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
