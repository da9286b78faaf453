/**
 * Ledger entries and their one byte form. The leaf data of an entry is the RFC 8785 (JSON
 * Canonicalization Scheme) encoding of `{type, ts, body}`, so any party — the writer, an
 * auditor's script, a browser — derives the same bytes, and so the same leaf hash, from
 * the same JSON value. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { canonicalizeAt, JcsError } from '@vigil/jcs';
import { toHex, utf8 } from './encoding.js';
import { LedgerError } from './errors.js';
import { LEAF_HASH_PREFIX } from './hasher.js';

export type EntryType = 'event' | 'alert' | 'action' | 'model';
export const ENTRY_TYPES: readonly EntryType[] = ['event', 'alert', 'action', 'model'];

/**
 * One leaf of the log. `body.id` (a non-empty string: the event, alert, action or model id)
 * is required of every type so `vigil prove --id` can find the entry. By type:
 * - `event`, `alert`: the normalised event or alert as JSON.
 * - `action`: an analyst's triage step — `actor` (who) and `action` (what) are required
 *   strings; `ts` is when.
 * - `model`: a detector model — `hash` (the saved model's SHA-256, 64 lower-case hex
 *   digits) is required.
 */
export interface LedgerEntry {
  type: EntryType;
  /** When the entry happened, in epoch milliseconds. */
  ts: number;
  /** JSON data only: null, booleans, finite numbers, strings, arrays and plain objects. */
  body: Record<string, unknown>;
}

function invalid(message: string): never {
  throw new LedgerError('INVALID_ENTRY', message);
}

/**
 * RFC 8785 canonical JSON, by `@vigil/jcs` (the one encoder events use too). Refuses what
 * JSON cannot carry (NaN, Infinity, lone surrogates, functions, class instances, cycles)
 * with INVALID_ENTRY; object members whose value is `undefined` are left out, as
 * JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return encodeValue(value, 0);
}

function encodeValue(value: unknown, depth: number): string {
  try {
    return canonicalizeAt(value, depth);
  } catch (err) {
    if (err instanceof JcsError) invalid(err.message);
    throw err;
  }
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks an entry's shape; throws INVALID_ENTRY naming the first problem. */
export function validateEntry(entry: unknown): asserts entry is LedgerEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) invalid('an entry must be an object');
  const e = entry as Record<string, unknown>;
  for (const key in e) {
    if (key !== 'type' && key !== 'ts' && key !== 'body') invalid(`unexpected entry field "${key}"`);
  }
  const type = e['type'];
  if (type !== 'event' && type !== 'alert' && type !== 'action' && type !== 'model') {
    invalid(`entry type must be one of ${ENTRY_TYPES.join(', ')}, got ${JSON.stringify(e['type'])}`);
  }
  const ts = e['ts'];
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts) || ts < 0) {
    invalid(`entry ts must be epoch milliseconds (a non-negative integer), got ${JSON.stringify(ts)}`);
  }
  const body = e['body'];
  if (typeof body !== 'object' || body === null || Array.isArray(body)) invalid('entry body must be a JSON object');
  const b = body as Record<string, unknown>;
  const id = b['id'];
  if (typeof id !== 'string' || id.length === 0) invalid('entry body.id must be a non-empty string');
  if (type === 'action') {
    if (typeof b['actor'] !== 'string' || b['actor'] === '') invalid('an action entry needs body.actor (who)');
    if (typeof b['action'] !== 'string' || b['action'] === '') invalid('an action entry needs body.action (what)');
  }
  if (type === 'model' && (typeof b['hash'] !== 'string' || !SHA256_HEX.test(b['hash']))) {
    invalid("a model entry needs body.hash, the saved model's SHA-256 as 64 lower-case hex digits");
  }
}

/** The leaf data of an entry as text: its canonical JSON (validated first). */
export function encodeEntry(entry: LedgerEntry): string {
  validateEntry(entry);
  // The three members in RFC 8785 order, written out: the same bytes canonicalJson would give.
  return `{"body":${encodeValue(entry.body, 1)},"ts":${entry.ts},"type":"${entry.type}"}`;
}

/**
 * Parses one stored or received entry. Untrusted input: anything that is not valid JSON,
 * not a valid entry, or not already in canonical form is refused with INVALID_ENTRY
 * (a non-canonical form would hash differently from what the writer signed).
 */
export function parseEntry(text: string): LedgerEntry {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new LedgerError('INVALID_ENTRY', 'the entry is not JSON', { cause: err });
  }
  validateEntry(value);
  if (canonicalJson(value) !== text) invalid('the entry is not in RFC 8785 canonical form');
  return value;
}

/** The entry hash an alert quotes as evidence: hex of HASH(0x00 || canonical JSON). */
export function entryHash(entry: LedgerEntry): string {
  const data = utf8(encodeEntry(entry));
  const buf = new Uint8Array(data.length + 1);
  buf[0] = LEAF_HASH_PREFIX;
  buf.set(data, 1);
  return toHex(sha256(buf));
}
