/**
 * Ledger entries and their one byte form. The leaf data of an entry is the RFC 8785 (JSON
 * Canonicalization Scheme) encoding of `{type, ts, body}`, so any party — the writer, an
 * auditor's script, a browser — derives the same bytes, and so the same leaf hash, from
 * the same JSON value. Browser-safe.
 */
import { sha256 } from '@noble/hashes/sha2.js';
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

const LONE_SURROGATE = /\p{Cs}/u;
// Native String.prototype.isWellFormed (ES2024) where there is one, else the regex.
const isWellFormed: (s: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === 'function'
    ? (s) => (s as unknown as { isWellFormed(): boolean }).isWellFormed()
    : (s) => !LONE_SURROGATE.test(s);

function invalid(message: string): never {
  throw new LedgerError('INVALID_ENTRY', message);
}

/**
 * RFC 8785 canonical JSON. Object members sorted by UTF-16 code units, numbers in
 * ECMAScript shortest form, strings as JSON.stringify escapes them (RFC 8785 3.2.2).
 * Refuses what JSON cannot carry (NaN, Infinity, lone surrogates, functions, class
 * instances, cycles); object members whose value is `undefined` are left out, as
 * JSON.stringify does. Agrees with the `canonicalize` package on JSON data (tested); this
 * one is several times faster, which matters on the append path.
 */
export function canonicalJson(value: unknown): string {
  return encodeValue(value, 0);
}

const MAX_DEPTH = 64;
/** What JSON.stringify escapes in a well-formed string (RFC 8785 3.2.2.2). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/;

/** Quoted member names, cached: the same few names recur in every entry. */
const quotedNames = new Map<string, string>();
const MAX_CACHED_NAMES = 4096;

function quoteName(name: string): string {
  let q = quotedNames.get(name);
  if (q === undefined) {
    if (!isWellFormed(name)) invalid('a member name holds a lone UTF-16 surrogate, which RFC 8785 forbids');
    q = `${JSON.stringify(name)}:`;
    if (quotedNames.size < MAX_CACHED_NAMES) quotedNames.set(name, q);
  }
  return q;
}

/** Insertion sort: member lists are short, and `<` on strings compares UTF-16 code units, as RFC 8785 3.2.3 asks. */
function sortNames(names: string[]): string[] {
  for (let i = 1; i < names.length; i++) {
    const n = names[i]!;
    let j = i - 1;
    while (j >= 0 && names[j]! > n) {
      names[j + 1] = names[j]!;
      j--;
    }
    names[j + 1] = n;
  }
  return names;
}

interface MemberOrder {
  /** Object.keys as it came (insertion order). */
  keys: string[];
  /** The same names in RFC 8785 order, and each quoted with its colon. */
  names: string[];
  quoted: string[];
}

/**
 * Objects of one shape list their names in one insertion order, so the sorted order is
 * remembered per first name and reused when the whole list matches.
 */
const orders = new Map<string, MemberOrder>();

function memberOrder(keys: string[]): MemberOrder {
  const cached = keys.length > 0 ? orders.get(keys[0]!) : undefined;
  if (cached && cached.keys.length === keys.length) {
    let same = true;
    for (let k = 1; k < keys.length; k++) {
      if (cached.keys[k] !== keys[k]) {
        same = false;
        break;
      }
    }
    if (same) return cached;
  }
  const names = sortNames([...keys]);
  const order = { keys, names, quoted: names.map(quoteName) };
  if (keys.length > 0 && orders.size < MAX_CACHED_NAMES) orders.set(keys[0]!, order);
  return order;
}

function encodeValue(value: unknown, depth: number): string {
  switch (typeof value) {
    case 'string':
      if (!isWellFormed(value)) invalid('a string holds a lone UTF-16 surrogate, which RFC 8785 forbids');
      // Most strings need no escape, and quoting them here skips JSON.stringify's set-up.
      return NEEDS_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;
    case 'number':
      if (!Number.isFinite(value)) invalid(`${value} is not a JSON number`);
      return String(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (depth >= MAX_DEPTH) invalid(`JSON nested deeper than ${MAX_DEPTH} levels (or a cycle)`);
      if (Array.isArray(value)) {
        let out = '[';
        for (let i = 0; i < value.length; i++) {
          if (i > 0) out += ',';
          const item: unknown = value[i];
          if (item === undefined) invalid('an array holds undefined, which is not JSON');
          out += encodeValue(item, depth + 1);
        }
        return `${out}]`;
      }
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) invalid('only plain objects are JSON (found a class instance)');
      const record = value as Record<string, unknown>;
      const order = memberOrder(Object.keys(record));
      let out = '{';
      let first = true;
      for (let k = 0; k < order.names.length; k++) {
        const member = record[order.names[k]!];
        if (member === undefined) continue;
        out += first ? order.quoted[k]! : `,${order.quoted[k]!}`;
        first = false;
        out += encodeValue(member, depth + 1);
      }
      return `${out}}`;
    }
    default:
      return invalid(`a ${typeof value} is not JSON`);
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
