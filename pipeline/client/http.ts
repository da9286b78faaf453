/**
 * The HTTP side of `vigil ingest`: one node's `POST /ingest`, answered per line.
 *
 * Delivery is at least once and safe to repeat: event ids are content hashes, so a batch
 * re-sent after a lost answer is stored once (the node counts the repeats as duplicates).
 * 429 and 503 are honoured with their Retry-After; 413 halves the batch; a refused
 * connection is retried with backoff, then reported as a CollectorError.
 */
import { z } from 'zod';
import { CollectorError } from '../../collectors/index.js';

export interface IngestClientOptions {
  /** The node's base URL (or its full `/ingest` URL). */
  url: string;
  /** Sent as `Authorization: Bearer <token>`. */
  token?: string;
  /** Retries of one request after a refused connection, a 5xx or a 503. @default 5 */
  maxRetries?: number;
  /** Longest total wait on 429 (pipeline full) for one request, milliseconds. @default 600000 */
  maxBackpressureWaitMs?: number;
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds. @default Date.now */
  now?: () => number;
}

/** One NDJSON line to send, with its line number in the file (for the 413 message). */
export interface ClientLine {
  text: string;
  line: number;
}

export type LineOutcome = { id: string } | { error: { code: string; message: string } };

/** The node's per-line answer (collectors/http `IngestResponse`), checked: the node is not trusted to be of our version. */
const ingestResponse = z.object({
  accepted: z.number(),
  duplicates: z.number().optional(),
  rejected: z.number(),
  results: z.array(z.union([z.object({ id: z.string() }), z.object({ error: z.object({ code: z.string(), message: z.string() }).loose() })])),
});

export class IngestClient {
  readonly endpoint: URL;
  /** Requests sent again so far (refused connections, 429, 503, 5xx). */
  retries = 0;
  /** Lines the node had already stored, over all answers. */
  duplicates = 0;
  readonly #headers: Record<string, string>;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #now: () => number;
  readonly #maxRetries: number;
  readonly #maxBackpressureWaitMs: number;

  constructor(options: IngestClientOptions) {
    this.endpoint = ingestUrl(options.url);
    this.#headers = { 'Content-Type': 'application/x-ndjson' };
    if (options.token !== undefined) this.#headers['Authorization'] = `Bearer ${options.token}`;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    this.#now = options.now ?? Date.now;
    this.#maxRetries = options.maxRetries ?? 5;
    this.#maxBackpressureWaitMs = options.maxBackpressureWaitMs ?? 600_000;
  }

  /** POST one batch until it is answered, with one outcome per line; 413 splits it. */
  async post(batch: readonly ClientLine[]): Promise<LineOutcome[]> {
    const url = this.endpoint;
    const maxRetries = this.#maxRetries;
    let failures = 0;
    let waited = 0;
    for (;;) {
      let response: Response;
      try {
        response = await this.#fetch(url, { method: 'POST', headers: this.#headers, body: batch.map((p) => p.text).join('\n') + '\n' });
      } catch (err) {
        failures += 1;
        if (failures > maxRetries) {
          throw new CollectorError('CONNECTION_FAILED', `POST ${url.href}: ${causeOf(err)} (after ${maxRetries} retries)`, true, { cause: err });
        }
        this.retries += 1;
        await this.#sleep(backoffMs(failures));
        continue;
      }
      if (response.status === 429 || response.status === 503) {
        await response.body?.cancel();
        const wait = retryAfterMs(response.headers.get('retry-after'), this.#now());
        if (response.status === 503) failures += 1;
        if (failures > maxRetries || waited + wait > this.#maxBackpressureWaitMs) {
          throw new CollectorError('PIPELINE_FULL', `POST ${url.href}: still ${response.status} after ${this.retries} retries and ${Math.round(waited / 1000)} s of waiting`, true);
        }
        this.retries += 1;
        waited += wait;
        await this.#sleep(wait);
        continue;
      }
      if (response.status === 413) {
        await response.body?.cancel();
        if (batch.length === 1) {
          const line = (batch[0] as ClientLine).line;
          return [{ error: { code: 'TOO_LARGE', message: `line ${line}: the node refused a body of this one line (413)` } }];
        }
        const half = Math.ceil(batch.length / 2);
        return [...(await this.post(batch.slice(0, half))), ...(await this.post(batch.slice(half)))];
      }
      const text = await response.text();
      const parsed = ingestResponse.safeParse(safeJson(text));
      if (parsed.success && parsed.data.results.length === batch.length) {
        this.duplicates += parsed.data.duplicates ?? 0;
        return parsed.data.results;
      }
      if (response.status >= 500 && failures < maxRetries) {
        failures += 1;
        this.retries += 1;
        await this.#sleep(backoffMs(failures));
        continue;
      }
      const why = parsed.success ? `${parsed.data.results.length} results for ${batch.length} lines` : errorText(text);
      throw new CollectorError(
        response.status === 401 || response.status === 403 ? 'BAD_OPTION' : 'CONNECTION_FAILED',
        `POST ${url.href}: ${response.status} ${response.statusText}: ${why}`,
        response.status >= 500,
      );
    }
  }
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

